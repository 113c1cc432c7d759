"""Benchmark: the risk model against the known truth and the baselines, and its fit time.

Targets (issue "Train, evaluate and register"): on a 100,000-youth population, AUC within
0.01 of the AUC of p_true, Brier within 3% of p_true's, calibration error <= 0.02; LightGBM,
logistic regression and the rule side by side; fit time (excluding feature building)
<= 15 s for 50,000 and <= 120 s for 1,000,000 training rows.
Usage: python benchmarks/train_model.py [--accuracy-youths 100000] [--timing-youths 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_gb  # noqa: E402

from training.config import TrainConfig  # noqa: E402
from training.dataset import TrainingData, build_training_data, labelled_frame  # noqa: E402
from training.evaluate import baselines  # noqa: E402
from training.evaluation_report import evaluate_model, high_share_of  # noqa: E402
from training.model import train_risk_model  # noqa: E402


def ensure_population(directory: Path, youths: int) -> Path:
    if not (directory / "youths.csv").exists():
        print(f"generating {youths} youths into {directory} ...", flush=True)
        subprocess.run([sys.executable, "-m", "vsv_cli", "generate", "--out", str(directory), "--youths", str(youths)],
                       check=True, stdout=subprocess.DEVNULL)
    return directory


def accuracy(directory: Path, config: TrainConfig) -> None:
    data = build_training_data(directory, [dt.date(2019, 10, 1)], config)
    model = train_risk_model(data, config)
    test = data.part("test")
    evaluation = evaluate_model(model, test)
    compared = baselines(data.development(), test, high_share_of(model, evaluation.probability))
    m = evaluation.metrics
    print(f"\nAccuracy on {len(test):,} test youths ({len(data.train):,} training rows, {model.n_trees} trees):")
    print(f"  AUC {m['roc_auc']:.4f} vs p_true {m['truth_roc_auc']:.4f}: gap {m['truth_auc_gap']:+.4f} (target <= 0.01: "
          f"{'met' if m['truth_auc_gap'] <= 0.01 else 'NOT met'})")
    print(f"  Brier {m['brier']:.4f} vs p_true {m['truth_brier']:.4f}: {m['truth_brier_gap_pct']:+.2f}% (target <= 3%: "
          f"{'met' if m['truth_brier_gap_pct'] <= 3 else 'NOT met'})")
    print(f"  calibration error {m['ece']:.4f} (target <= 0.02: {'met' if m['ece'] <= 0.02 else 'NOT met'}); "
          f"mean |p - p_true| {m['truth_mean_abs_p_gap']:.4f}")
    rows = {"LightGBM": m, **compared}
    print(f"\n  {'model':<32} {'AUC':>7} {'PR-AUC':>7} {'Brier':>7} {'prec@cap':>9} {'recall@cap':>10}  (capacity k = {int(m['capacity_k'])})")
    for name, r in rows.items():
        print(f"  {name:<32} {r['roc_auc']:7.4f} {r['pr_auc']:7.4f} {r['brier']:7.4f} {r['precision_at_capacity']:9.3f} {r['recall_at_capacity']:10.3f}")
    print("  outcome rate per tier: " + ", ".join(f"{t} {m[f'outcome_rate_{t}']:.3f} (share {m[f'share_{t}']:.3f})" for t in ("low", "medium", "high")))


def fit_times(directory: Path, config: TrainConfig, sizes: list[int]) -> None:
    """Time `train_risk_model` (boosting, calibration, tiers) on `size` training rows plus smaller
    early-stopping and calibration parts; several reference dates give enough labelled rows."""
    dates = [dt.date(2018, 10, 1), dt.date(2019, 4, 1), dt.date(2019, 10, 1), dt.date(2020, 4, 1)]
    frame, quality, _ = labelled_frame(directory, dates)
    print(f"\nFit time (excluding feature building) from {len(frame):,} labelled rows at {', '.join(map(str, dates))}:")
    order = np.random.default_rng(0).permutation(len(frame))
    for size in sizes:
        held = min(size // 10, 50_000)  # early-stopping and calibration youths each
        if size + 2 * held + 1000 > len(frame):
            print(f"  {size:>9,} rows: not enough labelled rows ({len(frame):,})")
            continue
        train, valid, calib = order[:size], order[size:size + held], order[size + held:size + 2 * held]
        test = order[size + 2 * held:size + 2 * held + 1000]
        data = TrainingData(frame, train, valid, calib, test, frame["as_of"].max(), quality, "benchmark", 0)
        start = time.perf_counter()
        model = train_risk_model(data, config)
        seconds = time.perf_counter() - start
        target = 15 if size <= 50_000 else 120
        print(f"  {size:>9,} training rows (+{held:,} early stopping, +{held:,} calibration): {seconds:6.1f} s, "
              f"{model.n_trees} trees (target <= {target} s: {'met' if seconds <= target else 'NOT met'}); "
              f"peak memory {peak_rss_gb():.1f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accuracy-youths", type=int, default=100_000)
    parser.add_argument("--timing-youths", type=int, default=1_000_000)
    parser.add_argument("--root", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    config = TrainConfig()
    accuracy(ensure_population(args.root / f"population-{args.accuracy_youths}", args.accuracy_youths), config)
    timing_dir = args.root / ("population-1m" if args.timing_youths == 1_000_000 else f"population-{args.timing_youths}")
    fit_times(ensure_population(timing_dir, args.timing_youths), config, [50_000, 1_000_000])


if __name__ == "__main__":
    main()
