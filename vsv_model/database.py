"""Database plumbing shared by every stage that keeps records (the service's decisions and audit log, the work
queue's cases): connecting with SQLite's pragmas, one writer at a time on a SQLite file, append-only triggers.

Writes go through `writing(engine)`. On a SQLite file the writers (a server's workers, `vsv` commands)
first queue on an OS file lock next to the database, so a waiting writer wakes the moment the previous
commit ends. SQLite's own busy handler instead sleeps between tries (1, 2, 5 ... 100 ms): under load
the requests of one worker stalled behind the other's commits (a p99 of 100-180 ms at concurrency 8).

Before each commit `writing` checks that the database is still the one the engine first opened
(`DatabaseIdentity`): the same file (device and inode) still at its path for SQLite, the same server
(`system_identifier`) and database (its oid) for PostgreSQL. For SQLite the first identity a process sees at a path
holds for every engine of that process (a worker's page sessions have an engine of their own, which may connect
only after a deletion), and no engine re-creates a deleted file at the path. A worker holding a deleted SQLite file open
would otherwise go on committing into a file nobody will ever read again: every record acknowledged after
the deletion would be lost without a sign.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("vsv.database")


def create_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; on SQLite with busy timeout, WAL and full synchronous commits. Its first
    connection remembers which database it reached (`writing` checks every commit against it)."""
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "do_connect", lambda _dialect, _record, _args, _kwargs: refuse_a_new_file(engine))
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "connect", lambda connection, _record: remember_identity(engine, connection))
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


class DatabaseReplaced(sa.exc.SQLAlchemyError):
    """The database is not the one the engine opened (deleted, moved, restored from a copy, another server):
    nothing is committed. A database error like any other to its callers, so every write path refuses (503)."""


@dataclass(frozen=True)
class DatabaseIdentity:
    """What makes a database the same one: (st_dev, st_ino) of a SQLite file, or (system_identifier, database
    oid) of a PostgreSQL database. `where` names it for the messages."""

    where: str
    key: tuple


_OPENED: weakref.WeakKeyDictionary[Engine, DatabaseIdentity] = weakref.WeakKeyDictionary()
_OPENED_LOCK = threading.Lock()


def sqlite_file(engine: Engine) -> Path | None:
    """The main file of a SQLite database (also of one named by a `file:` URI); None in memory or for other databases."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        path = urlparse(database).path
        return Path(path).absolute() if path and path != ":memory:" else None
    return Path(database).absolute()


def read_identity(engine: Engine, dbapi_connection=None) -> DatabaseIdentity | None:
    """The identity of the database the engine reaches now (through `dbapi_connection` when given); None when
    there is nothing to compare (SQLite in memory, other databases). A missing SQLite file raises
    FileNotFoundError."""
    if engine.dialect.name == "postgresql":
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT (SELECT system_identifier FROM pg_control_system()), "
                           "(SELECT oid FROM pg_database WHERE datname = current_database()), current_database()")
            system, oid, name = cursor.fetchone()
        finally:
            cursor.close()
        return DatabaseIdentity(f"PostgreSQL database {name}", (int(system), int(oid)))
    path = sqlite_file(engine)
    if path is None:
        return None
    stat = os.stat(path)
    return DatabaseIdentity(str(path), (stat.st_dev, stat.st_ino))


def refuse_a_new_file(engine: Engine) -> None:
    """Before SQLite opens a file of a database this process has opened (through any engine still alive): when the
    file is gone, refuse, for SQLite would create a new, empty one at the path, and an engine opened later (a
    worker's second engine, a readiness probe) would take that file for the database."""
    path = sqlite_file(engine)
    if path is None or path.exists():
        return
    opened = earlier_identity(str(path))
    if opened is not None:
        raise replaced(engine, f"{opened.where} is gone (deleted or moved) since this process opened it")


def earlier_identity(where: str) -> DatabaseIdentity | None:
    """The identity under which a SQLite file at `where` was first opened by an engine of this process still alive."""
    with _OPENED_LOCK:
        return next((known for known in _OPENED.values() if known.where == where), None)


def remember_identity(engine: Engine, dbapi_connection) -> None:
    """On the engine's first connection: the database it opened. A SQLite file that another engine of this process
    (still alive) opened before keeps that first identity, so a file put in its place is refused by every engine,
    however late it connects. One that cannot be identified is not checked (logged): the connection itself must
    not fail for it."""
    if engine in _OPENED:
        return
    try:
        identity = read_identity(engine, dbapi_connection)
        if engine.dialect.name == "postgresql":
            dbapi_connection.rollback()  # the query opened a transaction: hand the connection over without one
    except Exception as exc:  # noqa: BLE001 - any reason, named in the log
        log.warning("database %s: not identified (%s); commits are not checked against it",
                    engine.url.render_as_string(hide_password=True), exc)
        return
    if identity is not None and engine.dialect.name == "sqlite":
        identity = earlier_identity(identity.where) or identity
    with _OPENED_LOCK:
        if identity is not None and engine not in _OPENED:
            _OPENED[engine] = identity


def require_same_database(engine: Engine, connection: Connection | None = None) -> None:
    """Raise DatabaseReplaced unless the engine still reaches the database it first opened (PostgreSQL asks
    through `connection`, or a connection of its own)."""
    opened = opened_identity(engine)
    if opened is None:
        return
    try:
        now = identity_now(engine, connection)
    except FileNotFoundError:
        raise replaced(engine, f"{opened.where} is gone (deleted or moved) since this process opened it") from None
    if now is None or now.key != opened.key:
        raise replaced(engine, f"{opened.where} is not the database this process opened "
                               f"(now {now.key if now else None}, opened {opened.key})")


def opened_identity(engine: Engine) -> DatabaseIdentity | None:
    """What the engine opened; for a SQLite engine that has not connected yet, what another engine of this process
    opened at the same path."""
    opened = _OPENED.get(engine)
    path = sqlite_file(engine) if opened is None else None
    return earlier_identity(str(path)) if path is not None else opened


def identity_now(engine: Engine, connection: Connection | None) -> DatabaseIdentity | None:
    if engine.dialect.name != "postgresql":
        return read_identity(engine)
    if connection is not None:
        return read_identity(engine, connection.connection.dbapi_connection)
    with engine.connect() as own:
        return read_identity(engine, own.connection.dbapi_connection)


_REPORTED: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def replaced(engine: Engine, message: str) -> DatabaseReplaced:
    """The error, logged once per engine and message (a burst of refused requests writes one line)."""
    if _REPORTED.get(engine) != message:
        _REPORTED[engine] = message
        log.error("database: %s; nothing is committed into it", message)
    return DatabaseReplaced(message)


def database_problem(engine: Engine) -> str | None:
    """Why the engine cannot be written to now, for readiness and for the page: the database replaced or gone,
    or not reachable at all; None when it is the one opened and answers."""
    try:
        require_same_database(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DatabaseReplaced as exc:
        return str(exc)
    except sa.exc.SQLAlchemyError as exc:
        return driver_message(exc)
    return None


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (committed on leaving, rolled back on an error), taken in turn with every other
    writer of the same SQLite file, and committed only into the database the engine opened (else
    DatabaseReplaced). When the lock file cannot be opened (a read-only directory) the
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
            require_same_database(engine, connection)
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


def install_append_only(connection: Connection, tables: tuple[str, ...],
                        actions: tuple[str, ...] = ("UPDATE", "DELETE")) -> None:
    """The append-only triggers of `tables`, (re)created by the tables' owner. A PostgreSQL role that does not own
    the tables (the service's role of `vsv db grant`, which may only insert and select) cannot and need not: it
    checks that they are there, and logs an error naming any that is missing."""
    if owned_elsewhere(connection, tables):
        missing = missing_triggers(connection, tables, actions)
        if missing:
            log.error("database: the append-only triggers %s are missing, and this role (not the tables' owner) cannot "
                      "create them: run `vsv db grant` as the owner", ", ".join(missing))
        return
    for statement in append_only_triggers(connection.dialect.name, tables, actions):
        connection.exec_driver_sql(statement)


def owned_elsewhere(connection: Connection, tables: tuple[str, ...]) -> bool:
    """PostgreSQL: some of `tables` exist and the connected role does not own them (nor is a member of, or a
    superuser over, their owner). Always False on SQLite, which has no roles."""
    if connection.dialect.name != "postgresql":
        return False
    query = sa.text("SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = to_regclass(:t)")
    owned = [connection.execute(query, {"t": table}).scalar() for table in tables]
    return any(o is False for o in owned)


def missing_triggers(connection: Connection, tables: tuple[str, ...], actions: tuple[str, ...]) -> list[str]:
    """The names of `append_only_triggers`' PostgreSQL triggers on `tables` that are not there."""
    query = sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal")
    missing = []
    for table in tables:
        present = set(connection.execute(query, {"t": table}).scalars())
        wanted = [f"{table}_append_only"] + ([f"{table}_no_truncate"] if "DELETE" in actions else [])
        missing += [name for name in wanted if name not in present]
    return missing
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
