"""The service's database: officers' decisions and the audit log, append-only, hash-chained and pseudonymous,
and the work queue's cases (`casework.tables`, created here too: the service's database holds both).

`VSV_DATABASE_URL` takes any SQLAlchemy URL; the default is SQLite (`vsv.db`, next
to `mlruns/`) in WAL mode with full synchronous commits, so an acknowledged
request survives a killed server (the plumbing: `vsv_model.database`). Triggers in the database itself refuse any
UPDATE or DELETE of either table (and, on PostgreSQL, TRUNCATE; SQLite has none),
whatever code connects.

Personal fields are kept under a per-youth key (`vsv_model.youth_keys`): a sealed row (`sealed` not null) keeps the
youth's pseudonym in `youth_id`, empty `input_hash` and `top_reasons`, no `decision_reason`/`reason`, and all of them
(the youth id too) in `sealed`. Retention destroys the key; the row and its aggregates stay. Rows written before
the keys (`sealed` null) keep what they had and keep reading. The audit log is hash-chained (`serving.audit_chain`).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casework.store import create_schema as create_case_schema
from vsv_model.database import create_engine, driver_message, install_append_only
from vsv_model.youth_keys import create_keys_table

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
    sa.Column("sealed", sa.Text, nullable=True),  # the youth id and the reason under the youth's key
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
    sa.Column("sealed", sa.Text, nullable=True),  # youth id, input hash, reasons and decision reason under the youth's key
    sa.Column("prev_hash", sa.String(64), nullable=True),  # the chain (serving.audit_chain); null before it began
    sa.Column("row_hash", sa.String(64), nullable=True),
)

APPEND_ONLY_TABLES = ("decisions", "audit_log")
SCHEMA_ATTEMPTS = 3  # the workers of a first start race to create the tables: "already exists" means try again


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


def open_database(url: str) -> Engine:
    """Connect, create the tables and the append-only triggers. A read-only database still opens
    (every write will then fail loudly, and requests get 503), so the failure is visible, not silent."""
    engine = create_engine(url)
    for attempt in range(1, SCHEMA_ATTEMPTS + 1):
        try:
            return create_schema(engine)
        except sa.exc.SQLAlchemyError as exc:
            if attempt == SCHEMA_ATTEMPTS:
                log.error("database %s: schema not created (%s); writes will fail",
                          engine.url.render_as_string(hide_password=True), driver_message(exc))
    return engine


def create_schema(engine: Engine) -> Engine:
    """The tables (those missing, the youths' keys too), columns added since a database was created, and the
    append-only triggers (a PostgreSQL role that does not own the tables only checks these: `serving.grants`); then
    the work queue's tables."""
    metadata.create_all(engine)
    with engine.begin() as connection:
        create_keys_table(connection)
        add_missing_columns(connection)
        install_append_only(connection, APPEND_ONLY_TABLES)
    return create_case_schema(engine)
