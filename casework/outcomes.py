"""Outcomes at fixed horizons: each case's youth 30, 90 and 365 days after the case's first event, from the
registrations that came in later, counted per kind of event, route and risk category.

The state on the horizon's day is, in this order:

- `startkwalificatie`: a startkwalificatie diploma dated on or before that day;
- `enrolled`: an enrolment in secondary or further education (not primary: `po`/`so`) that has started on or
  before that day and has not ended before it;
- `neither`.

A horizon counts only when its day lies on or before the data's end: later registrations cannot yet be known. The
route is the one the officer chose (`geen_besluit` while undecided), the risk category the one shown at the case's
first event. Only counts are stored (`case_outcomes`), so they outlive retention; the route learning and the
monitoring read them. Whole-population path: one merge per table, no loop per case.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.model import HORIZON_STATES, HORIZONS_DAYS
from casework.tables import case_events_table, case_outcomes_table, cases_table
from features.office_events import first_sq_days
from vsv_model.contract import PRIMARY_TYPES
from vsv_model.database import writing
from vsv_model.dates import MISSING_DAY, OPEN_END, day_of, to_days
from vsv_model.reader import DataSet

UNDECIDED = "geen_besluit"
GROUP_COLUMNS = ["horizon_days", "kind", "route", "risk_category", "state"]


def first_events(engine: Engine) -> pd.DataFrame:
    """Per case: the youth, the first event's day, kind and risk category, and the chosen route."""
    first = (sa.select(case_events_table.c.case_id, sa.func.min(case_events_table.c.id).label("event_id"))
             .group_by(case_events_table.c.case_id).subquery())
    query = (sa.select(cases_table.c.id.label("case_id"), cases_table.c.youth_id, cases_table.c.chosen_route,
                       case_events_table.c.event_date, case_events_table.c.kind, case_events_table.c.risk_category)
             .join(first, first.c.case_id == cases_table.c.id)
             .join(case_events_table, case_events_table.c.id == first.c.event_id))
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all(),
                             columns=["case_id", "youth_id", "chosen_route", "event_date", "kind", "risk_category"])
    frame["route"] = frame["chosen_route"].fillna(UNDECIDED)
    return frame.drop(columns="chosen_route")


def horizon_rows(cases: pd.DataFrame, data_end: dt.date, horizons: tuple[int, ...] = HORIZONS_DAYS) -> pd.DataFrame:
    """One row per case and horizon whose day lies on or before the data's end, with that day (`day`, days since
    1970)."""
    event_days = to_days(pd.to_datetime(cases["event_date"]).to_numpy())
    rows = cases.loc[cases.index.repeat(len(horizons))].reset_index(drop=True)
    rows["horizon_days"] = np.tile(np.asarray(horizons, dtype=np.int64), len(cases))
    rows["day"] = np.repeat(event_days, len(horizons)) + rows["horizon_days"].to_numpy()
    return rows[rows["day"] <= day_of(data_end)].reset_index(drop=True)


def states_at(rows: pd.DataFrame, data: DataSet) -> np.ndarray:
    """The state of each row's youth on the row's day (`HORIZON_STATES`)."""
    youth_position = pd.Index(data.youths["youth_id"]).get_indexer(rows["youth_id"])
    if (youth_position < 0).any():
        unknown = rows.loc[youth_position < 0, "case_id"].nunique()
        raise ValueError(f"{unknown} case(s) belong to youths not in the data: sync and outcomes need the same data")
    first_sq = first_sq_days(data)[youth_position]
    has_sq = first_sq <= rows["day"].to_numpy()
    enrolled = enrolled_on(rows, data)
    return np.where(has_sq, HORIZON_STATES[0], np.where(enrolled, HORIZON_STATES[1], HORIZON_STATES[2]))


def enrolled_on(rows: pd.DataFrame, data: DataSet) -> np.ndarray:
    """Per row: whether the youth has an enrolment (not primary) running on the row's day."""
    schools = data.enrollments[~data.enrollments["education_type"].isin(PRIMARY_TYPES)]
    end = to_days(schools["end_date"].to_numpy())
    spans = pd.DataFrame({"youth_id": schools["youth_id"].to_numpy(), "start": to_days(schools["start_date"].to_numpy()),
                          "end": np.where(end == MISSING_DAY, OPEN_END, end)})
    keyed = rows[["youth_id", "day"]].reset_index(names="row")
    pairs = keyed.merge(spans, on="youth_id", how="inner")
    running = pairs[(pairs["start"] <= pairs["day"]) & (pairs["end"] >= pairs["day"])]
    enrolled = np.zeros(len(rows), dtype=bool)
    enrolled[running["row"].unique()] = True
    return enrolled


def count_outcomes(engine: Engine, data: DataSet) -> pd.DataFrame:
    """The counts per horizon, kind, route, risk category and state, for every case in the store."""
    rows = horizon_rows(first_events(engine), data.end_date())
    rows["state"] = states_at(rows, data) if len(rows) else np.array([], dtype=object)
    counts = rows.groupby(GROUP_COLUMNS, sort=True).size().rename("youths").reset_index()
    return counts.astype({"youths": "int64"})


def record_outcomes(engine: Engine, data: DataSet, now: dt.datetime | None = None) -> pd.DataFrame:
    """Count the outcomes and append them as one new set (readers take the newest); returns the counts."""
    counts = count_outcomes(engine, data)
    computed = now or dt.datetime.now(dt.UTC)
    values = [{**row, "computed_at": computed, "data_end": data.end_date()} for row in counts.to_dict("records")]
    with writing(engine) as connection:
        if values:
            connection.execute(case_outcomes_table.insert(), values)
    return counts


def latest_outcomes(engine: Engine) -> pd.DataFrame:
    """The newest set of counts (empty when never computed), with the share of each state within its horizon, kind,
    route and risk category."""
    table = case_outcomes_table
    newest = sa.select(sa.func.max(table.c.computed_at)).scalar_subquery()
    query = sa.select(table.c.data_end, *[table.c[c] for c in GROUP_COLUMNS], table.c.youths).where(
        table.c.computed_at == newest)
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all(),
                             columns=["data_end", *GROUP_COLUMNS, "youths"])
    cell = frame.groupby(GROUP_COLUMNS[:-1])["youths"].transform("sum")
    return frame.assign(share=frame["youths"] / cell.where(cell > 0))
