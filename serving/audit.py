"""The audit log: every score, explanation and decision appends one record, before the answer
leaves. If the record cannot be written the request fails (503): no advice without a record.

The API writes through one writer thread per worker (`append_async`): requests that arrive while a
commit is under way wait for the next one, which carries all their records in one transaction (group
commit). The event loop never blocks on the database, and a fully synchronous commit is paid once per
batch rather than once per request.

Each record is sealed under its youth's key (`vsv_model.youth_keys`: the youth id, the input hash, the reasons
and the decision's reason) and linked into the hash chain (`serving.audit_chain`) in the same transaction.
Reads (`export`) open what a key still opens; where retention destroyed the key the personal fields are empty
and `personal_data` says "verwijderd (bewaartermijn verlopen)".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import queue
import threading

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from serving.audit_chain import link, lock_chain
from serving.database import audit_table
from vsv_model.database import writing
from vsv_model.youth_keys import REMOVED_NL, YouthKey, ensure_keys, keys_by_pseudonym, seal, unseal

log = logging.getLogger("vsv.audit")


class AuditUnavailable(RuntimeError):
    """The audit log could not be written."""


SEALED_FIELDS = ("youth_id", "input_hash", "top_reasons", "decision_reason")
REQUIRED_FIELDS = ("youth_id", "input_hash", "top_reasons")
READABLE_NL, PLAIN_NL, DAMAGED_NL = "leesbaar", "open (geschreven voor de sleutels per jongere)", "kan niet worden geopend"


def seal_row(row: dict, key: YouthKey) -> dict:
    """The record as stored: the pseudonym for the youth id, the personal fields sealed under the youth's key."""
    missing = [f for f in REQUIRED_FIELDS if row.get(f) is None]
    if missing:
        raise AuditUnavailable(f"the audit log cannot be written (a record without {', '.join(missing)})")
    return {**row, "youth_id": key.pseudonym, "input_hash": "", "top_reasons": "", "decision_reason": None,
            "sealed": seal(key, "audit_log", {f: row.get(f) for f in SEALED_FIELDS})}


def stored_rows(connection: Connection, rows: list[dict]) -> list[dict]:
    """Sealed and linked onto the chain, in the caller's transaction (which then holds the chain)."""
    lock_chain(connection)
    keys = ensure_keys(connection, [r.get("youth_id") for r in rows if r.get("youth_id") is not None])
    return link(connection, [seal_row(r, keys.get(r.get("youth_id"))) for r in rows])


def settle(committed: asyncio.Future, error: AuditUnavailable | None) -> None:
    if committed.done():  # cancelled: the client went away
        return
    if error is None:
        committed.set_result(None)
    else:
        committed.set_exception(AuditUnavailable(str(error)))


def input_hash(canonical_json: str) -> str:
    return hashlib.sha256(canonical_json.encode("utf-8")).hexdigest()


def record(event: str, result, request_id: str | None, key_name: str | None, youth_json: str, **decision) -> dict:
    """One audit row from a scored or explained youth (and, for decisions, the decision fields)."""
    return records(event, [result], request_id, key_name, [youth_json], **decision)[0]


def records(event: str, results: list, request_id: str | None, key_name: str | None, youth_jsons: list[str],
            **decision) -> list[dict]:
    """The audit rows of one request: one per youth, sharing the request's time, id and key name."""
    now = dt.datetime.now(dt.UTC)
    shared = {"recorded_at": now, "event": event, "request_id": request_id, "key_name": key_name,
              "decision_route": decision.get("decision_route"), "decision_follows": decision.get("decision_follows"),
              "decision_reason": decision.get("decision_reason")}
    return [{**shared, "youth_id": result.youth_id, "as_of": str(result.as_of), "kind": result.kind,
             "model_version": result.model_version,
             "model_run_id": result.model_run_id,
             "input_hash": input_hash(youth_json), "probability": float(result.probability), "tier": result.tier,
             "advised_route": result.route, "top_reasons": top_reasons_json(result.reasons)}
            for result, youth_json in zip(results, youth_jsons, strict=True)]


def top_reasons_json(reasons) -> str:
    """The reasons shown, by concept (never the youth's values): what the advice rested on."""
    return "[" + ", ".join(f'{{"concept": "{r.concept}", "contribution": {round(r.contribution, 6)}}}' for r in reasons) + "]"


class AuditLog:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()

    async def append_async(self, rows: list[dict]) -> None:
        """Append rows without blocking the event loop; returns once they are committed (with whatever else
        was waiting), raises AuditUnavailable when that commit fails."""
        loop = asyncio.get_running_loop()
        committed = loop.create_future()
        self._start_writer()
        self._pending.put((rows, loop, committed))
        await committed

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_batches, name="audit-writer", daemon=True)
                self._writer.start()

    def _write_batches(self) -> None:
        """The writer thread: commit whatever is waiting, settle every waiting request, and go on. No failure
        ends the loop, or the requests after it would wait for ever instead of getting their 503."""
        while True:
            batch = self._take_batch()
            error = self._commit(batch)
            for _, loop, committed in batch:
                try:
                    loop.call_soon_threadsafe(settle, committed, error)
                except RuntimeError:  # that request's event loop has closed: nobody is waiting any more
                    pass

    def _take_batch(self) -> list:
        """The first waiting request (blocking) and all that queued up behind it."""
        batch = [self._pending.get()]
        while True:
            try:
                batch.append(self._pending.get_nowait())
            except queue.Empty:
                return batch

    def _commit(self, batch: list) -> AuditUnavailable | None:
        """Append the batch's rows in one transaction; any failure becomes the batch's AuditUnavailable."""
        try:
            self.append([row for rows, _, _ in batch for row in rows])
        except AuditUnavailable as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - whatever broke, these requests get a 503 and the writer lives on
            log.error("audit writer: a batch of %d requests failed (%s)", len(batch), type(exc).__name__)
            return AuditUnavailable(f"the audit log cannot be written ({type(exc).__name__})")
        return None

    def append(self, rows: list[dict], connection: Connection | None = None) -> None:
        """Append rows in one transaction (or in the caller's); any failure is AuditUnavailable."""
        if not rows:
            return
        try:
            if connection is not None:
                connection.execute(audit_table.insert(), stored_rows(connection, rows))
                return
            with writing(self.engine) as own:
                own.execute(audit_table.insert(), stored_rows(own, rows))
        except sa.exc.SQLAlchemyError as exc:
            raise AuditUnavailable(f"the audit log cannot be written ({type(exc).__name__})") from exc

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(audit_table)).scalar())

    def export(self, since: dt.date) -> pd.DataFrame:
        """Records from `since` (00:00 UTC) on, oldest first, opened where their youth's key still exists; with the
        youth's pseudonym (`youth_pseudonym`: counts of youths survive retention) and `personal_data` (readable,
        removed at retention, or written before the keys)."""
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        query = sa.select(audit_table).where(audit_table.c.recorded_at >= start).order_by(audit_table.c.id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            keys = keys_by_pseudonym(connection, [r["youth_id"] for r in rows if r["sealed"] is not None])
        return pd.DataFrame([opened_row(r, keys) for r in rows], columns=EXPORT_COLUMNS)


EXPORT_COLUMNS = [*(c.name for c in audit_table.columns if c.name not in ("sealed", "prev_hash")), "youth_pseudonym",
                  "personal_data"]


def opened_row(row, keys: dict[str, bytes]) -> dict:
    """A stored record as readers see it: its personal fields opened, or empty once its key was destroyed."""
    out = {c: row[c] for c in EXPORT_COLUMNS[:-2]}
    if row["sealed"] is None:
        return out | {"youth_pseudonym": None, "personal_data": PLAIN_NL}
    pseudonym = row["youth_id"]
    try:
        fields = unseal(keys.get(pseudonym), "audit_log", pseudonym, row["sealed"])
    except ValueError:
        return out | dict.fromkeys(SEALED_FIELDS) | {"youth_pseudonym": pseudonym, "personal_data": DAMAGED_NL}
    if fields is None:
        return out | dict.fromkeys(SEALED_FIELDS) | {"youth_pseudonym": pseudonym, "personal_data": REMOVED_NL}
    return out | {f: fields.get(f) for f in SEALED_FIELDS} | {"youth_pseudonym": pseudonym, "personal_data": READABLE_NL}
