"""How much each school reports: absence reports per pupil-year enrolled, over the year before a reference date.

A school that stops reporting makes its pupils look absent-free, and the model then lowers their risk: the
features alone cannot tell "no absence" from "no reports". The rate per school (and per school municipality)
shows it. Point in time like every feature: only enrolments started and reports dated on or before `as_of`
count, and an enrolment ending after `as_of` counts as running.

- **Exposure**: the days each enrolment of the school overlaps the window (as_of - days, as_of], summed over
  its pupils of every age, in years of 365.25 days.
- **Reports**: the school's absence reports of any kind dated in the window. Reports without a school are
  counted apart (`school_id` empty) and judged with no school.
- **Municipality**: the school municipality under which most of the school's exposure lies.

Aggregates only: counts per school, never a youth.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from vsv_model.feature_spec import REPORT_WINDOW_DAYS
from vsv_model.reader import DataSet

WINDOW_DAYS = REPORT_WINDOW_DAYS  # the 52 weeks of the absence features
DAYS_PER_YEAR = 365.25
COLUMNS = ["school_id", "municipality", "reports", "pupil_years"]


def reporting_rates(data: DataSet, as_of: dt.date, days: int = WINDOW_DAYS) -> pd.DataFrame:
    """Per school: its municipality, its reports in the window and its pupil-years enrolled in it."""
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=days)  # the window is (start, end]
    exposure = school_exposure(data.enrollments, start, end)
    reports = school_reports(data.absence_reports, start, end)
    table = exposure.merge(reports, on="school_id", how="outer")
    table["reports"] = table["reports"].fillna(0).astype(np.int64)
    table["pupil_years"] = table["pupil_years"].fillna(0.0)
    table["municipality"] = table["municipality"].fillna("onbekend")
    return table[COLUMNS].sort_values("school_id", ignore_index=True)


def school_exposure(enrollments: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Pupil-years per school in (start, end], and the municipality holding most of them."""
    known = enrollments[enrollments["start_date"] <= end]
    first = known["start_date"].where(known["start_date"] > start, start + pd.Timedelta(days=1))
    last = known["end_date"].where(known["end_date"].notna() & (known["end_date"] <= end), end)
    days = ((last - first).dt.days + 1).clip(lower=0)
    frame = pd.DataFrame({"school_id": known["school_id"].astype(str).to_numpy(),
                          "municipality": known["school_municipality"].astype(str).to_numpy(),
                          "years": days.to_numpy(dtype=float) / DAYS_PER_YEAR})
    frame = frame[frame["years"] > 0]
    per_place = frame.groupby(["school_id", "municipality"], as_index=False, sort=True)["years"].sum()
    main = per_place.sort_values(["school_id", "years"], ascending=[True, False]).drop_duplicates("school_id")
    totals = per_place.groupby("school_id", as_index=False)["years"].sum().rename(columns={"years": "pupil_years"})
    return totals.merge(main[["school_id", "municipality"]], on="school_id")


def school_reports(reports: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Reports per school dated in (start, end]; those without a school under `school_id` ''."""
    dated = reports[(reports["report_date"] > start) & (reports["report_date"] <= end)]
    school = dated["school_id"].astype("string").fillna("").str.strip() if "school_id" in dated else pd.Series("", index=dated.index)
    counts = school.value_counts()
    return pd.DataFrame({"school_id": counts.index.astype(str), "reports": counts.to_numpy(dtype=np.int64)})


def municipality_rates(schools: pd.DataFrame) -> pd.DataFrame:
    """The schools' table summed per municipality (reports without a school left out)."""
    named = schools[schools["school_id"] != ""]
    return named.groupby("municipality", as_index=False, sort=True)[["reports", "pupil_years"]].sum()
