"""Calendar rules shared by features, labels and the generator.

Dates travel through the hot paths as whole days since 1970-01-01 (int64), which
keeps every window and every "latest" a plain integer comparison.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

OPEN_END = np.iinfo(np.int64).max // 2  # an enrolment with no end date ends "never"
MISSING_DAY = np.iinfo(np.int64).min // 2
EPOCH = np.datetime64("1970-01-01", "D")


def to_days(values) -> np.ndarray:
    """Dates (datetime64, date objects or ISO strings) to day numbers; missing → MISSING_DAY."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(pd.Series(arr, dtype=object), format="%Y-%m-%d").to_numpy()
    days = arr.astype("datetime64[D]")
    out = (days - EPOCH).astype(np.int64)
    out[np.isnat(days)] = MISSING_DAY
    return out


def day_of(date: dt.date | str) -> int:
    """One date to its day number."""
    return int((np.datetime64(str(date), "D") - EPOCH).astype(np.int64))


def date_of(days: np.ndarray) -> np.ndarray:
    """Day numbers back to datetime64[D]."""
    return EPOCH + np.asarray(days, dtype="timedelta64[D]")


def birthday_days(birth_days: np.ndarray, age: int | np.ndarray) -> np.ndarray:
    """Day number of each youth's `age`-th birthday; 29 February falls on 28 February in common years."""
    birth = date_of(birth_days)
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month_day = birth - birth.astype("datetime64[M]")  # days into the month
    month = birth.astype("datetime64[M]").astype(np.int64) % 12
    target_year = year + np.asarray(age, dtype=np.int64)
    first = (target_year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + month.astype("timedelta64[M]")
    next_first = first + np.timedelta64(1, "M")
    last_day = (next_first.astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64) - 1
    day = np.minimum(month_day.astype(np.int64), last_day)
    return (first.astype("datetime64[D]") + day.astype("timedelta64[D]") - EPOCH).astype(np.int64)


def completed_years(birth_days: np.ndarray, as_of_day: int | np.ndarray) -> np.ndarray:
    """Completed age in years at `as_of_day`, with the same 29 February rule as birthdays."""
    birth_year = date_of(birth_days).astype("datetime64[Y]").astype(np.int64) + 1970
    as_of_year = date_of(np.broadcast_to(as_of_day, np.shape(birth_days))).astype("datetime64[Y]").astype(np.int64) + 1970
    years = as_of_year - birth_year
    not_yet = birthday_days(birth_days, years) > as_of_day
    return years - not_yet.astype(np.int64)


def today() -> dt.date:
    return dt.date.today()
