"""A small hyperparameter search on time-ordered validation folds, with the cost of an explanation counted.

Each fold validates on one of the newest yearly fit dates (its stock and the events of the year that starts on it)
and trains on the rows dated before it, without the validation youths (a youth is in one part only). Every combination of the grid is boosted with early stopping; its
number of trees is where the mean validation log-loss over the folds is lowest. The cost of explaining one
youth (TreeSHAP, LightGBM's `pred_contrib` on one row, as the service does it) is measured for that size: a
candidate above `max_shap_microseconds` is not chosen, whatever its log-loss, because the service's latency
must hold.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from training.config import LightGBMConfig, SearchConfig, TrainConfig
from training.dataset import OUTCOME, STOCK, TrainingData
from training.model import dataset_of
from training.params import lightgbm_params
from vsv_model.progress import progress_bar
from vsv_model.risk_model import encode_frame

PATIENCE = 50
TIMING_ROWS = 300


def time_folds(fit: pd.DataFrame, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, validation rows) for each of the `count` newest yearly fit dates: a fold validates on that
    date's stock and the events of the year that starts on it, and trains on every row dated before it."""
    stock = (fit["kind"] == STOCK).to_numpy() if "kind" in fit else np.ones(len(fit), bool)
    dates = sorted(fit.loc[stock, "as_of"].astype(str).unique())
    as_of = fit["as_of"].astype(str)
    folds = []
    for day in dates[-count:]:
        year_end = f"{int(day[:4]) + 1}{day[4:]}"
        valid = ((as_of == day) & stock | (as_of >= day) & (as_of < year_end) & ~stock).to_numpy()
        train = (fit["as_of"] < day).to_numpy() & ~fit["youth_id"].isin(fit.loc[valid, "youth_id"]).to_numpy()
        if train.any():
            folds.append((np.flatnonzero(train), np.flatnonzero(valid)))
    return folds


def candidates(search: SearchConfig, base: LightGBMConfig) -> list[LightGBMConfig]:
    grid = itertools.product(search.num_leaves, search.learning_rate, search.min_data_in_leaf)
    return [replace(base, num_leaves=leaves, learning_rate=rate, min_data_in_leaf=minimum, num_boost_round=search.max_rounds)
            for leaves, rate, minimum in grid]


def validation_curve(fit: pd.DataFrame, train: np.ndarray, valid: np.ndarray, params: LightGBMConfig, seed: int,
                     weights: np.ndarray | None = None, labels: np.ndarray | None = None):
    """The booster and its validation log-loss after every tree (both with the route adjustment's weights or labels)."""
    w = (None, None) if weights is None else (weights[train], weights[valid])
    y = (None, None) if labels is None else (labels[train], labels[valid])
    train_set = dataset_of(fit.iloc[train], weight=w[0], label=y[0])
    valid_set = dataset_of(fit.iloc[valid], reference=train_set, weight=w[1], label=y[1])
    record: dict = {}
    booster = lgb.train(lightgbm_params(params, seed), train_set, num_boost_round=params.num_boost_round, valid_sets=[valid_set],
                        valid_names=["valid"], callbacks=[lgb.record_evaluation(record), lgb.early_stopping(PATIENCE, verbose=False)])
    return booster, np.asarray(record["valid"]["binary_logloss"])


def explanation_microseconds(booster: lgb.Booster, rows: np.ndarray, trees: int) -> float:
    """Median time of explaining one youth at a time (one row, one thread, as in a request)."""
    times = []
    for row in rows:
        start = time.perf_counter()
        booster.predict(row[None, :], pred_contrib=True, num_iteration=trees, num_threads=1)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e6)


def evaluate_candidate(fit: pd.DataFrame, folds, params: LightGBMConfig, seed: int,
                       weights: np.ndarray | None = None, labels: np.ndarray | None = None) -> dict:
    curves, boosters = [], []
    for train, valid in folds:
        booster, curve = validation_curve(fit, train, valid, params, seed, weights, labels)
        curves.append(curve)
        boosters.append(booster)
    length = min(len(c) for c in curves)
    mean = np.mean([c[:length] for c in curves], axis=0)
    trees = int(np.argmin(mean)) + 1
    aucs = [roc_auc_score(fit.iloc[valid][OUTCOME], b.predict(encode_frame(fit.iloc[valid]), num_iteration=trees))
            for b, (_, valid) in zip(boosters, folds, strict=True)]
    timing = encode_frame(fit.iloc[folds[0][1][:TIMING_ROWS]])
    return {"num_leaves": params.num_leaves, "learning_rate": params.learning_rate, "min_data_in_leaf": params.min_data_in_leaf,
            "trees": trees, "log_loss": float(mean[trees - 1]), "roc_auc": float(np.mean(aucs)),
            "shap_microseconds": explanation_microseconds(boosters[0], timing, trees)}


def search(data: TrainingData, config: TrainConfig) -> tuple[LightGBMConfig, pd.DataFrame]:
    """Every candidate's validation figures, and the configuration chosen: the lowest log-loss within the budget."""
    fit = data.part("fit")
    folds = time_folds(fit, config.search.validation_dates)
    if not folds:
        raise ValueError("the search needs at least two fit dates (time-ordered validation)")
    options = candidates(config.search, config.lightgbm)
    rows = []
    with progress_bar(len(options), "search", "candidates") as bar:
        for params in options:
            rows.append(evaluate_candidate(fit, folds, params, config.seed, data.weights, data.labels))
            bar.update(1)
    table = pd.DataFrame(rows)
    table["within_budget"] = table["shap_microseconds"] <= config.search.max_shap_microseconds
    allowed = table[table["within_budget"]] if table["within_budget"].any() else table.nsmallest(1, "shap_microseconds")
    best = allowed.sort_values(["log_loss", "shap_microseconds"]).iloc[0]
    table["chosen"] = table.index == best.name
    chosen = replace(config.lightgbm, num_leaves=int(best["num_leaves"]), learning_rate=float(best["learning_rate"]),
                     min_data_in_leaf=int(best["min_data_in_leaf"]), num_boost_round=int(best["trees"]) + PATIENCE)
    return chosen, table
