"""Evaluating one model on one labelled frame: the metrics, tiers and fairness audit it gets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.dataset import OUTCOME
from training.evaluate import classification_metrics, tier_metrics, truth_gap
from training.fairness import fairness_audit
from vsv_model.risk_model import RiskModel, encode_frame


@dataclass
class Evaluation:
    probability: np.ndarray
    tiers: np.ndarray
    metrics: dict[str, float]
    audit: pd.DataFrame


def high_share_of(model: RiskModel, test_p: np.ndarray) -> float:
    """The capacity share used for precision/recall: the configured one, else the test share in `high`."""
    return model.cutoffs.details.get("high_share") or max(float((test_p >= model.cutoffs.high).mean()), 1e-9)


def evaluate_model(model: RiskModel, frame: pd.DataFrame) -> Evaluation:
    y = frame[OUTCOME].to_numpy()
    p = model.probability(encode_frame(frame))
    tiers = model.tiers(p)
    metrics = classification_metrics(y, p, high_share_of(model, p)) | tier_metrics(y, tiers)
    if "p_true" in frame and frame["p_true"].notna().all():
        metrics |= truth_gap(y, p, frame["p_true"].to_numpy())
    return Evaluation(p, tiers, metrics, fairness_audit(frame, y, p, tiers))
