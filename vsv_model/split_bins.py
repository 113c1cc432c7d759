"""Explaining a population by its distinct split patterns: TreeSHAP once per pattern, not once per youth.

A tree ensemble sees a row only through its decisions at the splits: `value <= threshold` for a numeric
feature, `value in set` for a categorical one, and the missing-value rule. Two rows that fall on the same
side of every threshold the booster uses (the same *bin* of every feature) take the same path through every
tree, are visited the same way by TreeSHAP's recursion, and so get bit-for-bit the same contributions and
the same raw score. A million youths in scope share about 170,000 such patterns, so LightGBM's
`pred_contrib` runs on one representative row per pattern and the result is spread back by pattern:
exactly what `pred_contrib` on every row gives (a test holds the two equal to the last bit), several times
faster.

Bins per feature:
- numeric: the number of the booster's thresholds on that feature lying below the value
  (`searchsorted(thresholds, value, side="left")`: value <= thresholds[j] exactly when j >= bin); a missing
  value and exactly zero get bins of their own, so every missing-value rule LightGBM knows (NaN, zero as
  missing, NaN as zero) is kept apart;
- categorical: the category code itself (a handful of values).
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from vsv_model.row_codes import distinct_rows

MISSING_BIN, ZERO_BIN = -1, -2


def split_thresholds(booster: lgb.Booster) -> list[np.ndarray | None]:
    """Per feature, the sorted distinct thresholds of its numeric splits; None for a feature split as a category."""
    numeric: list[set] = [set() for _ in range(booster.num_feature())]
    categorical = [False] * booster.num_feature()
    stack = [tree["tree_structure"] for tree in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" not in node:
            continue
        feature = node["split_feature"]
        if node["decision_type"] == "==":
            categorical[feature] = True
        else:
            numeric[feature].add(float(node["threshold"]))
        stack += [node["left_child"], node["right_child"]]
    return [None if categorical[f] else np.array(sorted(numeric[f]), dtype=np.float64) for f in range(len(numeric))]


def feature_bins(column: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    """Each value's bin (see the module's docstring): equal bins, equal decisions at every split."""
    if thresholds is None:
        bins = np.nan_to_num(column, nan=MISSING_BIN).astype(np.int64)
    else:
        bins = np.searchsorted(thresholds, column, side="left").astype(np.int64)
        bins[column == 0] = ZERO_BIN
    bins[np.isnan(column)] = MISSING_BIN
    return bins


def pattern_codes(matrix: np.ndarray, thresholds: list[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    """Per row the code of its split pattern (0..k-1), and one representative row per code (`vsv_model.row_codes`)."""
    if not len(matrix):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bins = [feature_bins(matrix[:, j], cuts) for j, cuts in enumerate(thresholds)]
    lows = [int(b.min()) for b in bins]
    return distinct_rows([b - low for b, low in zip(bins, lows)], [int(b.max()) - low + 1 for b, low in zip(bins, lows)])
