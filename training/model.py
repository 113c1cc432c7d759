"""Fitting the risk model: LightGBM with native categoricals and monotone constraints, cross-fitted over the
youths of the fit set, Platt scaling fitted on every fit youth's out-of-fold prediction, and the tier cut-offs
sized to a year's capacity. The risk categories' cut-offs are fixed probabilities (`[risk_categories]`); their
meaning is measured on the test cohort after the fit (`training.evaluate.measure_risk_categories`).

Cross-fitting: for each fold k a booster learns from the youths of the other folds but one, stops early on
that one (fold k+1: youths it never learned from), and predicts fold k. Every fit youth thus gets a raw score
from a booster that never saw it in any role, and the calibration is fitted on all of them (not on a fifth of
the youths held apart). The model itself is one booster fitted on every fit youth, with the median number of
trees the folds chose. Calibration is an affine map of the raw log-odds, so TreeSHAP stays exactly additive.
"""

from __future__ import annotations

import datetime as dt
import time

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from training.config import LightGBMConfig, TierConfig, TrainConfig
from training.dataset import OUTCOME, TrainingData
from vsv_model.feature_spec import CATEGORICAL_FEATURES, FEATURE_NAMES, FEATURES
from vsv_model.progress import progress_bar, round_bar, say
from vsv_model.risk_model import Calibration, RiskModel, TierCutoffs, encode_frame

CATEGORICAL = [FEATURE_NAMES.index(name) for name in CATEGORICAL_FEATURES]


def lightgbm_params(config: LightGBMConfig, seed: int) -> dict:
    params = {k: v for k, v in vars(config).items() if k not in ("num_boost_round", "early_stopping_rounds")}
    return params | {
        "objective": "binary",
        "metric": "binary_logloss",
        "monotone_constraints": [f.monotone for f in FEATURES],
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
    }


def dataset_of(frame: pd.DataFrame, reference: lgb.Dataset | None = None) -> lgb.Dataset:
    return lgb.Dataset(encode_frame(frame), frame[OUTCOME].to_numpy(), feature_name=list(FEATURE_NAMES),
                       categorical_feature=CATEGORICAL, reference=reference, free_raw_data=True)


def fit_booster(train: pd.DataFrame, config: LightGBMConfig, seed: int, rounds: int,
                valid: pd.DataFrame | None = None, label: str = "") -> lgb.Booster:
    """Boost on `train`; with `valid`, stop when its log-loss has not improved for `early_stopping_rounds`. With a
    `label`, the rounds show as a bar on a terminal and the step ends with a line saying how many trees it kept."""
    train_set = dataset_of(train)
    callbacks, valid_sets = [], []
    if valid is not None:
        valid_sets = [dataset_of(valid, reference=train_set)]
        callbacks.append(lgb.early_stopping(config.early_stopping_rounds, verbose=False))
    if not label:
        return lgb.train(lightgbm_params(config, seed), train_set, num_boost_round=rounds, valid_sets=valid_sets,
                         callbacks=callbacks)
    start = time.perf_counter()
    with progress_bar(rounds, label, "rounds") as bar:
        booster = lgb.train(lightgbm_params(config, seed), train_set, num_boost_round=rounds, valid_sets=valid_sets,
                            callbacks=[*callbacks, round_bar(bar)])
    say(f"{label}: {booster.best_iteration or booster.num_trees()} trees kept, {time.perf_counter() - start:.0f} s")
    return booster


def cross_fitted(data: TrainingData, config: TrainConfig) -> tuple[np.ndarray, list[int]]:
    """Out-of-fold raw log-odds for every fit row, and the number of trees each fold's booster kept."""
    fit, folds = data.part("fit"), data.folds[data.fit]
    k = config.temporal.folds
    raw, sizes = np.empty(len(fit)), []
    say(f"cross-fitting {k} folds on {len(fit):,} rows (at most {config.lightgbm.num_boost_round} rounds each, "
        f"stopping early on youths the fold never learned from)")
    for fold in range(k):
        stop = (fold + 1) % k
        learn = (folds != fold) & (folds != stop)
        booster = fit_booster(fit[learn], config.lightgbm, config.seed, config.lightgbm.num_boost_round, fit[folds == stop],
                              label=f"fold {fold + 1} of {k}")
        raw[folds == fold] = booster.predict(encode_frame(fit[folds == fold]), raw_score=True)
        sizes.append(booster.best_iteration or booster.num_trees())
    return raw, sizes


def fit_calibration(raw_log_odds: np.ndarray, labels: np.ndarray) -> Calibration:
    """Platt scaling: a logistic regression of the outcome on the raw log-odds (affine, monotone)."""
    platt = LogisticRegression(C=1e6, solver="lbfgs").fit(raw_log_odds.reshape(-1, 1), labels)
    slope = float(platt.coef_[0, 0])
    if slope <= 0:
        raise ValueError("calibration found a non-increasing relation between model score and outcome")
    return Calibration(slope=slope, intercept=float(platt.intercept_[0]), method="platt, cross-fitted")


def tier_cutoffs(probability: np.ndarray, config: TierConfig, population: int) -> TierCutoffs:
    """Cut-offs from capacity (quantiles of the probabilities of the year's youths) or from fixed thresholds."""
    if config.mode == "thresholds":
        return TierCutoffs(config.medium_threshold, config.high_threshold, "thresholds", {})
    population = config.population or population
    high_share = min(config.high_capacity / population, 1.0)
    medium_share = min((config.high_capacity + config.medium_capacity) / population, 1.0)
    high = float(np.quantile(probability, 1.0 - high_share, method="higher"))
    medium = float(min(np.quantile(probability, 1.0 - medium_share, method="higher"), high))
    details = {"high_capacity": config.high_capacity, "medium_capacity": config.medium_capacity,
               "population": population, "high_share": high_share, "medium_share": medium_share}
    return TierCutoffs(medium, high, "capacity", details)


def train_risk_model(data: TrainingData, config: TrainConfig) -> tuple[RiskModel, np.ndarray]:
    """The whole fit: cross-fitted calibration, the booster on every fit youth, cut-offs for the year ahead.
    Returns the model and the fit rows' out-of-fold raw log-odds (for the calibration report)."""
    fit = data.part("fit")
    raw_oof, sizes = cross_fitted(data, config)
    calibration = fit_calibration(raw_oof, fit[OUTCOME].to_numpy())
    rounds = max(1, int(np.median(sizes)))
    booster = fit_booster(fit, config.lightgbm, config.seed, rounds, label=f"the model on every fit youth ({rounds} rounds)")
    calibrated = RiskModel(booster, calibration, TierCutoffs(0.0, 1.0), target_group=data.group)
    cutoffs = tier_cutoffs(calibrated.predict_frame(data.current), config.tiers, len(data.current))
    info = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of_dates": [*data.definition["fit_dates"], *([data.test_date] if data.test_date else [])],
        **data.row_counts(),
        "n_trees": booster.num_trees(), "num_leaves": config.lightgbm.num_leaves, "fold_trees": sizes,
        "data_digest": data.definition["data_digest"], "definition": data.definition,
    }
    return RiskModel(booster, calibration, cutoffs, info, data.group, config.risk_categories.categories()), raw_oof
