"""Fitting the risk model: LightGBM with native categoricals and monotone constraints, early
stopping on held-out youths, Platt scaling of its log-odds on other held-out youths (a
calibration fitted on the youths that chose the model's size would be judged on its own
selection), and the tier cut-offs."""

from __future__ import annotations

import datetime as dt

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from training.config import LightGBMConfig, TierConfig, TrainConfig
from training.dataset import OUTCOME, TrainingData
from vsv_model.feature_spec import CATEGORICAL_FEATURES, FEATURE_NAMES, FEATURES
from vsv_model.progress import progress_bar
from vsv_model.risk_model import Calibration, RiskModel, TierCutoffs, encode_frame


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


def fit_booster(train: pd.DataFrame, valid: pd.DataFrame, config: TrainConfig) -> lgb.Booster:
    """Boost on the training youths; stop when the validation youths' log-loss stops improving."""
    categorical = [FEATURE_NAMES.index(name) for name in CATEGORICAL_FEATURES]
    train_set = lgb.Dataset(encode_frame(train), train[OUTCOME].to_numpy(), feature_name=list(FEATURE_NAMES),
                            categorical_feature=categorical, free_raw_data=True)
    valid_set = lgb.Dataset(encode_frame(valid), valid[OUTCOME].to_numpy(), reference=train_set)
    with progress_bar(config.lightgbm.num_boost_round, "boosting", "trees") as bar:
        return lgb.train(
            lightgbm_params(config.lightgbm, config.seed),
            train_set,
            num_boost_round=config.lightgbm.num_boost_round,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False), lambda _: bar.update(1)],
        )


def fit_calibration(raw_log_odds: np.ndarray, labels: np.ndarray) -> Calibration:
    """Platt scaling: a logistic regression of the outcome on the raw log-odds (affine, monotone)."""
    platt = LogisticRegression(C=1e6, solver="lbfgs").fit(raw_log_odds.reshape(-1, 1), labels)
    slope = float(platt.coef_[0, 0])
    if slope <= 0:
        raise ValueError("calibration found a non-increasing relation between model score and outcome")
    return Calibration(slope=slope, intercept=float(platt.intercept_[0]), method="platt")


def tier_cutoffs(probability: np.ndarray, config: TierConfig, population: int) -> TierCutoffs:
    """Cut-offs from capacity (quantiles of the cohort's probabilities) or from fixed thresholds."""
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


def train_risk_model(data: TrainingData, config: TrainConfig) -> RiskModel:
    """The whole fit: booster (early stopping on `valid`), calibration on `calib`, tiers on the latest cohort."""
    booster = fit_booster(data.part("train"), data.part("valid"), config)
    calib = data.part("calib")
    raw_log_odds = RiskModel(booster, Calibration(), TierCutoffs(0.0, 1.0)).raw_log_odds(encode_frame(calib))
    calibration = fit_calibration(raw_log_odds, calib[OUTCOME].to_numpy())
    calibrated = RiskModel(booster, calibration, TierCutoffs(0.0, 1.0))
    cohort = data.frame[data.frame["as_of"] == data.latest_as_of]
    cutoffs = tier_cutoffs(calibrated.predict_frame(cohort), config.tiers, data.population_at_latest())
    info = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of_dates": sorted(data.frame["as_of"].unique().tolist()),
        **data.row_counts(),
        "n_trees": booster.num_trees(), "num_leaves": config.lightgbm.num_leaves,
        "data_digest": data.data_digest,
    }
    return RiskModel(booster, calibration, cutoffs, info, data.group)
