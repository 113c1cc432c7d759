"""Judging an evaluation against the synthetic world's truth, after the estimate: the truth is read only here, and
only to say whether each interval covers the true value. It never feeds an estimate.

The true value of a cell is the mean, over the cell's cases, of the world's chance of the outcome under each route
(`p_school_365_<route>`; for `no_sq_by_23`, one minus `p_true_<route>`: higher is better); a policy's true value is
that chance under the route it gives, averaged over the judged cases. The value of the places, as the office means
it, is a policy's value minus the all-letter policy's (everyone the lightest reaction); the oracle (the same places
given by the true gains) shows the best possible at equal capacity, for context.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.route_outcomes import SCHOOL_365
from route_learning.evaluate import ALL, RouteEvaluation, cell_masks
from route_learning.policies import benefit_policy
from vsv_model.route_draws import ROUTE_CODES

TRUTH_FILE = "truth_events.csv"
KEYS = ["youth_id", "event_date", "kind"]


def truth_columns(outcome: str) -> list[str]:
    prefix = "p_school_365_" if outcome == SCHOOL_365 else "p_true_"
    return [prefix + r for r in ROUTE_CODES]


def true_chances(directory: Path, evaluation: RouteEvaluation) -> np.ndarray | None:
    """Per evaluated case, the true chance of the outcome under each route (cases x 3); None without truth."""
    path = Path(directory) / TRUTH_FILE
    columns = truth_columns(evaluation.outcome)
    if not path.is_file() or not set(columns) <= set(pd.read_csv(path, nrows=0).columns):
        return None
    truth = pd.read_csv(path, usecols=[*KEYS, "report_id", *columns], dtype={"youth_id": str, "report_id": str})
    truth["event_date"] = pd.to_datetime(truth["event_date"])
    truth["report_id"] = truth["report_id"].fillna("")
    cases = evaluation.scored.frame[[*KEYS, "report_id"]].copy()
    cases["report_id"] = cases["report_id"].fillna("")
    joined = cases.merge(truth.drop_duplicates([*KEYS, "report_id"]), on=[*KEYS, "report_id"], how="left")
    chances = joined[columns].to_numpy(float)
    return chances if evaluation.outcome == SCHOOL_365 else 1.0 - chances


def cell_coverage(evaluation: RouteEvaluation, chances: np.ndarray) -> pd.DataFrame:
    """Per cell and non-letter route: the estimate, its interval, the true effect and whether it is covered."""
    rows = []
    estimates = evaluation.cells.set_index(["kind", "risk_category", "route"])
    for kind, category, mask in cell_masks(evaluation.scored.frame):
        known = mask & ~np.isnan(chances).any(axis=1)
        for r in (1, 2):
            est = estimates.loc[(kind, category, ROUTE_CODES[r])]
            true = float((chances[known, r] - chances[known, 0]).mean()) if known.any() else np.nan
            rows.append({"kind": kind, "risk_category": category, "route": ROUTE_CODES[r], "effect": est["effect"],
                         "low": est["low"], "high": est["high"], "true": true,
                         "covered": bool(est["low"] <= true <= est["high"])})
    return pd.DataFrame(rows)


def true_policy_values(evaluation: RouteEvaluation, chances: np.ndarray) -> dict[str, float]:
    """Per policy on the judged half: the truth's mean chance of the outcome under the routes it gives; and the
    oracle's, which gives the same places by the true gains (`benefit_policy` on the truth): the best possible at
    equal capacity, for context only."""
    judged = evaluation.held_out
    truth = chances[judged.judged_rows]
    values = {}
    for name, assignment in judged.assignments.items():
        weights = assignment if assignment.ndim == 2 else np.eye(len(ROUTE_CODES))[assignment]
        values[name] = float(np.nanmean((truth * weights).sum(axis=1)))
    known = ~np.isnan(truth).any(axis=1)
    score = evaluation.scored.frame["score"].to_numpy(float)[judged.judged_rows]
    oracle = benefit_policy(np.nan_to_num(truth[:, 1:] - truth[:, [0]], nan=-1.0), score, judged.capacity)
    values["oracle"] = float(truth[np.arange(len(truth)), oracle][known].mean())
    return values


def row(name: str, estimate, true: float) -> dict:
    return {"policy": name, "value": estimate.value, "low": estimate.low, "high": estimate.high, "true": true,
            "covered": bool(estimate.low <= true <= estimate.high)}


def policy_coverage(evaluation: RouteEvaluation, truth: dict[str, float]) -> pd.DataFrame:
    """Per policy on the judged half (and benefit - tier): estimate, interval, true value, covered."""
    judged = evaluation.held_out
    estimates = judged.values | {"benefit_minus_tier": judged.difference}
    truth = truth | {"benefit_minus_tier": truth["benefit"] - truth["tier"]}
    return pd.DataFrame([row(name, e, truth[name]) for name, e in estimates.items()])


def places_coverage(evaluation: RouteEvaluation, truth: dict[str, float]) -> pd.DataFrame:
    """The value of the places (a policy's value minus the all-letter policy's) per policy, and benefit over tier
    in that value (a share), each estimated and true."""
    judged = evaluation.held_out
    places = {name: truth[name] - truth["all_letter"] for name in (*judged.places, "oracle")}
    rows = [row(name, e, places[name]) for name, e in judged.places.items()]
    rows.append(row("benefit_over_tier_share", judged.places_gain, share_over(places["benefit"], places["tier"])))
    return pd.DataFrame(rows)


def compare_with_truth(directory: Path, evaluation: RouteEvaluation) -> dict | None:
    """The comparison (None when the directory holds no truth for this outcome)."""
    chances = true_chances(directory, evaluation)
    if chances is None:
        return None
    truth = true_policy_values(evaluation, chances)
    cells, policies = cell_coverage(evaluation, chances), policy_coverage(evaluation, truth)
    inner = cells[(cells["kind"] != ALL) & (cells["risk_category"] != ALL)]
    by_category = cells[(cells["kind"] == ALL) & (cells["risk_category"] != ALL)]
    places_tier = truth["tier"] - truth["all_letter"]
    return {"cells": cells, "policies": policies, "places": places_coverage(evaluation, truth),
            "cases_without_truth": int(np.isnan(chances).any(axis=1).sum()),
            "covered_share_cells": float(inner["covered"].mean()) if len(inner) else np.nan,
            "covered_share_route_by_category": float(by_category["covered"].mean()) if len(by_category) else np.nan,
            "true_gain_benefit_over_tier": share_over(truth["benefit"], truth["tier"]),
            "true_places_gain_benefit_over_tier": share_over(truth["benefit"] - truth["all_letter"], places_tier),
            "oracle": {"value": truth["oracle"], "places": truth["oracle"] - truth["all_letter"],
                       "gain_over_tier": share_over(truth["oracle"], truth["tier"]),
                       "places_gain_over_tier": share_over(truth["oracle"] - truth["all_letter"], places_tier)}}


def share_over(value: float, base: float) -> float:
    """value / base - 1; NaN where the base is 0 (in a world where routes do nothing, the places are worth 0 under
    every policy and no share of it is defined)."""
    return value / base - 1 if abs(base) > 1e-12 else float("nan")
