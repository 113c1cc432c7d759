"""Evaluating one model on one labelled frame: the metrics with their bootstrap intervals, the tiers, the fairness
audit; the baselines beside it; and what the calibration changed, per date and per group."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.bootstrap import intervals, paired_difference
from training.config import GateConfig
from training.dataset import OUTCOME, STOCK
from training.evaluate import (
    baseline_scores,
    category_metrics,
    classification_metrics,
    expected_calibration_error,
    measure_risk_categories,
    tier_metrics,
    truth_gap,
)
from training.fairness import fairness_audit
from training.group_calibration import calibration_audit
from vsv_model.policy import RiskCategories
from vsv_model.progress import say
from vsv_model.risk_model import RiskModel, encode_frame, sigmoid

CALIBRATION_GROUPS = ("gender", "origin")


@dataclass
class Evaluation:
    probability: np.ndarray
    tiers: np.ndarray
    metrics: dict[str, float]
    audit: pd.DataFrame
    categories: RiskCategories | None = None  # the model's cut-offs with their meaning measured on `frame`
    group_calibration: pd.DataFrame | None = None  # the log-odds offset per group, alone and crossed
    kinds: pd.DataFrame | None = None  # per kind of event (filled by `vsv promote`: training.compare.kind_comparison)


def high_share_of(model: RiskModel, test_p: np.ndarray) -> float:
    """The capacity share used for precision/recall: the configured one, else the test share in `high`."""
    return model.cutoffs.details.get("high_share") or max(float((test_p >= model.cutoffs.high).mean()), 1e-9)


def evaluate_model(model: RiskModel, frame: pd.DataFrame, gates: GateConfig | None = None, seed: int = 0,
                   audit_rows: pd.DataFrame | None = None) -> Evaluation:
    """Metrics (with 95% intervals when `gates` gives the bootstrap settings), tiers, the risk categories' measured
    meaning, the fairness audit, and the calibration offset per group: on `audit_rows` when given (the held-out
    youths' rows of every date, pooled for power), else on `frame`."""
    y = frame[OUTCOME].to_numpy()
    p = model.probability(encode_frame(frame))
    tiers = model.tiers(p)
    share = high_share_of(model, p)
    categories = measure_risk_categories(model.categories, y, p, f"test cohort {frame['as_of'].iloc[0]}" if len(frame) else "")
    metrics = classification_metrics(y, p, share) | tier_metrics(y, tiers) | category_metrics(categories)
    if gates is not None:
        metrics |= intervals(y, p, share, gates.bootstrap_samples, gates.confidence, seed)
    if "p_true" in frame and frame["p_true"].notna().all():
        metrics |= truth_gap(y, p, frame["p_true"].to_numpy())
    return Evaluation(p, tiers, metrics, fairness_audit(frame, y, p, tiers), categories,
                      group_offsets(model, frame if audit_rows is None else audit_rows))


def group_offsets(model: RiskModel, rows: pd.DataFrame) -> pd.DataFrame:
    """The calibration offset per group of gender and origin, alone and crossed, each youth one cluster; each row
    scored with its kind's calibration (the yearly stock, or the event it was scored at)."""
    p = model.predict_frame(rows)
    clusters = rows["youth_id"].to_numpy() if "youth_id" in rows else None
    return calibration_audit(rows, rows[OUTCOME].to_numpy(), p, CALIBRATION_GROUPS, clusters)


def compare_baselines(fit: pd.DataFrame, test: pd.DataFrame, evaluation: Evaluation, share: float, gates: GateConfig,
                      seed: int) -> tuple[dict, dict]:
    """Each baseline's metrics with intervals, and LightGBM minus each baseline on the same youths (paired)."""
    y = test[OUTCOME].to_numpy()
    metrics, differences = {}, {}
    for name, p in baseline_scores(fit, test).items():
        say(f"baseline {name}: {gates.bootstrap_samples} bootstrap samples of the test cohort, paired with the model")
        metrics[name] = classification_metrics(y, p, share) | intervals(y, p, share, gates.bootstrap_samples, gates.confidence, seed)
        differences[name] = paired_difference(y, evaluation.probability, p, share, gates.bootstrap_samples, gates.confidence, seed)
    return metrics, differences


def calibration_effect(model: RiskModel, fit: pd.DataFrame, raw_oof: np.ndarray, test: pd.DataFrame) -> pd.DataFrame:
    """Expected calibration error before (the booster's own probability) and after the Platt scaling: on the fit
    set's out-of-fold scores per date of the yearly stock and per kind of event (each with its own calibration),
    on the test cohort, and per group of the test cohort."""
    slope, intercept = model.calibration.slope, model.calibration.intercept
    test_raw = model.raw_log_odds(encode_frame(test))
    kinds = fit["kind"].to_numpy(dtype=object) if "kind" in fit else np.full(len(fit), STOCK, dtype=object)
    stock = kinds == STOCK
    rows = [calibration_row("fit (out of fold)", date, fit[OUTCOME].to_numpy()[mask], raw_oof[mask], slope, intercept)
            for date, mask in ((d, (fit["as_of"] == d).to_numpy() & stock) for d in sorted(fit["as_of"][stock].unique()))]
    for kind in sorted(set(kinds) - {STOCK}):
        mask, own = kinds == kind, model.for_kind(kind).calibration
        rows.append(calibration_row(f"fit (out of fold), {kind}", "every event before the test date",
                                    fit[OUTCOME].to_numpy()[mask], raw_oof[mask], own.slope, own.intercept))
    rows.append(calibration_row("test", test["as_of"].iloc[0], test[OUTCOME].to_numpy(), test_raw, slope, intercept))
    for attribute in CALIBRATION_GROUPS:
        for group, mask in ((g, (test[attribute].astype(str) == g).to_numpy()) for g in sorted(test[attribute].astype(str).unique())):
            rows.append(calibration_row(f"test, {attribute}={group}", test["as_of"].iloc[0], test[OUTCOME].to_numpy()[mask],
                                        test_raw[mask], slope, intercept))
    return pd.DataFrame(rows)


def calibration_row(part: str, as_of: str, y: np.ndarray, raw: np.ndarray, slope: float, intercept: float) -> dict:
    before, after = sigmoid(raw), sigmoid(slope * raw + intercept)
    return {"part": part, "as_of": as_of, "n": len(y), "outcome_rate": float(y.mean()) if len(y) else np.nan,
            "ece_before": expected_calibration_error(y, before) if len(y) else np.nan,
            "ece_after": expected_calibration_error(y, after) if len(y) else np.nan,
            "observed_expected_after": float(y.mean() / after.mean()) if len(y) else np.nan}
