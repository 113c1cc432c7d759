"""Benchmark: nothing of the future leaks through the synthetic world. A model trained on the cohorts of
2016-2019 (every row whose outcome is known) is judged on the whole cohorts of 2020 and 2021, per year: AUC and
ECE with 95% intervals beside the AUC of the exact truth (the physical floor of the gap).

Issue "A world with time" asks ECE <= 0.03 and no AUC above the truth's. Usage: python benchmarks/forward_in_time.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_END, ensure_population, population_dir  # noqa: E402

from training.backtest import judged, judged_cohorts  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.dataset import build_training_data  # noqa: E402
from training.model import train_risk_model  # noqa: E402
from vsv_model.reader import read_data_dir  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    directory = ensure_population(population_dir(args.root, None), None)
    config = TrainConfig()
    data = build_training_data(directory, [dt.date(year, 10, 1) for year in range(2016, 2020)], config,
                               hold_out_test=False)
    model, _ = train_risk_model(data, config)
    cohorts = judged_cohorts(read_data_dir(directory), 2020, dt.date.fromisoformat(DATA_END), config, directory)
    print(f"trained on 2016-2019: {len(data.frame):,} rows, {model.n_trees} trees")
    print(f"{'cohort':<11} {'youths':>7} {'AUC [95%]':>25} {'AUC truth':>9} {'ECE [95%]':>24}  ECE <= 0.03, AUC < truth")
    for day in (dt.date(2020, 10, 1), dt.date(2021, 10, 1)):
        cohort, _ = cohorts[day]
        f = judged(model, cohort, dt.date(2019, 10, 1), day, len(data.frame), config)
        met = f["ece"] <= 0.03 and f["roc_auc"] < f["truth_roc_auc"]
        print(f"{day.isoformat():<11} {f['youths']:>7,} {f['roc_auc']:.4f} [{f['roc_auc_low']:.4f}, {f['roc_auc_high']:.4f}] "
              f"{f['truth_roc_auc']:9.4f} {f['ece']:.4f} [{f['ece_low']:.4f}, {f['ece_high']:.4f}]  {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
