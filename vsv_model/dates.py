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


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers (proleptic Gregorian; H. Hinnant's integer algorithm)."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers of calendar dates (the inverse of `civil_from_days`)."""
    year = np.asarray(year, dtype=np.int64) - (np.asarray(month) <= 2)
    era = np.floor_divide(year, 400)
    yoe = year - era * 400
    mp = np.where(month > 2, month - 3, month + 9)
    doy = (153 * mp + 2) // 5 + np.asarray(day, dtype=np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def birthday_days(birth_days: np.ndarray, age: int | np.ndarray) -> np.ndarray:
    """Day number of each youth's `age`-th birthday; 29 February falls on 28 February in common years."""
    year, month, day = civil_from_days(birth_days)
    target = year + np.asarray(age, dtype=np.int64)
    day = np.where((month == 2) & (day == 29) & ~is_leap(target), 28, day)
    return days_from_civil(target, month, day)


def completed_years(birth_days: np.ndarray, as_of_day: int | np.ndarray) -> np.ndarray:
    """Completed age in years at `as_of_day`, with the same 29 February rule as birthdays."""
    birth_year = civil_from_days(birth_days)[0]
    as_of_year = civil_from_days(np.broadcast_to(as_of_day, np.shape(birth_days)))[0]
    years = as_of_year - birth_year
    return years - (birthday_days(birth_days, years) > as_of_day)


def today() -> dt.date:
    return dt.date.today()
