"""`vsv routes evaluate`: from the recorded cases and the registrations' outcomes (never the truth), each route's
effect per cell, econml's heterogeneous effects and Qini curve, and three policies' values at equal capacity.

The cases are split in two halves by time (the earlier half A, the later half B). The benefit policy is fitted on
A and judged on B only; for stability it is also fitted on B and judged on A. Effects per cell use all cases.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from route_learning.cases import Cases
from route_learning.doubly_robust import (
    Estimate,
    case_features,
    cross_fit_outcomes,
    cross_fit_propensity,
    dr_scores,
    folds_of,
    mean_interval,
    policy_values,
    propensity_features,
)
from route_learning.econml_models import fit_drlearner, fit_policy_tree
from route_learning.policies import Capacity, benefit_policy, random_policy, tier_policy, tree_gains
from route_learning.qini import Qini, qini_curve
from vsv_model.route_draws import LETTER, ROUTE_CODES

ALL = "all"
POLICIES = ("tier", "benefit", "random", "all_letter")
PLACED = ("tier", "benefit", "random")  # the policies that give places; all_letter is the base of their value
BOOTSTRAPS = 1000


@dataclass(frozen=True)
class Scored:
    """The cases with their DR scores (Gamma) and features."""

    frame: pd.DataFrame
    x: np.ndarray
    gamma: np.ndarray
    e_taken: np.ndarray


@dataclass(frozen=True)
class PolicyJudgement:
    """Three policies fitted on one half and judged on the other, at that half's capacity."""

    fitted_on: str
    judged_on: str
    capacity: Capacity
    values: dict[str, Estimate]
    difference: Estimate  # benefit - tier
    bootstrap_share_above_zero: float
    places: dict[str, Estimate]  # the value of the places: each policy's value minus the all-letter policy's
    places_gain: Estimate  # (benefit - all_letter) / (tier - all_letter) - 1: benefit over tier in the places' value
    assignments: dict[str, np.ndarray] = field(repr=False)  # per judged case: route codes, or probabilities (random)
    judged_rows: np.ndarray = field(repr=False)
    tree: object = field(repr=False)


@dataclass(frozen=True)
class RouteEvaluation:
    outcome: str
    period: tuple[str, str]
    cases: int
    dropped_unknown: int
    randomised: int
    refused: int
    cells: pd.DataFrame
    drlearner_cells: pd.DataFrame
    qini: Qini
    held_out: PolicyJudgement  # fitted on A, judged on B: the one promotion reads
    swapped: PolicyJudgement  # fitted on B, judged on A: stability
    scored: Scored = field(repr=False)


def score_cases(cases: Cases, seed: int) -> Scored:
    frame = cases.frame
    x, y, t = case_features(frame), frame["outcome"].to_numpy(float), frame["t"].to_numpy(int)
    fold = folds_of(len(frame), seed)
    e_taken = cross_fit_propensity(propensity_features(frame), t, frame["known_propensity"].to_numpy(float), fold)
    gamma = dr_scores(y, t, cross_fit_outcomes(x, y, t, fold), e_taken)
    return Scored(frame, x, gamma, e_taken)


def cell_masks(frame: pd.DataFrame):
    """(kind, risk_category, mask) for every kind x category cell, each margin (`all`) and the whole."""
    kinds, categories = frame["kind"].to_numpy(), frame["risk_category"].to_numpy()
    yield ALL, ALL, np.ones(len(frame), bool)
    for category in pd.unique(categories):
        yield ALL, category, categories == category
    for kind in pd.unique(kinds):
        yield kind, ALL, kinds == kind
        for category in pd.unique(categories[kinds == kind]):
            yield kind, category, (kinds == kind) & (categories == category)


def effect_cells(scored: Scored) -> pd.DataFrame:
    """Per cell and route: cases that took it, the route's mean outcome and its effect vs the letter, with 95%
    intervals (AIPW)."""
    rows, t = [], scored.frame["t"].to_numpy(int)
    for kind, category, mask in cell_masks(scored.frame):
        g = scored.gamma[mask]
        for r, route in enumerate(ROUTE_CODES):
            mean, effect = mean_interval(g[:, r]), mean_interval(g[:, r] - g[:, LETTER])
            rows.append({"kind": kind, "risk_category": category, "route": route, "cell_cases": int(mask.sum()),
                         "cases": int((t[mask] == r).sum()), "mean": mean.value, "mean_low": mean.low,
                         "mean_high": mean.high, "effect": effect.value if r else 0.0,
                         "low": effect.low if r else 0.0, "high": effect.high if r else 0.0})
    return pd.DataFrame(rows)


def drlearner_cells(scored: Scored, seed: int) -> pd.DataFrame:
    """econml's DRLearner on all cases: its average effect of each route vs the letter per cell, with its interval."""
    frame = scored.frame
    learner = quietly(fit_drlearner, scored.x, frame["outcome"].to_numpy(), frame["t"].to_numpy(), scored.e_taken,
                      seed)
    rows = []
    for kind, category, mask in cell_masks(frame):
        for r in (1, 2):
            low, high = learner.ate_interval(scored.x[mask], T0=0, T1=r, alpha=0.05)
            rows.append({"kind": kind, "risk_category": category, "route": ROUTE_CODES[r], "cell_cases": int(mask.sum()),
                         "effect": float(np.ravel(learner.ate(scored.x[mask], T0=0, T1=r))[0]),
                         "low": float(np.ravel(low)[0]), "high": float(np.ravel(high)[0])})
    return pd.DataFrame(rows)


def quietly(function, *args):
    """econml and scikit-learn warn about their own defaults and shapes; the run's output stays readable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args)


def halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the earlier and the later half (the cases are in date order)."""
    return np.arange(n // 2), np.arange(n // 2, n)


def judge_policies(scored: Scored, fit_rows: np.ndarray, judge_rows: np.ndarray, names: tuple[str, str],
                   seed: int, depth: int) -> PolicyJudgement:
    frame = scored.frame
    tree = quietly(fit_policy_tree, scored.x[fit_rows], frame["outcome"].to_numpy()[fit_rows],
                   frame["t"].to_numpy()[fit_rows], scored.e_taken[fit_rows], seed, depth)
    judged_t, score = frame["t"].to_numpy()[judge_rows], frame["score"].to_numpy(float)[judge_rows]
    capacity = Capacity.of(judged_t)
    assignments = {"tier": tier_policy(score, capacity),
                   "benefit": benefit_policy(tree_gains(tree, scored.x[judge_rows]), score, capacity),
                   "random": random_policy(len(judge_rows), capacity),
                   "all_letter": np.full(len(judge_rows), LETTER)}
    gamma = scored.gamma[judge_rows]
    per_case = {name: policy_values(gamma, a) for name, a in assignments.items()}
    difference = per_case["benefit"] - per_case["tier"]
    places = {name: per_case[name] - per_case["all_letter"] for name in PLACED}
    return PolicyJudgement(names[0], names[1], capacity, {k: mean_interval(v) for k, v in per_case.items()},
                           mean_interval(difference), bootstrap_share(difference, seed),
                           {k: mean_interval(v) for k, v in places.items()},
                           ratio_gain(places["benefit"], places["tier"]), assignments, judge_rows, tree)


def ratio_gain(benefit: np.ndarray, tier: np.ndarray) -> Estimate:
    """mean(benefit) / mean(tier) - 1 of per-case values (the places' value), with the delta method's 95% interval:
    the per-case influence (benefit_i - (1 + g) tier_i) / mean(tier)."""
    base = float(np.mean(tier))
    if abs(base) <= 1e-12:
        return Estimate(float("nan"), float("nan"), float("nan"), len(tier))
    gain = float(np.mean(benefit)) / base - 1
    influence = (np.asarray(benefit) - (1 + gain) * np.asarray(tier)) / base
    spread = mean_interval(influence)
    return Estimate(gain, gain - (spread.value - spread.low), gain + (spread.high - spread.value), len(tier))


def bootstrap_share(difference: np.ndarray, seed: int) -> float:
    """The share of bootstrap resamples (of cases) whose mean difference is above zero."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(difference), size=(BOOTSTRAPS, len(difference)))
    return float((difference[draws].mean(axis=1) > 0).mean())


def evaluate_routes(cases: Cases, period: tuple[str, str], outcome: str, seed: int = 0,
                    depth: int = 2) -> RouteEvaluation:
    """The whole evaluation (orchestration only)."""
    scored = score_cases(cases, seed)
    first, second = halves(cases.n)
    held_out = judge_policies(scored, first, second, ("A", "B"), seed, depth)
    frame = scored.frame
    return RouteEvaluation(
        outcome=outcome, period=period, cases=cases.n, dropped_unknown=cases.dropped_unknown,
        randomised=int((frame["randomised"] == 1).sum()), refused=int((frame["refused"] == 1).sum()),
        cells=effect_cells(scored), drlearner_cells=drlearner_cells(scored, seed),
        qini=qini_curve(scored, first, second, seed), held_out=held_out,
        swapped=judge_policies(scored, second, first, ("B", "A"), seed, depth), scored=scored)
