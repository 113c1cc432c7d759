"""What `vsv routes evaluate` prints and writes: a plain-text table and a JSON summary, aggregates only (cells,
policies, groups, gates); never a youth row."""

from __future__ import annotations

import json
import math

import pandas as pd

from route_learning.evaluate import ALL, RouteEvaluation
from route_learning.gates import Gate

PLACES_NOTE = ("The value of the places: a policy's value minus the all-letter policy's (everyone the lightest "
               "reaction), in the same outcome. The Done-when's 'benefit at least 15% above tier' is judged on this "
               "value: (benefit - all_letter) / (tier - all_letter) - 1.")
INTERVAL_NOTE = ("95% intervals: mean +- 1.96 sd/sqrt(n) of the per-case doubly robust (AIPW) scores (the influence "
                 "function; outcome models and the propensity cross-fitted over 5 folds)")


def interval(value: float, low: float, high: float) -> str:
    return f"{value:+.3f} [{low:+.3f}, {high:+.3f}]"


def cells_text(cells: pd.DataFrame) -> str:
    shown = cells[cells["route"] != "waarschuwingsbrief"]
    lines = [f"{'kind':<14} {'risk':<7} {'route':<11} {'cases':>6} {'effect vs letter [95%]':>26} {'mean [95%]':>26}"]
    for r in shown.itertuples():
        lines.append(f"{r.kind:<14} {r.risk_category:<7} {r.route:<11} {r.cases:>6} "
                     f"{interval(r.effect, r.low, r.high):>26} {interval(r.mean, r.mean_low, r.mean_high):>26}")
    letters = cells[(cells["route"] == "waarschuwingsbrief") & (cells["kind"] == ALL) & (cells["risk_category"] == ALL)]
    for r in letters.itertuples():
        lines.append(f"(the letter's own mean outcome, all cases: {interval(r.mean, r.mean_low, r.mean_high)})")
    return "\n".join(lines)


def policies_text(evaluation: RouteEvaluation) -> str:
    lines = []
    for judged in (evaluation.held_out, evaluation.swapped):
        c = judged.capacity
        lines.append(f"fitted on half {judged.fitted_on}, judged on half {judged.judged_on} ({c.cases} cases; "
                     f"capacity {c.matchmakers} matchmakers, {c.conversations} conversations):")
        lines += [f"  {name:<8} {interval(e.value, e.low, e.high)}" for name, e in judged.values.items()]
        d = judged.difference
        lines.append(f"  benefit - tier {interval(d.value, d.low, d.high)}; above zero in "
                     f"{judged.bootstrap_share_above_zero:.0%} of bootstrap resamples")
        lines += [f"  value of the places, {name:<8} {interval(e.value, e.low, e.high)}" for name, e in
                  judged.places.items()]
        g = judged.places_gain
        lines.append(f"  benefit over tier in the places' value {g.value:+.1%} [{g.low:+.1%}, {g.high:+.1%}]")
    return "\n".join(lines)


def truth_text(comparison: dict) -> str:
    cells, policies = comparison["cells"], comparison["policies"]
    lines = ["Against the world's truth (read only now, to judge):"]
    lines += [f"  {r.kind:<14} {r.risk_category:<7} {r.route:<11} estimate {interval(r.effect, r.low, r.high)} "
              f"true {r.true:+.3f} {'covered' if r.covered else 'NOT covered'}" for r in cells.itertuples()]
    lines += [f"  policy {r.policy:<19} estimate {interval(r.value, r.low, r.high)} true {r.true:+.3f} "
              f"{'covered' if r.covered else 'NOT covered'}" for r in policies.itertuples()]
    lines += [f"  places {r.policy:<23} estimate {interval(r.value, r.low, r.high)} true {r.true:+.3f} "
              f"{'covered' if r.covered else 'NOT covered'}" for r in comparison["places"].itertuples()]
    oracle = comparison["oracle"]
    lines.append(f"  cells (kind x risk category) covered: {comparison['covered_share_cells']:.0%}; route x risk "
                 f"category covered: {comparison['covered_share_route_by_category']:.0%}")
    lines.append(f"  benefit over tier, true: {comparison['true_gain_benefit_over_tier']:+.1%} of the outcome rate, "
                 f"{comparison['true_places_gain_benefit_over_tier']:+.1%} of the places' value (the Done-when's "
                 "measure: at least +15%)")
    lines.append(f"  oracle (the same places by the true gains; context only): value {oracle['value']:.3f}, places "
                 f"{oracle['places']:+.3f}; over tier {oracle['gain_over_tier']:+.1%} of the rate, "
                 f"{oracle['places_gain_over_tier']:+.1%} of the places' value")
    return "\n".join(lines)


def report_text(evaluation: RouteEvaluation, rules: list[str], gates: list[Gate], groups: pd.DataFrame,
                comparison: dict | None, decision: str) -> str:
    e = evaluation
    parts = [f"Route evaluation {e.period[0]} to {e.period[1]}, outcome {e.outcome}: {e.cases} cases with a known "
             f"outcome ({e.dropped_unknown} not known yet), {e.randomised} randomised, {e.refused} draws refused.",
             INTERVAL_NOTE, "", "Effects per cell (AIPW):", cells_text(e.cells), "",
             f"Qini area of econml's DRLearner ranking (fitted on half A, judged on B): {e.qini.area:+.4f}", "",
             "Policies at equal capacity (doubly robust off-policy value):", PLACES_NOTE, policies_text(e), "",
             "Benefit policy tree (econml DRPolicyTree, fitted on half A):", *[f"  {r}" for r in rules], "",
             "Groups (judged half):", groups.to_string(index=False, float_format=lambda v: f"{v:+.3f}"), "",
             "Gates:", *[f"  {g.name}: {'passed' if g.passed else 'FAILED'} - {g.why}" for g in gates], "", decision]
    if comparison is not None:
        parts += ["", truth_text(comparison)]
    return "\n".join(parts)


def clean(value):
    """JSON-safe: NaN as null, numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def summary(evaluation: RouteEvaluation, rules: list[str], gates: list[Gate], groups: pd.DataFrame,
            comparison: dict | None, promoted_version: str | None) -> dict:
    e = evaluation
    judged = {j.fitted_on + "->" + j.judged_on: {"capacity": vars(j.capacity),
              "values": {k: v.to_dict() for k, v in j.values.items()}, "benefit_minus_tier": j.difference.to_dict(),
              "bootstrap_share_above_zero": j.bootstrap_share_above_zero,
              "places": {k: v.to_dict() for k, v in j.places.items()}, "places_gain_benefit_over_tier":
              j.places_gain.to_dict()} for j in (e.held_out, e.swapped)}
    out = {"outcome": e.outcome, "period": list(e.period), "cases": e.cases, "dropped_unknown": e.dropped_unknown,
           "randomised": e.randomised, "refused": e.refused, "interval_method": INTERVAL_NOTE,
           "cells": e.cells.to_dict("records"), "drlearner_cells": e.drlearner_cells.to_dict("records"),
           "qini": e.qini.to_dict(), "policies": judged, "tree_rules": rules, "groups": groups.to_dict("records"),
           "gates": [g.to_dict() for g in gates], "promoted_version": promoted_version}
    if comparison is not None:
        out["truth"] = {k: (v.to_dict("records") if isinstance(v, pd.DataFrame) else v) for k, v in comparison.items()}
    return clean(out)


def write_summary(data: dict, path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
