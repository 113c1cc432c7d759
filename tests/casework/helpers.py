"""Small helpers of the work queue's tests (the rows themselves come from `tests.builders.scored_event`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from casework.model import CaseworkRules
from casework.store import CaseStore
from casework.tables import metadata


class Clock:
    """The store's clock: 10:00 UTC on `day` (a test moves the day on)."""

    def __init__(self, day: dt.date):
        self.day = day

    def __call__(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(10, 0), tzinfo=dt.UTC)


def ingest(store: CaseStore, rules: CaseworkRules, *rows: dict, source: str = "test"):
    return store.ingest(pd.DataFrame(list(rows)), rules, source)


def table(engine, name: str) -> list[dict]:
    """A table's rows as dicts by id, typed by the table's definition (times left out: they are the clock's)."""
    definition = metadata.tables[name]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(definition).order_by(definition.c.id)).mappings().all()
    times = {"created_at", "updated_at", "recorded_at", "received_at", "synced_at"}
    return [{k: v for k, v in row.items() if k not in times} for row in rows]


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
