"""Route learning on known-effect case sets (`tests/route_world.py`), several seeds: the share of cells whose 95%
interval covers the planted effect, the benefit policy's true and estimated gain over the tier policy, and how often
the gates pass (with planted effects, and with none). Prints figures; asserts nothing.

    PYTHONPATH=. python benchmarks/route_policies.py [--cases 6000] [--seeds 5] [--depth 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from route_learning.evaluate import evaluate_routes
from route_learning.gates import judge_gates
from tests.route_world import known_effect_cases

WORLDS = {
    "targeted": {1: 0.05, 2: lambda f: np.where((f["kind"] == "new_leaver") & (f["score"] < 0.6), 0.25, 0.0)},
    "none": {},
}


def true_values(evaluation, chances) -> dict:
    judged = evaluation.held_out
    truth = chances[judged.judged_rows]
    out = {}
    for name, a in judged.assignments.items():
        weights = a if a.ndim == 2 else np.eye(3)[a]
        out[name] = float((truth * weights).sum(axis=1).mean())
    return out


def coverage(evaluation, chances) -> float:
    cells, frame = evaluation.cells, evaluation.scored.frame
    inner = cells[(cells["kind"] != "all") & (cells["risk_category"] != "all") & (cells["route"] != "waarschuwingsbrief")]
    covered = []
    for r in inner.itertuples():
        mask = ((frame["kind"] == r.kind) & (frame["risk_category"] == r.risk_category)).to_numpy()
        route = ("waarschuwingsbrief", "gesprek", "matchmaker").index(r.route)
        true = (chances[mask, route] - chances[mask, 0]).mean()
        covered.append(r.low <= true <= r.high)
    return float(np.mean(covered))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=6000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--depth", type=int, default=2)
    args = parser.parse_args()
    for world, effects in WORLDS.items():
        for seed in range(args.seeds):
            started = time.perf_counter()
            cases, chances = known_effect_cases(args.cases, seed, effects)
            evaluation = evaluate_routes(cases, ("2020-01-01", "2021-12-31"), "school_365", seed, args.depth)
            gates, _ = judge_gates(evaluation, None)
            truth, d = true_values(evaluation, chances), evaluation.held_out.difference
            print(f"{world:<9} seed {seed}: cells covered {coverage(evaluation, chances):.0%}; benefit/tier true "
                  f"{truth['benefit'] / truth['tier'] - 1:+.1%}; benefit - tier estimated {d.value:+.3f} "
                  f"[{d.low:+.3f}, {d.high:+.3f}] true {truth['benefit'] - truth['tier']:+.3f}; gates "
                  f"{''.join('P' if g.passed else '-' for g in gates)} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
