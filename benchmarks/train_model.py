"""Benchmark: the risk model on the region's held-out cohort beside the exact truth and the baselines, and its fit time.

The world has causes the registrations cannot show (see data_synthetic/generate.py), so the gap between LightGBM's
AUC and the AUC of p_true is the part of the risk no model of these features can reach; the benchmark prints it
with the spline baseline on the same youths (paired 95% intervals). Fit time (cross-fitting, calibration and the
final booster, without building features) is printed for the region and for a population of --timing-youths.
Usage: python benchmarks/train_model.py [--timing-youths 1000000] [--root data/bench]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_END, ensure_population, peak_rss_gb, population_dir  # noqa: E402

from training.config import TrainConfig  # noqa: E402
from training.dataset import build_training_data  # noqa: E402
from training.evaluation_report import compare_baselines, evaluate_model, high_share_of  # noqa: E402
from training.model import train_risk_model  # noqa: E402


def accuracy(directory: Path, config: TrainConfig) -> None:
    start = time.perf_counter()
    data = build_training_data(directory, None, config)
    built = time.perf_counter() - start
    start = time.perf_counter()
    model, _ = train_risk_model(data, config)
    fitted = time.perf_counter() - start
    fit, test = data.part("fit"), data.part("test")
    evaluation = evaluate_model(model, test, config.gates, config.seed)
    share = high_share_of(model, evaluation.probability)
    baselines, differences = compare_baselines(fit, test, evaluation, share, config.gates, config.seed)
    m = evaluation.metrics
    print(f"\nHeld-out cohort {data.test_date}: {len(test):,} youths; fit set {len(fit):,} rows of "
          f"{data.definition['fit_youths']:,} youths at {', '.join(data.definition['fit_dates'])}")
    print(f"  features built in {built:.1f} s; fit (5 folds + final booster, {model.n_trees} trees) in {fitted:.1f} s")
    print(f"  {'model':<30} {'AUC [95%]':>24} {'Brier':>7} {'ECE':>6} {'prec@cap':>9}")
    print(f"  {'LightGBM':<30} {m['roc_auc']:.4f} [{m['roc_auc_low']:.4f}, {m['roc_auc_high']:.4f}] {m['brier']:7.4f} "
          f"{m['ece']:6.4f} {m['precision_at_capacity']:9.3f}")
    for name, r in baselines.items():
        print(f"  {name:<30} {r['roc_auc']:.4f} [{r['roc_auc_low']:.4f}, {r['roc_auc_high']:.4f}] {r['brier']:7.4f} "
              f"{r['ece']:6.4f} {r['precision_at_capacity']:9.3f}")
    if "truth_roc_auc" in m:
        print(f"  p_true (the physical floor of this world) AUC {m['truth_roc_auc']:.4f}, Brier {m['truth_brier']:.4f}: "
              f"LightGBM's gap {m['truth_auc_gap']:+.4f} AUC is what the registrations cannot show")
    d = differences["spline_logistic"]
    auc, brier = d["roc_auc"], d["brier"]
    print(f"  LightGBM minus spline, paired: AUC {auc['difference']:+.4f} [{auc['low']:+.4f}, {auc['high']:+.4f}], "
          f"Brier {brier['difference']:+.4f} [{brier['low']:+.4f}, {brier['high']:+.4f}]")


def fit_time(directory: Path, config: TrainConfig) -> None:
    data = build_training_data(directory, None, config)
    start = time.perf_counter()
    model, _ = train_risk_model(data, config)
    seconds = time.perf_counter() - start
    print(f"\nFit time at {directory}: {len(data.part('fit')):,} fit rows, {seconds:.1f} s "
          f"({config.temporal.folds} cross-fitting boosters + the final one, {model.n_trees} trees); "
          f"peak memory {peak_rss_gb():.1f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing-youths", type=int, default=1_000_000, help="0 skips the large fit")
    parser.add_argument("--root", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    config = replace(TrainConfig(), temporal=replace(TrainConfig().temporal, data_end=DATA_END))
    accuracy(ensure_population(population_dir(args.root, None), None), config)
    if args.timing_youths:
        fit_time(ensure_population(population_dir(args.root, args.timing_youths), args.timing_youths), config)


if __name__ == "__main__":
    main()
