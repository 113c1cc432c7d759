"""Events into cases (`CaseStore.ingest`), on SQLite and PostgreSQL: a repeat report escalates its open case one step
on letter -> conversation -> matchmaker (never below the model's own route) with one Dutch sentence; other events
open cases with a deadline in working days; an event delivered twice is one event of one case.

Expected values are written out by hand from the rules (repeat period 91 days; 5, 3 and 10 working days)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from casework.store import CaseStore
from tests.builders import scored_event as event
from tests.casework.helpers import day, ingest, table

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"
FIRST, REPEAT, LEAVER = "report_first", "report_repeat", "new_leaver"
SECOND = "Tweede melding binnen 3 maanden: het advies is één stap zwaarder, een gesprek in plaats van een brief."
THIRD = ("Derde melding binnen 3 maanden: het advies is één stap zwaarder, begeleiding door een matchmaker in plaats "
         "van een gesprek.")
FOURTH = "Vierde melding binnen 3 maanden: het advies blijft begeleiding door een matchmaker, de zwaarste route."
REPORTS_OF_A = [event("A", "2026-03-02"), event("A", "2026-03-20", REPEAT), event("A", "2026-04-10", REPEAT),
                event("A", "2026-05-01", REPEAT)]


def case_of(store: CaseStore, case_id: int) -> dict:
    return store.case(case_id, day("2026-03-02")).case


def test_repeat_reports_escalate_letter_conversation_matchmaker_in_one_sentence_each(store, rules):
    results = [ingest(store, rules, row) for row in REPORTS_OF_A]  # one sync a day
    assert [r.outcomes["status"].tolist() for r in results] == [["opened"], ["attached"], ["attached"], ["attached"]]
    assert [r.outcomes["advised_route"].tolist() for r in results] == [[LETTER], [TALK], [MATCH], [MATCH]]
    assert [r.escalated for r in results] == [0, 1, 1, 0]
    view = store.case(1, day("2026-05-01"))
    assert view.case["advised_route"] == MATCH and view.case["escalation"] == 2 and view.case["events"] == 4
    assert view.case["advice_why"] == FOURTH
    assert [(r["action"], r["advised_route"], r["why"]) for r in view.records] == [
        ("opened", LETTER, "Eerste melding van verzuim: het model adviseert een brief."),
        ("escalated", TALK, SECOND), ("escalated", MATCH, THIRD), ("event", MATCH, FOURTH)]
    assert [e["advised_route"] for e in view.events] == [LETTER, TALK, MATCH, MATCH]
    assert [e["kind"] for e in view.events] == [FIRST, REPEAT, REPEAT, REPEAT]


def test_one_batch_gives_what_one_sync_a_day_gives(engine, store, rules, tmp_path, clock):
    from casework.store import create_schema
    from vsv_model.database import create_engine

    for row in REPORTS_OF_A:
        ingest(store, rules, row)
    other = create_schema(create_engine(f"sqlite:///{tmp_path / 'batch.db'}"))
    ingest(CaseStore(other, clock), rules, *reversed(REPORTS_OF_A))  # order given does not matter: dates do
    for name in ("cases", "case_events", "case_records"):
        assert table(engine, name) == table(other, name), name


def test_the_advice_is_never_below_the_models_own_route(store, rules):
    result = ingest(store, rules, event("B", "2026-03-02", route=LETTER), event("B", "2026-03-09", REPEAT, route=MATCH),
                    event("C", "2026-03-02", route=TALK), event("C", "2026-03-09", REPEAT, route=LETTER))
    assert result.outcomes["advised_route"].tolist() == [LETTER, MATCH, TALK, MATCH]
    b, c = (store.case(i, day("2026-03-09")).case for i in (1, 2))
    assert (b["advised_route"], b["escalation"]) == (MATCH, 0)  # the model's own
    assert b["advice_why"] == ("Tweede melding binnen 3 maanden: het model adviseert nu zelf begeleiding door een "
                               "matchmaker in plaats van een brief.")
    assert (c["advised_route"], c["escalation"]) == (MATCH, 2)  # a letter by the model, two steps up on the ladder
    assert c["advice_why"] == THIRD.replace("Derde", "Tweede")


def test_what_opens_a_new_case(store, rules, clock):
    result = ingest(store, rules,
                    event("D", "2026-01-01"), event("D", "2026-04-02", REPEAT),  # 91 days apart: not within the period
                    event("E", "2026-01-05", LEAVER, route=TALK), event("E", "2026-02-05", REPEAT),  # a report joins
                    event("F", "2026-01-05"), event("F", "2026-02-05", LEAVER))  # a leaver never joins
    assert result.outcomes["status"].tolist() == ["opened", "opened", "opened", "attached", "opened", "opened"]
    assert result.outcomes["case_id"].tolist() == [1, 5, 2, 2, 3, 4]  # numbered by opening day
    assert (result.opened, result.attached, result.escalated) == (5, 1, 1)
    assert store.case(2, day("2026-03-02")).case["advice_why"] == (
        "Melding van verzuim binnen 3 maanden na het vorige bericht: het advies is één stap zwaarder, begeleiding door "
        "een matchmaker in plaats van een gesprek.")
    store.close(3, "consulent1", "work")
    after = ingest(store, rules, event("F", "2026-03-01", REPEAT))  # F's report case is closed; its leaver case is open
    assert after.outcomes[["case_id", "status"]].values.tolist() == [[4, "attached"]]


def test_an_event_delivered_twice_is_one_event_of_one_case(engine, store, rules):
    first = ingest(store, rules, event("A", "2026-03-02", report_id="M1"), event("B", "2026-03-02", LEAVER))
    before = {name: table(engine, name) for name in ("cases", "case_events", "case_records")}
    again = ingest(store, rules, event("A", "2026-03-02", report_id="M1", probability=0.9, route=MATCH),
                   event("B", "2026-03-02", LEAVER), event("A", "2026-03-02", report_id="M1"))
    assert (again.read, again.new, again.known, again.opened) == (3, 0, 3, 0)
    assert again.outcomes["status"].tolist() == ["known"] * 3
    assert again.outcomes["case_id"].tolist() == [1, 2, 1] and first.outcomes["case_id"].tolist() == [1, 2]
    assert again.outcomes["advised_route"].tolist() == [LETTER, LETTER, LETTER]  # the stored case's, not the new score's
    assert {name: table(engine, name) for name in before} == before
    twice = ingest(store, rules, event("C", "2026-03-03", report_id="M2"), event("C", "2026-03-03", report_id="M2"))
    assert twice.outcomes[["case_id", "status"]].values.tolist() == [[3, "opened"], [3, "known"]]
    assert [s["events_new"] for s in table(engine, "case_syncs")] == [2, 0, 1]


@pytest.mark.parametrize(("kind", "event_day", "deadline"), [
    (FIRST, "2026-03-05", "2026-03-12"),   # Thursday + 5 working days: Thursday, over the weekend
    (FIRST, "2026-03-06", "2026-03-13"),   # Friday
    (FIRST, "2026-03-07", "2026-03-13"),   # Saturday: Monday is the first working day
    (REPEAT, "2026-03-05", "2026-03-10"),  # 3 working days
    (LEAVER, "2026-03-02", "2026-03-16"),  # 10 working days: two weekends
])
def test_a_new_cases_deadline_is_its_kinds_working_days(store, rules, kind, event_day, deadline):
    result = ingest(store, rules, event("A", event_day, kind))
    assert result.outcomes["deadline"].tolist() == [day(deadline)]


def test_a_repeats_earlier_term_becomes_the_deadline_and_it_passes_into_overdue(store, rules):
    from casework.queries import InboxQuery

    ingest(store, rules, event("A", "2026-03-02"))                 # Monday: due Monday 9 March
    assert case_of(store, 1)["deadline"] == day("2026-03-09")
    ingest(store, rules, event("A", "2026-03-03", REPEAT))         # Tuesday: its own term is Friday 6 March
    ingest(store, rules, event("A", "2026-03-06", REPEAT))         # Friday: its own term (Wednesday 11) is later
    assert case_of(store, 1)["deadline"] == day("2026-03-06")
    overdue = {today: store.inbox(InboxQuery(), day(today)).rows[0].overdue
               for today in ("2026-03-05", "2026-03-06", "2026-03-07", "2026-03-09")}
    assert overdue == {"2026-03-05": False, "2026-03-06": False, "2026-03-07": True, "2026-03-09": True}
    assert store.inbox(InboxQuery(overdue=True), day("2026-03-06")).total == 0
    assert store.inbox(InboxQuery(overdue=True), day("2026-03-07")).total == 1
    store.close(1, "consulent1", "back_in_school")
    assert store.inbox(InboxQuery(status="closed"), day("2026-03-09")).rows[0].overdue is False


def test_scored_rows_are_checked_before_anything_is_written(engine, store, rules):
    with pytest.raises(ValueError, match="lack the column"):
        store.ingest(pd.DataFrame([event("A", "2026-03-02")]).drop(columns="route"), rules, "test")
    with pytest.raises(ValueError, match="unknown kind"):
        ingest(store, rules, event("A", "2026-03-02", kind="stock"))
    assert table(engine, "cases") == [] and table(engine, "case_syncs") == []


def test_the_database_refuses_to_update_a_record(engine, store, rules):
    ingest(store, rules, event("A", "2026-03-02"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("update case_records set why = 'anders' where id = 1"))
