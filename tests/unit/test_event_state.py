"""The youth's state on each case's event day (features.event_state) on a hand-made data directory: exact
values, worked out by hand from the records dated on or before each day; a later record (an enrolment start, a
diploma, a report after the day) never shows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features.event_state import event_features
from tests.builders import diploma, enrolment, report, write_data_dir, youth
from vsv_model.reader import read_data_dir


def years(day: str, birth: str) -> float:
    return (dt.date.fromisoformat(day) - dt.date.fromisoformat(birth)).days / 365.25


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    directory = tmp_path_factory.mktemp("events")
    return read_data_dir(write_data_dir(
        directory,
        youths=[youth("A", "2000-06-15"), youth("B", "2001-01-01"), youth("END", "2000-01-01")],
        enrollments=[enrolment("2012-08-01", "2016-07-31", "A", education_type="vmbo-kb"),
                     enrolment("2016-08-01", "2018-12-31", "A", education_type="mbo-2"),
                     enrolment("2019-09-01", "2020-03-15", "A", education_type="mbo-1"),
                     enrolment("2021-01-01", None, "END", education_type="mbo-2")],
        diplomas=[diploma("2016-07-01", "vmbo-kb", "A"), diploma("2020-06-01", "mbo-1", "A")],
        absence_reports=[report("2019-10-10", hours=16, youth_id="A"), report("2019-11-20", hours=8, youth_id="A"),
                         report("2020-02-01", hours=10, youth_id="A"), report("2020-03-01", hours=5, youth_id="A")]))


# Per case, by hand (youth A: vmbo-kb with its diploma, then mbo-2 left 2018-12-31 without one or a restart within
# 31 days: one dropout; mbo-1 from 2019-09-01 to 2020-03-15, left without a diploma in time (the mbo-1 diploma of
# 2020-06-01 comes later than the end + 31 days): a second dropout once it has ended):
#  A 2019-02-01: out since 2018-12-31 (32 days: 1 month), 1 dropout, last diploma vmbo-kb (rank 2), no report yet
#                (mbo-1's start and every report lie later);
#  A 2020-02-10: in mbo-1, 1 dropout (mbo-1 runs on), vmbo-kb (the mbo-1 diploma lies later), hours in
#                (2019-11-11, 2020-02-10]: 8 + 10 = 18 (2019-10-10 is older, 2020-03-01 later);
#  A 2020-07-01: out since 2020-03-15 (108 days: 3 months), 2 dropouts, mbo-1 (rank 4), no hours since 2020-04-01;
#  B 2020-01-01: never enrolled: months out at the cap (60), no dropout, no diploma (rank 0), no report.
EXPECTED = pd.DataFrame(
    [["A", "2020-07-01", years("2020-07-01", "2000-06-15"), 0.0, 3.0, 2.0, 4.0, 0.0],
     ["A", "2019-02-01", years("2019-02-01", "2000-06-15"), 0.0, 1.0, 1.0, 2.0, 0.0],
     ["B", "2020-01-01", years("2020-01-01", "2001-01-01"), 0.0, 60.0, 0.0, 0.0, 0.0],
     ["A", "2020-02-10", years("2020-02-10", "2000-06-15"), 1.0, 0.0, 1.0, 2.0, 18.0]],
    columns=["youth_id", "event_date", "age_years", "enrolled", "months_not_enrolled", "dropout_episodes",
             "diploma_level", "absence_hours_13w"], index=[7, 3, 5, 1])


def test_each_case_sees_only_the_records_up_to_its_day(data):
    cases = EXPECTED[["youth_id", "event_date"]]
    got = event_features(data, cases)
    pd.testing.assert_frame_equal(got, EXPECTED.drop(columns=["youth_id", "event_date"]), check_exact=False,
                                  rtol=0, atol=1e-12)
    assert got["age_years"].tolist()[2] == pytest.approx(6939 / 365.25)


def test_a_case_of_an_unknown_youth_is_named(data):
    with pytest.raises(ValueError, match="1 case\\(s\\) of youths not in youths.csv, e.g. 'Z'"):
        event_features(data, pd.DataFrame({"youth_id": ["A", "Z"], "event_date": ["2020-01-01", "2020-01-01"]}))
