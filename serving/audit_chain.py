"""The audit log's hash chain: a record changed or deleted behind the service's back is found, and named.

Each record holds `prev_hash` (the previous record's `row_hash`) and `row_hash` = SHA-256 over `prev_hash` and the
record's stored fields in a canonical form (`canonical`): every column but `id` and the two hashes, in the table's
order, as a JSON list, the time in UTC (ISO 8601 with microseconds). The fields are hashed as stored: the pseudonym and the sealed ciphertext, never the
youth id they hide, so destroying a youth's key at retention leaves every link intact.

Records are appended in one write transaction that reads the chain's head and links the new records to it
(`link`). On a SQLite file the writers already take turns (`vsv_model.database.writing`); on PostgreSQL the
transaction first takes an advisory lock (`lock_chain`), so two writers can never both link to the same head.

Records written before the chain existed (no hashes) are folded into it from the start: the first chained record's
`prev_hash` is the hash of all of them, so they cannot be changed unseen either. A record without hashes after the
chain began was written behind it (or by an older version of the service still running) and is reported.

`verify` walks the whole log. What a chain cannot see on its own: the newest records removed all together (nothing
follows them to notice), or the whole log rewritten with new hashes. `vsv audit verify` prints the head's id and
hash: kept elsewhere (an e-mail, a ticket), it anchors the chain against both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from serving.database import audit_table

GENESIS = "0" * 64
CHAIN_LOCK = 0x7673765F61756469  # "vsv_audi": the advisory lock of the chain's head on PostgreSQL
UNHASHED = ("id", "prev_hash", "row_hash")
CHAINED_COLUMNS = tuple(c.name for c in audit_table.columns if c.name not in UNHASHED)
STORED_COLUMNS = tuple(c.name for c in audit_table.columns if c.name != "id")
READ_BATCH = 10_000


def utc(moment: dt.datetime) -> dt.datetime:
    """A moment in UTC; a naive one (SQLite keeps no offset) is taken as UTC, which is how the log writes them."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


TIME, FOLLOWS, PROBABILITY = (CHAINED_COLUMNS.index(c) for c in ("recorded_at", "decision_follows", "probability"))
chained_values = operator.itemgetter(*CHAINED_COLUMNS)
ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder: made once, not per record


def canonical(row) -> str:
    """The record's chained fields as one JSON list, the same whether built before the insert or read back: the
    time in UTC as ISO 8601 with microseconds, the decision's stance as a boolean (SQLite reads back 0/1 through
    plain SQL), the probability as a float."""
    values = list(chained_values(row))
    values[TIME] = utc(values[TIME]).isoformat(timespec="microseconds")
    if values[FOLLOWS] is not None:
        values[FOLLOWS] = bool(values[FOLLOWS])
    values[PROBABILITY] = float(values[PROBABILITY])
    return ENCODE(values)


def row_hash(prev_hash: str, row) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(row)}".encode()).hexdigest()


def lock_chain(connection: Connection) -> None:
    """Hold the chain's head for the rest of the transaction (PostgreSQL; a SQLite file has one writer at a time)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": CHAIN_LOCK})


def head_hash(connection: Connection) -> str:
    """The hash the next record links to: the newest record's, folding in any records written without one."""
    newest = connection.execute(sa.select(audit_table.c.row_hash).order_by(audit_table.c.id.desc()).limit(1)).first()
    if newest is None:
        return GENESIS
    if newest.row_hash is not None:  # the usual case: one indexed read
        return newest.row_hash
    last_chained = connection.execute(sa.select(audit_table.c.id, audit_table.c.row_hash)
                                      .where(audit_table.c.row_hash.isnot(None))
                                      .order_by(audit_table.c.id.desc()).limit(1)).first()
    start_id, running = (last_chained.id, last_chained.row_hash) if last_chained else (None, GENESIS)
    after = sa.select(audit_table).order_by(audit_table.c.id)
    if start_id is not None:
        after = after.where(audit_table.c.id > start_id)
    for row in connection.execute(after).mappings():  # none, unless records came in without the chain
        running = row_hash(running, row)
    return running


def link(connection: Connection, rows: list[dict]) -> list[dict]:
    """The rows with `prev_hash` and `row_hash`, linked in order onto the chain's head (the caller holds the chain)."""
    running = head_hash(connection)
    linked = []
    for row in rows:
        full = {c: row.get(c) for c in STORED_COLUMNS if c not in ("prev_hash", "row_hash")}
        full["recorded_at"] = utc(full["recorded_at"])
        full["prev_hash"], full["row_hash"] = running, row_hash(running, full)
        running = full["row_hash"]
        linked.append(full)
    return linked


@dataclass(frozen=True)
class Verification:
    records: int
    chained: int
    before_chain: int          # records from before the chain, folded into it
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(engine: Engine) -> Verification:
    """Walk the log in id order and recompute every link; stops at the first broken record."""
    running, records, chained, head_id = GENESIS, 0, 0, None
    query = sa.select(audit_table).order_by(audit_table.c.id).execution_options(yield_per=READ_BATCH)
    with engine.connect() as connection:
        for row in connection.execute(query).mappings():
            records += 1
            problem = link_problem(row, running, chained > 0)
            if problem:
                return Verification(records, chained, records - 1 - chained, head_id, running, row["id"], problem)
            running = row["row_hash"] or row_hash(running, row)
            chained += row["row_hash"] is not None
            head_id = row["id"]
    return Verification(records, chained, records - chained, head_id, running)


def link_problem(row, running: str, chain_started: bool) -> str:
    """Why this record does not fit the chain after `running`, or ''."""
    if row["row_hash"] is None:
        return "it has no hash, but the chain had already begun: it was written behind the chain" if chain_started else ""
    if row["prev_hash"] != running:
        return "the record before it is missing or was changed: its link to the previous record does not match"
    if row["row_hash"] != row_hash(running, row):
        return "its content was changed after it was written: its hash does not match"
    return ""


TAIL_RECORDS = 1000  # what a starting service checks: the newest records, in a few milliseconds


def verify_tail(engine: Engine, records: int = TAIL_RECORDS) -> str:
    """The chain's newest `records` links, checked as a service starts ('' when they hold, else the first broken
    record and why). A record's link to the one before the tail is checked too; the whole log: `verify`."""
    newest = (sa.select(audit_table).where(audit_table.c.row_hash.is_not(None))
              .order_by(audit_table.c.id.desc()).limit(records + 1))
    with engine.connect() as connection:
        rows = list(reversed(connection.execute(newest).mappings().all()))
    for before, row in zip(rows, rows[1:]):
        problem = link_problem(row, before["row_hash"], chain_started=True)
        if problem:
            return f"audit record {row['id']}: {problem}"
    if len(rows) == 1 and rows[0]["row_hash"] != row_hash(rows[0]["prev_hash"], rows[0]):
        return f"audit record {rows[0]['id']}: its content was changed after it was written: its hash does not match"
    return ""
