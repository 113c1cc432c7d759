"""The archive of batch scores and of monitoring reports, in the service's database (`VSV_DATABASE_URL`).

VSV outcomes arrive years after a youth is scored. To learn then how the model did, every `vsv score` run keeps
what it said: per youth the probability, the tier and the top reasons (their concepts, when the run explained),
and per run the reference date, the model (version, run id, booster checksum, fingerprint) and what the
calibrated probabilities let one expect of the list at the time (`vsv_model.expected_performance`). `vsv monitor`
later joins the outcomes and sets the realised figures beside that estimate. `vsv monitor` also stores its
latest report here, so the analysts' page (`/ui/monitor`) needs no access to the report file.

Three tables, append-only like the audit log (triggers refuse UPDATE and DELETE; on PostgreSQL also TRUNCATE):

- `score_runs`: one row per archived run (aggregates only);
- `archived_scores`: one row per youth of a run (`run_id`, `youth_id`, `probability`, `tier`, `reason_1..3`, and
  `leaves_group_on`: the day the youth leaves the target group, which starts the retention term);
- `monitor_reports`: one row per `vsv monitor` run (status, findings, the report's page fragment).

`archived_scores` holds a youth id per row, so its retention is a delete: its trigger refuses DELETE except inside
a retention's own transaction (`vsv_model.database.retention_permit`; `serving/retention.py`). Per-youth keys
(as in the audit log) were not chosen here: the monitoring joins the archive to the outcomes by youth id, whole
populations go in by COPY, and a row that is due has nothing left to measure (its outcome was known years before).

Whole populations go in by bulk insert: PostgreSQL's COPY, SQLite's executemany of plain tuples, in transactions
of `CHUNK_ROWS` youths, each taken in turn with the service's audit writers (the SQLite file lock), so a large run
never holds the lock for long. The run's own row is written last: a run cut off halfway has no `score_runs` row,
and every reader joins through it, so half a run is never read.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from serving.database import open_database
from serving.scoring import ServedModel
from vsv_model.database import (
    install_append_only,
    owned_elsewhere,
    retention_only_delete_triggers,
    writing,
)
from vsv_model.expected_performance import estimate

archive_metadata = sa.MetaData()
REASONS = 3  # the top reasons kept per youth (concepts, largest first)
CHUNK_ROWS = 100_000

score_runs_table = sa.Table(
    "score_runs", archive_metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),  # random 62 bits, chosen before the rows
    sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("as_of", sa.String(10), nullable=False, index=True),
    sa.Column("model_name", sa.String(64), nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("model_run_id", sa.String(32), nullable=False),
    sa.Column("booster_sha256", sa.String(64), nullable=False),
    sa.Column("model_fingerprint", sa.String(32), nullable=False),
    sa.Column("youths", sa.Integer, nullable=False),
    sa.Column("explained", sa.Boolean, nullable=False),
    sa.Column("estimate", sa.Text, nullable=False),  # JSON: what the probabilities let one expect at the time
)
archived_scores_table = sa.Table(
    "archived_scores", archive_metadata,
    sa.Column("run_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("youth_id", sa.String(64), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    *(sa.Column(f"reason_{k}", sa.String(32), nullable=True) for k in range(1, REASONS + 1)),
    sa.Column("leaves_group_on", sa.String(10), nullable=True),  # ISO date; null in runs archived before it was kept
)
monitor_reports_table = sa.Table(
    "monitor_reports", archive_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("model_version", sa.String(32), nullable=False),
    sa.Column("model_fingerprint", sa.String(32), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),  # ok | warn | alarm
    sa.Column("findings", sa.Text, nullable=False),  # JSON list of {level, rule, subject, message}
    sa.Column("fragment", sa.Text, nullable=False),  # the report's body as HTML, images as data: URIs
)
ARCHIVE_TABLES = ("score_runs", "archived_scores", "monitor_reports")
RETENTION_PRUNED = ("archived_scores",)  # UPDATE refused; DELETE by retention only
SCORE_COLUMNS = [c.name for c in archived_scores_table.columns]


def open_archive(url: str) -> Engine:
    """The database with the service's tables and the archive's (created when missing, append-only)."""
    return ensure_archive(open_database(url))


def ensure_archive(engine: Engine) -> Engine:
    """The archive's tables and their append-only triggers, created when missing."""
    archive_metadata.create_all(engine)
    dialect, kept = engine.dialect.name, tuple(t for t in ARCHIVE_TABLES if t not in RETENTION_PRUNED)
    with engine.begin() as connection:
        add_archive_columns(connection)
        install_append_only(connection, kept)
        install_append_only(connection, RETENTION_PRUNED, ("UPDATE",))
        if not owned_elsewhere(connection, RETENTION_PRUNED):  # the owner installs them (`vsv db grant`)
            for statement in retention_only_delete_triggers(dialect, RETENTION_PRUNED):
                connection.exec_driver_sql(statement)
    return engine


def add_archive_columns(connection: Connection) -> None:
    """Columns added after an archive was created (`leaves_group_on`), nullable: older runs keep what they had."""
    present = {c["name"] for c in sa.inspect(connection).get_columns("archived_scores")}
    for column in archived_scores_table.columns:
        if column.name not in present and column.nullable:
            kind = column.type.compile(dialect=connection.dialect)
            connection.exec_driver_sql(f"ALTER TABLE archived_scores ADD COLUMN {column.name} {kind}")


@dataclass(frozen=True)
class ArchivedRun:
    id: int
    archived_at: dt.datetime
    as_of: str
    model_version: str
    model_run_id: str
    model_fingerprint: str
    youths: int
    explained: bool
    estimate: dict


def score_rows(frame: pd.DataFrame, run_id: int) -> pd.DataFrame:
    """The archive's columns of a `vsv score` frame: the top reasons' concepts when it was explained."""
    missing = pd.Series([None] * len(frame), dtype=object)
    return pd.DataFrame({
        "run_id": np.full(len(frame), run_id, dtype=np.int64), "youth_id": frame["youth_id"].astype(str).to_numpy(),
        "probability": frame["probability"].to_numpy(dtype=float), "tier": frame["tier"].astype(str).to_numpy(),
        **{f"reason_{k}": frame[f"reason_{k}_concept"].to_numpy(dtype=object, na_value=None)
           if f"reason_{k}_concept" in frame else missing.to_numpy() for k in range(1, REASONS + 1)},
        "leaves_group_on": iso_days(frame["leaves_group_on"]) if "leaves_group_on" in frame else missing.to_numpy()})


def iso_days(values: pd.Series) -> np.ndarray:
    """Days as ISO text (None where missing), whether the frame holds text or dates."""
    days = pd.to_datetime(values, errors="coerce")
    return days.dt.strftime("%Y-%m-%d").astype(object).where(days.notna(), None).to_numpy(dtype=object)


def plain_tuples(rows: pd.DataFrame) -> list[tuple]:
    """Rows as tuples of Python values (None for missing), built per column: pandas' itertuples is ten times slower."""
    columns = [rows[c].to_numpy(dtype=object, na_value=None).tolist() if rows[c].dtype != float
               else rows[c].to_numpy().tolist() for c in SCORE_COLUMNS]
    return list(zip(*columns))


def archive_scores(engine: Engine, frame: pd.DataFrame, served: ServedModel, as_of: dt.date) -> ArchivedRun:
    """Archive one scored population and what was expected of it; returns the run."""
    run_id = uuid.uuid4().int >> 66
    rows = score_rows(frame, run_id)
    for begin in range(0, len(rows), CHUNK_ROWS):
        with writing(engine) as connection:
            bulk_insert(connection, rows.iloc[begin:begin + CHUNK_ROWS])
    high_share = served.model.cutoffs.details.get("high_share")
    run = ArchivedRun(run_id, dt.datetime.now(dt.UTC), as_of.isoformat(), served.version, served.run_id,
                      served.fingerprint, len(rows), "reason_1_concept" in frame,
                      estimate(rows["probability"].to_numpy(), rows["tier"].to_numpy(), high_share))
    with writing(engine) as connection:
        connection.execute(score_runs_table.insert(), [{
            "id": run.id, "archived_at": run.archived_at, "as_of": run.as_of, "model_name": served.name,
            "model_version": run.model_version, "model_run_id": run.model_run_id,
            "booster_sha256": served.booster_sha256, "model_fingerprint": run.model_fingerprint, "youths": run.youths,
            "explained": run.explained, "estimate": json.dumps(run.estimate)}])
    return run


def archive_rescored(engine: Engine, frame: pd.DataFrame, served: ServedModel) -> ArchivedRun | None:
    """Archive a list scored again on the page, as `vsv score` archives its run: a yearly list (one reference date,
    no events) is a scoring run; a file of events is not archived (`vsv score --events` archives none either)."""
    as_of = rescored_as_of(frame)
    if as_of is None:
        return None
    if not sa.inspect(engine).has_table(score_runs_table.name):  # `vsv score` never archived into this database
        ensure_archive(engine)
    return archive_scores(engine, frame, served, as_of)


def rescored_as_of(frame: pd.DataFrame) -> dt.date | None:
    """The one reference date of a yearly list; None for a file of events or a list of several dates."""
    if "kind" in frame and (frame["kind"].astype(str) != "stock").any():
        return None
    dates = pd.to_datetime(frame["as_of"]).dt.date.unique()
    return dates[0] if len(dates) == 1 else None


def bulk_insert(connection: Connection, rows: pd.DataFrame) -> None:
    """Rows into `archived_scores` the fastest way the database offers."""
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        copy_rows(connection, rows)
    elif connection.dialect.name == "sqlite":
        placeholders = ", ".join("?" * len(SCORE_COLUMNS))
        statement = f"INSERT INTO archived_scores ({', '.join(SCORE_COLUMNS)}) VALUES ({placeholders})"
        cursor = connection.connection.driver_connection.cursor()  # the driver's own executemany: no per-row wrapping
        cursor.executemany(statement, plain_tuples(rows))
        cursor.close()
    else:
        connection.execute(archived_scores_table.insert(), [dict(zip(SCORE_COLUMNS, row)) for row in plain_tuples(rows)])


def copy_rows(connection: Connection, rows: pd.DataFrame) -> None:
    """PostgreSQL's COPY from a CSV buffer (empty unquoted field = NULL)."""
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False, float_format="%.17g")
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY archived_scores ({', '.join(SCORE_COLUMNS)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def archived_runs(engine: Engine) -> list[ArchivedRun]:
    """Every archived run, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(score_runs_table).order_by(score_runs_table.c.archived_at)).mappings().all()
    return [ArchivedRun(int(r["id"]), r["archived_at"], r["as_of"], r["model_version"], r["model_run_id"],
                        r["model_fingerprint"], int(r["youths"]), bool(r["explained"]), json.loads(r["estimate"]))
            for r in rows]


def archived_scores(engine: Engine, run_id: int) -> pd.DataFrame:
    """The youths of one archived run by youth id (only a run whose own row was written)."""
    query = (sa.select(archived_scores_table).join(score_runs_table, score_runs_table.c.id == archived_scores_table.c.run_id)
             .where(archived_scores_table.c.run_id == run_id).order_by(archived_scores_table.c.youth_id))
    with engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(SCORE_COLUMNS)  # by column: pandas is slow on row objects
    frame = pd.DataFrame({name: np.asarray(values, dtype=object) for name, values in zip(SCORE_COLUMNS, columns, strict=True)})
    return frame.astype({"run_id": np.int64, "probability": float})


@dataclass(frozen=True)
class StoredReport:
    created_at: dt.datetime
    as_of: str
    model_version: str
    model_fingerprint: str
    status: str
    findings: list[dict]
    fragment: str


def store_report(engine: Engine, report: StoredReport) -> None:
    with writing(engine) as connection:
        connection.execute(monitor_reports_table.insert(), [{
            "created_at": report.created_at, "as_of": report.as_of, "model_version": report.model_version,
            "model_fingerprint": report.model_fingerprint, "status": report.status,
            "findings": json.dumps(report.findings, ensure_ascii=False), "fragment": report.fragment}])


def latest_report(engine: Engine) -> StoredReport | None:
    """The newest stored report; None when `vsv monitor` never stored one (or the table is not there yet)."""
    query = sa.select(monitor_reports_table).order_by(monitor_reports_table.c.id.desc()).limit(1)
    try:
        with engine.connect() as connection:
            row = connection.execute(query).mappings().first()
    except sa.exc.OperationalError:
        return None
    except sa.exc.ProgrammingError:  # PostgreSQL: the table does not exist yet
        return None
    if row is None:
        return None
    return StoredReport(row["created_at"], row["as_of"], row["model_version"], row["model_fingerprint"], row["status"],
                        json.loads(row["findings"]), row["fragment"])
