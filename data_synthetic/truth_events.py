"""truth_events.csv: the exact truth at every office event of the written data.

One row per event that `features.office_events.office_events` derives, with its default rules, from the written
tables as the reader gives them back (every `report_first`, `report_repeat` and `new_leaver` up to the data's end),
in its order:
`youth_id, event_date, kind, report_id, p_true, no_sq_by_23, p_true_27, no_sq_by_27`.

Which state. The simulator's state is monthly: the state "at a month" is the state on its 1st, and every record a
month's step writes is dated on its days 2..last (`calendar.py`). An event on day d of month M gets the truth given
the full state on the 1st of M, the latest state all of whose records are dated on or before d: the state on the
1st of M + 1 holds M's own step, whose records may be dated after d (a diploma on the 20th for a report on the
10th), so it would look past the event. `p_true` is therefore the same quantity as in truth.csv, P(no
startkwalificatie dated before the 23rd birthday | the full state on the 1st of the event's month), exact by the
same backward induction; an event on 1 October has exactly truth.csv's value of that day. The birthday's month is
interpolated as in `truth.py`: p = (1 - f) V0 + f V1, f the share of that month's diploma days (2..last) before the
birthday, which does not depend on the event's month.

What it leaves out. The office's data on day d also holds the records of the event's month dated from its 2nd up
to d, which the state on the 1st does not: a report on the 20th tells that the youth had not left school and had
no startkwalificatie before it that month, a new leaver that no new enrolment started up to its day. So on event
rows `p_true` is the truth given the month's first day, not given the event's day, and the outcome rate on event
rows may differ from mean `p_true` by a little (`benchmarks/event_truth.py` measures it per kind): at 1:1 (seeds
1-3) it does not on the reports, but on the new leavers mean p_true is 0.845-0.846 against a rate of 0.850-0.855 by
23 (a youth back in school within the month is no new leaver). A model reading those few days' records could, in
principle, do slightly better than `p_true` on them.

Scope: `p_true` and `no_sq_by_23` where the youth is under 23 on the event's day (a new leaver is dated 31 days
after an end before the 23rd birthday, so a few are 23 by then: that outcome is decided, and the cells are empty as
in truth.csv); `p_true_27` and `no_sq_by_27` on every row. A label is empty where its birthday lies after the data's
end; labels come from the simulated diplomas, so they equal truth.csv's for the same youth.

How. `generate_world` derives the events from its tables before the mess the reader undoes exactly, through the
contract's own value mapping (`tables_as_read`; a test holds them equal to the events of the files read back, at
the highest mess rate), which costs a fraction of reading the files back. The simulation keeps the packed state at a
month's start only for the youths who may have an event that month (`simulate.EventStates`: of the events' ages,
without a startkwalificatie, and reported absent that month or out of an enrolment in the two months before; about
107,000 (youth, month) pairs at 1:1, under 1 MB). The induction's backward pass reads p_true at each of them
(`state_reads`): in the pass that makes truth.csv's tables, which then runs back to the first event month (2006 at
1:1) instead of the first reference date, or, when those tables were memoised for another world, in a pass of its
own when the truth at the events is first needed. Each event is joined to its youth's kept state at the start of
its month (an event without one is an error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_synthetic.calendar import months_of_days
from data_synthetic.kernels import Rules, career_groups, life_event_outcomes
from data_synthetic.population import Youths
from data_synthetic.simulate import EventStates
from data_synthetic.state import SQ, pack, take, unpack, with_changes
from data_synthetic.truth import MonthReads, ValueTables, birthday_fraction, index_of, lookup_keys
from data_synthetic.truth_table import LAW_CHANGE, TODAY, label
from features.office_events import EventRules, office_events
from vsv_model.contract import EVENT_TABLES, TABLES, normalise_columns
from vsv_model.dates import MISSING_DAY, completed_years, to_days
from vsv_model.reader import DataSet
from vsv_model.route_draws import ROUTE_CODES

RULES = EventRules()  # the office's default settings: the events `vsv events` derives without options
LEAVER_MONTHS = 2  # a new leaver (an end plus 31 days) is dated at most two months after the end's month
EARLIEST = dt.date(1900, 1, 1)  # before any birth: every event of the data
EVENT_TRUTH_COLUMNS = ("youth_id", "event_date", "kind", "report_id", "p_true", TODAY.label,
                       f"p_true_{LAW_CHANGE.outcome_age}", LAW_CHANGE.label)
# With the office: the route taken after the event's key, each route's truth at the end (docs/office-world.md).
OFFICE_EVENT_TRUTH_COLUMNS = (*EVENT_TRUTH_COLUMNS[:4], "route", *EVENT_TRUTH_COLUMNS[4:],
                              *(f"p_true_{code}" for code in ROUTE_CODES), *(f"p_school_365_{code}" for code in ROUTE_CODES))


def event_ages(rules: EventRules = RULES) -> tuple[int, int]:
    """The ages in months (since the birth month, both ends included) at the start of a month in which an event
    can fall: from the month of the minimum age's birthday to two months after the maximum age's birthday month."""
    return rules.min_age * 12, rules.max_age * 12 + LEAVER_MONTHS


def events_of(data: DataSet) -> pd.DataFrame:
    """Every office event of the data, with the default rules."""
    return office_events(data, EARLIEST, data.end_date(), RULES)


EVENT_COLUMNS = {"youths": ("youth_id", "birth_date"), "enrollments": ("youth_id", "education_type", "start_date", "end_date"),
                 "diplomas": ("youth_id", "diploma_date", "level"), "absence_reports": ("youth_id", "report_date", "kind", "report_id")}


def tables_as_read(keyed: dict, youth_ids: np.ndarray) -> DataSet:
    """The columns the office events read, as the reader gives them back from the written files, made from the tables
    before the mess the reader undoes exactly (`tables.contract_tables`' second value: no duplicates, no records of
    unknown youths, no re-deliveries; youths as positions): ids as written, dates as datetimes (empty: NaT), enum
    values through the contract's own mapping (`normalise_columns`, as the reader). A test holds the events from it
    against those from the files read back; reading them back would cost about 1 s and 250 MB at 1:1 (10 s and
    0.6 GB at 1,000,000 youths)."""
    frames, positions = {}, {}
    for schema in TABLES:
        columns = {name: keyed[schema.name][name] for name in EVENT_COLUMNS[schema.name]}
        positions[schema.name] = columns["youth_id"].astype(np.int64)
        columns = normalise_columns(schema, columns | {"youth_id": youth_ids[positions[schema.name]]})
        for column in schema.columns_of_kind("date"):
            if column.name in columns:
                columns[column.name] = as_datetimes(columns[column.name])
        frames[schema.name] = pd.DataFrame(columns)
    rows = {schema.name: (frames[schema.name], positions[schema.name]) for schema in EVENT_TABLES}  # as the reader finds them
    return DataSet(**frames, youth_rows=rows)


def as_datetimes(days: np.ndarray) -> np.ndarray:
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    out[days == MISSING_DAY] = np.datetime64("NaT")
    return out.astype("datetime64[s]")


@dataclass
class StateTruth:
    """p_true and p_true_27 at every kept event state, ordered by month and youth (`index`: month * youths + youth).
    p_true is NaN from the month after the 23rd birthday's month on (no event there is under 23). With the office,
    `p_routes` (states x 3): P(no startkwalificatie by 23 | the state, the month's step as it is, then route r's
    support from the month's end; no later reaction) — see `route_values`."""

    index: np.ndarray
    p_today: np.ndarray
    p_later: np.ndarray
    p_routes: np.ndarray | None = None


def state_reads(event_states: dict[int, EventStates], youths: Youths, rules: Rules | None = None) -> MonthReads:
    """The reads of the induction's pass that give `StateTruth`: each month's kept states; with the office (`rules`
    given with `office` on) also, at the month after each, the routes' values of that month's states."""
    if rules is None or not rules.office:
        return MonthReads(frozenset(event_states),
                          lambda month, tables: truth_at_states(tables, month, event_states[month], youths))
    months = frozenset(event_states) | frozenset(m + 1 for m in event_states)

    def read(month, tables):
        out = {}
        if month in event_states:
            out["base"] = truth_at_states(tables, month, event_states[month], youths)
        if month - 1 in event_states:
            out["routes"] = routes_at_states(tables, month - 1, event_states[month - 1], youths, rules)
        return out
    return MonthReads(months, read)


def routes_at_states(tables: ValueTables, month: int, states: EventStates, youths: Youths, rules: Rules) -> np.ndarray:
    """`route_values` of one month's kept states for each route (states x 3; NaN past the 23rd birthday's month)."""
    births, age = youths.birth_day[states.rows], month - youths.birth_month[states.rows]
    out = np.full((len(age), len(ROUTE_CODES)), np.nan)
    open_today = np.flatnonzero(age <= TODAY.outcome_age * 12)
    s = unpack(states.keys[open_today].astype(np.int64))
    f = birthday_fraction(births[open_today], TODAY.outcome_age)
    for r in range(len(ROUTE_CODES)):
        out[open_today, r] = route_values(tables, month, s, age[open_today], f, rules, r + 1)
    return out


def route_values(tables: ValueTables, month: int, s: dict, age: np.ndarray, f: np.ndarray, rules: Rules,
                 support: int) -> np.ndarray:
    """P(no startkwalificatie by 23) for states `s` at the start of `month`: the month's step (the life event, then
    the career, with the state's own support), then `support` set at the month's end, then the chain; exact: the
    month's outcomes summed against the value table of the next month (`tables` holds it)."""
    total = np.zeros(len(age))
    for event in life_event_outcomes(s, month, age, rules):
        after_event = with_changes(s, event.next) if event.next else s
        p_event = np.broadcast_to(event.p, age.shape)
        for rows, outcomes in career_groups(after_event, month, age, rules):
            sub = take(after_event, rows)
            for outcome in outcomes:
                nxt = with_changes(sub, outcome.next | {"support": support})
                p = p_event[rows] * np.broadcast_to(outcome.p, rows.shape)
                live = np.flatnonzero(p > 0)  # an impossible outcome may name a state outside the space
                total[rows[live]] += p[live] * next_values(tables, month + 1, take(nxt, live), age[rows[live]] + 1,
                                                           f[rows[live]])
    return total


def next_values(tables: ValueTables, month: int, s: dict, age: np.ndarray, f: np.ndarray) -> np.ndarray:
    """V at `month` by 23 (0 with a startkwalificatie; the birthday month's f as in `truth.lookup`)."""
    deadline = TODAY.outcome_age
    out = np.zeros(len(age))
    live = np.flatnonzero(s["prog"] != SQ)
    keys = index_of(pack(take(s, live)), tables.keys)
    value = tables.at_month[month]
    v1 = value[keys, tables.columns.of(deadline, 1, age[live])]
    past = age[live] > deadline * 12  # the step passed the deadline's month start: V0 was decided (1) there
    v0 = np.where(past, 1.0, value[keys, tables.columns.of(deadline, 0, np.minimum(age[live], deadline * 12))])
    out[live] = (1.0 - f[live]) * v0 + f[live] * v1
    return out


def truth_at_states(tables: ValueTables, month: int, states: EventStates, youths: Youths) -> tuple[np.ndarray, np.ndarray]:
    """p_true (NaN past the 23rd birthday's month) and p_true_27 of one month's kept states."""
    births, age = youths.birth_day[states.rows], month - youths.birth_month[states.rows]
    today, later = TODAY.outcome_age, LAW_CHANGE.outcome_age
    open_today = age <= today * 12  # up to the birthday's month: the event's day tells whether it is under 23
    p_today = np.full(len(age), np.nan)
    p_today[open_today] = lookup_keys(tables, month, states.keys[open_today], age[open_today],
                                      birthday_fraction(births[open_today], today), today)
    return p_today, lookup_keys(tables, month, states.keys, age, birthday_fraction(births, later), later)


def state_truth(event_states: dict[int, EventStates], youths: Youths, read: dict) -> StateTruth:
    """The reads of `state_reads` in one table."""
    months = sorted(event_states)
    if not months:
        return StateTruth(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    index = np.concatenate([m * np.int64(len(youths)) + event_states[m].rows for m in months])
    if isinstance(read[months[0]], dict):  # with the office
        base = [read[m]["base"] for m in months]
        return StateTruth(index, np.concatenate([b[0] for b in base]), np.concatenate([b[1] for b in base]),
                          np.concatenate([read[m + 1]["routes"] for m in months]))
    return StateTruth(index, np.concatenate([read[m][0] for m in months]), np.concatenate([read[m][1] for m in months]))


def positions(truth: StateTruth, month: np.ndarray, youth: np.ndarray, n: int) -> np.ndarray:
    """Each (month, youth)'s position in `truth`; an error when its state was not kept."""
    wanted = month * np.int64(n) + youth
    position = np.searchsorted(truth.index, wanted).clip(max=max(len(truth.index) - 1, 0))
    found = truth.index[position] == wanted if len(truth.index) else np.zeros(len(wanted), bool)
    if not found.all():
        first = np.flatnonzero(~found)[0]
        raise ValueError(f"no simulated state kept for youth {youth[first]} in month {month[first]}: an office event "
                         "outside what `simulate.event_candidates` keeps (see `truth_events.event_ages`)")
    return position


def event_truth_frame(events: pd.DataFrame, youth_ids: np.ndarray, birth_days: np.ndarray, truth: StateTruth,
                      sq_day: np.ndarray, data_end: int) -> pd.DataFrame:
    """truth_events.csv's rows for `events` (as `office_events` gives them), in their order: each event's youth
    (position in `youth_ids`) at the start of its month in `truth`; p_true and the label by 23 where the youth is
    under 23 on the event's day."""
    youth = pd.Index(youth_ids).get_indexer(events["youth_id"].to_numpy())
    if (youth < 0).any():
        raise ValueError(f"an office event of an unknown youth: {events['youth_id'].to_numpy()[youth < 0][0]}")
    day = to_days(events["event_date"].to_numpy())
    at = positions(truth, months_of_days(day), youth, len(youth_ids))
    births = birth_days[youth]
    open_today = completed_years(births, day) < TODAY.outcome_age
    routes = {} if truth.p_routes is None else route_truth_columns(truth, at, open_today)
    return pd.DataFrame(routes | {
        "youth_id": events["youth_id"].to_numpy(), "event_date": pd.DatetimeIndex(events["event_date"]).strftime("%Y-%m-%d"),
        "kind": events["kind"].to_numpy(), "report_id": events["report_id"].to_numpy(),
        "p_true": np.where(open_today, truth.p_today[at], np.nan),
        TODAY.label: np.where(open_today, label(sq_day[youth], births, TODAY.outcome_age, data_end), np.nan),
        EVENT_TRUTH_COLUMNS[6]: truth.p_later[at], LAW_CHANGE.label: label(sq_day[youth], births, LAW_CHANGE.outcome_age, data_end),
    })[[*EVENT_TRUTH_COLUMNS, *routes]]


def route_truth_columns(truth: StateTruth, at: np.ndarray, open_today: np.ndarray) -> dict:
    """p_true_<r> for each route (empty where p_true is)."""
    return {f"p_true_{code}": np.where(open_today, truth.p_routes[at, r], np.nan) for r, code in enumerate(ROUTE_CODES)}
