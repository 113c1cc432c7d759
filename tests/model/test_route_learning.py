"""Route learning on known-effect case sets (`tests/route_world.py`): the effect estimator recovers a planted
effect within its interval, no policy passes the gates when routes have no effect, a strong and targeted effect is
promoted and registered, every evaluation is registered as `evaluated` (and `champion` only when promoted), the
MLflow store holds no youth id, and the CLI names its bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from route_learning.cases import CasesError, cases_of_period, read_office_cases
from route_learning.doubly_robust import case_features
from route_learning.evaluate import evaluate_routes
from route_learning.gates import judge_gates
from tests.route_world import case_frame, known_effect_cases, write_office_dir
from vsv_model.route_policy import EVENT_FEATURES, FEATURE_NAMES, RoutePolicy, case_feature_values

PERIOD = ("2020-01-01", "2021-12-31")
TARGETED = {1: 0.0, 2: lambda f: np.where(f["kind"] == "new_leaver", 0.35, -0.10)}


def cell(evaluation, kind, category, route):
    cells = evaluation.cells
    return cells[(cells["kind"] == kind) & (cells["risk_category"] == category) & (cells["route"] == route)].iloc[0]


def test_a_planted_effect_is_recovered_within_its_interval():
    cases, _ = known_effect_cases(4000, 3, {1: 0.0, 2: 0.20})
    evaluation = evaluate_routes(cases, PERIOD, "school_365", seed=3)
    matchmaker, conversation = cell(evaluation, "all", "all", "matchmaker"), cell(evaluation, "all", "all", "gesprek")
    assert matchmaker["low"] <= 0.20 <= matchmaker["high"] and matchmaker["low"] > 0.05
    assert conversation["low"] <= 0.0 <= conversation["high"]
    learner = evaluation.drlearner_cells.set_index(["kind", "risk_category", "route"]).loc[("all", "all", "matchmaker")]
    assert learner["low"] <= 0.20 <= learner["high"]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_no_policy_passes_the_gates_when_routes_have_no_effect(seed):
    cases, _ = known_effect_cases(2000, seed, {})
    gates, _ = judge_gates(evaluate_routes(cases, PERIOD, "school_365", seed=seed), None)
    assert not all(g.passed for g in gates)
    assert not next(g for g in gates if g.name == "value").passed


def test_the_policy_features_have_one_definition():
    frame = case_frame(50, 0)
    events = frame[list(EVENT_FEATURES)].to_dict("records")
    by_row = np.array([case_feature_values(s, c, k, e) for s, c, k, e in
                       zip(frame["score"], frame["risk_category"], frame["kind"], events, strict=True)])
    np.testing.assert_allclose(case_features(frame), by_row)
    assert len(FEATURE_NAMES) == by_row.shape[1]


@pytest.fixture(scope="module")
def office_world(tmp_path_factory):
    cases, chances = known_effect_cases(3000, 5, TARGETED)
    return write_office_dir(tmp_path_factory.mktemp("office"), cases, chances), cases, chances


@pytest.fixture
def office_dir(office_world):
    return office_world[0]


def true_tier_value(cases, chances) -> float:
    """The checker's own tier policy on the later half (cases are in date order): the most matchmakers the office
    gave there to the highest scores, then its conversations; the truth's chance under the route given."""
    later = np.arange(cases.n // 2, cases.n)
    t, score, truth = cases.frame["t"].to_numpy()[later], cases.frame["score"].to_numpy()[later], chances[later]
    by_score = np.argsort(-score, kind="stable")
    route = np.zeros(len(later), int)
    route[by_score[:(t == 2).sum()]] = 2
    route[by_score[(t == 2).sum():(t == 2).sum() + (t == 1).sum()]] = 1
    return float(truth[np.arange(len(later)), route].mean())


def invoke(*args):
    from vsv_cli.app import app

    return CliRunner().invoke(app, ["routes", "evaluate", *args], env={"COLUMNS": "200"})


def all_text_in_store(root: Path) -> str:
    """Every artifact file's text and the run's metrics, params and tags (from the SQLite store's dump)."""
    import sqlite3

    texts = [p.read_text(errors="ignore") for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".txt", "")]
    with sqlite3.connect(root / "mlflow.db") as db:
        for table in ("metrics", "params", "tags", "runs"):
            texts += [" ".join(map(str, row)) for row in db.execute(f"SELECT * FROM {table}")]  # noqa: S608
    return "\n".join(texts)


def test_a_targeted_effect_is_promoted_registered_and_the_store_holds_no_youth_id(office_world, tracking, tmp_path):
    office_dir, cases, chances = office_world
    out = tmp_path / "summary.json"
    done = invoke("--data", str(office_dir), "--from", PERIOD[0], "--to", PERIOD[1], "--out", str(out), "--promote")
    assert done.exit_code == 0, done.output
    summary = json.loads(out.read_text())
    assert [g["passed"] for g in summary["gates"]] == [True, True, True], done.output
    assert summary["promoted_version"] == summary["evaluated_version"] == "1"
    from registry.route_policy import EVALUATED, route_policy_version

    assert route_policy_version(tracking) == route_policy_version(tracking, EVALUATED) == "1"
    assert "covered" in done.output and summary["truth"]["covered_share_cells"] >= 0.8
    tier = next(p for p in summary["truth"]["policies"] if p["policy"] == "tier")
    assert tier["true"] == pytest.approx(true_tier_value(cases, chances), abs=1e-12)
    from registry.route_policy import champion_route_policy

    policy = champion_route_policy(tracking, tmp_path / "download")
    never_enrolled = {"age_years": 19.0, "enrolled": 0.0, "months_not_enrolled": 60.0, "dropout_episodes": 0.0,
                      "diploma_level": 0.0, "absence_hours_13w": 0.0}  # the state of every youth of this directory
    assert isinstance(policy, RoutePolicy)
    assert policy.leaf_of(0.2, "low", "new_leaver", never_enrolled)["route"] == "matchmaker"
    assert {"kind", "risk_category", "route", "cases", "effect", "low", "high"} <= set(policy.evidence[0])
    youth_ids = pd.read_csv(office_dir / "office_cases.csv", dtype=str)["youth_id"]
    stored = all_text_in_store(Path(tracking.tracking_uri.removeprefix("sqlite:///")).parent)
    assert "gates" in stored and not [y for y in youth_ids if y in stored]
    assert not [y for y in youth_ids if y in out.read_text()]


def test_the_cli_names_a_missing_office_cases_file_and_a_bad_date(tmp_path, tracking):
    done = invoke("--data", str(tmp_path), "--from", "2020-01-01", "--to", "2020-12-31")
    assert done.exit_code == 2 and "office_cases.csv: not found" in done.output
    done = invoke("--data", str(tmp_path), "--from", "2020-13-01", "--to", "2020-12-31")
    assert done.exit_code == 2 and "'2020-13-01' is not a date in the form YYYY-MM-DD" in done.output


def test_bad_rows_and_periods_are_named(office_dir, tmp_path):
    frame = pd.read_csv(office_dir / "office_cases.csv", dtype=str, keep_default_na=False)
    frame.loc[3, "route"] = "bellen"
    frame.to_csv(tmp_path / "office_cases.csv", index=False)
    with pytest.raises(CasesError, match="route 'bellen' on row 5 is none of waarschuwingsbrief, gesprek, matchmaker"):
        read_office_cases(tmp_path)
    recorded = read_office_cases(office_dir)
    from vsv_model.reader import read_data_dir

    with pytest.raises(CasesError, match=r"too few cases with a known outcome to learn routes from: \d+ \(waarschuwingsbrief"):
        cases_of_period(recorded, read_data_dir(office_dir), pd.Timestamp("2020-01-01").date(),
                        pd.Timestamp("2020-01-20").date())
    with pytest.raises(CasesError, match="no case dated from 2030-01-01"):
        cases_of_period(recorded, None, pd.Timestamp("2030-01-01").date(), pd.Timestamp("2030-12-31").date())


def test_promote_without_effects_registers_the_evaluation_not_the_champion(tmp_path, tracking):
    cases, chances = known_effect_cases(1500, 21, {})
    directory = write_office_dir(tmp_path / "data", cases, chances, truth=False)
    from vsv_cli.app import app

    out = tmp_path / "summary.json"
    done = CliRunner().invoke(app, ["routes", "promote", "--data", str(directory), "--from", PERIOD[0], "--to", PERIOD[1],
                                    "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "Not promoted: the gate(s) value" in done.output and "The tier advice stands." in done.output
    assert "registered as vsv-route-policy version 1, alias evaluated" in done.output
    assert "Against the world's truth" not in done.output
    summary = json.loads(out.read_text())
    assert (summary["promoted_version"], summary["evaluated_version"]) == (None, "1")
    from registry.route_policy import EVALUATED, champion_route_policy, route_policy_version

    assert champion_route_policy(tracking, tmp_path / "download") is None and route_policy_version(tracking) is None
    assert route_policy_version(tracking, EVALUATED) == "1"
    evaluated = champion_route_policy(tracking, tmp_path / "evaluated", alias=EVALUATED)
    assert evaluated.period == list(PERIOD) and evaluated.gates == summary["gates"]
    assert not next(g for g in evaluated.gates if g["name"] == "value")["passed"]
    expected = pd.DataFrame(summary["cells"])
    expected = expected[(expected["kind"] != "all") & (expected["risk_category"] != "all")]
    assert len(evaluated.evidence) == len(expected) > 0
    assert sum(row["cases"] for row in evaluated.evidence) == summary["cases"]  # each case: one route in one cell
    from serving.route_advice import evidence_note, load_advice

    advice = load_advice(tracking)
    assert advice.name == "tier" and advice.evaluated == evaluated
    assert "het verschil met het advies volgens de risicogroep is nog te onzeker" in evidence_note(advice)
    youth_ids = cases.frame["youth_id"]
    stored = all_text_in_store(Path(tracking.tracking_uri.removeprefix("sqlite:///")).parent)
    assert "evidence" in stored and not [y for y in youth_ids if y in stored]
