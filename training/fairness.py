"""Fairness audit per group, at the two tier boundaries that decide a youth's route.

At the high boundary (the assistive matchmaker route, capacity-limited) a miss is
the harm: false-negative rate (a youth who will not qualify but is not in `high`)
and false-omission rate. At the medium boundary (a letter only, versus more
contact) unneeded attention is the harm: false-positive and false-discovery rate.
Plus calibration-in-the-large, both as a difference (mean p minus outcome rate)
and as the observed/expected ratio (outcome rate / mean p: above 1 the model
underestimates the group's risk), and the share per tier. Every figure is also
given as a ratio to the whole population (the calibration gate judges each group's log-odds offset instead:
training/group_calibration.py; observed/expected stays here for reference). Audit-only attributes (gender, origin) are
read here, after prediction, and never reach the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from training.config import GateConfig
from training.intervals import rate_ratio
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.plausibility import NO_SCHOOL_RECORDS, failing
from vsv_model.policy import TIERS
from vsv_model.risk_model import encode_frame

AUDITED = ("gender", "origin", "school_municipality", "age")
# With a capacity-limited high tier the false-negative rate is near 0.9 for everyone and its ratio can
# hardly move; the share of a group's positives that do reach the matchmaker (tpr_high) shows an
# under-served group plainly, so it is audited and gated too.
RATE_METRICS = ("fnr_high", "tpr_high", "for_high", "fpr_medium", "fdr_medium")
HIGH, MEDIUM = TIERS.index("high"), TIERS.index("medium")


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> float:
    return float(numerator.sum() / denominator.sum()) if denominator.sum() else float("nan")


def fnr_high(y, tier):
    return _rate((y == 1) & (tier < HIGH), y == 1)


def tpr_high(y, tier):
    return _rate((y == 1) & (tier >= HIGH), y == 1)


def for_high(y, tier):
    return _rate((y == 1) & (tier < HIGH), tier < HIGH)


def fpr_medium(y, tier):
    return _rate((y == 0) & (tier >= MEDIUM), y == 0)


def fdr_medium(y, tier):
    return _rate((y == 0) & (tier >= MEDIUM), tier >= MEDIUM)


def positives(y, tier):
    return float((y == 1).sum())


def not_high(y, tier):
    return float((tier < HIGH).sum())


def negatives(y, tier):
    return float((y == 0).sum())


def medium_or_high(y, tier):
    return float((tier >= MEDIUM).sum())


# Each error rate with the count it is a share of, so a gate can tell a real difference from noise.
DENOMINATORS = {"fnr_high": "n_positive", "tpr_high": "n_positive", "for_high": "n_not_high", "fpr_medium": "n_negative", "fdr_medium": "n_medium_or_high"}


def outcome_rate(y, tier):
    return float(np.mean(y))


def mean_probability(y, tier, p):
    return float(np.mean(p))


def outcome_variance(y, tier, p):
    """Sum of p(1 - p): the variance of the group's outcome count if the model were calibrated for it."""
    return float(np.sum(p * (1 - p)))


def count(y, tier):
    return float(len(y))


def no_school_records(y, tier, gap):
    """The share of the group with no school record at all: a data gap (flagged on the page, never a reason); NaN
    when the audit has no features to tell."""
    return float(np.mean(gap)) if len(gap) else float("nan")


def share(level: int):
    def share_of_tier(y, tier):
        return float(np.mean(tier == level))
    share_of_tier.__name__ = f"share_{TIERS[level]}"
    return share_of_tier


def audit_attribute(y: np.ndarray, p: np.ndarray, tiers: np.ndarray, groups: pd.Series,
                    gap: np.ndarray | None = None) -> pd.DataFrame:
    """One row per group of one attribute (plus `overall`), with rates and their ratio to overall; `gap` marks the
    youths without any school record (`share_no_school_records`: a data gap that may fall on some groups more)."""
    gap = np.full(len(y), np.nan) if gap is None else np.asarray(gap, dtype=float)
    metrics = {"n": count, "outcome_rate": outcome_rate, "mean_p": mean_probability, "outcome_variance": outcome_variance,
               "share_no_school_records": no_school_records,
               "fnr_high": fnr_high,
               "tpr_high": tpr_high, "for_high": for_high, "fpr_medium": fpr_medium, "fdr_medium": fdr_medium,
               **{f"share_{t}": share(i) for i, t in enumerate(TIERS)},
               "n_positive": positives, "n_not_high": not_high, "n_negative": negatives, "n_medium_or_high": medium_or_high}
    tier_codes = pd.Series(tiers).map({t: i for i, t in enumerate(TIERS)}).to_numpy()
    frame = MetricFrame(metrics=metrics, y_true=y, y_pred=tier_codes,
                        sensitive_features=groups.astype(str).fillna("onbekend").to_numpy(),
                        sample_params={"mean_p": {"p": p}, "outcome_variance": {"p": p},
                                       "share_no_school_records": {"gap": gap}})
    table = frame.by_group.copy()
    table.loc["overall"] = frame.overall
    table["calibration_in_the_large"] = table["mean_p"] - table["outcome_rate"]
    table["observed_expected"] = table["outcome_rate"] / table["mean_p"].where(table["mean_p"] > 0)
    for name in (*RATE_METRICS, "mean_p", "observed_expected", "share_no_school_records", *(f"share_{t}" for t in TIERS)):
        table[f"{name}_ratio"] = table[name] / table.loc["overall", name]
    return table


def without_school_records(frame: pd.DataFrame) -> np.ndarray | None:
    """Per row: no school record at all (the data-quality check `no_school_records` on the model's features); None
    for an audit of predictions without the features beside them (the share is then not shown)."""
    if not set(FEATURE_NAMES) <= set(frame.columns):
        return None
    return failing(encode_frame(frame), NO_SCHOOL_RECORDS)


def fairness_audit(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray, tiers: np.ndarray) -> pd.DataFrame:
    """The audit for every audited attribute, stacked: columns attribute, group, then the figures."""
    tables = []
    gap = without_school_records(frame)
    for attribute in AUDITED:
        table = audit_attribute(y, p, tiers, frame[attribute].reset_index(drop=True), gap)
        tables.append(table.reset_index(names="group").assign(attribute=attribute))
    audit = pd.concat(tables, ignore_index=True)
    return audit[["attribute", "group", *[c for c in audit.columns if c not in ("attribute", "group")]]]


def gated_groups(audit: pd.DataFrame, attribute: str) -> pd.DataFrame:
    table = audit[audit["attribute"] == attribute]
    return table[table["group"] != "overall"]


def groups_too_small(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """The groups of the gated attributes the fairness gate does not judge: fewer than `min_group_size` youths."""
    small = []
    for attribute in gates.gated_attributes:
        table = gated_groups(audit, attribute)
        table = table[table["n"] < gates.min_group_size]
        small += [f"{attribute}={group} (n={int(n)})" for group, n in zip(table["group"], table["n"])]
    return small


def ratio_intervals(audit: pd.DataFrame, gates: GateConfig) -> pd.DataFrame:
    """Per judged group (a gated attribute, at least `min_group_size` youths) and error rate: the ratio of its rate to
    the whole's with its interval at `significance_level` (`training.intervals.rate_ratio`: the group's cases against
    the rest's, so a ratio made of a handful of cases is wide), and the verdict against [fairness_ratio_min,
    fairness_ratio_max]: `refuse` when the whole interval lies outside, `undecided` when it straddles a bound, else
    `pass`. A rate without cases in the group is not judged (no row)."""
    rows = []
    for attribute in gates.gated_attributes:
        overall = audit[(audit["attribute"] == attribute) & (audit["group"] == "overall")].iloc[0]
        table = gated_groups(audit, attribute)
        for _, row in table[table["n"] >= gates.min_group_size].iterrows():
            for metric in RATE_METRICS:
                cases, all_cases = row[DENOMINATORS[metric]], overall[DENOMINATORS[metric]]
                if not cases > 0 or not np.isfinite(row[metric]) or not overall[metric] > 0:
                    continue  # no case in the group, or none in the whole: nothing to compare
                low, high = rate_ratio(round(row[metric] * cases), cases, round(overall[metric] * all_cases), all_cases,
                                       1 - gates.significance_level)
                verdict = ("refuse" if high < gates.fairness_ratio_min or low > gates.fairness_ratio_max else
                           "pass" if gates.fairness_ratio_min <= low and high <= gates.fairness_ratio_max else "undecided")
                rows.append({"attribute": attribute, "group": row["group"], "metric": metric, "rate": row[metric],
                             "overall_rate": overall[metric], "cases": int(cases), "ratio": row[f"{metric}_ratio"],
                             "ratio_low": low, "ratio_high": high, "verdict": verdict})
    return pd.DataFrame(rows, columns=["attribute", "group", "metric", "rate", "overall_rate", "cases", "ratio",
                                       "ratio_low", "ratio_high", "verdict"])


def described(row, gates: GateConfig) -> str:
    return (f"{row.attribute}={row.group}: {row.metric} ratio {row.ratio:.2f} [{row.ratio_low:.2f}, {row.ratio_high:.2f}] "
            f"against [{gates.fairness_ratio_min}, {gates.fairness_ratio_max}] ({row.rate:.3f} vs {row.overall_rate:.3f} "
            f"of {row.cases} cases)")


def fairness_failures(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """Judged groups' error rates whose whole ratio interval lies outside the bounds: clearly unequal, not noise."""
    table = ratio_intervals(audit, gates)
    return [described(row, gates) for row in table[table["verdict"] == "refuse"].itertuples(index=False)]


def fairness_undecided(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """Judged groups' error rates whose ratio interval straddles a bound: shown, not refused."""
    table = ratio_intervals(audit, gates)
    return [described(row, gates) for row in table[table["verdict"] == "undecided"].itertuples(index=False)]
