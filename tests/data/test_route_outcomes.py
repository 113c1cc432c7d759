"""The observed outcomes of office events (`features/route_outcomes.py`) on hand-made records, exact values.

The data's end is 2022-06-30 (youth Z's enrolment start, the latest date). 2021-03-01 + 365 days = 2022-03-01.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.route_outcomes import NO_SQ_BY_23, SCHOOL_365, event_outcomes
from tests.builders import diploma, enrolment, write_data_dir, youth
from vsv_model.reader import read_data_dir

EVENTS = [  # youth, event date, expected school_or_sq_365, why
    ("A", "2021-03-01", 1.0, "an SQ diploma dated exactly on day +365"),
    ("A", "2020-03-01", 0.0, "the same youth a year earlier: +365 is 2021-03-01 (leap year), no diploma yet"),
    ("B", "2021-03-01", 0.0, "the enrolment ended the day before +365"),
    ("C", "2021-03-01", 1.0, "the enrolment ends on day +365 itself"),
    ("D", "2021-03-01", 0.0, "an enrolment starting the day after, and an mbo-1 diploma (no SQ)"),
    ("E", "2021-03-01", 1.0, "an open enrolment started before"),
    ("F", "2021-03-01", 0.0, "an SQ diploma dated the day after +365"),
    ("G", "2021-08-01", np.nan, "+365 (2022-08-01) is after the data's end"),
    ("H", "2021-06-30", 1.0, "+365 is the data's end day itself: known (an enrolment runs)"),
]


@pytest.fixture
def data(tmp_path):
    ids = ["A", "B", "C", "D", "E", "F", "G", "H", "Z"]
    births = {"A": "1999-01-15", "B": "2001-05-05"}
    return read_data_dir(write_data_dir(
        tmp_path,
        youths=[youth(i, births.get(i, "2001-05-05")) for i in ids],
        enrollments=[enrolment("2020-09-01", "2022-02-28", youth_id="B"),
                     enrolment("2020-09-01", "2022-03-01", youth_id="C"),
                     enrolment("2022-03-02", None, youth_id="D"),
                     enrolment("2021-09-01", None, youth_id="E"),
                     enrolment("2021-09-01", None, youth_id="G"),
                     enrolment("2021-09-01", None, youth_id="H"),
                     enrolment("2022-06-30", None, youth_id="Z")],
        diplomas=[diploma("2022-03-01", "mbo-2", youth_id="A"), diploma("2020-06-01", "mbo-1", youth_id="D"),
                  diploma("2022-03-02", "mbo-2", youth_id="F")],
    ))


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"youth_id": [r[0] for r in rows], "event_date": pd.to_datetime([r[1] for r in rows])})


def test_school_or_sq_365_per_event(data):
    got = event_outcomes(data, frame(EVENTS), SCHOOL_365)
    np.testing.assert_array_equal(got, np.array([r[2] for r in EVENTS]))


def test_sq_by_23_is_one_minus_the_label(data):
    """A turns 23 on 2022-01-15, before its SQ of 2022-03-01: 0. B turns 23 in 2024, after the data's end: NaN."""
    got = event_outcomes(data, frame([("A", "2021-03-01"), ("B", "2021-03-01")]), NO_SQ_BY_23)
    np.testing.assert_array_equal(got, np.array([0.0, np.nan]))


def test_an_unknown_youth_and_an_unknown_outcome_are_named(data):
    with pytest.raises(ValueError, match="'Q'"):
        event_outcomes(data, frame([("Q", "2021-03-01")]))
    with pytest.raises(ValueError, match="unknown outcome 'x'"):
        event_outcomes(data, frame([("A", "2021-03-01")]), "x")
