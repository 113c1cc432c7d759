"""Fairness audit per group, at the two tier boundaries that decide a youth's route.

At the high boundary (the assistive matchmaker route, capacity-limited) a miss is
the harm: false-negative rate (a youth who will not qualify but is not in `high`)
and false-omission rate. At the medium boundary (a letter only, versus more
contact) unneeded attention is the harm: false-positive and false-discovery rate.
Plus calibration-in-the-large and the share per tier. Every figure is also given
as a ratio to the whole population. Audit-only attributes (gender, origin) are
read here, after prediction, and never reach the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from training.config import GateConfig
from vsv_model.policy import TIERS

AUDITED = ("gender", "origin", "school_municipality", "age")
RATE_METRICS = ("fnr_high", "for_high", "fpr_medium", "fdr_medium")
HIGH, MEDIUM = TIERS.index("high"), TIERS.index("medium")


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> float:
    return float(numerator.sum() / denominator.sum()) if denominator.sum() else float("nan")


def fnr_high(y, tier):
    return _rate((y == 1) & (tier < HIGH), y == 1)


def for_high(y, tier):
    return _rate((y == 1) & (tier < HIGH), tier < HIGH)


def fpr_medium(y, tier):
    return _rate((y == 0) & (tier >= MEDIUM), y == 0)


def fdr_medium(y, tier):
    return _rate((y == 0) & (tier >= MEDIUM), tier >= MEDIUM)


def outcome_rate(y, tier):
    return float(np.mean(y))


def mean_probability(y, tier, p):
    return float(np.mean(p))


def count(y, tier):
    return float(len(y))


def share(level: int):
    def share_of_tier(y, tier):
        return float(np.mean(tier == level))
    share_of_tier.__name__ = f"share_{TIERS[level]}"
    return share_of_tier


def audit_attribute(y: np.ndarray, p: np.ndarray, tiers: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    """One row per group of one attribute (plus `overall`), with rates and their ratio to overall."""
    metrics = {"n": count, "outcome_rate": outcome_rate, "mean_p": mean_probability, "fnr_high": fnr_high,
               "for_high": for_high, "fpr_medium": fpr_medium, "fdr_medium": fdr_medium,
               **{f"share_{t}": share(i) for i, t in enumerate(TIERS)}}
    tier_codes = pd.Series(tiers).map({t: i for i, t in enumerate(TIERS)}).to_numpy()
    frame = MetricFrame(metrics=metrics, y_true=y, y_pred=tier_codes,
                        sensitive_features=groups.astype(str).fillna("onbekend").to_numpy(),
                        sample_params={"mean_p": {"p": p}})
    table = frame.by_group.copy()
    table.loc["overall"] = frame.overall
    table["calibration_in_the_large"] = table["mean_p"] - table["outcome_rate"]
    for name in (*RATE_METRICS, "mean_p", *(f"share_{t}" for t in TIERS)):
        table[f"{name}_ratio"] = table[name] / table.loc["overall", name]
    return table


def fairness_audit(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray, tiers: np.ndarray) -> pd.DataFrame:
    """The audit for every audited attribute, stacked: columns attribute, group, then the figures."""
    tables = []
    for attribute in AUDITED:
        table = audit_attribute(y, p, tiers, frame[attribute].reset_index(drop=True))
        tables.append(table.reset_index(names="group").assign(attribute=attribute))
    audit = pd.concat(tables, ignore_index=True)
    return audit[["attribute", "group", *[c for c in audit.columns if c not in ("attribute", "group")]]]


def fairness_failures(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """Groups (large enough to judge) of the gated attributes whose error-rate ratios leave the bounds."""
    failures = []
    judged = audit[audit["attribute"].isin(gates.gated_attributes) & (audit["group"] != "overall")
                   & (audit["n"] >= gates.min_group_size)]
    for _, row in judged.iterrows():
        for metric in RATE_METRICS:
            ratio = row[f"{metric}_ratio"]
            if np.isfinite(ratio) and not gates.fairness_ratio_min <= ratio <= gates.fairness_ratio_max:
                failures.append(f"{row['attribute']}={row['group']}: {metric} ratio {ratio:.2f} outside "
                                f"[{gates.fairness_ratio_min}, {gates.fairness_ratio_max}]")
    return failures
