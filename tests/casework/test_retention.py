"""Retention of the work queue: hand-made youths with exact dates, on SQLite and on a real PostgreSQL server.

Today is 15 June 2026 and the term 2 years: a youth who left the target group on 14 June 2024 is due (a day
past), one who left on 15 June 2024 is due (the day itself: today >= exit + term), one who left on 16 June 2024 is
not. The expected rows are counted by hand from what each youth was given."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from casework.model import CaseworkRules
from casework.retention import apply_retention, due_from_dates, due_youths
from casework.tables import (
    APPEND_ONLY,
    case_events_table,
    case_outcomes_table,
    case_records_table,
    case_syncs_table,
    cases_table,
    letters_table,
    metadata,
)
from vsv_model.database import append_only_triggers

TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
RULES = CaseworkRules()  # retention_years = 2
# youth -> the day the youth leaves the target group (None: the case does not know it)
EXITS = {"J-DUE": dt.date(2024, 6, 14), "J-EDGE": dt.date(2024, 6, 15), "J-KEEP": dt.date(2024, 6, 16),
         "J-UNDATED": None}
PER_CASE = {"cases": 1, "case_events": 2, "case_records": 2, "letters": 1}  # what add_case writes
ALL_TABLES = ("audit_log", "decisions", "youth_keys", "retention_runs", "retention_permits", "score_runs",
              "archived_scores", "monitor_reports", "case_records", "letters", "case_events", "cases", "case_syncs",
              "case_outcomes")


def empty_database(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in ALL_TABLES:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}" + (" CASCADE" if engine.dialect.name == "postgresql" else ""))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    empty_database(url)
    return url


def casework_engine(url: str) -> sa.engine.Engine:
    """The work queue's tables, with case_records refusing UPDATE as the store sets them up."""
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        for statement in append_only_triggers(engine.dialect.name, APPEND_ONLY, ("UPDATE",)):
            connection.exec_driver_sql(statement)
    return engine


def add_case(connection, youth_id: str, leaves_group_on: dt.date | None, last_event_on: dt.date = dt.date(2023, 3, 1)) -> None:
    """One case with two events, an opening record and a correction of it, and a letter."""
    case_id = connection.execute(cases_table.insert().values(
        youth_id=youth_id, opened_on=last_event_on, first_kind="report_first", last_kind="report_repeat",
        last_event_on=last_event_on, events=2, deadline=last_event_on, status="new", probability=0.5,
        risk_category="low", tier="low", advised_route="waarschuwingsbrief", advice_why="", escalation=0,
        model_version="1", model_fingerprint="f", leaves_group_on=leaves_group_on, created_at=NOW,
        updated_at=NOW)).inserted_primary_key[0]
    for number in range(2):
        connection.execute(case_events_table.insert().values(
            case_id=case_id, event_key=f"{youth_id}:{number}", youth_id=youth_id, kind="report_first",
            event_date=last_event_on, received_at=NOW, probability=0.5, risk_category="low", tier="low",
            advised_route="waarschuwingsbrief", reasons="[]", model_version="1", model_fingerprint="f"))
    opened = connection.execute(case_records_table.insert().values(
        case_id=case_id, recorded_at=NOW, officer="systeem", action="opened", note="eerste melding")).inserted_primary_key[0]
    connection.execute(case_records_table.insert().values(case_id=case_id, recorded_at=NOW, officer="anna",
                                                          action="correction", corrects=opened, why="datum"))
    connection.execute(letters_table.insert().values(case_id=case_id, youth_id=youth_id, template="warning",
                                                     template_version="1", rendered_at=NOW, officer="anna",
                                                     pdf=b"%PDF-1.7", text="Beste jongere"))


def add_counts(connection) -> None:
    """The aggregates that stay: a sync and an outcome count."""
    connection.execute(case_syncs_table.insert().values(synced_at=NOW, source="sync", events_read=8, events_new=8,
                                                        cases_opened=4, cases_escalated=0))
    connection.execute(case_outcomes_table.insert().values(computed_at=NOW, data_end=TODAY, horizon_days=30,
                                                           kind="report_first", route="waarschuwingsbrief",
                                                           risk_category="low", state="enrolled", youths=4))


def add_youths(engine) -> None:
    with engine.begin() as connection:
        for youth_id, exit_day in EXITS.items():
            add_case(connection, youth_id, exit_day)
        add_counts(connection)


def rows_per_youth(engine) -> dict[str, dict[str, int]]:
    """Per table, the rows per youth (by the case's youth), and the rows of the aggregate tables."""
    counts = {}
    with engine.connect() as connection:
        for name, table in (("cases", cases_table), ("case_events", case_events_table), ("letters", letters_table)):
            counts[name] = dict(connection.execute(sa.select(table.c.youth_id, sa.func.count()).group_by(table.c.youth_id)).all())
        counts["case_records"] = dict(connection.execute(
            sa.select(cases_table.c.youth_id, sa.func.count()).select_from(case_records_table.join(cases_table))
            .group_by(cases_table.c.youth_id)).all())
        for name, table in (("case_syncs", case_syncs_table), ("case_outcomes", case_outcomes_table)):
            counts[name] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    return counts


def test_the_term_counts_from_the_exit_and_the_day_itself_is_due():
    dates = pd.DataFrame({"youth_id": ["A", "B", "C", "D", "E", "E"],
                          "seen_on": [dt.date(2023, 1, 1)] * 4 + [dt.date(2019, 1, 1), dt.date(2020, 6, 15)],
                          "leaves_group_on": [dt.date(2024, 6, 14), dt.date(2024, 6, 15), dt.date(2024, 6, 16), None,
                                              None, None]})
    assert due_from_dates(dates, 2, TODAY) == ["A", "B"]  # D and E: no exit known, never due without a span
    # with a span of 4 years after the last day seen: D 2023-01-01 + 4 + 2 = 2029 no; E 2020-06-15 + 4 + 2 = today
    assert due_from_dates(dates, 2, TODAY, undated_span_years=4) == ["A", "B", "E"]
    assert due_from_dates(dates, 3, TODAY) == []


def test_29_february_ends_its_term_on_28_february():
    dates = pd.DataFrame({"youth_id": ["LEAP"], "seen_on": [dt.date(2023, 1, 1)], "leaves_group_on": [dt.date(2024, 2, 29)]})
    assert due_from_dates(dates, 2, dt.date(2026, 2, 27)) == []
    assert due_from_dates(dates, 2, dt.date(2026, 2, 28)) == ["LEAP"]


def test_the_latest_exit_counts_and_never_before_the_last_event():
    dates = pd.DataFrame({"youth_id": ["A", "A", "B"], "seen_on": [dt.date(2023, 1, 1), dt.date(2023, 2, 1), dt.date(2024, 7, 1)],
                          "leaves_group_on": [dt.date(2024, 1, 1), dt.date(2024, 6, 16), dt.date(2024, 1, 1)]})
    assert due_from_dates(dates, 2, TODAY) == []  # A: 2024-06-16 is the later exit; B: seen after its exit, 2024-07-01


def test_due_youths_are_those_past_the_term_on_the_region_setting(url):
    engine = casework_engine(url)
    add_youths(engine)
    assert due_youths(engine, RULES, TODAY) == ["J-DUE", "J-EDGE"]
    assert due_youths(engine, RULES, TODAY - dt.timedelta(days=1)) == ["J-DUE"]
    assert due_youths(engine, CaseworkRules(retention_years=1), dt.date(2025, 6, 16)) == ["J-DUE", "J-EDGE", "J-KEEP"]


def test_retention_deletes_the_due_youths_rows_and_keeps_the_rest(url):
    engine = casework_engine(url)
    add_youths(engine)
    before = rows_per_youth(engine)
    due = due_youths(engine, RULES, TODAY)
    expected = {name: 2 * n for name, n in PER_CASE.items()}  # two youths due, each with one case
    assert apply_retention(engine, due, dry_run=True) == {"case_records": 4, "letters": 2, "case_events": 4, "cases": 2} == expected
    assert rows_per_youth(engine) == before  # the dry run changed nothing
    assert apply_retention(engine, due, dry_run=False) == expected
    after = rows_per_youth(engine)
    kept = {y: 1 for y in ("J-KEEP", "J-UNDATED")}
    assert after == {"cases": kept, "case_events": {y: 2 for y in kept}, "case_records": {y: 2 for y in kept},
                     "letters": kept, "case_syncs": 1, "case_outcomes": 1}
    assert due_youths(engine, RULES, TODAY) == []
    assert apply_retention(engine, due, dry_run=False) == dict.fromkeys(PER_CASE, 0)  # a second run: nothing more
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):  # the history still refuses to be rewritten
        with engine.begin() as connection:
            connection.execute(sa.text("update case_records set note = 'x'"))
