"""The moments the office acts, derived from the registrations: one row per event, as of any day.

The office does not score its whole group once a year; it acts when something arrives (see casework facts):

- `report_first` / `report_repeat`: an absence report (any kind but `te_laat`; an unknown kind counts) of a youth
  of the target group's ages (18 up to 23 by default) without a startkwalificatie on the report day, dated on the
  report day. It is a **repeat** when the youth's previous such report lies within `repeat_days` (default 91: the
  window `day - 91 < earlier day <= day`, earlier in date and then file order), else the **first of a period** (DUO
  marks the first report of a period "action wanted: no", a repeat "yes").
- `new_leaver`: an enrolment (not `po`/`so`) that ends while no other enrolment of the youth runs on in the
  `restart_days` after its end (none starting by then and still going after the end), of a youth of the target
  group's ages at the end, without a startkwalificatie dated up to the day the office learns of it: the end plus
  `restart_days` (31), for only then is it known that no new enrolment followed. Enrolments of one youth ending on
  the same day give one event.

Every event uses only records dated on or before its own date (births, diplomas, enrolment starts, earlier
reports), so the events of a period are what the office could have known on each day. Events after the data's
end are not emitted: a leaver dated later cannot yet be known. Re-delivered reports are one report (the reader's
rule), so a report read twice never makes a repeat of itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.events import youth_positions
from vsv_model.contract import LATE_KIND, PRIMARY_TYPES, is_startkwalificatie
from vsv_model.dates import MISSING_DAY, OPEN_END, completed_years, day_of, to_days
from vsv_model.feature_spec import DROPOUT_GRACE_DAYS
from vsv_model.reader import DataSet
from vsv_model.target_group import CURRENT_LAW

REPORT_FIRST, REPORT_REPEAT, NEW_LEAVER = "report_first", "report_repeat", "new_leaver"
EVENT_KINDS = (REPORT_FIRST, REPORT_REPEAT, NEW_LEAVER)
EVENT_COLUMNS = ("youth_id", "event_date", "kind", "report_id")
# What an officer reads for the moment a youth was scored at (the yearly list, `stock`, says nothing extra).
EVENT_KIND_LABELS_NL = {REPORT_FIRST: "eerste melding van verzuim in een periode",
                        REPORT_REPEAT: "herhaalde melding van verzuim", NEW_LEAVER: "net gestopt met school, zonder startkwalificatie"}
NO_SQ = OPEN_END  # the day of the first startkwalificatie of a youth without one


@dataclass(frozen=True)
class EventRules:
    """The regional settings of the event definitions."""

    repeat_days: int = 91
    restart_days: int = DROPOUT_GRACE_DAYS  # the contract's month without a new start (dropout_episodes)
    min_age: int = CURRENT_LAW.min_age
    max_age: int = CURRENT_LAW.max_age  # exclusive


def office_events(data: DataSet, start: dt.date, end: dt.date, rules: EventRules = EventRules(),
                  data_end: dt.date | None = None) -> pd.DataFrame:
    """Every event dated from `start` to `end` (both included, and not after the data's end: `data_end`, default
    the latest date in `data`; a part of the data, as on Spark, passes the whole data's), sorted by date, youth (in
    the youths table's order) and kind."""
    first_sq = first_sq_days(data)
    births = to_days(data.youths["birth_date"].to_numpy())
    last = min(day_of(end), day_of(data_end or data.end_date()))
    events = pd.concat([report_events(data, births, first_sq, rules), leaver_events(data, births, first_sq, rules)])
    events = events[(events["day"] >= day_of(start)) & (events["day"] <= last)]
    events = events.sort_values(["day", "youth", "kind_code"], kind="stable")
    return pd.DataFrame({
        "youth_id": data.youths["youth_id"].to_numpy(dtype=object)[events["youth"].to_numpy()],
        "event_date": pd.to_datetime(events["day"].to_numpy(), unit="D").astype("datetime64[s]"),
        "kind": np.array(EVENT_KINDS, dtype=object)[events["kind_code"].to_numpy()],
        "report_id": pd.Series(events["report_id"].to_numpy(dtype=object, na_value=None), dtype=object),  # None: no report
    })


def event_candidates(data: DataSet, start: dt.date, end: dt.date, rules: EventRules = EventRules()) -> np.ndarray:
    """The youth ids that can have an event from `start` to `end`: a report dated in the window, or an enrolment
    ending `restart_days` before one of its days (its leaver is known then). `office_events` on these youths' data
    alone (`DataSet.of_youths`, with the whole data's end) gives the window's events: each event reads only its own
    youth's records. A day's sync then reads a few youths, not the population."""
    reports = data.absence_reports["report_date"]
    reported = data.absence_reports["youth_id"][(reports >= pd.Timestamp(start)) & (reports <= pd.Timestamp(end))]
    ends, shift = data.enrollments["end_date"], pd.Timedelta(days=rules.restart_days)
    ended = data.enrollments["youth_id"][(ends >= pd.Timestamp(start) - shift) & (ends <= pd.Timestamp(end) - shift)]
    return pd.unique(pd.concat([reported, ended]).astype(object).to_numpy())


def first_sq_days(data: DataSet) -> np.ndarray:
    """Per youth, the day of their first startkwalificatie diploma (NO_SQ without one)."""
    first = np.full(len(data.youths), NO_SQ, dtype=np.int64)
    sq = is_startkwalificatie(data.diplomas["level"].to_numpy(dtype=object))
    np.minimum.at(first, youth_positions(data, "diplomas")[sq], to_days(data.diplomas["diploma_date"].to_numpy())[sq])
    return first


def of_target_age(births: np.ndarray, days: np.ndarray, rules: EventRules) -> np.ndarray:
    age = completed_years(births, days)
    return (age >= rules.min_age) & (age < rules.max_age)


def report_events(data: DataSet, births: np.ndarray, first_sq: np.ndarray, rules: EventRules) -> pd.DataFrame:
    """18+ reports without a startkwalificatie, each the first of a period or a repeat."""
    reports = data.absence_reports
    youth, day = youth_positions(data, "absence_reports"), to_days(reports["report_date"].to_numpy())
    kept = (reports["kind"].to_numpy(dtype=object) != LATE_KIND) & (day < first_sq[youth])
    kept &= of_target_age(births[youth], day, rules)
    rows = np.flatnonzero(kept)
    rows = rows[np.lexsort((rows, day[rows], youth[rows]))]  # by youth, date, then file order
    youth, day = youth[rows], day[rows]
    repeat = np.r_[False, (youth[1:] == youth[:-1]) & (day[1:] - day[:-1] < rules.repeat_days)] if len(rows) else kept[:0]
    return pd.DataFrame({"youth": youth, "day": day, "kind_code": np.where(repeat, 1, 0),
                         "report_id": reports["report_id"].to_numpy(dtype=object, na_value=None)[rows]})


def leaver_events(data: DataSet, births: np.ndarray, first_sq: np.ndarray, rules: EventRules) -> pd.DataFrame:
    """Enrolments ended with no enrolment running on within `restart_days`: new leavers, dated when known."""
    enr = data.enrollments
    youth = youth_positions(data, "enrollments")
    start, end = to_days(enr["start_date"].to_numpy()), to_days(enr["end_date"].to_numpy())
    secondary = ~np.isin(enr["education_type"].to_numpy(dtype=object), PRIMARY_TYPES)
    ended = np.flatnonzero(secondary & (end != MISSING_DAY))
    known = end[ended] + rules.restart_days
    leaving = ~continued(youth, start, end, ended, known) & (known < first_sq[youth[ended]])
    leaving &= of_target_age(births[youth[ended]], end[ended], rules)
    events = pd.DataFrame({"youth": youth[ended][leaving], "day": known[leaving], "kind_code": 2, "report_id": None})
    return events.drop_duplicates(["youth", "day"])


def continued(youth: np.ndarray, start: np.ndarray, end: np.ndarray, ended: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Per ended enrolment: another enrolment of the youth (any type) started by `known` and still running after
    the end (no end, or a later one). A merge on the youth: enrolments per youth are few."""
    pairs = pd.DataFrame({"youth": youth[ended], "i": np.arange(len(ended))}).merge(
        pd.DataFrame({"youth": youth, "j": np.arange(len(youth))}), on="youth")
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    other_end = np.where(end[j] == MISSING_DAY, OPEN_END, end[j])
    runs_on = (j != ended[i]) & (start[j] <= known[i]) & (other_end > end[ended[i]])
    return np.bincount(i[runs_on], minlength=len(ended)) > 0


def yearly_counts(events: pd.DataFrame) -> pd.DataFrame:
    """Events per school year (1 August to 31 July, named `2017/18`) and kind."""
    dates = pd.DatetimeIndex(events["event_date"])
    first_year = dates.year - (dates.month < 8)
    following = pd.Series((first_year + 1) % 100, index=events.index).astype(str).str.zfill(2)
    years = pd.Series(first_year, index=events.index).astype(str) + "/" + following
    counts = pd.crosstab(years, events["kind"]).reindex(columns=list(EVENT_KINDS), fill_value=0)
    counts.index.name, counts.columns.name = "school_year", None
    return counts
