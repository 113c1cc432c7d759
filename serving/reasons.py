"""Reasons as the API returns them: per request row, the reasons to discuss, the background and the data-quality
warnings, built from `vsv_model.explanations` (which the batch file and training use too)."""

from __future__ import annotations

import numpy as np

from serving.schemas import DataQualityWarning, Reason
from vsv_model.concepts import CONCEPTS
from vsv_model.explanations import Explained, shown_order
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.plausibility import CHECKS
from vsv_model.risk_model import decode_value


def direction(contribution: float) -> str:
    return "raises" if contribution > 0 else "lowers"


def reason_objects(explained: Explained, matrix: np.ndarray) -> list[tuple[list, list, list]]:
    """Per request row: its reasons to discuss, its background and its data-quality warnings, as the API returns them."""
    order, rank = shown_order(explained)
    return [row_reasons(explained, matrix, row, order[row], rank[row]) for row in range(len(matrix))]


def row_reasons(explained: Explained, matrix: np.ndarray, row: int, order: np.ndarray, rank: np.ndarray):
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
    warnings = [DataQualityWarning.model_construct(code=check.code, concept=check.concept, message_nl=check.message_nl)
                for k, check in enumerate(CHECKS) if explained.flags[row, k]]
    return reasons, background, warnings
