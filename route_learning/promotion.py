"""From an evaluation to a route policy artifact: the fitted tree as rules, the evidence per cell and the values."""

from __future__ import annotations

import numpy as np

from route_learning.evaluate import RouteEvaluation
from route_learning.gates import Gate
from vsv_model.route_draws import ROUTE_CODES
from vsv_model.route_policy import EVIDENCE_COLUMNS, FEATURE_NAMES, RoutePolicy


def tree_dict(tree, node: int = 0) -> dict:
    """econml's fitted policy tree as nested dicts (see `RoutePolicy`)."""
    t = tree.policy_model_.tree_
    left, right = int(t.children_left[node]), int(t.children_right[node])
    if left < 0:
        gains = [float(v) for v in np.ravel(t.value[node])]
        return {"route": ROUTE_CODES[int(np.argmax(gains))], "gains": gains, "cases": int(t.n_node_samples[node])}
    return {"feature": FEATURE_NAMES[int(t.feature[node])], "threshold": float(t.threshold[node]),
            "left": tree_dict(tree, left), "right": tree_dict(tree, right)}


def rules_of(node: dict, conditions: tuple[str, ...] = ()) -> list[str]:
    """One line per leaf: its conditions and the route it prefers, with its estimated gains over the letter."""
    if "route" in node:
        gains = ", ".join(f"{r} {g:+.3f}" for r, g in zip(ROUTE_CODES[1:], node["gains"][1:], strict=True))
        return [f"if {' and '.join(conditions) or 'always'}: {node['route']} (gain over the letter: {gains})"]
    f, v = node["feature"], node["threshold"]
    return rules_of(node["left"], (*conditions, f"{f} <= {v:.3f}")) + rules_of(node["right"], (*conditions, f"{f} > {v:.3f}"))


def evidence_rows(evaluation: RouteEvaluation) -> list[dict]:
    cells = evaluation.cells
    cells = cells[(cells["kind"] != "all") & (cells["risk_category"] != "all")]
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in cells[list(EVIDENCE_COLUMNS)].to_dict("records")]


def value_figures(evaluation: RouteEvaluation) -> dict:
    judged = evaluation.held_out
    return {name: e.to_dict() for name, e in judged.values.items()} | {"benefit_minus_tier": judged.difference.to_dict()}


def route_policy(evaluation: RouteEvaluation, gates: list[Gate]) -> RoutePolicy:
    tree = tree_dict(evaluation.held_out.tree)
    c = evaluation.held_out.capacity
    return RoutePolicy(outcome=evaluation.outcome, period=list(evaluation.period), tree=tree, rules=rules_of(tree),
                       evidence=evidence_rows(evaluation), values=value_figures(evaluation),
                       gates=[g.to_dict() for g in gates],
                       capacity={"matchmakers": c.matchmakers, "conversations": c.conversations, "cases": c.cases})
