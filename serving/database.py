"""The service's database: officers' decisions and the audit log, append-only.

`VSV_DATABASE_URL` takes any SQLAlchemy URL; the default is SQLite (`vsv.db`, next
to `mlruns/`) in WAL mode with full synchronous commits, so an acknowledged
request survives a killed server. Triggers in the database itself refuse any
UPDATE or DELETE of either table (and, on PostgreSQL, TRUNCATE; SQLite has none),
whatever code connects.

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
metadata = sa.MetaData()

decisions_table = sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("youth_id", sa.String(64), nullable=False, index=True),
    sa.Column("officer", sa.String(128), nullable=False),
    sa.Column("advised_tier", sa.String(16), nullable=False),
    sa.Column("advised_route", sa.String(32), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("model_run_id", sa.String(32), nullable=True),  # with the version: what identifies the model
    sa.Column("chosen_route", sa.String(32), nullable=False),
    sa.Column("follows_advice", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
)

audit_table = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("event", sa.String(16), nullable=False),  # score | explain | decision
    sa.Column("request_id", sa.String(32), nullable=True),
    sa.Column("key_name", sa.String(64), nullable=True),
    sa.Column("youth_id", sa.String(64), nullable=False, index=True),
    sa.Column("as_of", sa.String(10), nullable=True),
    sa.Column("kind", sa.String(16), nullable=True),  # the moment scored at (stock, report_first, ...); None before kinds
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("model_run_id", sa.String(32), nullable=True),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("advised_route", sa.String(32), nullable=False),
    sa.Column("top_reasons", sa.Text, nullable=False),
    sa.Column("decision_route", sa.String(32), nullable=True),
    sa.Column("decision_follows", sa.Boolean, nullable=True),
    sa.Column("decision_reason", sa.Text, nullable=True),
)

APPEND_ONLY_TABLES = ("decisions", "audit_log")
SCHEMA_ATTEMPTS = 3  # the workers of a first start race to create the tables: "already exists" means try again


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


def add_missing_columns(connection: Connection) -> None:
    """Columns added to the tables after a database was created (e.g. model_run_id), as nullable columns: existing
    records keep what they had, and nothing is updated (the tables are append-only)."""
    inspector = sa.inspect(connection)
    for table in (decisions_table, audit_table):
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")


def append_only_triggers(dialect: str, tables: tuple[str, ...] = APPEND_ONLY_TABLES) -> list[str]:
    statements = []
    for table in tables:
        if dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                statements.append(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} "
                                  f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        elif dialect == "postgresql":
            statements.append("CREATE OR REPLACE FUNCTION vsv_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION vsv_append_only()")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            statements.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "  # row triggers miss it
                              "FOR EACH STATEMENT EXECUTE FUNCTION vsv_append_only()")
    return statements


def open_database(url: str) -> Engine:
    """Connect, create the tables and the append-only triggers. A read-only database still opens
    (every write will then fail loudly, and requests get 503), so the failure is visible, not silent."""
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    for attempt in range(1, SCHEMA_ATTEMPTS + 1):
        try:
            return create_schema(engine)
        except sa.exc.SQLAlchemyError as exc:
            if attempt == SCHEMA_ATTEMPTS:
                log.error("database %s: schema not created (%s); writes will fail",
                          engine.url.render_as_string(hide_password=True), driver_message(exc))
    return engine


def driver_message(error: sa.exc.SQLAlchemyError) -> str:
    """The database's own first line (without SQLAlchemy's statement and parameters): one readable log line."""
    lines = str(getattr(error, "orig", None) or error).splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def create_schema(engine: Engine) -> Engine:
    """The tables (those missing), columns added since a database was created, and the append-only triggers."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        add_missing_columns(connection)
        for statement in append_only_triggers(engine.dialect.name):
            connection.exec_driver_sql(statement)
    return engine
