"""Database plumbing shared by every stage that keeps records (the service's decisions and audit log, the work
queue's cases): connecting with SQLite's pragmas, one writer at a time on a SQLite file, append-only triggers.

Writes go through `writing(engine)`. On a SQLite file the writers (a server's workers, `vsv` commands)
first queue on an OS file lock next to the database, so a waiting writer wakes the moment the previous
commit ends. SQLite's own busy handler instead sleeps between tries (1, 2, 5 ... 100 ms): under load
the requests of one worker stalled behind the other's commits (a p99 of 100-180 ms at concurrency 8).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("vsv.database")


def create_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; on SQLite with busy timeout, WAL and full synchronous commits."""
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    for pragma in ("PRAGMA busy_timeout=10000", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"):
        try:
            cursor.execute(pragma)
        except Exception as exc:  # noqa: BLE001 - a read-only database cannot switch journal mode
            log.warning("sqlite: %s not applied: %s", pragma, exc)
    cursor.close()


def write_lock_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite database file (`vsv.db` -> `vsv.db-writer.lock`); None for other databases
    (PostgreSQL queues writers itself), for an in-memory SQLite and for one named by a `file:` URI (the
    read-only form among them)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).with_name(Path(database).name + "-writer.lock")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (committed on leaving, rolled back on an error), taken in turn with every other
    writer of the same SQLite file. When the lock file cannot be opened (a read-only directory) the
    transaction runs without it: SQLite's busy handler still serialises, and a read-only database fails
    loudly on the write itself."""
    lock_path = write_lock_path(engine)
    try:
        lock = open(lock_path, "ab") if lock_path is not None else None  # noqa: SIM115 - held across the yield
    except OSError as exc:
        log.warning("sqlite: writer lock %s not available (%s); relying on SQLite's busy handler", lock_path, exc)
        lock = None
    try:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released by closing, also if this process dies
        with engine.begin() as connection:
            yield connection
    finally:
        if lock is not None:
            lock.close()


def append_only_triggers(dialect: str, tables: tuple[str, ...], actions: tuple[str, ...] = ("UPDATE", "DELETE")) -> list[str]:
    """Triggers that refuse `actions` on `tables` whatever code connects (on PostgreSQL, refusing DELETE also
    refuses TRUNCATE). A table that retention prunes refuses UPDATE only."""
    statements = []
    for table in tables:
        if dialect == "sqlite":
            for action in actions:
                statements.append(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
                                  f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        elif dialect == "postgresql":
            statements.append("CREATE OR REPLACE FUNCTION vsv_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(actions)} ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION vsv_append_only()")
            if "DELETE" in actions:
                statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
                statements.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "  # row triggers miss it
                                  "FOR EACH STATEMENT EXECUTE FUNCTION vsv_append_only()")
    return statements


PERMITS = "retention_permits"  # holds a row only inside a retention's own transaction


def retention_only_delete_triggers(dialect: str, tables: tuple[str, ...]) -> list[str]:
    """Triggers that refuse DELETE on `tables` except inside a transaction holding a retention permit (a row of
    `retention_permits` that only that transaction can see: `retention_permit`), and refuse TRUNCATE on PostgreSQL.
    Used with `append_only_triggers(..., ("UPDATE",))` for append-only tables that retention prunes. An earlier
    unconditional delete trigger of the same table is replaced."""
    statements = [f"CREATE TABLE IF NOT EXISTS {PERMITS} (holder VARCHAR(64) PRIMARY KEY)"]
    for table in tables:
        if dialect == "sqlite":
            statements += [f"DROP TRIGGER IF EXISTS {table}_no_delete",
                           f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                           f"WHEN NOT EXISTS (SELECT 1 FROM {PERMITS}) "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: only retention deletes'); END"]
        elif dialect == "postgresql":
            statements += [
                "CREATE OR REPLACE FUNCTION vsv_retention_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM {PERMITS}) THEN RETURN OLD; END IF; "
                "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: only retention deletes'; END $$",
                f"DROP TRIGGER IF EXISTS {table}_retention_only ON {table}",
                f"CREATE TRIGGER {table}_retention_only BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION vsv_retention_only()",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION vsv_retention_only()"]
    return statements


@contextmanager
def retention_permit(connection: Connection, holder: str) -> Iterator[None]:
    """Inside this block (in the caller's transaction) the retention-only tables accept DELETE; the permit is gone
    again before the commit, and no other transaction ever sees it."""
    connection.execute(sa.text(f"INSERT INTO {PERMITS} (holder) VALUES (:holder)"), {"holder": holder})
    try:
        yield
    finally:
        connection.execute(sa.text(f"DELETE FROM {PERMITS} WHERE holder = :holder"), {"holder": holder})


def driver_message(error: sa.exc.SQLAlchemyError) -> str:
    """The database's own first line (without SQLAlchemy's statement and parameters): one readable log line."""
    lines = str(getattr(error, "orig", None) or error).splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"
