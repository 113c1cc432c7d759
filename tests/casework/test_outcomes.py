"""Outcomes at 30, 90 and 365 days after a case's first event, and the oversight shares: hand-made cases and
registrations with the counts worked out by hand (in the comments), on the real reader and a real database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from casework.outcomes import UNDECIDED, count_outcomes, latest_outcomes, record_outcomes
from casework.oversight import MIN_DECISIONS, follow_shares
from casework.tables import case_events_table, case_records_table, cases_table, metadata
from tests.builders import diploma, enrolment, write_data_dir, youth
from vsv_model.reader import read_data_dir

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def add_case(connection, case_id: int, youth_id: str, events: list[tuple[str, str, str]], chosen_route: str | None,
             risk_category: str = "low") -> None:
    """A case with its events (day, kind, risk category), oldest first."""
    first_day, first_kind, _ = events[0]
    connection.execute(cases_table.insert().values(
        id=case_id, youth_id=youth_id, opened_on=dt.date.fromisoformat(first_day), first_kind=first_kind,
        last_kind=events[-1][1], last_event_on=dt.date.fromisoformat(events[-1][0]), events=len(events),
        deadline=dt.date.fromisoformat(first_day), status="new", probability=0.5, risk_category=risk_category,
        tier="low", advised_route="waarschuwingsbrief", advice_why="", escalation=0, model_version="1",
        model_fingerprint="f", chosen_route=chosen_route, created_at=NOW, updated_at=NOW))
    for number, (day, kind, category) in enumerate(events):
        connection.execute(case_events_table.insert().values(
            case_id=case_id, event_key=f"{youth_id}:{number}", youth_id=youth_id, kind=kind,
            event_date=dt.date.fromisoformat(day), received_at=NOW, probability=0.5, risk_category=category,
            tier="low", advised_route="waarschuwingsbrief", reasons="[]", model_version="1", model_fingerprint="f"))


@pytest.fixture
def data(tmp_path):
    directory = write_data_dir(
        tmp_path / "data",
        youths=[youth("A", "2004-05-01"), youth("B", "2005-05-01"), youth("C", "2003-05-01"), youth("D", "2006-01-01")],
        enrollments=[
            enrolment("2023-08-20", "2024-03-01", youth_id="A"),                 # A: in mbo until 1 March 2024
            enrolment("2022-08-20", "2025-02-12", youth_id="B", education_type="mbo-1"),
            enrolment("2011-08-20", None, youth_id="B", education_type="po"),    # primary school never counts
            enrolment("2023-08-20", None, youth_id="C", education_type="havo"),  # C: enrolled throughout
            enrolment("2025-06-01", None, youth_id="D"),                         # the data's end: 2025-06-01
        ],
        diplomas=[diploma("2024-12-20", "mbo-2", youth_id="A")],
    )
    return read_data_dir(directory)


def test_states_at_each_horizon_are_counted_per_kind_route_and_risk(engine, data):
    with engine.begin() as connection:
        # A: first event 10 Jan 2024 (+30 = 9 Feb enrolled; +90 = 9 Apr neither; +365 = 9 Jan 2025 diploma 20 Dec).
        # Its later repeat (high) does not change the case's first event.
        add_case(connection, 1, "A", [("2024-01-10", "report_first", "low"), ("2024-02-01", "report_repeat", "high")],
                 "waarschuwingsbrief")
        # B: 15 Mar 2025 (+30 = 14 Apr neither: mbo ended 12 Feb, po does not count; +90 = 13 Jun after the data's end).
        add_case(connection, 2, "B", [("2025-03-15", "new_leaver", "high")], None)
        # C: 1 Jun 2024 (+30, +90 enrolled; +365 = 1 Jun 2025, the data's end itself, enrolled).
        add_case(connection, 3, "C", [("2024-06-01", "report_repeat", "medium")], "gesprek")
    counts = count_outcomes(engine, data)
    expected = pd.DataFrame([
        (30, "new_leaver", UNDECIDED, "high", "neither", 1),
        (30, "report_first", "waarschuwingsbrief", "low", "enrolled", 1),
        (30, "report_repeat", "gesprek", "medium", "enrolled", 1),
        (90, "report_first", "waarschuwingsbrief", "low", "neither", 1),
        (90, "report_repeat", "gesprek", "medium", "enrolled", 1),
        (365, "report_first", "waarschuwingsbrief", "low", "startkwalificatie", 1),
        (365, "report_repeat", "gesprek", "medium", "enrolled", 1),
    ], columns=["horizon_days", "kind", "route", "risk_category", "state", "youths"])
    pd.testing.assert_frame_equal(counts.reset_index(drop=True), expected, check_dtype=False)


def test_recorded_counts_are_read_back_newest_set_with_shares(engine, data):
    with engine.begin() as connection:
        add_case(connection, 1, "A", [("2024-01-10", "report_first", "low")], "waarschuwingsbrief")
        add_case(connection, 2, "C", [("2024-01-10", "report_first", "low")], "waarschuwingsbrief")
    record_outcomes(engine, data, now=NOW)
    with engine.begin() as connection:
        connection.execute(case_events_table.delete().where(case_events_table.c.case_id == 2))  # as retention would
        connection.execute(cases_table.delete().where(cases_table.c.id == 2))
    record_outcomes(engine, data, now=NOW + dt.timedelta(days=1))
    latest = latest_outcomes(engine)
    # Only A is left in the newest set: 30 days enrolled, 90 neither, 365 startkwalificatie, each the whole cell.
    assert sorted(zip(latest["horizon_days"], latest["state"], latest["youths"], latest["share"])) == [
        (30, "enrolled", 1, 1.0), (90, "neither", 1, 1.0), (365, "startkwalificatie", 1, 1.0)]
    assert set(latest["data_end"]) == {dt.date(2025, 6, 1)}


def test_a_case_of_a_youth_missing_from_the_data_is_named(engine, data):
    with engine.begin() as connection:
        add_case(connection, 1, "Z", [("2024-01-10", "report_first", "low")], None)
    with pytest.raises(ValueError, match="1 case\\(s\\) belong to youths not in the data"):
        count_outcomes(engine, data)


def add_decision(connection, record_id: int, case_id: int, officer: str, follows: bool, corrects: int | None = None):
    connection.execute(case_records_table.insert().values(
        id=record_id, case_id=case_id, recorded_at=NOW, officer=officer,
        action="correction" if corrects else "decision", follows_advice=follows, corrects=corrects))


def test_follow_shares_per_officer_and_risk_category_count_corrections(engine):
    with engine.begin() as connection:
        add_case(connection, 1, "A", [("2024-01-10", "report_first", "low")], None, risk_category="low")
        add_case(connection, 2, "B", [("2024-01-10", "report_first", "high")], None, risk_category="high")
        record = 0
        for number in range(MIN_DECISIONS):  # ann: 10 decisions on the low case, 7 follow
            record += 1
            add_decision(connection, record, 1, "ann", follows=number < 7)
        add_decision(connection, 100, 2, "bob", follows=True)        # bob: one, then corrected to an override
        add_decision(connection, 101, 2, "bob", follows=True, corrects=100)
        add_decision(connection, 102, 2, "bob", follows=False, corrects=100)  # the newest correction counts
    shares = follow_shares(engine)
    officers = shares["officer"].set_index("officer")
    assert officers.loc["ann", ["decisions", "follows"]].tolist() == [10, 7]
    assert officers.loc["ann", "share"] == pytest.approx(0.7)
    assert officers.loc["bob", ["decisions", "follows"]].tolist() == [1, 0]
    assert pd.isna(officers.loc["bob", "share"])  # too few decisions to show a share
    categories = shares["risk_category"].set_index("risk_category")
    assert categories.loc["low", ["decisions", "follows"]].tolist() == [10, 7]
    assert categories.loc["high", ["decisions", "follows"]].tolist() == [1, 0]
