"""Retention of the work queue: a youth's cases, events, records and letters are deleted once the term has passed.

The term is a regional setting (`CaseworkRules.retention_years`, default 2) counted from the day the youth leaves
the target group (`cases.leaves_group_on`: the max-age birthday, or an earlier startkwalificatie). A youth is due
when today >= leaves_group_on + term (the day itself is due; 29 February + 2 years is 28 February). With several
cases the latest exit counts, and never before the youth's last event.

`case_syncs` and `case_outcomes` hold counts only and stay. The service's side (the youth's key, the archived
scores) is `serving/retention.py`, which also decides for youths known only there; `vsv retention` runs both.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casework.model import CaseworkRules
from casework.tables import case_events_table, case_records_table, cases_table, letters_table
from vsv_model.database import writing
from vsv_model.youth_keys import chunks

# In the order they are deleted: the rows that point at a case first.
RETENTION_TABLES = ("case_records", "letters", "case_events", "cases")
DATE_COLUMNS = ["youth_id", "seen_on", "leaves_group_on"]


def case_dates(connection: Connection) -> pd.DataFrame:
    """Per youth with a case: the last event's day (`seen_on`) and the latest known exit from the group (NaT when
    none of the youth's cases has one)."""
    if cases_table.name not in sa.inspect(connection).get_table_names():
        return pd.DataFrame(columns=DATE_COLUMNS)
    query = (sa.select(cases_table.c.youth_id, sa.func.max(cases_table.c.last_event_on).label("seen_on"),
                       sa.func.max(cases_table.c.leaves_group_on).label("leaves_group_on"))
             .group_by(cases_table.c.youth_id))
    return frame_of(connection.execute(query).all(), DATE_COLUMNS)


def frame_of(rows: list, columns: list[str]) -> pd.DataFrame:
    """Result rows as a frame, built column by column (pandas is slow on row objects)."""
    values = list(zip(*rows)) if rows else [()] * len(columns)
    return pd.DataFrame({name: pd.Series(column, dtype=object) for name, column in zip(columns, values, strict=True)})


def as_days(dates: pd.DataFrame) -> pd.DataFrame:
    """The date columns as days (NaT where unknown), whether they came as dates, text or moments."""
    return pd.DataFrame({"youth_id": dates["youth_id"].astype(str),
                         **{c: pd.to_datetime(pd.Series(dates[c], dtype=object), errors="coerce") for c in DATE_COLUMNS[1:]}})


def add_years(days: pd.Series, years: int) -> pd.Series:
    """Calendar years later (29 February -> 28 February in a common year, as birthdays are counted)."""
    return pd.to_datetime(days) + pd.DateOffset(years=years)


def due_from_dates(dates: pd.DataFrame, retention_years: int, today: dt.date,
                   undated_span_years: int | None = None) -> list[str]:
    """The youths (sorted) whose term has passed on `today`. `dates` has one row or more per youth: `seen_on` (a day
    the youth was in the target group) and `leaves_group_on` (NaT when not known). The term runs from the latest
    known exit, never from before the last day seen. A youth without a known exit is due only with
    `undated_span_years`: then the group's span after the last day seen is taken as the exit, the latest it can be."""
    if dates.empty:
        return []
    per_youth = as_days(dates).groupby("youth_id")[["seen_on", "leaves_group_on"]].max()
    known = per_youth["leaves_group_on"].notna()
    exit_day = per_youth[["leaves_group_on", "seen_on"]].max(axis=1).where(known)
    if undated_span_years is not None:
        exit_day = exit_day.where(known, add_years(per_youth["seen_on"], undated_span_years))
    due = add_years(exit_day, retention_years) <= pd.Timestamp(today)
    return sorted(per_youth.index[due.to_numpy()].astype(str))


def due_youths(engine: Engine, rules: CaseworkRules, today: dt.date) -> list[str]:
    """Youths whose cases' term has passed: today >= leaves_group_on + `rules.retention_years`. A youth whose cases
    have no exit day is not due here (the service's retention bounds it from the last event)."""
    with engine.connect() as connection:
        return due_from_dates(case_dates(connection), rules.retention_years, today)


def apply_retention(engine: Engine, youths: list[str], dry_run: bool) -> dict[str, int]:
    """Delete the youths' cases, events, records and letters (or, with `dry_run`, count what would go).
    Returns the rows per table."""
    if dry_run:
        with engine.connect() as connection:
            return casework_rows(connection, youths, delete=False)
    with writing(engine) as connection:
        return casework_rows(connection, youths, delete=True)


def casework_rows(connection: Connection, youths: list[str], delete: bool) -> dict[str, int]:
    """Count, or delete, the youths' rows of the work queue in the caller's transaction, per table."""
    present = set(sa.inspect(connection).get_table_names())
    counts = dict.fromkeys(RETENTION_TABLES, 0)
    for part in chunks(sorted(set(youths))):
        for name, where in youth_rows(part).items():
            if name not in present:
                continue
            table = TABLES[name]
            if delete:
                counts[name] += connection.execute(sa.delete(table).where(where)).rowcount
            else:
                counts[name] += connection.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar()
    return counts


TABLES = {t.name: t for t in (case_records_table, letters_table, case_events_table, cases_table)}


def youth_rows(youths: list[str]) -> dict[str, sa.ColumnElement]:
    """Per table (in delete order), which rows belong to these youths: by their cases, and by youth id where the
    row carries one."""
    case_ids = sa.select(cases_table.c.id).where(cases_table.c.youth_id.in_(youths))
    return {
        "case_records": case_records_table.c.case_id.in_(case_ids),
        "letters": sa.or_(letters_table.c.case_id.in_(case_ids), letters_table.c.youth_id.in_(youths)),
        "case_events": sa.or_(case_events_table.c.case_id.in_(case_ids), case_events_table.c.youth_id.in_(youths)),
        "cases": cases_table.c.youth_id.in_(youths),
    }
