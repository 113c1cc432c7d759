"""Reasons as the API returns them: per request row, the reasons to discuss, the background and the data-quality
warnings, built from `vsv_model.explanations` (which the batch file and training use too)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from serving.schemas import DataQualityWarning, Reason
from vsv_model.concepts import CONCEPTS
from vsv_model.explanations import Explained, shown_order
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.plausibility import CHECKS, warning_nl
from vsv_model.risk_model import decode_value


def direction(contribution: float) -> str:
    return "raises" if contribution > 0 else "lowers"


def reason_objects(explained: Explained, matrix: np.ndarray, as_of: list[dt.date]) -> list[tuple[list, list, list]]:
    """Per request row: its reasons to discuss, its background and its data-quality warnings (each naming the
    record and dates it is about, from the row's reference date), as the API returns them."""
    order, rank = shown_order(explained)
    return [row_reasons(explained, matrix, row, order[row], rank[row], as_of[row]) for row in range(len(matrix))]


def row_warnings(explained: Explained, matrix: np.ndarray, row: int, as_of: dt.date) -> list[DataQualityWarning]:
    warnings = []
    for k, check in enumerate(CHECKS):
        if explained.flags[row, k]:
            about, message = warning_nl(check.code, matrix[row], as_of)
            warnings.append(DataQualityWarning.model_construct(code=check.code, concept=check.concept, message_nl=message,
                                                               about_nl=about))
    return warnings


def row_reasons(explained: Explained, matrix: np.ndarray, row: int, order: np.ndarray, rank: np.ndarray, as_of: dt.date):
    reasons, background = [], []
    for c in order:
        if rank[c] > 1:
            break
        concept = CONCEPTS[c]
        contribution = float(explained.contributions[row, c])
        reason = Reason.model_construct(
            concept=concept.name, label_nl=concept.label_nl, contribution=contribution, direction=direction(contribution),
            changeable=concept.changeable, sentence_nl=explained.sentences[row, c],
            features={f: decode_value(f, matrix[row, FEATURE_NAMES.index(f)]) for f in concept.features})
        (reasons if rank[c] == 0 else background).append(reason)
    return reasons, background, row_warnings(explained, matrix, row, as_of)
