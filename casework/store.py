"""The case store: every office event becomes a case (or extends one), and every change to a case is an
append-only record with who, when and why, written together with the case's new state in one transaction.

- `ingest` takes scored events (one row each, from `vsv cases sync` or `POST /events`), idempotent by the event's
  key: a report delivered twice is one event of one case. A repeat report within the region's period attaches to
  the youth's open case and escalates its advice (`casework.chain`).
- The officers' changes (`set_status`, `close`, `assign`, `decide`, `add_note`, `set_follow_up`, `correct`) are
  checked against the stored case (`casework.projection`): the advice a decision is compared with is the one stored
  on the case, never one sent in. Refusals raise `CaseRefused` with Dutch messages.
- The pages read through `inbox`, `case` and `capacity` (`casework.queries`).

The database refuses UPDATE of `case_records` (triggers); retention alone deletes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casework.chain import CASE, plan_ingest, prepared_events
from casework.draws import available_routes
from casework.model import CLOSED, NEW, STATUSES, CaseworkRules
from casework.projection import (
    CaseNotFound,
    CaseRefused,
    corrected_values,
    decision_status,
    decision_values,
    effective_records,
    fold,
    follow_up_problems,
    local_day,
    name_problems,
    open_problems,
    outcome_problems,
    refusal_problems,
    root_of,
    status_problems,
    text_problems,
)
from casework.queries import Capacity, CaseView, InboxPage, InboxQuery, read_capacity, read_case, read_inbox
from casework.tables import (
    APPEND_ONLY,
    case_events_table,
    case_records_table,
    case_syncs_table,
    cases_table,
    metadata,
)
from casework.wording import refused_why
from vsv_model.database import install_append_only, writing

__all__ = ["CaseNotFound", "CaseRefused", "CaseStore", "IngestResult", "create_schema"]

SYSTEM = "systeem"  # who made a record the officers did not make (sync, a delivery, an escalation)
KEY_CHUNK = 500     # keys per IN (...) list
OPENED, ATTACHED, KNOWN = "opened", "attached", "known"
OUTCOME_COLUMNS = ("event_key", "case_id", "status", "kind", "advised_route", "deadline")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_schema(engine: Engine) -> Engine:
    """The work queue's tables (those missing, and their columns added since) and the trigger that refuses UPDATE
    of `case_records`."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        add_missing_columns(connection, (cases_table, case_events_table))
        install_append_only(connection, APPEND_ONLY, ("UPDATE",))  # checked only, by a role that does not own them
    return engine


def add_missing_columns(connection: Connection, tables) -> None:
    """Columns added to the tables after a database was created (the draws, the policy), as nullable columns:
    existing rows keep what they had."""
    inspector = sa.inspect(connection)
    for table in tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")


@dataclass
class IngestResult:
    read: int           # rows given
    new: int            # events stored now
    known: int          # events stored before (or twice in the rows): skipped
    opened: int         # cases opened
    attached: int       # events attached to an open case
    escalated: int      # of which the advice got heavier
    outcomes: pd.DataFrame  # per row given, in order: event_key, case_id, status (opened|attached|known), kind,
                            # advised_route and deadline (the case's after the event; for a known event, its current)


class CaseStore:
    """The cases in a database (SQLite or PostgreSQL); `clock` gives the time of a record (UTC), so tests can fix
    the day a decision or a closing is counted on."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime] | None = None):
        self.engine = engine
        self.clock = clock or utc_now

    def today(self) -> dt.date:
        """The office's day now (Europe/Amsterdam)."""
        return local_day(self.clock())

    # --- events -------------------------------------------------------------------------------------------------

    def ingest(self, scored: pd.DataFrame, rules: CaseworkRules, source: str,
               window: tuple[dt.date, dt.date] | None = None, read: int | None = None,
               alongside: Callable[[Connection], None] | None = None) -> IngestResult:
        """Store the scored events (`casework.chain.INGEST_COLUMNS`) in one transaction, with a `case_syncs` row of
        counts (`window` and `read`: the sync's period and the events it read, default the rows'). `alongside` runs
        in the same transaction (the service's audit record). A concurrent writer of the same event (PostgreSQL)
        makes the transaction run once more, finding the event known."""
        frame = prepared_events(scored)
        try:
            return self._ingest_transaction(frame, rules, source, window, read, alongside)
        except sa.exc.IntegrityError:  # a concurrent writer stored one of these events first: now it is known
            return self._ingest_transaction(frame, rules, source, window, read, alongside)

    def _ingest_transaction(self, frame: pd.DataFrame, rules: CaseworkRules, source: str, window, read,
                            alongside) -> IngestResult:
        with writing(self.engine) as connection:
            result = self._ingest(connection, frame, rules)
            record_sync(connection, self.clock(), source, frame, result, window, read)
            if alongside is not None:
                alongside(connection)
            return result

    def _ingest(self, connection: Connection, frame: pd.DataFrame, rules: CaseworkRules) -> IngestResult:
        stored = stored_events(connection, frame["event_key"].unique())
        fresh = ~frame["event_key"].isin(stored["event_key"]) & ~frame["event_key"].duplicated()
        new = frame[fresh]
        outcomes = stored
        opened = attached = escalated = 0
        if len(new):
            plan = plan_ingest(new, open_cases_of(connection, new["youth_id"].unique()), rules,
                               places=lambda: available_routes(read_capacity(connection, self.today(), rules)))
            events = self._write_plan(connection, plan)
            outcomes = pd.concat([stored, events[list(OUTCOME_COLUMNS)]], ignore_index=True)
            opened, attached = int((events["status"] == OPENED).sum()), int((events["status"] == ATTACHED).sum())
            escalated = int(events["escalated"].sum())
        per_row = frame[["event_key", "kind"]].merge(outcomes.drop(columns="kind"), on="event_key", how="left")
        per_row.loc[~fresh.to_numpy(), "status"] = KNOWN
        return IngestResult(len(frame), len(new), len(frame) - len(new), opened, attached, escalated,
                            per_row[list(OUTCOME_COLUMNS)])

    def _write_plan(self, connection: Connection, plan) -> pd.DataFrame:
        """The plan's new cases, its open cases' new state, its events and their records; returns the events with
        their case ids and outcome."""
        now = self.clock()
        cases = plan.cases
        opening = cases["case_id"].isna().to_numpy()
        ids = cases["case_id"].to_numpy(dtype=object, copy=True)
        ids[opening] = insert_cases(connection, cases[opening], now)
        cases["case_id"] = ids.astype(np.int64)
        update_cases(connection, cases[~opening], now)
        events = plan.events.merge(cases[[*CASE, "case_id"]], on=CASE, how="left", sort=False)
        events["case_id"] = events["case_id"].astype(np.int64)
        events["status"] = np.where(events["attached"], ATTACHED, OPENED)
        events["advised_route"], events["deadline"] = events["advice"], events["case_deadline"].dt.date
        insert_events(connection, events, now)
        insert_event_records(connection, events, now)
        return events

    def known_events(self, keys) -> pd.DataFrame:
        """The events already stored among `keys`, with their case's id, current advice and deadline."""
        with self.engine.connect() as connection:
            return stored_events(connection, list(keys))

    def last_sync_until(self, source: str = "sync") -> dt.date | None:
        """The last day the latest sync of `source` covered (the next starts the day after)."""
        t = case_syncs_table.c
        query = sa.select(t.until).where(t.source == source, t.until.is_not(None)).order_by(t.id.desc()).limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    # --- the officers' changes ----------------------------------------------------------------------------------

    def set_status(self, case_id: int, to: str, officer: str, why: str | None = None) -> int:
        """The case's next status in the method's order (skipping forward allowed); returns the record's id."""
        def build(case):
            return ({"action": "status", "status_to": to, "why": why},
                    (open_problems(case) or status_problems(case, to)) + text_problems("why", why))
        return self._change(case_id, officer, build)

    def close(self, case_id: int, officer: str, outcome: str | None, why: str | None = None) -> int:
        """Close the case with an outcome (`casework.model.OUTCOMES`)."""
        def build(case):
            return ({"action": "status", "status_to": CLOSED, "outcome": outcome, "why": why},
                    open_problems(case) + outcome_problems(outcome) + text_problems("why", why))
        return self._change(case_id, officer, build)

    def assign(self, case_id: int, officer: str | None, by: str) -> int:
        """Put the case on `officer`'s name (None: unassigned again), by `by`."""
        def build(case):
            problems = open_problems(case) + ([] if officer is None else name_problems(officer, "Kies een medewerker."))
            if not problems and (officer or None) == case["officer"]:
                problems = ["De zaak staat al zo toegewezen."]
            return {"action": "assigned", "assigned_to": officer.strip() if officer else None}, problems
        return self._change(case_id, by, build)

    def decide(self, case_id: int, officer: str, follows: bool, chosen_route: str | None = None,
               other_route: str | None = None, why: str | None = None, follow_up_on: dt.date | None = None,
               note: str | None = None) -> int:
        """The officer's route. The advice it is compared with is the one stored on the case (there is no advice
        argument: nothing a browser sends can change it); following takes that advice, another route needs `why`,
        and "anders" needs `other_route`. The case moves to 'route chosen' ('trajectory' for the matchmaker)."""
        def build(case):
            values, problems = decision_values(case["advised_route"], follows, chosen_route, other_route, why)
            problems = open_problems(case) + problems + text_problems("note", note)
            problems += follow_up_problems(follow_up_on, self.today())
            return ({"action": "decision", "advised_route": case["advised_route"], "follow_up_on": follow_up_on,
                     "why": why, "note": note, "status_to": decision_status(case["status"], values["chosen_route"]),
                     **values}, problems)
        return self._change(case_id, officer, build)

    def add_note(self, case_id: int, officer: str, note: str) -> int:
        return self._change(case_id, officer, lambda case: ({"action": "note", "note": note},
                                                            text_problems("note", note, required=True)))

    def set_follow_up(self, case_id: int, officer: str, follow_up_on: dt.date | None, why: str | None = None) -> int:
        """The day to look at the case again (None: no follow-up)."""
        def build(case):
            return ({"action": "follow_up", "follow_up_on": follow_up_on, "why": why},
                    open_problems(case) + follow_up_problems(follow_up_on, self.today()) + text_problems("why", why))
        return self._change(case_id, officer, build)

    def refuse_draw(self, case_id: int, officer: str, why: str) -> int:
        """The officer refuses the route drawn by lot, with a reason (required): a "refusal" record, after which the
        case's advice is the policy's own again (`model_advised_route`) and the officer decides as usual."""
        def build(case):
            problems = open_problems(case) or refusal_problems(case)
            return ({"action": "refusal", "advised_route": case["model_advised_route"], "why": why},
                    problems + text_problems("refusal", why, required=True))

        def fall_back(connection: Connection, case: dict) -> None:
            connection.execute(cases_table.update().where(cases_table.c.id == case["id"]).values(
                advised_route=case["model_advised_route"], advice_why=refused_why(case["model_advised_route"])))
        return self._change(case_id, officer, build, then=fall_back)

    def correct(self, record_id: int, officer: str, why: str, **corrected) -> int:
        """A new record naming the one it corrects (`corrects`), with the corrected values; the original stays and
        the case follows the correction. Correcting a correction corrects the same change again."""
        with writing(self.engine) as connection:
            named = connection.execute(sa.select(case_records_table).where(case_records_table.c.id == record_id)).mappings().first()
            if named is None:
                raise CaseNotFound(["Deze regel bestaat niet."])
            case = locked_case(connection, named["case_id"])
            records = records_of(connection, case["id"])
            root = root_of(dict(named), {r["id"]: r for r in records})
            current = next(r for r in effective_records(records) if r["id"] == root["id"])
            values, problems = corrected_values(current, corrected, self.today())
            problems = name_problems(officer) + problems + text_problems("why", why, required=True)
            if problems:
                raise CaseRefused(problems)
            values |= {"action": "correction", "corrects": record_id, "why": why,
                       "advised_route": root["advised_route"]}
            new_id = self._append(connection, case, officer, values)
            reproject(connection, case["id"], self.clock())
            return new_id

    def _change(self, case_id: int, officer: str, build: Callable[[dict], tuple[dict, list[str]]],
                then: Callable[[Connection, dict], None] | None = None) -> int:
        """One change: checked against the stored case (locked), appended as a record, and the case re-folded
        (`then` changes the case further in the same transaction)."""
        with writing(self.engine) as connection:
            case = locked_case(connection, case_id)
            values, problems = build(case)
            problems = name_problems(officer) + problems
            if problems:
                raise CaseRefused(problems)
            record_id = self._append(connection, case, officer, values)
            if then is not None:
                then(connection, case)
            reproject(connection, case_id, self.clock())
            return record_id

    def _append(self, connection: Connection, case: dict, officer: str, values: dict) -> int:
        row = {"case_id": case["id"], "recorded_at": self.clock(), "officer": officer.strip(),
               "status_from": case["status"], **values}
        return connection.execute(case_records_table.insert().returning(case_records_table.c.id), [row]).scalar_one()

    # --- the pages ------------------------------------------------------------------------------------------------

    def inbox(self, query: InboxQuery, today: dt.date | None = None) -> InboxPage:
        with self.engine.connect() as connection:
            return read_inbox(connection, query, today or self.today())

    def case(self, case_id: int, today: dt.date | None = None) -> CaseView:
        with self.engine.connect() as connection:
            return read_case(connection, case_id, today or self.today())

    def capacity(self, today: dt.date | None = None, rules: CaseworkRules | None = None) -> Capacity:
        with self.engine.connect() as connection:
            return read_capacity(connection, today or self.today(), rules or CaseworkRules())

    def counts(self, today: dt.date | None = None) -> pd.DataFrame:
        """Cases per status and kind of the latest event, with how many are overdue (for `vsv cases list`)."""
        c = cases_table.c
        overdue = sa.func.count(sa.case((sa.and_(c.deadline < (today or self.today()), c.status != CLOSED), 1)))
        query = sa.select(c.status, c.last_kind, sa.func.count().label("cases"), overdue.label("overdue")).group_by(
            c.status, c.last_kind)
        with self.engine.connect() as connection:
            frame = pd.DataFrame(connection.execute(query).mappings().all(), columns=["status", "last_kind", "cases", "overdue"])
        frame["order"] = frame["status"].map(STATUSES.index)
        return frame.sort_values(["order", "last_kind"]).drop(columns="order").reset_index(drop=True)


# --- reading and writing rows --------------------------------------------------------------------------------------


def chunks(values, size: int = KEY_CHUNK):
    values = list(values)
    return [values[i:i + size] for i in range(0, len(values), size)]


def stored_events(connection: Connection, keys) -> pd.DataFrame:
    """The stored events among `keys` (event_key, case_id, kind, the case's advised_route and deadline)."""
    e, c = case_events_table.c, cases_table.c
    rows = []
    for part in chunks(keys):
        query = (sa.select(e.event_key, e.case_id, e.kind, c.advised_route, c.deadline)
                 .join_from(case_events_table, cases_table, e.case_id == c.id).where(e.event_key.in_(part)))
        rows += connection.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=["event_key", "case_id", "kind", "advised_route", "deadline"])
    frame["status"] = KNOWN
    return frame[list(OUTCOME_COLUMNS)]


def open_cases_of(connection: Connection, youths) -> pd.DataFrame:
    """Per youth, the open case with the latest event (locked on PostgreSQL until the ingest commits)."""
    c = cases_table.c
    rows = []
    for part in chunks(youths):
        query = (sa.select(c.id.label("case_id"), c.youth_id, c.last_event_on, c.advised_route, c.deadline, c.events,
                           c.first_kind).where(c.youth_id.in_(part), c.status != CLOSED).with_for_update())
        rows += connection.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=["case_id", "youth_id", "last_event_on", "advised_route", "deadline", "events",
                                        "first_kind"])
    frame = frame.sort_values(["youth_id", "last_event_on", "case_id"], kind="stable")
    return frame.drop_duplicates("youth_id", keep="last").reset_index(drop=True)


def locked_case(connection: Connection, case_id: int) -> dict:
    case = connection.execute(sa.select(cases_table).where(cases_table.c.id == case_id).with_for_update()).mappings().first()
    if case is None:
        raise CaseNotFound(["Deze zaak bestaat niet (meer)."])
    return dict(case)


def records_of(connection: Connection, case_id: int) -> list[dict]:
    query = sa.select(case_records_table).where(case_records_table.c.case_id == case_id).order_by(case_records_table.c.id)
    return [dict(r) for r in connection.execute(query).mappings()]


def reproject(connection: Connection, case_id: int, now: dt.datetime) -> None:
    """The case's officer-set fields folded again from all its records."""
    state = fold(records_of(connection, case_id))
    connection.execute(cases_table.update().where(cases_table.c.id == case_id).values(**state, updated_at=now))


def plain(value):
    """A frame's value as the database takes it: dates as dates, missing as None, numpy scalars as Python's."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if isinstance(value, np.generic) else value


def db_rows(frame: pd.DataFrame, columns: dict[str, str]) -> list[dict]:
    """Rows for an insert: `columns` maps the table's column to the frame's."""
    return [{name: plain(v) for name, v in zip(columns, values)}
            for values in zip(*(frame[source].to_numpy(dtype=object) for source in columns.values()))]


CASE_STATE = {name: name for name in (
    "last_kind", "last_event_on", "last_report_id", "events", "deadline", "probability", "risk_category", "tier",
    "advised_route", "advice_why", "escalation", "model_version", "model_fingerprint", "municipality",
    "leaves_group_on", "policy")}
DRAW_STATE = ("randomised", "draw_propensity", "model_advised_route")  # set when a case opens, never by a repeat


def insert_cases(connection: Connection, cases: pd.DataFrame, now: dt.datetime) -> list[int]:
    """New cases (status new, unassigned) in the frame's order; returns their ids in that order."""
    if cases.empty:
        return []
    rows = db_rows(cases, {"youth_id": "youth_id", "opened_on": "opened_on", "first_kind": "first_kind", **CASE_STATE,
                           **{name: name for name in DRAW_STATE}})
    rows = [row | {"status": NEW, "created_at": now, "updated_at": now} for row in rows]
    inserted = connection.execute(cases_table.insert().returning(cases_table.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in inserted]


def update_cases(connection: Connection, cases: pd.DataFrame, now: dt.datetime) -> None:
    """Open cases that new events attached to: their scoring state, in one statement for all."""
    if cases.empty:
        return
    c = cases_table.c
    values = {name: sa.bindparam(f"b_{name}", type_=c[name].type) for name in CASE_STATE}
    for kept in ("last_report_id", "municipality"):  # a leaver has no report number; a missing place keeps the known
        values[kept] = sa.func.coalesce(values[kept], c[kept])
    statement = cases_table.update().where(c.id == sa.bindparam("b_id")).values(**values, updated_at=now)
    rows = db_rows(cases, {"b_id": "case_id", **{f"b_{name}": name for name in CASE_STATE}})
    connection.execute(statement, rows)


def insert_events(connection: Connection, events: pd.DataFrame, now: dt.datetime) -> None:
    rows = db_rows(events, {"case_id": "case_id", "event_key": "event_key", "youth_id": "youth_id", "kind": "kind",
                            "event_date": "event_date", "report_id": "report_id", "probability": "probability",
                            "risk_category": "risk_category", "tier": "tier", "advised_route": "advice",
                            "reasons": "reasons", "model_version": "model_version",
                            "model_fingerprint": "model_fingerprint", "medium_cutoff": "medium_cutoff",
                            "high_cutoff": "high_cutoff", "policy": "policy", **{name: name for name in DRAW_STATE}})
    connection.execute(case_events_table.insert(), [row | {"received_at": now} for row in rows])


def insert_event_records(connection: Connection, events: pd.DataFrame, now: dt.datetime) -> None:
    """One record per event: "opened" (status new), "escalated" (the advice got heavier) or "event"."""
    action = np.where(~events["attached"], "opened", np.where(events["escalated"], "escalated", "event"))
    rows = db_rows(events.assign(action=action, status_to=np.where(events["attached"], None, NEW)),
                   {"case_id": "case_id", "action": "action", "status_to": "status_to", "advised_route": "advice",
                    "why": "advice_why"})
    connection.execute(case_records_table.insert(), [row | {"recorded_at": now, "officer": SYSTEM} for row in rows])


def record_sync(connection: Connection, now: dt.datetime, source: str, frame: pd.DataFrame, result: IngestResult,
                window: tuple[dt.date, dt.date] | None, read: int | None) -> None:
    """The run's counts (never a youth): what the next sync starts after, and how many events each run stored."""
    if window is None and len(frame):
        window = (frame["event_date"].min().date(), frame["event_date"].max().date())
    versions = frame["model_version"].dropna()
    connection.execute(case_syncs_table.insert().values(
        synced_at=now, source=source, since=window[0] if window else None, until=window[1] if window else None,
        events_read=result.read if read is None else read, events_new=result.new, cases_opened=result.opened,
        cases_escalated=result.escalated, model_version=str(versions.iloc[0]) if len(versions) else None))
