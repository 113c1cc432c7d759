"""Absence features: hours in 4 / 13 / 52-week windows, report counts and recency."""

from __future__ import annotations

import numpy as np

from features import grouping as g
from features.events import Events
from vsv_model.dates import MISSING_DAY
from vsv_model.feature_spec import HOUR_WINDOWS, REPORT_WINDOW_DAYS


def absence_hours(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """Sum of reported hours in each window (as_of - N days, as_of]; missing hours count 0."""
    report_as_of = as_of[ev.rep_youth]
    return {
        name: g.total(ev.rep_youth, ev.rep_hours, ev.rep_day > report_as_of - days, ev.n_youths)
        for name, days in HOUR_WINDOWS.items()
    }


def report_counts(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """Reports in the last 364 days: lateness apart from all other kinds."""
    in_year = ev.rep_day > as_of[ev.rep_youth] - REPORT_WINDOW_DAYS
    return {
        "absence_reports_52w": g.count(ev.rep_youth, in_year & ~ev.rep_is_late, ev.n_youths),
        "late_reports_52w": g.count(ev.rep_youth, in_year & ev.rep_is_late, ev.n_youths),
    }


def report_recency(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """Whole weeks since the latest report of any kind; missing when there is none."""
    latest = g.last_value(ev.rep_youth, ev.rep_day, ev.n_youths, MISSING_DAY)
    weeks = np.floor((as_of - latest) / 7)
    return {"weeks_since_last_report": np.where(latest == MISSING_DAY, np.nan, weeks)}
