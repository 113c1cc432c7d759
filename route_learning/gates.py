"""The gates a route policy passes before it is promoted (the service may then advise by it). Each says in plain
words why it passed or failed.

- value: on the later half of the cases (the policy was fitted on the earlier half only), the benefit policy's
  doubly robust value minus the tier policy's, at equal capacity, has its whole 95% interval above zero;
- stability: the difference is above zero on both time halves (fitted on A judged on B, and fitted on B judged on
  A), and in at least 90% of bootstrap resamples of the judged half;
- groups: per risk category, kind of event and (audit only, never a model input) gender and origin, no group gets
  less benefit than under the tier policy (the whole interval of its difference below zero), and a group that gets
  fewer places has its reason stated: its estimated outcome is not lower. Groups under MIN_GROUP cases are listed
  as too small to judge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from route_learning.doubly_robust import mean_interval, policy_values
from route_learning.evaluate import RouteEvaluation
from vsv_model.route_draws import LETTER

STABLE_SHARE = 0.9
MIN_GROUP = 30
AUDIT_COLUMNS = ("gender", "origin")


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    why: str

    def to_dict(self) -> dict:
        return asdict(self)


def value_gate(evaluation: RouteEvaluation) -> Gate:
    d = evaluation.held_out.difference
    passed = d.low > 0
    verdict = "the whole interval lies above zero" if passed else "the interval does not lie wholly above zero"
    return Gate("value", passed, f"benefit minus tier on the later half (not fitted on): {d.value:+.3f} "
                f"(95% interval {d.low:+.3f} to {d.high:+.3f}); {verdict}")


def stability_gate(evaluation: RouteEvaluation) -> Gate:
    a, b = evaluation.held_out, evaluation.swapped
    share = a.bootstrap_share_above_zero
    passed = a.difference.value > 0 and b.difference.value > 0 and share >= STABLE_SHARE
    return Gate("stability", passed, f"difference {a.difference.value:+.3f} (fitted on A, judged on B) and "
                f"{b.difference.value:+.3f} (fitted on B, judged on A); above zero in {share:.0%} of bootstrap "
                f"resamples (needed: both above zero and at least {STABLE_SHARE:.0%})")


def group_table(evaluation: RouteEvaluation, audit: pd.DataFrame | None) -> pd.DataFrame:
    """Per group of the judged half: places (non-letter routes) and value under tier and benefit, the difference
    with its interval, and the verdict."""
    judged = evaluation.held_out
    frame = evaluation.scored.frame.iloc[judged.judged_rows].reset_index(drop=True)
    gamma = evaluation.scored.gamma[judged.judged_rows]
    tier, benefit = judged.assignments["tier"], judged.assignments["benefit"]
    difference = policy_values(gamma, benefit) - policy_values(gamma, tier)
    labels = group_labels(frame, audit)
    rows = []
    for by, values in labels.items():
        for group in pd.unique(values[pd.notna(values)]):
            mask = values == group
            rows.append(group_row(by, group, mask, tier, benefit, difference))
    return pd.DataFrame(rows)


def group_labels(frame: pd.DataFrame, audit: pd.DataFrame | None) -> dict[str, np.ndarray]:
    labels = {"risk_category": frame["risk_category"].to_numpy(), "kind": frame["kind"].to_numpy()}
    if audit is not None:
        joined = frame[["youth_id"]].merge(audit, on="youth_id", how="left")
        labels |= {c: joined[c].to_numpy(dtype=object) for c in AUDIT_COLUMNS if c in joined and joined[c].notna().any()}
    return labels


def group_row(by: str, group, mask: np.ndarray, tier: np.ndarray, benefit: np.ndarray, difference: np.ndarray) -> dict:
    d = mean_interval(difference[mask])
    places_tier, places_benefit = int((tier[mask] != LETTER).sum()), int((benefit[mask] != LETTER).sum())
    if mask.sum() < MIN_GROUP:
        verdict, passed = f"too few cases ({int(mask.sum())}) to judge", True
    elif d.high < 0:
        verdict, passed = "less benefit than under the tier policy (whole interval below zero): no reason holds", False
    elif places_benefit < places_tier:
        verdict, passed = ("fewer places; stated reason: the places go where the estimated effect is larger, and this "
                           "group's estimated outcome is not lower"), True
    else:
        verdict, passed = "no fewer places and no less benefit", True
    return {"by": by, "group": str(group), "cases": int(mask.sum()), "places_tier": places_tier,
            "places_benefit": places_benefit, "difference": d.value, "low": d.low, "high": d.high,
            "passed": passed, "verdict": verdict}


def groups_gate(table: pd.DataFrame) -> Gate:
    failed = table[~table["passed"]]
    if failed.empty:
        return Gate("groups", True, f"no group of {len(table)} gets less benefit; every group with fewer places has "
                    "its reason stated")
    names = ", ".join(f"{r.by}={r.group}" for r in failed.itertuples())
    return Gate("groups", False, f"less benefit than under the tier policy for: {names}")


def judge_gates(evaluation: RouteEvaluation, audit: pd.DataFrame | None) -> tuple[list[Gate], pd.DataFrame]:
    table = group_table(evaluation, audit)
    return [value_gate(evaluation), stability_gate(evaluation), groups_gate(table)], table
