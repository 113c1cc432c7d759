"""Reasons: the features that weigh most for a youth, each with its Dutch sentence.

Sentences and decoded values are built once per distinct (feature, value, direction), never once per youth,
so the same code serves a one-youth request and a million-youth batch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.schemas import Reason
from vsv_model.columns import SMALL
from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.risk_model import decode_value
from vsv_model.wording import reason_sentence

TOP_REASONS = 5


def top_reason_indices(contributions: np.ndarray, k: int = TOP_REASONS) -> np.ndarray:
    """Per row, the features with the largest absolute contribution, largest first."""
    return np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :k]


def described(features: np.ndarray, values: np.ndarray, raises: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the Dutch sentence and the decoded value, each computed once per distinct (feature, value, direction)."""
    plain = np.nan_to_num(values, nan=-1.0)
    if len(features) < SMALL:  # a request: a dict, not pandas' fixed cost of a millisecond
        seen: dict = {}
        codes = np.array([seen.setdefault(key, len(seen)) for key in zip(features.tolist(), plain.tolist(), raises.tolist())],
                         dtype=np.int64)
        uniques = list(seen)
    else:
        codes, uniques = pd.MultiIndex.from_arrays([features, plain, raises]).factorize()
    decoded = [decode_value(FEATURE_NAMES[j], np.nan if v == -1.0 else v) for j, v, _ in uniques]
    sentences = [reason_sentence(FEATURE_NAMES[j], value, bool(r)) for (j, _, r), value in zip(uniques, decoded, strict=True)]
    return np.array(sentences, dtype=object)[codes], np.array(decoded, dtype=object)[codes]


def reasons_of(matrix: np.ndarray, contributions: np.ndarray, k: int = TOP_REASONS) -> list[list[Reason]]:
    """The top-k reasons of every row of a request, each value decoded and each sentence built once per distinct case."""
    top = top_reason_indices(contributions, k)
    rows = np.arange(len(matrix))[:, None]
    chosen, values = contributions[rows, top], matrix[rows, top]
    sentences, decoded = (a.reshape(top.shape).tolist() for a in described(top.ravel(), values.ravel(), chosen.ravel() > 0))
    chosen = chosen.tolist()  # Python lists: element access in the loop below costs a tenth of numpy's
    return [[Reason.model_construct(
        feature=FEATURES[j].name, label_nl=FEATURES[j].label_nl, value=decoded[r][c],
        contribution=chosen[r][c], direction="raises" if chosen[r][c] > 0 else "lowers",
        changeable=FEATURES[j].changeable, sentence_nl=sentences[r][c]) for c, j in enumerate(row)]
        for r, row in enumerate(top.tolist())]


def reason_columns(matrix: np.ndarray, contributions: np.ndarray, k: int = TOP_REASONS) -> dict[str, np.ndarray]:
    """The batch file's reason columns: reason_{k}_feature, _contribution and _sentence_nl."""
    top = top_reason_indices(contributions, k)
    rows = np.arange(len(matrix))[:, None]
    chosen, values = contributions[rows, top], matrix[rows, top]
    names = np.array(FEATURE_NAMES, dtype=object)
    columns = {}
    for r in range(top.shape[1]):
        columns[f"reason_{r + 1}_feature"] = names[top[:, r]]
        columns[f"reason_{r + 1}_contribution"] = chosen[:, r]
        columns[f"reason_{r + 1}_sentence_nl"] = described(top[:, r], values[:, r], chosen[:, r] > 0)[0]
    return columns
