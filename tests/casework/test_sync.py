"""`casework.sync.sync_cases`, on SQLite and PostgreSQL: the period (the first sync, the day after the last, an
explicit since), and idempotence: the same data twice, an overlapping since, or the period cut into several syncs
give the same cases, events and records.

The scorer is a stand-in written here (a route and probability from a hash of the youth and the day), so the
tests judge the sync and the store, not the model; `tests/service/test_case_events.py` runs the champion."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest

from casework.model import ESCALATION, CaseworkRules
from casework.sync import sync_cases
from tests.builders import enrolment, report, youth
from tests.casework.helpers import day, table
from vsv_model.reader import read_data_dir

CASE_TABLES = ("cases", "case_events", "case_records")


def stand_in_scorer(data, events: pd.DataFrame) -> pd.DataFrame:
    """A fixed score per event (a hash of the youth and the day): what a scorer gives the store, without a model."""
    digest = [int(hashlib.sha256(f"{y}{d}".encode()).hexdigest()[:8], 16) for y, d in zip(events["youth_id"], events["event_date"])]
    route = [ESCALATION[h % 3] for h in digest]
    return pd.DataFrame({
        "youth_id": events["youth_id"], "event_date": events["event_date"], "kind": events["kind"],
        "report_id": events["report_id"], "probability": [(h % 1000) / 1000 for h in digest],
        "risk_category": [("low", "medium", "high")[h % 3] for h in digest], "tier": [("low", "medium", "high")[h % 3] for h in digest],
        "route": route, "reasons": [["Een reden."]] * len(events), "model_version": "1", "model_fingerprint": "f",
        "municipality": "Dordrecht", "leaves_group_on": "2030-01-01"})


@pytest.fixture
def small_data(data_dir):
    """A (born 2006): reports on 2 and 20 June 2026; B: an mbo-2 enrolment ending 15 May 2026, no new one (a new
    leaver on 15 June); C (born 2000, 26): a report, outside the target group. The data end on 20 June 2026."""
    return data_dir(
        youths=[youth("A", "2006-01-10"), youth("B", "2005-06-01"), youth("C", "2000-01-01")],
        enrollments=[enrolment("2024-08-01", None, youth_id="A"), enrolment("2024-08-01", "2026-05-15", youth_id="B")],
        absence_reports=[report("2026-06-02", youth_id="A", report_id="R-A1"), report("2026-06-20", youth_id="A", report_id="R-A2"),
                         report("2026-06-10", youth_id="C", report_id="R-C1")])


def test_the_first_sync_takes_the_repeat_period_before_the_datas_end(engine, small_data):
    result = sync_cases(engine, read_data_dir(small_data), stand_in_scorer, CaseworkRules())
    assert (result.since, result.until) == (day("2026-03-22"), day("2026-06-20"))  # 91 days, both ends included
    assert (result.events_read, result.known, result.new, result.opened, result.attached) == (3, 0, 3, 2, 1)
    events = table(engine, "case_events")
    assert [(e["event_key"], e["kind"], e["case_id"]) for e in events] == [
        ("report:R-A1", "report_first", 1), ("leaver:B:2026-06-15", "new_leaver", 2), ("report:R-A2", "report_repeat", 1)]
    syncs = table(engine, "case_syncs")
    assert [(s["source"], s["since"], s["until"], s["events_read"], s["events_new"], s["cases_opened"]) for s in syncs] == [
        ("sync", day("2026-03-22"), day("2026-06-20"), 3, 3, 2)]


def test_the_next_sync_starts_the_day_after_and_an_overlap_is_harmless(engine, small_data, data_dir):
    data = read_data_dir(small_data)
    sync_cases(engine, data, stand_in_scorer, CaseworkRules())
    before = {name: table(engine, name) for name in CASE_TABLES}
    again = sync_cases(engine, data, stand_in_scorer, CaseworkRules())
    assert (again.since, again.until, again.events_read, again.new) == (day("2026-06-21"), day("2026-06-20"), 0, 0)
    overlap = sync_cases(engine, data, stand_in_scorer, CaseworkRules(), since=dt.date(2026, 6, 1))
    assert (overlap.events_read, overlap.known, overlap.scored, overlap.new) == (3, 3, 0, 0)
    assert {name: table(engine, name) for name in CASE_TABLES} == before
    later = read_data_dir(data_dir(
        youths=[youth("A", "2006-01-10")], enrollments=[enrolment("2024-08-01", None, youth_id="A")],
        absence_reports=[report("2026-06-02", youth_id="A", report_id="R-A1"), report("2026-06-20", youth_id="A", report_id="R-A2"),
                         report("2026-07-01", youth_id="A", report_id="R-A3")]))
    grown = sync_cases(engine, later, stand_in_scorer, CaseworkRules())
    assert (grown.since, grown.until, grown.events_read, grown.new, grown.attached) == (
        day("2026-06-21"), day("2026-07-01"), 1, 1, 1)
    assert table(engine, "cases")[0]["events"] == 3


def test_a_youth_outside_the_models_group_is_not_scored(engine, small_data):
    def scorer(data, events):  # the model's group: 18 up to 20 (A is 20 in June 2026: not scored)
        return stand_in_scorer(data, events[events["youth_id"] != "A"])

    result = sync_cases(engine, read_data_dir(small_data), scorer, CaseworkRules())
    assert (result.events_read, result.scored, result.not_scored, result.new) == (3, 1, 2, 1)


def test_sync_is_idempotent_on_a_synthetic_world(engine, population_dir, tmp_path):
    """The world's last year: one sync, the same again, an overlapping since, and the same period cut into four
    syncs (in a second database) give the same tables. (A year, not the default 91 days: since the world's office
    reacts, a quarter holds too few repeats within 91 days of an open case to show an escalation.)"""
    from casework.store import create_schema
    from vsv_model.database import create_engine

    data, rules = read_data_dir(population_dir), CaseworkRules()
    first = sync_cases(engine, data, stand_in_scorer, rules, since=dt.date(2025, 10, 2))
    assert first.new > 100 and first.attached > 0 and first.escalated > 0
    before = {name: table(engine, name) for name in CASE_TABLES}
    sync_cases(engine, data, stand_in_scorer, rules)
    overlap = sync_cases(engine, data, stand_in_scorer, rules, since=first.since + dt.timedelta(days=30))
    assert overlap.new == 0 and overlap.known == overlap.events_read > 0
    assert {name: table(engine, name) for name in CASE_TABLES} == before
    parts = create_schema(create_engine(f"sqlite:///{tmp_path / 'parts.db'}"))
    cuts = [first.since + dt.timedelta(days=d) for d in (60, 170, 290)]
    sync_cases(parts, data, stand_in_scorer, rules, since=first.since, until=cuts[0])
    for cut in (*cuts[1:], None):
        sync_cases(parts, data, stand_in_scorer, rules, until=cut)
    for name in CASE_TABLES:
        assert table(parts, name) == before[name], name
