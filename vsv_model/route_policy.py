"""A promoted route policy as the service reads it: the tree's rules, its leaves' estimated gains, the per-cell
evidence table for the case page and the value figures. Plain data and JSON only (no numpy, no econml), so serving
may load it (downloaded by `registry/route_policy.py`) without the training stack.

The policy's features of a case are defined here once (`case_feature_values`); `route_learning/doubly_robust.py`'s
vectorised `case_features` is held to it by a test. Besides the score, its risk category and the kind of event, they
hold the youth's state on the event's day from the registrations (EVENT_FEATURES, computed by
`features/event_state.py` from the records dated on or before that day): the route effects differ by age,
time out of school, being in school or not, earlier dropouts and level. Never gender or origin (audit only).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

POLICY_FILE = "route_policy.json"
EVENT_FEATURES = ("age_years", "enrolled", "months_not_enrolled", "dropout_episodes", "diploma_level",
                  "absence_hours_13w")
FEATURE_NAMES = ("score", "score_logit", "risk_medium", "risk_high", "kind_report_repeat", "kind_new_leaver",
                 *EVENT_FEATURES)
MONTHS_OUT_CAP = 60.0  # months_not_enrolled is capped here; never enrolled counts as the cap (out for years)
# diploma_level: the last diploma's step on one ordered scale (geen 0 .. wo 11); onbekend -1 (a tree can split it off)
DIPLOMA_RANKS = {"geen": 0, "vmbo-bb": 1, "vmbo-kb": 2, "vmbo-gt": 3, "mbo-1": 4, "mbo-2": 5, "havo": 6, "mbo-3": 7,
                 "mbo-4": 8, "vwo": 9, "hbo": 10, "wo": 11, "onbekend": -1}
EVIDENCE_COLUMNS = ("kind", "risk_category", "route", "cases", "effect", "low", "high")


def case_feature_values(score: float, risk_category: str, kind: str, event: Mapping[str, float]) -> list[float]:
    """One case's features in FEATURE_NAMES order: never gender or origin. `event` holds EVENT_FEATURES as
    `features.event_state` gives them (months_not_enrolled already capped, diploma_level a rank)."""
    p = min(max(float(score), 1e-4), 1 - 1e-4)
    return [float(score), math.log(p / (1 - p)), float(risk_category == "medium"), float(risk_category == "high"),
            float(kind == "report_repeat"), float(kind == "new_leaver"), *(float(event[name]) for name in EVENT_FEATURES)]


def case_feature_columns(score, risk_category, kind, event: Mapping[str, object]) -> dict[str, np.ndarray]:
    """`case_feature_values` for whole arrays of cases: one column per feature name (no loop per case). `event`
    holds the EVENT_FEATURES columns (`features.event_state.event_features`); a missing one is named."""
    missing = [name for name in EVENT_FEATURES if name not in event]
    if missing:
        raise ValueError(f"the cases lack the event state {', '.join(missing)} (features.event_state)")
    score = np.asarray(score, dtype=float)
    p = np.clip(score, 1e-4, 1 - 1e-4)
    category, kind = np.asarray(risk_category, dtype=object), np.asarray(kind, dtype=object)
    return {"score": score, "score_logit": np.log(p / (1 - p)), "risk_medium": (category == "medium").astype(float),
            "risk_high": (category == "high").astype(float), "kind_report_repeat": (kind == "report_repeat").astype(float),
            "kind_new_leaver": (kind == "new_leaver").astype(float),
            **{name: np.asarray(event[name], dtype=float) for name in EVENT_FEATURES}}


@dataclass(frozen=True)
class RoutePolicy:
    """What was promoted. `tree` is nested dicts: a split {feature, threshold, left, right} (left: value <= threshold)
    or a leaf {route, gains: [letter 0, conversation, matchmaker]}."""

    outcome: str
    period: list[str]
    tree: dict
    rules: list[str]
    evidence: list[dict]  # rows with EVIDENCE_COLUMNS
    values: dict  # per policy: value, low, high; and the difference benefit - tier
    gates: list[dict]
    capacity: dict
    feature_names: list[str] = field(default_factory=lambda: list(FEATURE_NAMES))

    def leaf_of(self, score: float, risk_category: str, kind: str, event: Mapping[str, float]) -> dict:
        values = dict(zip(self.feature_names, case_feature_values(score, risk_category, kind, event), strict=True))
        node = self.tree
        while "route" not in node:
            node = node["left"] if values[node["feature"]] <= node["threshold"] else node["right"]
        return node

    def routes_of(self, score, risk_category, kind, event: Mapping[str, object]) -> np.ndarray:
        """The preferred route of each case (its leaf's), for whole arrays: one pass per node of the tree."""
        columns = case_feature_columns(score, risk_category, kind, event)
        routes = np.empty(len(columns["score"]), dtype=object)
        pending = [(self.tree, np.arange(len(routes)))]
        while pending:
            node, rows = pending.pop()
            if "route" in node:
                routes[rows] = node["route"]
                continue
            left = columns[node["feature"]][rows] <= node["threshold"]
            pending += [(node["left"], rows[left]), (node["right"], rows[~left])]
        return routes

    def evidence_for(self, risk_category: str, kind: str) -> list[dict]:
        """The evidence rows of the cell a case belongs to, for the case page."""
        return [row for row in self.evidence if row["risk_category"] == risk_category and row["kind"] == kind]

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / POLICY_FILE
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> RoutePolicy:
        path = Path(path)
        if path.is_dir():
            path = path / POLICY_FILE
        return cls(**json.loads(path.read_text(encoding="utf-8")))
