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
from training.params import lightgbm_params
from vsv_model.feature_spec import CATEGORICAL_FEATURES, FEATURE_NAMES
from vsv_model.progress import progress_bar, round_bar, say
from vsv_model.risk_model import STOCK_KIND, Calibration, KindSettings, RiskModel, TierCutoffs, encode_frame

CATEGORICAL = [FEATURE_NAMES.index(name) for name in CATEGORICAL_FEATURES]


def soft_expanded(matrix: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None):
    """The rows as a binary learner takes them: a row whose label q lies strictly between 0 and 1 (the route
    adjustment's label under the letter, training/route_labels.py) becomes two, label 1 with weight q and label 0
    with weight 1 - q, appended after the rows (the log-loss of the soft label, exactly); each times the row's own
    weight. Without a soft label the rows, labels and weights come back as they are."""
    labels = np.asarray(labels, dtype=np.float64)
    soft = (labels > 0) & (labels < 1)
    if not soft.any():
        return matrix, labels, weights
    w = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    return (np.concatenate([matrix, matrix[soft]]), np.r_[np.where(soft, 1.0, labels), np.zeros(int(soft.sum()))],
            np.r_[w * np.where(soft, labels, 1.0), w[soft] * (1.0 - labels[soft])])


def dataset_of(frame: pd.DataFrame, reference: lgb.Dataset | None = None, weight: np.ndarray | None = None,
               label: np.ndarray | None = None) -> lgb.Dataset:
    """The booster's dataset of `frame`: its outcomes, or `label` (soft labels as two rows), with `weight`."""
    matrix, y, w = soft_expanded(encode_frame(frame), frame[OUTCOME].to_numpy() if label is None else label, weight)
    return lgb.Dataset(matrix, y, feature_name=list(FEATURE_NAMES), categorical_feature=CATEGORICAL, reference=reference,
                       free_raw_data=True, weight=w)


def fit_booster(train: pd.DataFrame, config: LightGBMConfig, seed: int, rounds: int,
                valid: pd.DataFrame | None = None, label: str = "", weights: tuple | None = None,
                targets: tuple | None = None) -> lgb.Booster:
    """Boost on `train`; with `valid`, stop when its log-loss has not improved for `early_stopping_rounds`. With a
    `label`, the rounds show as a bar on a terminal and the step ends with a line saying how many trees it kept.
    `weights` and `targets` (train's, valid's) are the route adjustment's weights (training/route_weights.py) and
    labels (training/route_labels.py); None: every row weighs 1 and learns its outcome."""
    train_weight, valid_weight = weights if weights is not None else (None, None)
    train_label, valid_label = targets if targets is not None else (None, None)
    train_set = dataset_of(train, weight=train_weight, label=train_label)
    callbacks, valid_sets = [], []
    if valid is not None:
        valid_sets = [dataset_of(valid, reference=train_set, weight=valid_weight, label=valid_label)]
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
    fit, folds, w, y = data.part("fit"), data.folds[data.fit], data.weights, data.labels
    k = config.temporal.folds
    raw, sizes = np.empty(len(fit)), []
    say(f"cross-fitting {k} folds on {len(fit):,} rows (at most {config.lightgbm.num_boost_round} rounds each, "
        f"stopping early on youths the fold never learned from)")
    for fold in range(k):
        stop = (fold + 1) % k
        learn = (folds != fold) & (folds != stop)
        booster = fit_booster(fit[learn], config.lightgbm, config.seed, config.lightgbm.num_boost_round, fit[folds == stop],
                              label=f"fold {fold + 1} of {k}", weights=None if w is None else (w[learn], w[folds == stop]),
                              targets=None if y is None else (y[learn], y[folds == stop]))
        raw[folds == fold] = booster.predict(encode_frame(fit[folds == fold]), raw_score=True)
        sizes.append(booster.best_iteration or booster.num_trees())
    return raw, sizes


def fit_calibration(raw_log_odds: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> Calibration:
    """Platt scaling: a logistic regression of the outcome (or the route adjustment's soft label, as two rows) on the
    raw log-odds (affine, monotone), each row with its route adjustment's weight when given."""
    matrix, y, w = soft_expanded(raw_log_odds.reshape(-1, 1), labels, weights)
    platt = LogisticRegression(C=1e6, solver="lbfgs").fit(matrix, y.astype(np.int64), sample_weight=w)
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


MIN_KIND_ROWS = 300  # fit rows a kind needs (with both outcomes) for a calibration of its own
WEEKS_A_YEAR = 365.25 / 7


def kind_of(frame: pd.DataFrame) -> np.ndarray:
    return frame["kind"].to_numpy(dtype=object) if "kind" in frame else np.full(len(frame), STOCK_KIND, dtype=object)


def kind_calibrations(raw_oof: np.ndarray, fit: pd.DataFrame, weights: np.ndarray | None = None,
                      labels: np.ndarray | None = None) -> dict[str, Calibration]:
    """One Platt scaling per kind of row, on that kind's out-of-fold log-odds of every fit year, each row once: the
    same booster ranks every kind, but the chance at a report day is not the chance on 1 October at the same score.
    A kind with fewer than MIN_KIND_ROWS fit rows, one outcome only, or no increasing relation between score and
    outcome, gets the stock's calibration (said in its method).

    Chosen by measurement over 12 worlds against their truth (docs/event-model.md, benchmarks/event_calibration.py):
    it is unbiased within 1-2% on every kind; recent years only or weighted toward them add noise (no trend to
    follow); one scaling for first and repeat reports, or each youth weighing 1, shifts a kind's chances by 2-6% on
    average (repeats are less often without a startkwalificatie than first reports at the same score). What is left
    is the luck of the kind's fit rows' outcomes (4% on first reports, 6% on repeats, 1% on new leavers, one standard
    deviation), which no calibration fitted on them can remove. With the route adjustment's `weights`, each row
    counts with its weight, and a row of weight 0 not at all; with its `labels`, each row learns its label under the
    letter."""
    kinds, y = kind_of(fit), (fit[OUTCOME].to_numpy() if labels is None else labels)
    w = np.ones(len(fit)) if weights is None else weights
    stock = kinds == STOCK_KIND
    rows = stock if stock.any() else np.ones(len(fit), bool)
    calibrations = {STOCK_KIND: fit_calibration(raw_oof[rows], y[rows], None if weights is None else w[rows])}
    for kind in sorted(set(kinds) - {STOCK_KIND}):
        rows = (kinds == kind) & (w > 0)
        if rows.sum() < MIN_KIND_ROWS or not ((y[rows] > 0).any() and (y[rows] < 1).any()):
            calibrations[kind] = replace_method(calibrations[STOCK_KIND], f"the stock's (only {int(rows.sum())} {kind} rows)")
            continue
        try:
            calibrations[kind] = replace_method(fit_calibration(raw_oof[rows], y[rows], None if weights is None else w[rows]),
                                               f"platt, cross-fitted on {kind} rows ({int(rows.sum()):,}, every fit year)")
        except ValueError:  # the booster does not rank this kind at all: its own scaling would invert it
            calibrations[kind] = replace_method(calibrations[STOCK_KIND], f"the stock's (the score does not rank {kind} rows)")
    return calibrations


def replace_method(calibration: Calibration, method: str) -> Calibration:
    return Calibration(calibration.slope, calibration.intercept, method)


def event_cutoffs(model: RiskModel, recent: pd.DataFrame | None, config: TierConfig) -> TierCutoffs:
    """The events' cut-offs: the weekly conversations and monthly matchmaker places as shares of the events a
    year (those of the data's last year, each scored with its kind's calibration), as quantiles of their chances.
    One pair for every kind of event: they share the places, and the same chance gets the same route."""
    if config.mode == "thresholds" or recent is None or recent.empty:
        return TierCutoffs(config.medium_threshold, config.high_threshold, "thresholds", {})
    probability = model.predict_frame(recent)  # each event with its kind's calibration
    high_year = config.matchmaker_places_per_month * 12
    medium_year = round(config.conversations_per_week * WEEKS_A_YEAR)
    high_share = min(high_year / len(probability), 1.0)
    medium_share = min((high_year + medium_year) / len(probability), 1.0)
    high = float(np.quantile(probability, 1.0 - high_share, method="higher"))
    medium = float(min(np.quantile(probability, 1.0 - medium_share, method="higher"), high))
    details = {"high_capacity": high_year, "medium_capacity": medium_year, "population": len(probability),
               "high_share": high_share, "medium_share": medium_share,
               "matchmaker_places_per_month": config.matchmaker_places_per_month,
               "conversations_per_week": config.conversations_per_week, "events_a_week": len(probability) / WEEKS_A_YEAR}
    return TierCutoffs(medium, high, "capacity per week and month", details)


def with_kinds(model: RiskModel, calibrations: dict[str, Calibration], recent: pd.DataFrame | None,
               config: TierConfig) -> RiskModel:
    """The model with a calibration per kind of event and the events' cut-offs."""
    placeholder = TierCutoffs(0.0, 1.0)
    model.kinds = {kind: KindSettings(c, placeholder) for kind, c in calibrations.items() if kind != STOCK_KIND}
    model.__dict__.pop("_kind_models", None)
    cutoffs = event_cutoffs(model, recent, config)
    model.kinds = {kind: KindSettings(s.calibration, cutoffs) for kind, s in model.kinds.items()}
    model.__dict__.pop("_kind_models", None)
    return model


def train_risk_model(data: TrainingData, config: TrainConfig) -> tuple[RiskModel, np.ndarray]:
    """The whole fit: cross-fitted calibration, the booster on every fit youth, cut-offs for the year ahead.
    Returns the model and the fit rows' out-of-fold raw log-odds (for the calibration report)."""
    fit = data.part("fit")
    raw_oof, sizes = cross_fitted(data, config)
    calibrations = kind_calibrations(raw_oof, fit, data.weights, data.labels)
    calibration = calibrations[STOCK_KIND]
    rounds = max(1, int(np.median(sizes)))
    booster = fit_booster(fit, config.lightgbm, config.seed, rounds, label=f"the model on every fit youth ({rounds} rounds)",
                          weights=None if data.weights is None else (data.weights, None),
                          targets=None if data.labels is None else (data.labels, None))
    calibrated = RiskModel(booster, calibration, TierCutoffs(0.0, 1.0), target_group=data.group)
    cutoffs = tier_cutoffs(calibrated.predict_frame(data.current), config.tiers, len(data.current))
    info = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of_dates": [*data.definition["fit_dates"], *([data.test_date] if data.test_date else [])],
        **data.row_counts(),
        "n_trees": booster.num_trees(), "num_leaves": config.lightgbm.num_leaves, "fold_trees": sizes,
        "data_digest": data.definition["data_digest"], "definition": data.definition,
        "route_adjustment": (data.route_summary.to_dict() if data.route_summary is not None
                             else {"method": data.definition.get("route_adjustment", "none")}),
    }
    model = RiskModel(booster, calibration, cutoffs, info, data.group, config.risk_categories.categories())
    return with_kinds(model, calibrations, data.recent_events, config.tiers), raw_oof
