"""`vsv cases sync`: the office events of a data directory since the last sync, scored and made into cases.

The period runs from the day after the last sync's end (`case_syncs`) to the data's end; the first sync, without
`since`, takes the last `repeat_days` days (so a repeat finds the report before it). Events already stored are not
scored again, and the store skips them too: running twice, or with an overlapping `since`, gives the same cases.
The scorer is given (the champion through `serving.batch.score_events`, mapped to the store's columns by the
caller): this stage never imports the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from casework.chain import INGEST_COLUMNS, event_keys
from casework.model import CaseworkRules
from casework.store import CaseStore
from features.office_events import EventRules, event_candidates, office_events
from vsv_model.reader import DataSet

Scorer = Callable[[DataSet, pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class SyncResult:
    since: dt.date
    until: dt.date
    events_read: int   # office events in the period
    known: int         # of which stored before: skipped
    scored: int        # the others, scored (an event of a youth outside the model's group on its day is not)
    new: int           # events stored now
    opened: int        # cases opened
    attached: int      # events attached to an open case
    escalated: int     # of which the advice got heavier

    @property
    def not_scored(self) -> int:
        return self.events_read - self.known - self.scored


def sync_period(store: CaseStore, data: DataSet, rules: CaseworkRules, since: dt.date | None, until: dt.date | None,
                today: dt.date | None) -> tuple[dt.date, dt.date]:
    """From `since` (else the day after the last sync, else `repeat_days` days before the end) to the data's end
    (or `until`, or `today`, whichever is first)."""
    end = min(d for d in (data.end_date(), until, today) if d is not None)
    if since is None:
        last = store.last_sync_until()
        since = last + dt.timedelta(days=1) if last is not None else end - dt.timedelta(days=rules.repeat_days - 1)
    return since, end


def period_events(data: DataSet, since: dt.date, until: dt.date, rules: EventRules) -> pd.DataFrame:
    """The office events from `since` to `until`, derived from the records of the youths who can have one."""
    if since > until:
        return pd.DataFrame({"youth_id": [], "event_date": pd.Series([], dtype="datetime64[s]"), "kind": [],
                             "report_id": []})
    candidates = data.of_youths(event_candidates(data, since, until, rules))
    return office_events(candidates, since, until, rules, data_end=data.end_date())


def sync_cases(engine: Engine, data: DataSet, scorer: Scorer, rules: CaseworkRules, since: dt.date | None = None,
               until: dt.date | None = None, today: dt.date | None = None,
               event_rules: EventRules | None = None) -> SyncResult:
    """Read the period's events, score the ones not stored yet, and ingest them with a `case_syncs` row of counts.
    `event_rules` (default: the region's repeat period, the current law's ages) should carry the model's ages."""
    store = CaseStore(engine)
    since, until = sync_period(store, data, rules, since, until, today)
    events = period_events(data, since, until, event_rules or EventRules(repeat_days=rules.repeat_days))
    keys = event_keys(events["youth_id"], events["event_date"], events["kind"], events["report_id"])
    fresh = events[~keys.isin(store.known_events(keys.unique())["event_key"]).to_numpy()].reset_index(drop=True)
    scored = scorer(data, fresh) if len(fresh) else pd.DataFrame(columns=list(INGEST_COLUMNS))
    result = store.ingest(scored, rules, "sync", window=(since, until), read=len(events))
    return SyncResult(since, until, len(events), len(events) - len(fresh), len(scored), result.new, result.opened,
                      result.attached, result.escalated)
