"""Benchmark: model size is a latency decision. Accuracy versus explanation cost per size.

For each (leaves, maximum trees), trains the cross-fitted model on the region's fit set and prints the trees kept,
the held-out cohort's AUC, and the time of one youth's TreeSHAP explanation (LightGBM pred_contrib on a 1-row array,
the service's hot path) and of a 1,000-row batch. `vsv train --search` makes the same trade-off within a budget.
Usage: python benchmarks/model_size.py [--root data/bench]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_END, ensure_population, population_dir  # noqa: E402

from training.config import TrainConfig  # noqa: E402
from training.dataset import OUTCOME, build_training_data  # noqa: E402
from training.model import train_risk_model  # noqa: E402
from vsv_model.risk_model import encode_frame  # noqa: E402

SIZES = [(7, 300), (15, 300), (15, 1000), (31, 300), (63, 300), (63, 1000)]


def median_seconds(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    base = replace(TrainConfig(), temporal=replace(TrainConfig().temporal, data_end=DATA_END))
    data = build_training_data(ensure_population(population_dir(args.root, None), None), None, base)
    test = data.part("test")
    matrix = encode_frame(test)
    one, batch = matrix[:1], matrix[:1000]
    print(f"{'leaves':>6} {'max trees':>9} {'trees':>6} {'AUC':>7} {'explain 1 row':>14} {'explain 1,000 rows':>19}")
    for leaves, rounds in SIZES:
        config = replace(base, lightgbm=replace(base.lightgbm, num_leaves=leaves, num_boost_round=rounds))
        model, _ = train_risk_model(data, config)
        auc = roc_auc_score(test[OUTCOME], model.probability(matrix))
        single = median_seconds(lambda m=model: m.contributions(one), 500)
        many = median_seconds(lambda m=model: m.contributions(batch), 20)
        print(f"{leaves:>6} {rounds:>9} {model.n_trees:>6} {auc:7.4f} {single * 1e6:11.0f} µs {many * 1e3:16.1f} ms")


if __name__ == "__main__":
    main()
