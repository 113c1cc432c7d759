"""Scoring once per split pattern (`vsv_model.split_bins`) gives every youth exactly what a booster call on its
own row gives: the same probability, contributions, base value and log-odds to the last bit, so the same reasons."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from features.build import build_feature_table
from serving.batch import score_matrix
from serving.scoring import explain_matrix
from vsv_model.explanations import explain_rows, reason_columns
from vsv_model.reader import read_data_dir
from vsv_model.risk_model import encode_frame
from vsv_model.split_bins import pattern_codes


def population_matrix(population_dir, model) -> np.ndarray:
    table = build_feature_table(read_data_dir(population_dir), dt.date(2026, 10, 1), group=model.target_group)
    return encode_frame(table.features)


def test_scoring_by_pattern_equals_scoring_every_row_to_the_bit(champion_store, population_dir):
    model = champion_store["model"]
    matrix = population_matrix(population_dir, model)
    by_pattern = score_matrix(model, matrix, explain=True, threads=2)
    contributions, base, log_odds = explain_matrix(model, matrix, 2)
    every_row = reason_columns(explain_rows(matrix, contributions))
    assert np.array_equal(by_pattern["probability"], model.probability(matrix, 2))
    assert np.array_equal(by_pattern["base_value"], base)
    assert np.array_equal(by_pattern["log_odds"], log_odds)
    for name, values in every_row.items():
        assert pd.Series(by_pattern[name]).equals(pd.Series(values)), name  # missing where fewer reasons: equal too


def test_rows_with_different_decisions_never_share_a_pattern(champion_store, population_dir):
    model = champion_store["model"]
    matrix = population_matrix(population_dir, model)
    codes, representative = pattern_codes(matrix, model.split_thresholds)
    assert len(representative) < len(matrix)  # the point: fewer booster calls than youths
    leaves = model.booster.predict(matrix, pred_leaf=True)
    assert np.array_equal(leaves, leaves[representative][codes])
