"""A hand-made route policy with known evidence and values, and its registration in a real MLflow store (as
`vsv routes evaluate` registers one: alias `evaluated`, and `champion` when promoted), for the tests of the advice
in force and of the evidence the case page shows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from registry.mlflow_registry import CHAMPION, client_for, experiment_id, using_store
from registry.route_policy import ARTIFACT_PATH, EVALUATED, ROUTE_POLICY_MODEL, register_route_policy
from vsv_model.route_policy import POLICY_FILE, RoutePolicy
from vsv_model.settings import Settings

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"
# New leavers: a matchmaker up to 20.5 years of age on the event's day, else a letter; reports: a matchmaker when
# the risk is high, else a conversation.
TREE = {"feature": "kind_new_leaver", "threshold": 0.5,
        "left": {"feature": "risk_high", "threshold": 0.5,
                 "left": {"route": TALK, "gains": [0.0, 0.05, 0.01], "cases": 300},
                 "right": {"route": MATCH, "gains": [0.0, 0.02, 0.08], "cases": 120}},
        "right": {"feature": "age_years", "threshold": 20.5,
                  "left": {"route": MATCH, "gains": [0.0, 0.01, 0.09], "cases": 40},
                  "right": {"route": LETTER, "gains": [0.0, -0.01, -0.02], "cases": 50}}}


def expected_route(risk_category: str, kind: str, age_years: float | None = None) -> str:
    """The tree above, read by hand (a new leaver's route needs the age on the event's day)."""
    if kind == "new_leaver":
        if age_years is None:
            raise ValueError("a new leaver's route depends on the age")
        return MATCH if age_years <= 20.5 else LETTER
    return MATCH if risk_category == "high" else TALK


def evidence_row(kind, category, route, cases, effect, low, high) -> dict:
    return {"kind": kind, "risk_category": category, "route": route, "cases": cases, "effect": effect, "low": low,
            "high": high}


# Per risk category of first reports: (cases, effect, low, high) of the letter, the conversation and the matchmaker.
EVIDENCE = {
    "low": ((300, 0.0, 0.0, 0.0), (120, 0.062, 0.021, 0.103), (45, 0.031, -0.04, 0.102)),
    "medium": ((200, 0.0, 0.0, 0.0), (80, 0.048, -0.01, 0.106), (15, 0.2, 0.05, 0.35)),
    "high": ((150, 0.0, 0.0, 0.0), (60, -0.035, -0.07, -0.004), (30, 0.114, 0.052, 0.176)),
}
VALUES = {"tier": {"value": 0.371, "low": 0.33, "high": 0.41, "n": 640},
          "benefit": {"value": 0.412, "low": 0.37, "high": 0.45, "n": 640},
          "random": {"value": 0.35, "low": 0.31, "high": 0.39, "n": 640},
          "benefit_minus_tier": {"value": 0.041, "low": 0.012, "high": 0.07, "n": 640}}


GATES = ("value", "stability", "groups")


def gate_verdicts(failed: tuple[str, ...] = ()) -> list[dict]:
    """The gates as `route_learning.gates.Gate.to_dict` writes them, those named in `failed` not passed."""
    return [{"name": name, "passed": name not in failed, "why": f"hand-made: {name}"} for name in GATES]


def hand_made_policy(failed: tuple[str, ...] = ()) -> RoutePolicy:
    evidence = [evidence_row("report_first", category, route, *figures)
                for category, rows in EVIDENCE.items() for route, figures in zip((LETTER, TALK, MATCH), rows)]
    return RoutePolicy(outcome="school_365", period=["2024-01-01", "2025-12-31"], tree=TREE,
                       rules=["if kind_new_leaver > 0.5: waarschuwingsbrief"], evidence=evidence, values=VALUES,
                       gates=gate_verdicts(failed), capacity={"matchmakers": 20, "conversations": 50, "cases": 640})


def register_policy_files(settings: Settings, write, promoted: bool = True) -> str:
    """A run whose `route_policy` artifact is what `write(directory)` puts there, registered as `evaluated` and,
    when `promoted`, made champion."""
    with using_store(settings), tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "policy"
        directory.mkdir()
        write(directory)
        with mlflow.start_run(experiment_id=experiment_id(settings), run_name="hand-made route policy") as run:
            mlflow.log_artifacts(str(directory), ARTIFACT_PATH)
    return register_route_policy(run.info.run_id, settings, {"outcome": "school_365"}, promoted)


def register_hand_made(settings: Settings, policy: RoutePolicy | None = None, promoted: bool = True) -> str:
    return register_policy_files(settings, lambda directory: (policy or hand_made_policy()).save(directory), promoted)


def register_broken(settings: Settings, promoted: bool = True) -> str:
    return register_policy_files(settings, lambda directory: (directory / POLICY_FILE).write_text("{not json",
                                                                                                 encoding="utf-8"),
                                 promoted)


def remove_route_aliases(settings: Settings) -> None:
    """Take `champion` and `evaluated` off the route policy (a shared store back to no route policy at all)."""
    client = client_for(settings)
    for alias in (CHAMPION, EVALUATED):
        try:
            client.delete_registered_model_alias(ROUTE_POLICY_MODEL, alias)
        except MlflowException:
            pass  # that alias names no version
