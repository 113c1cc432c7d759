"""Benchmark: how much two equal retrains (same data, another seed) reshuffle the officers' lists.

For each recipe, two models differing only in the seed are compared on the year's group (the youths of the newest
1 October) as `vsv promote` does: the Jaccard overlap of `high` and of high plus medium, the share of youths whose
advised route changes and the share whose top reason changes; and each model's AUC on the held-out cohort.
- "single split" is the recipe before the temporal design's stabilising measure: one booster early-stopped on 15%
  of the fit youths and Platt-scaled on another 20% (both drawn by the seed), trained on the rest;
- "cross-fitted" is `vsv train`'s: five folds by youth, the calibration fitted out of fold on every fit youth,
  the final booster on every fit youth.
Usage: python benchmarks/retrain_stability.py [--seeds 1 7] [--root data/bench]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_END, ensure_population, population_dir  # noqa: E402

from training.compare import stability  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.dataset import OUTCOME, TrainingData, build_training_data, folds_of  # noqa: E402
from training.model import fit_booster, fit_calibration, tier_cutoffs, train_risk_model  # noqa: E402
from vsv_model.risk_model import RiskModel, TierCutoffs, encode_frame  # noqa: E402


def single_split_model(data: TrainingData, config: TrainConfig) -> RiskModel:
    """The former recipe: disjoint early-stopping (15%) and calibration (20%) youths, drawn by the seed."""
    fit = data.part("fit")
    draw = np.random.default_rng(config.seed).random(fit["youth_id"].nunique())
    share = dict(zip(fit["youth_id"].unique(), draw))
    u = fit["youth_id"].map(share).to_numpy()
    learn, stop, calibrate = fit[u >= 0.35], fit[u < 0.15], fit[(u >= 0.15) & (u < 0.35)]
    booster = fit_booster(learn, config.lightgbm, config.seed, config.lightgbm.num_boost_round, stop)
    if booster.best_iteration > 0:
        booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    raw = booster.predict(encode_frame(calibrate), raw_score=True)
    model = RiskModel(booster, fit_calibration(raw, calibrate[OUTCOME].to_numpy()), TierCutoffs(0.0, 1.0), target_group=data.group)
    cutoffs = tier_cutoffs(model.predict_frame(data.current), config.tiers, len(data.current))
    return RiskModel(booster, model.calibration, cutoffs, {}, data.group)


def cross_fitted_model(data: TrainingData, config: TrainConfig) -> RiskModel:
    return train_risk_model(data, config)[0]


def with_seed(data: TrainingData, config: TrainConfig, seed: int) -> tuple[TrainingData, TrainConfig]:
    fit = data.part("fit")
    folds = np.r_[folds_of(fit["youth_id"], seed, config.temporal.folds), np.full(len(data.test), -1)]
    return replace(data, folds=folds), replace(config, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs=2, default=[1, 7])
    parser.add_argument("--root", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    base = replace(TrainConfig(), temporal=replace(TrainConfig().temporal, data_end=DATA_END))
    data = build_training_data(ensure_population(population_dir(args.root, None), None), None, base)
    test = data.part("test")
    print(f"year's group {len(data.current):,} youths (capacity high {base.tiers.high_capacity}, medium "
          f"{base.tiers.medium_capacity}); held-out cohort {data.test_date}: {len(test):,} youths; seeds {args.seeds}")
    print(f"{'recipe':<14} {'Jaccard high':>12} {'high+medium':>11} {'route changes':>13} {'top reason changes':>18} "
          f"{'AUC seed a':>10} {'AUC seed b':>10} {'high a/b':>9}")
    for name, recipe in (("single split", single_split_model), ("cross-fitted", cross_fitted_model)):
        models = [recipe(*with_seed(data, base, seed)) for seed in args.seeds]
        s = stability(models[0], models[1], data.current)
        aucs = [roc_auc_score(test[OUTCOME], m.probability(encode_frame(test))) for m in models]
        highs = "/".join(str(int((m.tiers(m.probability(encode_frame(data.current))) == "high").sum())) for m in models)
        print(f"{name:<14} {s['jaccard_high']:12.3f} {s['jaccard_high_medium']:11.3f} {s['route_change_share']:13.2%} "
              f"{s['top_reason_change_share']:18.2%} {aucs[0]:10.4f} {aucs[1]:10.4f} {highs:>9}")


if __name__ == "__main__":
    main()
