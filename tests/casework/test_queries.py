"""What the pages read, on SQLite and PostgreSQL, from hand-made cases with the expected case ids written out: the
inbox (order, filters, search, paging, counts), the weekly capacity and the case page's view."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from casework.model import CaseworkRules
from casework.projection import CaseRefused
from casework.queries import UNASSIGNED, InboxQuery
from casework.tables import letters_table
from tests.builders import scored_event as event
from tests.casework.helpers import day, ingest

TODAY = dt.date(2026, 3, 11)  # a Wednesday
LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"


@pytest.fixture
def inbox_cases(store, rules):
    """Six cases, ids 1-6 (deadlines: 5 working days for a first report, 10 for a leaver):
    1 ALPHA   report 2 Mar, p 0.20 low,  Dordrecht   -> due 9 Mar (overdue on the 11th), unassigned
    2 BRAVO   report 4 Mar, p 0.55 medium, Gorinchem -> due 11 Mar, consulent1
    3 CHARLIE leaver 2 Mar, p 0.80 high, Dordrecht   -> due 16 Mar, consulent2
    4 DELTA   report 5 Mar, p 0.90 high, Dordrecht   -> due 12 Mar, consulent1, in progress
    5 ECHO    report 4 Mar, p 0.30 low,  Zwijndrecht -> due 11 Mar, unassigned
    6 FOXTROT report 2 Mar, p 0.40 low,  Dordrecht   -> closed"""
    rows = [event("Y-ALPHA", "2026-03-02", report_id="M-1001", probability=0.20),
            event("Y-BRAVO", "2026-03-04", report_id="M-1002", probability=0.55, risk_category="medium", route=TALK,
                  municipality="Gorinchem"),
            event("Y-CHARLIE", "2026-03-02", "new_leaver", probability=0.80, risk_category="high", route=MATCH),
            event("Y-DELTA", "2026-03-05", report_id="M-1004", probability=0.90, risk_category="high", route=TALK),
            event("Y-ECHO", "2026-03-04", report_id="M-1005", probability=0.30, municipality="Zwijndrecht"),
            event("Y-FOXTROT", "2026-03-02", report_id="M-1006", probability=0.40)]
    for row in rows:
        ingest(store, rules, row)
    store.assign(2, "consulent1", by="teamleider")
    store.assign(4, "consulent1", by="teamleider")
    store.assign(3, "consulent2", by="teamleider")
    store.set_status(4, "in_progress", "consulent1")
    store.close(6, "consulent1", "moved_away")
    return store


def ids(store, **wanted) -> list[int]:
    return [row.case_id for row in store.inbox(InboxQuery(**wanted), TODAY).rows]


def test_the_inbox_is_open_cases_by_deadline_then_probability(inbox_cases):
    page = inbox_cases.inbox(InboxQuery(), TODAY)
    assert [r.case_id for r in page.rows] == [1, 2, 5, 4, 3]
    assert [r.overdue for r in page.rows] == [True, False, False, False, False]
    assert [r.deadline for r in page.rows] == [day(d) for d in ("2026-03-09", "2026-03-11", "2026-03-11", "2026-03-12",
                                                                  "2026-03-16")]
    assert (page.total, page.pages, page.open_cases, page.unassigned, page.overdue) == (5, 1, 5, 2, 1)
    first = page.rows[0]
    assert (first.youth_id, first.last_report_id, first.last_kind, first.advised_route, first.officer) == (
        "Y-ALPHA", "M-1001", "report_first", LETTER, None)


@pytest.mark.parametrize(("wanted", "expected"), [
    ({"status": "in_progress"}, [4]), ({"status": "closed"}, [6]), ({"officer": "consulent1"}, [2, 4]),
    ({"officer": UNASSIGNED}, [1, 5]), ({"kind": "new_leaver"}, [3]), ({"kind": "report_first"}, [1, 2, 5, 4]),
    ({"risk_category": "high"}, [4, 3]), ({"municipality": "Dordrecht"}, [1, 4, 3]), ({"overdue": True}, [1]),
    ({"officer": "consulent1", "risk_category": "high"}, [4]),
])
def test_the_inbox_filters(inbox_cases, wanted, expected):
    assert ids(inbox_cases, **wanted) == expected


@pytest.mark.parametrize(("search", "expected"), [
    ("y-b", [2]), ("Y-", [1, 2, 5, 4, 3]), ("m-100", [1, 2, 5, 4]), ("M-1004", [4]), ("M-1006", []),
    ("-ALPHA", []), ("%", []), ("_", []), ("M-1001 ", [1]),
])
def test_the_inbox_searches_the_start_of_a_youth_id_or_a_report_number(inbox_cases, search, expected):
    assert ids(inbox_cases, search=search) == expected


def test_the_inbox_pages(inbox_cases):
    pages = [inbox_cases.inbox(InboxQuery(page=n, page_size=2), TODAY) for n in (1, 2, 3, 9)]
    assert [[r.case_id for r in p.rows] for p in pages] == [[1, 2], [5, 4], [3], [3]]
    assert [(p.page, p.pages, p.total) for p in pages] == [(1, 3, 5), (2, 3, 5), (3, 3, 5), (3, 3, 5)]


def test_the_inbox_refuses_what_it_does_not_know_and_a_bsn(inbox_cases):
    with pytest.raises(CaseRefused) as caught:
        inbox_cases.inbox(InboxQuery(status="open", search="123456782"), TODAY)
    assert caught.value.problems == ["Onbekende status.", "Zoek op het pseudoniem van de jongere of op het "
                                     "meldingsnummer, nooit op een BSN."]


def test_capacity_counts_the_weeks_conversations_and_the_months_matchmaker_places(store, rules, clock):
    """Week 9-15 March, month March; 3 conversations a week and 2 matchmaker places a month:
    K1 gesprek opened 9 Mar, undecided            -> this week; first in line for the place left
    K2 gesprek opened 2 Mar, decided (followed) 10 Mar -> this week (decided: holds a place)
    K3 gesprek opened 10 Mar, decided 'geen'       -> no conversation
    K4 letter opened 11 Mar, overridden to gesprek -> this week (decided)
    K5 gesprek opened 12 Mar, p 0.9, undecided     -> this week, beyond the places
    K6 gesprek opened 13 Mar, p 0.2, undecided     -> this week, beyond the places
    K7 gesprek opened 6 Mar, undecided             -> last week
    M1 matchmaker opened 3 Mar, undecided (due 10 Mar) -> this month, holds the place left
    M2 matchmaker opened 5 Mar, undecided (due 12 Mar) -> this month, beyond
    M3 matchmaker opened 20 Feb, decided (followed) 4 Mar -> this month (decided)
    M4 matchmaker opened 4 Mar, closed undecided   -> this month, not waiting"""
    opened = [("K1", "2026-03-09", TALK, 0.5), ("K2", "2026-03-02", TALK, 0.5), ("K3", "2026-03-10", TALK, 0.5),
              ("K4", "2026-03-11", LETTER, 0.5), ("K5", "2026-03-12", TALK, 0.9), ("K6", "2026-03-13", TALK, 0.2),
              ("K7", "2026-03-06", TALK, 0.5), ("M1", "2026-03-03", MATCH, 0.5), ("M2", "2026-03-05", MATCH, 0.5),
              ("M3", "2026-02-20", MATCH, 0.5), ("M4", "2026-03-04", MATCH, 0.5)]
    for youth, opened_on, route, p in opened:
        ingest(store, rules, event(youth, opened_on, route=route, probability=p))
    clock.day = dt.date(2026, 3, 4)
    store.decide(10, "consulent1", follows=True)
    store.close(11, "consulent1", "no_contact")
    clock.day = dt.date(2026, 3, 10)
    store.decide(2, "consulent1", follows=True)
    store.decide(3, "consulent1", follows=False, chosen_route="geen", why="al aan het werk")
    clock.day = dt.date(2026, 3, 11)
    store.decide(4, "consulent1", follows=False, chosen_route=TALK, why="wil graag praten")
    capacity = store.capacity(dt.date(2026, 3, 13), CaseworkRules(conversations_per_week=3, matchmaker_places_per_month=2))
    assert (capacity.week_start, capacity.week_end, capacity.month_start, capacity.month_end) == (
        day("2026-03-09"), day("2026-03-15"), day("2026-03-01"), day("2026-03-31"))
    assert (capacity.conversations, capacity.conversations_per_week, capacity.conversations_beyond) == (5, 3, [5, 6])
    assert (capacity.matchmaker, capacity.matchmaker_places_per_month, capacity.matchmaker_beyond) == (4, 2, [9])


def test_the_case_view_has_the_events_records_letters_and_earlier_cases(store, rules, clock, engine):
    ingest(store, rules, event("Z", "2026-01-05", report_id="M-1", reasons=("Veel verzuim.", "Geen diploma.")))
    store.close(1, "consulent1", "back_in_school")
    ingest(store, rules, event("Z", "2026-03-02", report_id="M-2"), event("Z", "2026-03-09", "report_repeat", report_id="M-3"))
    with engine.begin() as connection:
        connection.execute(sa.insert(letters_table).values(
            case_id=2, youth_id="Z", template="warning", template_version="1.0",
            rendered_at=dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), officer="consulent1", pdf=b"%PDF", text="Beste"))
    view = store.case(2, day("2026-03-10"))
    assert (view.case["id"], view.case["events"], view.case["overdue"]) == (2, 2, True)  # due 9 March
    assert [(e["report_id"], e["reasons"]) for e in view.events] == [("M-2", ["Het verzuim is hoog."]),
                                                                     ("M-3", ["Het verzuim is hoog."])]
    assert [r["action"] for r in view.records] == ["opened", "escalated"]
    assert [(x["id"], x["template"], x["template_version"]) for x in view.letters] == [(1, "warning", "1.0")]
    assert [(c["id"], c["status"], c["outcome"]) for c in view.earlier_cases] == [(1, "closed", "back_in_school")]
    assert store.case(1).events[0]["reasons"] == ["Veel verzuim.", "Geen diploma."]
    assert store.case(1).earlier_cases == []
