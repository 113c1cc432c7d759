"""Office events from hand-made registrations: 18+ reports (first of a period or repeat) and new leavers."""

from __future__ import annotations

import datetime as dt

import pytest

from features.office_events import EventRules, office_events, yearly_counts
from tests.builders import diploma, enrolment, report, write_data_dir, youth
from vsv_model.reader import read_data_dir

FROM, TO = dt.date(2010, 1, 1), dt.date(2030, 1, 1)


def reports_of_a() -> list[dict]:
    """A turns 18 on 2018-06-15 and obtains a startkwalificatie (mbo-2) on 2019-06-01."""
    return [report("2018-03-01", report_id="R0"),  # 17: not the office's
            report("2018-07-01", kind="18plus", report_id="R1"),  # first of a period
            report("2018-08-15", kind="te_laat", hours=None, report_id="R2"),  # lateness: no event
            report("2018-09-01", kind="overig", report_id="R3"),  # 62 days after R1: repeat
            report("2018-12-01", kind="18plus", report_id="R4"),  # 91 days after R3: a new period
            report("2018-12-02", kind="spijbelen", report_id="R5"),  # unknown kind counts; 1 day after R4: repeat
            report("2019-07-01", kind="18plus", report_id="R6"),  # has a startkwalificatie by then
            report("2018-03-01", youth_id="B")]  # B is 23: past the target group


def data_dir(tmp_path, reports=(), enrollments=(), diplomas=()):
    youths = [youth("A"), youth("B", "1995-01-01"), *(youth(y, "2000-01-01") for y in "CDEFG")]
    end_marker = [enrolment("2021-01-01", youth_id="B", education_type="hbo")]  # sets the data's end
    return write_data_dir(tmp_path, youths=youths, enrollments=[*enrollments, *end_marker],
                          diplomas=[diploma("2019-06-01", "mbo-2"), *diplomas], absence_reports=list(reports))


def as_tuples(events) -> list[tuple]:
    return [(y, d.date().isoformat(), k, r) for y, d, k, r in events.itertuples(index=False)]


def test_18plus_reports_are_first_of_a_period_or_repeats(tmp_path):
    events = office_events(read_data_dir(data_dir(tmp_path, reports_of_a())), FROM, TO)
    assert as_tuples(events) == [("A", "2018-07-01", "report_first", "R1"), ("A", "2018-09-01", "report_repeat", "R3"),
                                 ("A", "2018-12-01", "report_first", "R4"), ("A", "2018-12-02", "report_repeat", "R5")]


def test_the_repeat_period_is_a_setting(tmp_path):
    events = office_events(read_data_dir(data_dir(tmp_path, reports_of_a())), FROM, TO, EventRules(repeat_days=92))
    assert list(events["kind"]) == ["report_first", "report_repeat", "report_repeat", "report_repeat"]


def test_a_report_delivered_twice_is_no_repeat_of_itself(tmp_path):
    rows = [report("2018-07-01", kind="18plus", report_id="R1"), report("2018-07-01", kind="18plus", hours=20, report_id="R1")]
    events = office_events(read_data_dir(data_dir(tmp_path, rows)), FROM, TO)
    assert as_tuples(events) == [("A", "2018-07-01", "report_first", "R1")]


def leaver_enrolments() -> list[dict]:
    return [
        enrolment("2018-08-01", "2019-02-28", youth_id="C"), enrolment("2019-03-20", "2019-06-30", youth_id="C", education_type="mbo-1"),
        enrolment("2004-08-01", "2012-07-31", youth_id="D", education_type="po"),
        enrolment("2012-08-01", "2017-07-31", youth_id="D", education_type="vmbo-kb"),  # 17 at the end
        enrolment("2018-08-01", "2019-01-31", youth_id="D"), enrolment("2018-09-01", None, youth_id="D", education_type="mbo-3"),
        enrolment("2018-08-01", "2019-01-31", youth_id="E"),  # a startkwalificatie 15 days later
        enrolment("2018-08-01", "2019-01-31", youth_id="F"), enrolment("2019-03-05", None, youth_id="F"),  # 33 days later
        enrolment("2018-08-01", "2019-05-31", youth_id="G"), enrolment("2018-08-01", "2019-05-31", youth_id="G", school_id="26XX00"),
    ]


def test_new_leavers_are_dated_when_no_new_enrolment_followed_within_31_days(tmp_path):
    directory = data_dir(tmp_path, enrollments=leaver_enrolments(), diplomas=[diploma("2019-02-15", "mbo-2", youth_id="E")])
    events = office_events(read_data_dir(directory), FROM, TO)
    assert as_tuples(events) == [("F", "2019-03-03", "new_leaver", None), ("G", "2019-07-01", "new_leaver", None),
                                 ("C", "2019-07-31", "new_leaver", None)]


def test_the_window_holds_both_ends_and_nothing_after_the_data_end(tmp_path):
    data = read_data_dir(data_dir(tmp_path, reports_of_a(), enrollments=leaver_enrolments()))
    assert as_tuples(office_events(data, dt.date(2018, 9, 1), dt.date(2019, 3, 3))) == [
        ("A", "2018-09-01", "report_repeat", "R3"), ("A", "2018-12-01", "report_first", "R4"),
        ("A", "2018-12-02", "report_repeat", "R5"), ("E", "2019-03-03", "new_leaver", None),
        ("F", "2019-03-03", "new_leaver", None)]
    early_end = data.known_at(dt.date(2019, 7, 15))  # C's leaving (known on 31 July) lies after the data's end
    assert "C" not in set(office_events(early_end, FROM, TO)["youth_id"])


def test_an_event_never_depends_on_records_after_its_date(tmp_path):
    later = [report("2019-08-01", kind="18plus", report_id="R9")]
    before = office_events(read_data_dir(data_dir(tmp_path / "a", reports_of_a())), FROM, dt.date(2019, 7, 31))
    after = office_events(read_data_dir(data_dir(tmp_path / "b", [*reports_of_a(), *later],
                                                 diplomas=[diploma("2019-07-15", "havo", youth_id="C")])), FROM, dt.date(2019, 7, 31))
    assert as_tuples(before) == as_tuples(after)


@pytest.mark.parametrize("min_age, expected", [(18, 1), (17, 2)])
def test_the_age_bound_is_a_setting(tmp_path, min_age, expected):
    rows = [enrolment("2012-08-01", "2017-07-31", youth_id="D", education_type="vmbo-kb"),
            enrolment("2018-08-01", "2019-01-31", youth_id="D")]
    events = office_events(read_data_dir(data_dir(tmp_path, enrollments=rows)), FROM, TO, EventRules(min_age=min_age))
    assert len(events) == expected


def test_yearly_counts_per_school_year_and_kind(tmp_path):
    data = read_data_dir(data_dir(tmp_path, reports_of_a(), enrollments=leaver_enrolments()))
    counts = yearly_counts(office_events(data, FROM, TO))
    # a school year runs from 1 August: R1 (1 July 2018) and G's and C's leaving (1 and 31 July 2019) close theirs
    assert counts.to_dict(orient="index") == {"2017/18": {"report_first": 1, "report_repeat": 0, "new_leaver": 0},
                                             "2018/19": {"report_first": 1, "report_repeat": 2, "new_leaver": 4}}


def test_the_events_command_writes_the_events_and_prints_the_yearly_counts(tmp_path):
    from typer.testing import CliRunner

    from vsv_cli.app import app

    directory = data_dir(tmp_path / "data", reports_of_a(), enrollments=leaver_enrolments())
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(app, ["events", "--data", str(directory), "--from", "2018-01-01", "--to", "2019-12-31",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 8 events" in result.output
    assert "2018/19                 1              2           4" in result.output.splitlines()
    assert out.read_text().splitlines()[:2] == ["youth_id,event_date,kind,report_id", "A,2018-07-01,report_first,R1"]


@pytest.mark.parametrize(("start", "end"), [("2026-03-02", "2026-03-02"), ("2026-06-01", "2026-06-07"),
                                            ("2025-10-01", "2026-09-30")])
def test_the_candidates_data_gives_the_windows_events(population_dir, start, end):
    """`office_events` on the candidates' records alone (with the whole data's end) equals it on the whole data: a
    day's sync reads a few youths, not the population."""
    from features.office_events import event_candidates

    data = read_data_dir(population_dir)
    start, end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    whole = office_events(data, start, end)
    few = office_events(data.of_youths(event_candidates(data, start, end)), start, end, data_end=data.end_date())
    assert len(whole) > 0 and whole.reset_index(drop=True).equals(few.reset_index(drop=True))
