"""Months as integers, the school year, school hours per month, and the dated calendar effects.

The simulation steps through months. A month is an integer, months since January 1970, so
`month % 12 + 1` is the month of the year. The state "at a month" is the state on its first
day; every record an event of that month writes is dated on days 2..last of it, so a
reference date (always the 1st of October) sees the state at the start of its month and
no record of that month.

Every way the calendar changes the world is one named, dated entry of `CALENDAR_EFFECTS`
(and of `SHIFT_EFFECTS` when a shift is injected), so the README and the monitoring work
can point at them. `Calendar` turns the entries into the scalar factors the kernels and the
emissions read at a month. With `drift=False` every entry is off. After the data's end the
calendar is stationary: the effects keep the values they had in the last simulated month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from vsv_model.dates import civil_from_days, days_from_civil

AUGUST, JUNE, JULY, OCTOBER = 8, 6, 7, 10
# School weeks per month of the year (zone south/middle: autumn, Christmas, spring and May breaks,
# summer from mid-July to late August): 38.8 weeks, about the 1,000 teaching hours of a school year.
SCHOOL_WEEKS = np.array([0.0, 3.6, 3.0, 4.4, 3.4, 2.8, 4.2, 1.6, 0.8, 4.3, 3.4, 4.3, 3.0])
FULL_TIME_WEEKLY_HOURS = 26.0  # secondary and BOL: 1,000 hours a year over 38-39 school weeks
BBL_WEEKLY_HOURS = 8.0  # BBL: one day a week at school, the rest at work


def month_index(year, month) -> np.ndarray | int:
    """Months since January 1970 of a calendar (year, month)."""
    return (np.asarray(year) - 1970) * 12 + np.asarray(month) - 1


def month_of_date(date: dt.date) -> int:
    return int(month_index(date.year, date.month))


def months_of_days(days: np.ndarray) -> np.ndarray:
    """The month index of day numbers."""
    year, month, _ = civil_from_days(days)
    return month_index(year, month)


def first_day(month) -> np.ndarray:
    """Day number of the 1st of a month (scalar or array)."""
    month = np.asarray(month, dtype=np.int64)
    return days_from_civil(1970 + month // 12, month % 12 + 1, np.ones_like(month))


def days_in(month) -> np.ndarray:
    return first_day(np.asarray(month) + 1) - first_day(month)


def month_of_year(month) -> np.ndarray | int:
    return np.asarray(month) % 12 + 1


def school_year(month) -> np.ndarray | int:
    """The calendar year in which the school year of `month` starts (August to July)."""
    month = np.asarray(month)
    return 1970 + month // 12 - (month % 12 + 1 < AUGUST)


def day_in_month(u: np.ndarray, month, low=2, high=None) -> np.ndarray:
    """Day numbers uniform on days low..high of `month` (default 2..last), from uniforms `u` in [0, 1).

    Never the 1st: a reference date is a 1st, and nothing of its month may be visible on it.
    """
    start = first_day(month)
    high = days_in(month) if high is None else np.asarray(high)
    low = np.asarray(low)
    return start + low - 1 + np.floor(u * (high - low + 1)).astype(np.int64)


def school_hours(month, bbl: np.ndarray | bool = False) -> np.ndarray:
    """The school hours a pupil can miss in a month: school weeks times weekly hours."""
    weekly = np.where(bbl, BBL_WEEKLY_HOURS, FULL_TIME_WEEKLY_HOURS)
    return SCHOOL_WEEKS[month_of_year(month)] * weekly


@dataclass(frozen=True)
class CalendarEffect:
    """One dated change of the world. `end` None: still in force at the data's end."""

    name: str
    start: dt.date
    end: dt.date | None
    changes: str
    size: float
    description: str


CALENDAR_EFFECTS = (
    CalendarEffect("births_trend", dt.date(1988, 1, 1), dt.date(2021, 9, 30), "cohort size", -0.007,
                   "Births fall 0.7% a year: each birth year's cohort is (1 - 0.007)^(year - 2006) of the 2006 one."),
    CalendarEffect("school_mix_trend", dt.date(2000, 8, 1), None, "secondary entry", 0.02,
                   "The havo and vwo share of new secondary pupils rises: their entry log-odds grow 0.02 a year "
                   "from 2000/01 (0.40 by 2020/21), at the expense of vmbo."),
    CalendarEffect("mbo_18plus_reporting", dt.date(2017, 8, 1), None, "absence reports", 0.75,
                   "From school year 2017/18 mbo schools report the absence of their 18+ students consistently: "
                   "a report is made with probability 0.75 instead of 0.25 (times the school's propensity)."),
    CalendarEffect("school_closure_all", dt.date(2020, 3, 16), dt.date(2020, 6, 1), "absence reports", 0.1,
                   "COVID-19: all schools closed; absence (and so reports) at 10% of its level on the closed days."),
    CalendarEffect("school_closure_secondary", dt.date(2020, 12, 16), dt.date(2021, 3, 1), "absence reports", 0.1,
                   "COVID-19: secondary schools (vo, pro, vso, isk, vavo) closed again; absence at 10% on the "
                   "closed days."),
    CalendarEffect("covid_dropout_rise", dt.date(2020, 6, 1), dt.date(2021, 12, 31), "dropout", 0.30,
                   "After the closures more students leave school: dropout log-odds +0.30 until the end of 2021."),
    CalendarEffect("labour_market_pull", dt.date(2022, 1, 1), dt.date(2024, 12, 31), "dropout, return, work", 0.30,
                   "A tight labour market: dropout log-odds +0.30, the share of leavers who go to work log-odds +0.60, "
                   "and returning to school log-odds -0.30."),
)

SHIFT_DESCRIPTIONS = {
    "absence_level": "The intensity of new absence times (1 + SIZE) for every pupil (spells already running go on).",
    "reporting_stop": "The largest mbo school location reports the absence from the shift's start on with its "
                      "propensity times (1 - SIZE) (late reports of earlier absence are still sent).",
    "mbo_mix": "New mbo enrolments shift SIZE of each level's mass one level down (mbo-1 keeps its own).",
    "dropout_hazard": "Dropout log-odds + SIZE (monthly dropout and not re-enrolling at the school year's start).",
}
KNOWN_SHIFTS = tuple(sorted(SHIFT_DESCRIPTIONS))
DYNAMIC_SHIFTS = ("dropout_hazard", "mbo_mix")  # shifts that change the state's dynamics (the truth depends on them)


class DynamicsAt(NamedTuple):
    """What the calendar adds to the state's dynamics in one month (hashable: the truth caches on it)."""

    dropout: float  # log-odds added to leaving school
    return_: float  # log-odds added to re-enrolling
    work: float  # log-odds added to "leaves for work" and to finding work while out
    mbo_mix: float  # share of each mbo level's entry mass moved one level down


class EmissionsAt(NamedTuple):
    """What the calendar does to absence and its reports in one month."""

    absence_primary: float  # absence intensity factor for po/so pupils (closures)
    absence_secondary: float  # ... for vo, pro, vso, isk, vavo
    absence_mbo: float
    mbo_18plus_report: float  # probability an mbo school reports an 18+ student's absence
    absence_level: float  # the injected shift: intensity times (1 + SIZE)
    reporting_stop: float  # the injected shift: the largest mbo location's propensity factor


def _on(effect: CalendarEffect, month: int) -> bool:
    start = month_of_date(effect.start)
    end = month_of_date(effect.end) if effect.end else 10**9
    return start <= month <= end


def closed_fraction(effect: CalendarEffect, month: int) -> float:
    """The share of a month's days inside a closure (its start and end day included)."""
    first = int(first_day(month))
    last = first + int(days_in(month)) - 1
    start = (np.datetime64(effect.start) - np.datetime64("1970-01-01")).astype(int)
    end = (np.datetime64(effect.end) - np.datetime64("1970-01-01")).astype(int)
    overlap = min(last, end) - max(first, start) + 1
    return max(overlap, 0) / (last - first + 1)


EFFECTS = {effect.name: effect for effect in CALENDAR_EFFECTS}


@dataclass(frozen=True)
class Calendar:
    """The calendar effects in force at any month, for one world's settings."""

    drift: bool = True
    shifts: tuple[tuple[str, float], ...] = ()
    shift_start: int = month_of_date(dt.date(2025, 10, 1))
    last_month: int = month_of_date(dt.date(2026, 9, 1))  # after it the calendar is stationary

    def shift(self, name: str, month: int) -> float:
        """The size of an injected shift in force at `month` (0 when none)."""
        if month < self.shift_start:
            return 0.0
        return sum(size for shift, size in self.shifts if shift == name)

    @lru_cache(maxsize=4096)  # noqa: B019 (a frozen, hashable calendar; a few hundred months)
    def dynamics_at(self, month: int) -> DynamicsAt:
        """The dynamics' calendar effects and shifts in force at `month` (after the data's end: its last month's)."""
        month = min(int(month), self.last_month)
        dropout = self.shift("dropout_hazard", month)
        work = return_ = 0.0
        if self.drift:
            dropout += EFFECTS["covid_dropout_rise"].size * _on(EFFECTS["covid_dropout_rise"], month)
            pull = _on(EFFECTS["labour_market_pull"], month)
            dropout += EFFECTS["labour_market_pull"].size * pull
            work, return_ = 0.60 * pull, -0.30 * pull
        return DynamicsAt(dropout, return_, work, self.shift("mbo_mix", month))

    @lru_cache(maxsize=4096)  # noqa: B019
    def emissions_at(self, month: int) -> EmissionsAt:
        """The closures, the reporting practice and the emission shifts in force at `month`."""
        month = min(int(month), self.last_month)
        closed_all = closed_fraction(EFFECTS["school_closure_all"], month) if self.drift else 0.0
        closed_vo = closed_fraction(EFFECTS["school_closure_secondary"], month) if self.drift else 0.0
        keep = EFFECTS["school_closure_all"].size
        primary = 1.0 - (1.0 - keep) * closed_all
        secondary = 1.0 - (1.0 - keep) * min(1.0, closed_all + closed_vo)
        consistent = self.drift and _on(EFFECTS["mbo_18plus_reporting"], month)
        return EmissionsAt(primary, secondary, primary, 0.75 if consistent else 0.25,
                           1.0 + self.shift("absence_level", month), 1.0 - self.shift("reporting_stop", month))

    def havo_vwo_entry(self, month: int) -> float:
        """The school-mix trend: log-odds added to havo and vwo at secondary entry."""
        if not self.drift:
            return 0.0
        years = school_year(min(int(month), self.last_month)) - 2000
        return EFFECTS["school_mix_trend"].size * max(years, 0)

    def birth_factor(self, year: np.ndarray) -> np.ndarray:
        """The births trend: a birth year's cohort size relative to 2006."""
        if not self.drift:
            return np.ones(np.shape(year))
        return (1.0 + EFFECTS["births_trend"].size) ** (np.asarray(year) - 2006)

    def dynamics_key(self) -> tuple:
        """What the truth depends on: the dynamics' calendar, not the emission-only shifts."""
        dynamic = tuple((name, size) for name, size in self.shifts if name in DYNAMIC_SHIFTS and size != 0)
        return (self.drift, dynamic, self.shift_start if dynamic else None, self.last_month)


def effects_table(calendar: Calendar) -> list[dict]:
    """The calendar effects of one world, as rows (name, start, end, changes, size, description)."""
    rows = [vars(effect) | {"in_force": calendar.drift} for effect in CALENDAR_EFFECTS]
    start = dt.date(1970 + calendar.shift_start // 12, calendar.shift_start % 12 + 1, 1)
    for name, size in calendar.shifts:
        rows.append({"name": f"shift:{name}", "start": start, "end": None, "changes": name, "size": size,
                     "description": SHIFT_DESCRIPTIONS[name], "in_force": True})
    return rows
