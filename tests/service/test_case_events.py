"""The work queue's events scored by the champion: `vsv cases sync` (the batch path, `serving.case_events.case_scorer`)
and `POST /events` (DUO's deliveries, in-process): each event as of its own day with its kind's settings, made into
a case, idempotent by its key, audited; bad deliveries answered 400 (422 for a BSN) with the field named."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from casework.chain import INGEST_COLUMNS, OPTIONAL_COLUMNS
from casework.model import ESCALATION, CaseworkRules, escalate
from casework.store import CaseStore
from casework.sync import sync_cases
from casework.tables import case_events_table
from features.office_events import office_events
from serving.batch import score_events
from serving.case_events import case_scorer
from serving.database import open_database
from tests.builders import api_record, enrolment, history, report
from vsv_cli.app import app
from vsv_model.concepts import CONCEPTS_BY_NAME
from vsv_model.reader import read_data_dir

BIRTH = "2006-03-01"  # 20 in September 2026
STUDYING = enrolment("2024-08-01", None, youth_id="X")


def delivery(youth_id: str, reports=(), enrollments=(STUDYING,), **delivered) -> dict:
    record = {name: api_record(row) for name, row in delivered.items()}
    return {"youth_id": youth_id, "history": history(BIRTH, enrollments=enrollments, reports=reports), **record}


def post(client, api_keys, *deliveries, role: str = "analyst"):
    return client.post("/events", json={"deliveries": list(deliveries)}, headers=api_keys["headers"][role])


def scored_alone(client, youth_id: str, as_of: str, kind: str, reports=(), enrollments=(STUDYING,)) -> dict:
    """The same youth through /score with the event's day and kind: what the case must hold."""
    youth = {"youth_id": youth_id, "as_of": as_of, "kind": kind,
             "history": history(BIRTH, enrollments=enrollments, reports=reports)}
    response = client.post("/score", json={"youths": [youth]})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


def cases(scored_current) -> CaseStore:
    return CaseStore(open_database(scored_current["database"]))


# --- the batch path ---------------------------------------------------------------------------------------------


def test_the_champions_scores_reach_the_cases(champion_store, population_dir, tmp_path):
    """Each stored event holds the batch's score for it: probability, category, tier, the reasons (background left
    out) and the model."""
    served, data = champion_store["served"], read_data_dir(population_dir)
    engine = open_database(f"sqlite:///{tmp_path / 'cases.db'}")
    result = sync_cases(engine, data, case_scorer(served), CaseworkRules())
    assert result.new == result.scored > 50
    with engine.connect() as connection:
        stored = {e["event_key"]: e for e in connection.execute(sa.select(case_events_table)).mappings()}
    batch = score_events(served, data, office_events(data, result.since, result.until), explain=True).frame
    assert len(batch) == len(stored)
    for row in batch.head(40).to_dict("records"):
        day = pd.Timestamp(row["as_of"]).strftime("%Y-%m-%d")
        event = stored[f"report:{row['report_id']}" if row["kind"] != "new_leaver" else f"leaver:{row['youth_id']}:{day}"]
        assert event["probability"] == pytest.approx(row["probability"], abs=1e-12)
        assert (event["risk_category"], event["tier"]) == (row["risk_category"], row["tier"])
        shown = [row[f"reason_{k}_sentence_nl"] for k in range(1, 6) if isinstance(row[f"reason_{k}_concept"], str)
                 and not CONCEPTS_BY_NAME[row[f"reason_{k}_concept"]].background]
        assert json.loads(event["reasons"]) == shown and shown
        assert (event["model_version"], event["model_fingerprint"]) == (served.version, served.fingerprint)


def test_events_all_outside_the_models_group_score_to_no_rows(champion_store, population_dir):
    from features.office_events import EventRules

    data = read_data_dir(population_dir)
    young = office_events(data, dt.date(2025, 10, 1), dt.date(2026, 9, 30), EventRules(min_age=16, max_age=18))
    assert len(young) > 0
    rows = case_scorer(champion_store["served"])(data, young)
    assert rows.empty and list(rows.columns) == [*INGEST_COLUMNS, *OPTIONAL_COLUMNS]


def test_vsv_cases_sync_prints_counts_and_is_idempotent(champion_store, population_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("VSV_DATABASE_URL", f"sqlite:///{tmp_path / 'vsv.db'}")
    runner = CliRunner()
    first = runner.invoke(app, ["cases", "sync", "--data", str(population_dir)])
    assert first.exit_code == 0, first.output
    assert "Synced the events from 2026-07-02 to 2026-09-30 with model version" in first.output
    again = runner.invoke(app, ["cases", "sync", "--data", str(population_dir), "--since", "2026-09-01"])
    assert again.exit_code == 0, again.output
    assert "new events stored                              0" in again.output
    done = runner.invoke(app, ["cases", "sync", "--data", str(population_dir)])
    assert "No new days: the last sync already reached the data's end (2026-09-30)." in done.output, done.output
    listed = runner.invoke(app, ["cases", "list"])
    assert listed.exit_code == 0 and "nieuw" in listed.output and "report_first" in listed.output, listed.output
    wrong = runner.invoke(app, ["cases", "sync", "--data", str(population_dir), "--config", str(tmp_path / "none.toml")])
    assert wrong.exit_code == 2 and "none.toml: no such config file" in wrong.output


# --- POST /events -----------------------------------------------------------------------------------------------


def test_a_delivered_report_becomes_a_case_and_a_second_delivery_is_known(asgi_client, api_keys, scored_current):
    given = report("2026-09-15", report_id="MELD-0001", youth_id="X")
    response = post(asgi_client, api_keys, delivery("EV-A", report=given))
    assert response.status_code == 200, response.text
    answer = response.json()["results"][0]
    assert (answer["status"], answer["kind"], answer["event_date"], answer["deadline"]) == (
        "opened", "report_first", "2026-09-15", "2026-09-22")  # Tuesday + 5 working days
    alone = scored_alone(asgi_client, "EV-A", "2026-09-15", "report_first", reports=[given])
    view = cases(scored_current).case(answer["case_id"])
    event = view.events[0]
    assert event["probability"] == pytest.approx(alone["probability"], abs=1e-12)
    assert (event["report_id"], event["risk_category"], answer["advised_route"]) == ("MELD-0001", alone["risk_category"], alone["route"])
    assert event["reasons"] == [r["sentence_nl"] for r in alone["reasons"]]
    assert view.case["municipality"] == "Dordrecht" and view.case["leaves_group_on"] == dt.date(2029, 3, 1)
    for again in (delivery("EV-A", report=given), delivery("EV-A", reports=[given], report=given)):
        known = post(asgi_client, api_keys, again).json()["results"][0]
        assert (known["status"], known["case_id"], known["kind"]) == ("known", answer["case_id"], "report_first")
    audited = asgi_client.post("/audit_export", json={"since": dt.date.today().isoformat()},
                               headers=api_keys["headers"]["analyst"]).json()["records"]
    assert [(r["event"], r["kind"], r["as_of"]) for r in audited if r["youth_id"] == "EV-A" and r["event"] == "event"] == [
        ("event", "report_first", "2026-09-15")]  # scored once: the known deliveries are not scored again


def test_a_repeat_report_attaches_to_the_open_case_and_escalates(asgi_client, api_keys):
    first = report("2026-09-01", report_id="MELD-0101", youth_id="X")
    repeat = report("2026-09-21", report_id="MELD-0102", youth_id="X")
    opened = post(asgi_client, api_keys, delivery("EV-B", report=first)).json()["results"][0]
    attached = post(asgi_client, api_keys, delivery("EV-B", reports=[first], report=repeat)).json()["results"][0]
    assert (attached["status"], attached["kind"], attached["case_id"]) == ("attached", "report_repeat", opened["case_id"])
    own = scored_alone(asgi_client, "EV-B", "2026-09-21", "report_repeat", reports=[first, repeat])["route"]
    expected = max(escalate(opened["advised_route"]), own, key=ESCALATION.index)
    assert attached["advised_route"] == expected
    assert attached["deadline"] == min(opened["deadline"], "2026-09-24")  # Monday + 3 working days


def test_a_deregistration_is_a_new_leaver_only_after_a_month_without_a_new_enrolment(asgi_client, api_keys):
    ended_late = dict(STUDYING, end_date="2026-09-20")
    ended = dict(STUDYING, end_date="2026-08-15")
    restarted = enrolment("2026-09-01", None, youth_id="X", school_id="26AB00")
    answers = post(asgi_client, api_keys, delivery("EV-C", deregistration=ended_late),
                   delivery("EV-D", deregistration=ended), delivery("EV-E", enrollments=[STUDYING, restarted], deregistration=ended),
                   delivery("EV-D", deregistration=ended)).json()["results"]
    assert [(a["status"], a["kind"], a["event_date"]) for a in answers] == [
        ("not_yet", "new_leaver", "2026-10-21"), ("opened", "new_leaver", "2026-09-15"), ("no_event", None, "2026-09-15"),
        ("known", "new_leaver", "2026-09-15")]
    assert "deliver it again on or after 2026-10-21" in answers[0]["message"]
    assert answers[0]["case_id"] is None and answers[3]["case_id"] == answers[1]["case_id"]
    assert answers[2]["message"].startswith("not a new leaver: another enrolment runs on within 31 days")


def test_a_late_report_is_no_event(asgi_client, api_keys):
    late = report("2026-09-15", kind="te_laat", report_id="MELD-0201", youth_id="X")
    answer = post(asgi_client, api_keys, delivery("EV-F", report=late)).json()["results"][0]
    assert (answer["status"], answer["case_id"]) == ("no_event", None)
    assert answer["message"].startswith("not an office event: only absence reports (not te_laat)")


@pytest.mark.parametrize(("change", "status", "field"), [
    (lambda d: d["report"].pop("report_id"), 400, "deliveries[0].report.report_id: Field required"),
    (lambda d: d.update(deregistration=api_record(dict(STUDYING, end_date="2026-08-01"))), 400,
     "deliveries[0]: Value error, give either 'report' or 'deregistration'"),
    (lambda d: d["report"].update(hours=-3), 400, "deliveries[0].report.hours: negative hours (-3)"),
    (lambda d: d["report"].update(report_date="2026-10-02"), 400, "deliveries[0].report.report_date: lies after today"),
    (lambda d: d["history"].pop("birth_date"), 400, "deliveries[0].history.birth_date: Field required"),
    (lambda d: d["report"].update(report_id="123456782"), 422, "deliveries[0].report.report_id: looks like a BSN"),
])
def test_a_bad_delivery_is_refused_naming_the_field(asgi_client, api_keys, change, status, field):
    given = delivery("EV-G", report=report("2026-09-15", report_id="MELD-0301", youth_id="X"))
    change(given)
    response = post(asgi_client, api_keys, given)
    assert response.status_code == status, response.text
    assert field in response.json()["error"]
    assert "123456782" not in response.text


def test_events_need_the_analyst_role_and_one_to_a_hundred_deliveries(asgi_client, api_keys):
    given = delivery("EV-H", report=report("2026-09-15", report_id="MELD-0401", youth_id="X"))
    assert post(asgi_client, api_keys, given, role="officer").status_code == 403
    assert asgi_client.post("/events", json={"deliveries": []}, headers=api_keys["headers"]["analyst"]).status_code == 400
    assert post(asgi_client, api_keys, *[given] * 101).status_code == 400


def test_odd_but_valid_dates_are_answered_not_a_server_error(asgi_client, api_keys):
    ancient = delivery("EV-I", report=report("0001-01-02", report_id="MELD-0501", youth_id="X"))
    ancient["history"]["birth_date"] = "0001-01-01"
    ended = dict(STUDYING, start_date="0001-01-01", end_date="0001-01-01")
    answers = post(asgi_client, api_keys, ancient, delivery("EV-J", enrollments=[], deregistration=ended))
    assert answers.status_code == 200, answers.text
    assert [a["status"] for a in answers.json()["results"]] == ["no_event", "no_event"]
