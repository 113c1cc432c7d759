"""Route learning in synthetic worlds with the office (issue 26's Done-when): for each world directory, the
evaluation `vsv routes evaluate` runs (in-process, without MLflow), judged against the world's truth afterwards.
Prints figures; asserts nothing.

Per world: its seed and route-effect size (generation_summary.json), the cells whose 95% interval covers the true
effect (route x risk category, and kind x category), the benefit policy against the tier policy (true and
estimated) both as the outcome rate and as the value of the places (a policy's value minus the all-letter
policy's: the office's measure, on which the Done-when's "at least 15% higher" is judged), the oracle (the same
places given by the true gains, the best possible at equal capacity) and whether the policy would be promoted, with
the failing gate(s). Then the Done-when's three lines over the worlds.

Timing: each world's time, beside its floor measured in the same run: one cross-fitted DR scoring of the world's
cases (outcome and propensity models over 5 folds), which every evaluation needs at least once.

    PYTHONPATH=. python benchmarks/route_worlds.py --worlds DIR [DIR ...] [--from 2008-01-01 --to 2021-09-30]
        [--outcome no_sq_by_23] [--depth 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np

from route_learning.cases import cases_of_period, read_office_cases
from route_learning.evaluate import evaluate_routes, score_cases
from route_learning.gates import AUDIT_COLUMNS, judge_gates
from route_learning.truth import compare_with_truth
from vsv_model.reader import read_data_dir

COVERAGE_NEEDED, PLACES_GAIN_NEEDED = 0.9, 0.15


def world_settings(directory: Path) -> dict:
    summary = directory / "generation_summary.json"
    data = json.loads(summary.read_text()) if summary.is_file() else {}
    return {"seed": data.get("seed"), "route_effects": data.get("route_effects")}


def evaluate_world(directory: Path, start: dt.date, end: dt.date, outcome: str, depth: int) -> dict:
    """One world: the evaluation, its gates and its comparison with the truth, and the two timings."""
    began = time.perf_counter()
    data = read_data_dir(directory)
    cases = cases_of_period(read_office_cases(directory), data, start, end, outcome)
    floor_began = time.perf_counter()
    score_cases(cases, 0)
    floor = time.perf_counter() - floor_began
    evaluation = evaluate_routes(cases, (start.isoformat(), end.isoformat()), outcome, 0, depth)
    audit = data.youths[["youth_id", *[c for c in AUDIT_COLUMNS if c in data.youths]]]
    gates, _ = judge_gates(evaluation, audit)
    comparison = compare_with_truth(directory, evaluation)
    seconds = time.perf_counter() - began - floor  # the floor's own run is not part of the evaluation
    return {"settings": world_settings(directory), "evaluation": evaluation, "gates": gates,
            "comparison": comparison, "seconds": seconds, "floor": floor}


def world_lines(name: str, w: dict) -> list[str]:
    s, e, c = w["settings"], w["evaluation"], w["comparison"]
    judged = e.held_out
    failed = [g.name for g in w["gates"] if not g.passed]
    promoted = "yes" if not failed else f"no (failed: {', '.join(failed)})"
    lines = [f"{name} (seed {s['seed']}, route effects {s['route_effects']}): {e.cases} cases; promoted {promoted}; "
             f"{w['seconds']:.1f} s (floor: one DR scoring {w['floor']:.1f} s)"]
    d, g = judged.difference, judged.places_gain
    p = judged.places
    lines.append(f"  estimated: benefit - tier {d.value:+.4f} [{d.low:+.4f}, {d.high:+.4f}] of the rate; places' "
                 f"value tier {p['tier'].value:+.4f} benefit {p['benefit'].value:+.4f}, benefit over tier "
                 f"{g.value:+.1%} [{g.low:+.1%}, {g.high:+.1%}]; Qini area {e.qini.area:+.4f}")
    if c is None:
        return [*lines, "  (no truth for this outcome in the directory: nothing to judge against)"]
    t = c["policies"].set_index("policy")["true"]
    o = c["oracle"]
    lines.append(f"  cells covered: route x risk category {c['covered_share_route_by_category']:.0%}, kind x "
                 f"category {c['covered_share_cells']:.0%}")
    lines.append(f"  true: all-letter {t['all_letter']:.4f}, tier {t['tier']:.4f}, benefit {t['benefit']:.4f}, "
                 f"random {t['random']:.4f}, oracle {o['value']:.4f}; benefit over tier "
                 f"{c['true_gain_benefit_over_tier']:+.1%} of the rate, {c['true_places_gain_benefit_over_tier']:+.1%} "
                 f"of the places' value (oracle {o['gain_over_tier']:+.1%}, {o['places_gain_over_tier']:+.1%})")
    return lines


def summary_lines(worlds: dict[str, dict]) -> list[str]:
    """The Done-when's three lines over the worlds (those with truth; zero-effect worlds apart)."""
    judged = {k: w for k, w in worlds.items() if w["comparison"] is not None}
    effective = {k: w for k, w in judged.items() if w["settings"]["route_effects"] not in (0, 0.0)}
    null = {k: w for k, w in worlds.items() if w["settings"]["route_effects"] in (0, 0.0)}
    cover = [w["comparison"]["covered_share_route_by_category"] for w in effective.values()]
    gains = [w["comparison"]["true_places_gain_benefit_over_tier"] for w in effective.values()]
    promoted = [all(g.passed for g in w["gates"]) for w in null.values()]
    return ["Summary over worlds (issue 26, Done-when):",
            f"  1. cells covered (route x risk category) >= {COVERAGE_NEEDED:.0%}: "
            + (f"{sum(c >= COVERAGE_NEEDED for c in cover)} of {len(cover)} worlds (mean {np.mean(cover):.0%})"
               if cover else "no world with effects and truth"),
            f"  2. benefit >= {PLACES_GAIN_NEEDED:.0%} over tier in the places' value (true): "
            + (f"{sum(g >= PLACES_GAIN_NEEDED for g in gains)} of {len(gains)} worlds (mean {np.mean(gains):+.1%}; "
               f"{', '.join(f'{g:+.1%}' for g in gains)})" if gains else "no world with effects and truth"),
            "  3. no promotion where routes have no effect: "
            + (f"{len(promoted) - sum(promoted)} of {len(promoted)} zero-effect worlds not promoted" if promoted
               else "no zero-effect world (--route-effects 0) given")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", nargs="+", type=Path, required=True)
    parser.add_argument("--from", dest="start", default="2008-01-01")
    parser.add_argument("--to", dest="end", default="2021-09-30")
    parser.add_argument("--outcome", default="no_sq_by_23")
    parser.add_argument("--depth", type=int, default=2)
    args = parser.parse_args()
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    worlds = {}
    for directory in args.worlds:
        worlds[str(directory)] = evaluate_world(directory, start, end, args.outcome, args.depth)
        print("\n".join(world_lines(str(directory), worlds[str(directory)])), flush=True)
    print("\n".join(summary_lines(worlds)))


if __name__ == "__main__":
    main()
