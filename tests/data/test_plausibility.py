"""Plausible at the level of one youth, over the whole default population as written (slow: the region at 1:1):
absence within school hours, compulsory education kept, and enrolments, diplomas and reports that agree."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features.build import compute_features
from features.events import events_from_dataset
from vsv_model.contract import UNKNOWN
from vsv_model.dates import birthday_days, day_of
from vsv_model.reader import read_data_dir

pytestmark = pytest.mark.slow

SCHOOL_WEEKS_IN = {28: 4, 91: 13, 364: 39}  # the most school weeks 4, 13 and 52 weeks can hold (holidays: 13+ a year)
WEEKLY_HOURS = {"full_time": 26.0, "BBL": 8.0}
DAY_SPAN = 100_000  # day numbers stay below this: (youth, day) pairs pack into one sortable integer


def days(values: pd.Series) -> np.ndarray:
    """Dates to day numbers; missing dates to a far future (an open enrolment)."""
    out = (values.to_numpy("datetime64[D]") - np.datetime64("1970-01-01")).astype(np.int64)
    return np.where(values.isna().to_numpy(), DAY_SPAN - 1, out)


@pytest.fixture(scope="module")
def registry(default_dir):
    """The default world as the reader gives it, with youth positions, day numbers and sorted enrolments."""
    data = read_data_dir(default_dir)
    position = pd.Index(data.youths["youth_id"])
    enr = data.enrollments.assign(y=position.get_indexer(data.enrollments["youth_id"]),
                                  start=days(data.enrollments["start_date"]), end=days(data.enrollments["end_date"]))
    enr = enr.sort_values(["y", "start"], kind="stable").reset_index(drop=True)
    dip = data.diplomas.assign(y=position.get_indexer(data.diplomas["youth_id"]),
                               day=days(data.diplomas["diploma_date"]))
    rep = data.absence_reports.assign(y=position.get_indexer(data.absence_reports["youth_id"]),
                                      day=days(data.absence_reports["report_date"]))
    return {"data": data, "birth": days(data.youths["birth_date"]), "enr": enr, "dip": dip, "rep": rep}


def running_enrolment(enr: pd.DataFrame, youth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The row of the enrolment each (youth, day) falls in (the latest start on or before it), -1 when none runs."""
    keys = enr["y"].to_numpy() * DAY_SPAN + enr["start"].to_numpy()
    row = np.searchsorted(keys, youth * DAY_SPAN + day, side="right") - 1
    found = np.maximum(row, 0)
    ok = (row >= 0) & (enr["y"].to_numpy()[found] == youth) & (enr["end"].to_numpy()[found] > day)
    return np.where(ok, row, -1)


def test_reported_hours_never_exceed_the_school_hours_of_any_4_13_or_52_weeks(registry):
    enr, rep = registry["enr"], registry["rep"].sort_values(["y", "day"], kind="stable")
    weekly = np.where((enr["learning_path"] == "BBL").fillna(False), WEEKLY_HOURS["BBL"], WEEKLY_HOURS["full_time"])
    most_weekly = pd.Series(weekly).groupby(enr["y"].to_numpy()).max()
    youth, day = rep["y"].to_numpy(), rep["day"].to_numpy()
    hours = np.concatenate([[0.0], np.cumsum(rep["hours"].fillna(0).to_numpy())])
    keys = youth * DAY_SPAN + day
    for window, weeks in SCHOOL_WEEKS_IN.items():
        first = np.searchsorted(keys, keys - window, side="right")  # reports dated in (day - window, day]
        total = hours[np.arange(1, len(keys) + 1)] - hours[first]
        limit = weeks * most_weekly.reindex(youth).to_numpy()
        assert (total <= limit + 1e-9).all(), (window, total.max(), (total > limit).sum())
    assert rep["hours"].max() <= 52


def test_nobody_is_out_of_school_before_compulsory_education_ends_unless_exempted(registry, default_world):
    enr, dip, birth = registry["enr"], registry["dip"], registry["birth"]
    youth, end = enr["y"].to_numpy(), enr["end"].to_numpy()
    next_start = np.r_[enr["start"].to_numpy()[1:], DAY_SPAN]
    next_youth = np.r_[youth[1:], -1]
    out = (end < DAY_SPAN - 1) & ((next_youth != youth) | (next_start > end))  # nothing runs on the end day
    sq = dip[dip["level"].isin(["havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"])]
    first_sq = pd.Series(sq["day"].to_numpy()).groupby(sq["y"].to_numpy()).min().reindex(range(len(birth)))
    first_sq = first_sq.fillna(DAY_SPAN).to_numpy()
    early = out & (end < birthday_days(birth, 18)[youth]) & (first_sq[youth] > end)
    exempted = np.unique(youth[early])
    assert len(exempted) == default_world.summary()["exemptions"]
    assert 0 < len(exempted) < 0.005 * len(birth)  # rare
    sixteen = birthday_days(birth, 16)[youth[early]]
    end_of_leerplicht = np.array([day_of(dt.date(int(y) + (m >= 8), 7, 31)) for y, m in
                                  zip(pd.to_datetime(sixteen, unit="D").year, pd.to_datetime(sixteen, unit="D").month)])
    assert (end[early] > end_of_leerplicht).all()  # leerplicht itself is never broken


def test_a_youth_s_enrolments_never_overlap(registry):
    enr = registry["enr"]
    same = enr["y"].to_numpy()[1:] == enr["y"].to_numpy()[:-1]
    assert (enr["start"].to_numpy()[1:][same] >= enr["end"].to_numpy()[:-1][same]).all()


def test_every_report_names_the_school_the_youth_attends_on_its_date(registry):
    enr, rep = registry["enr"], registry["rep"]
    row = running_enrolment(enr, rep["y"].to_numpy(), rep["day"].to_numpy())
    assert (row >= 0).all()
    assert (enr["school_id"].to_numpy()[row] == rep["school_id"].to_numpy()).all()


def test_every_diploma_is_of_the_programme_the_youth_is_enrolled_in_on_its_date(registry):
    enr, dip = registry["enr"], registry["dip"]
    dip = dip[dip["level"] != UNKNOWN]
    row = running_enrolment(enr, dip["y"].to_numpy(), dip["day"].to_numpy())
    assert (row >= 0).all()
    edu = enr["education_type"].to_numpy()[row]
    level = dip["level"].to_numpy()
    matches = (edu == level) | ((level == "havo") & (edu == "vavo")) | (edu == UNKNOWN)
    assert matches.all(), pd.Series(list(zip(level[~matches], edu[~matches]))).value_counts().head()
    assert set(pd.to_datetime(dip["day"], unit="D").dt.month) <= {6}  # exams: diplomas are dated in June


def test_months_not_enrolled_never_exceed_the_time_since_the_16th_birthday(registry):
    events = events_from_dataset(registry["data"])
    sixteen = birthday_days(registry["birth"], 16)
    for year in range(2014, 2027):
        day = day_of(dt.date(year, 10, 1))
        months = compute_features(events.as_of(day), day)["months_not_enrolled"]
        since = np.floor((day - sixteen) / 30.44)
        known = ~np.isnan(months)
        assert (months[known] <= np.maximum(since[known], 0)).all(), year
