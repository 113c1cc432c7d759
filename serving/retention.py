"""Retention across the service's database: who is due, and what goes, what becomes pseudonymous, what stays.

A youth is due when today >= the day the youth leaves the target group + the region's term
(`CaseworkRules.retention_years`, default 2). The exit day comes from what the database knows of the youth, the
latest wins: the cases' `leaves_group_on`, the archived scores' `leaves_group_on`, and never before the last day
the youth was seen (a case's last event, an archived run's reference date, an audit record's reference date).
A youth known only from the audit log (an API request, a pasted history) or from runs archived before the exit
day was kept has no exit day: the latest it can be is the last day seen + the target group's span (max age - min
age, of `undated_group`), and that is taken. So no youth is removed early; such a youth may go up to the span late.

What retention does for a due youth, in one transaction:
- deletes the cases, events, records and letters (`casework.retention`) and the archived scores (their delete
  trigger lets only a retention permit through);
- destroys the youth's key (`vsv_model.youth_keys`): the audit records and decisions stay, with their counts and
  aggregates, but their personal fields can no longer be opened and the youth's id no longer finds them. The hash
  chain is over the sealed fields, so it still verifies.
Records written before the keys existed keep the youth id in plain text: the tables refuse to change them, and
they are counted in the report as kept. Each real run is recorded in `retention_runs` (counts only, never ids).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from casework.model import CaseworkRules
from casework.retention import DATE_COLUMNS, as_days, case_dates, casework_rows, due_from_dates, frame_of
from serving.archive import archived_scores_table, open_archive, score_runs_table
from serving.database import SCHEMA_ATTEMPTS, audit_table, decisions_table
from vsv_model.database import retention_permit, writing
from vsv_model.settings import Settings
from vsv_model.target_group import EXTENDED_TO_27, TargetGroup, target_group_for
from vsv_model.youth_keys import chunks, destroy_keys, youth_keys_table

log = logging.getLogger("vsv.retention")

retention_metadata = sa.MetaData()
retention_runs_table = sa.Table(
    "retention_runs", retention_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("today", sa.Date, nullable=False),
    sa.Column("scheduled_day", sa.Date, nullable=True, unique=True),  # the service's daily run: one per day
    sa.Column("retention_years", sa.Integer, nullable=False),
    sa.Column("youths", sa.Integer, nullable=False),
    sa.Column("counts", sa.Text, nullable=False),  # JSON: rows per table
)

# What the report counts, in this order (plain words: the CLI prints them as they are).
REMOVED = ("cases", "case_events", "case_records", "letters", "archived_scores", "youth_keys")
PSEUDONYMISED = ("audit_log sealed (key destroyed)", "decisions sealed (key destroyed)")
KEPT_PLAIN = ("audit_log plain (from before the keys, kept)", "decisions plain (from before the keys, kept)")


@dataclass(frozen=True)
class RetentionReport:
    today: dt.date
    retention_years: int
    youths: int
    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def undated_group(settings: Settings) -> TargetGroup:
    """The target group whose span bounds a youth without an exit day: VSV_MAX_AGE's when set, else the widest the
    project knows (18 to 27), so that no youth is removed before the term, whichever model scored it."""
    return target_group_for(settings.target_max_age) if settings.target_max_age else EXTENDED_TO_27


def open_retention(url: str) -> Engine:
    """The service's database with every table retention reads (audit, decisions, keys, archive) and its own. The
    workers of one server open it at about the same time: a schema statement that loses a race is tried again."""
    for attempt in range(1, SCHEMA_ATTEMPTS + 1):
        try:
            engine = open_archive(url)
            retention_metadata.create_all(engine)
            return engine
        except sa.exc.SQLAlchemyError:
            if attempt == SCHEMA_ATTEMPTS:
                raise
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def archive_dates(connection: Connection) -> pd.DataFrame:
    """Per archived youth: the latest run's reference date and the latest exit day kept (rows of a run cut off
    halfway have no run, and count with their exit day only)."""
    runs, scores = score_runs_table, archived_scores_table
    query = (sa.select(scores.c.youth_id, sa.func.max(runs.c.as_of).label("seen_on"),
                       sa.func.max(scores.c.leaves_group_on).label("leaves_group_on"))
             .select_from(scores.outerjoin(runs, runs.c.id == scores.c.run_id)).group_by(scores.c.youth_id))
    return frame_of(connection.execute(query).all(), DATE_COLUMNS)


def key_dates(connection: Connection) -> pd.DataFrame:
    """Per youth with a key: the latest reference date of the youth's sealed audit records (else the key's day)."""
    keys, audit = youth_keys_table, audit_table
    joined = keys.outerjoin(audit, sa.and_(audit.c.youth_id == keys.c.pseudonym, audit.c.sealed.isnot(None)))
    query = (sa.select(keys.c.youth_id, sa.func.max(audit.c.as_of).label("as_of"), sa.func.min(keys.c.created_at).label("created"))
             .select_from(joined).group_by(keys.c.youth_id))
    rows = frame_of(connection.execute(query).all(), ["youth_id", "as_of", "created"])
    created = pd.to_datetime(rows["created"], utc=True).dt.tz_localize(None).dt.normalize()
    seen = pd.to_datetime(rows["as_of"], errors="coerce").fillna(created)
    return pd.DataFrame({"youth_id": rows["youth_id"], "seen_on": seen, "leaves_group_on": pd.NaT})


def due_youths(connection: Connection, rules: CaseworkRules, today: dt.date, group: TargetGroup) -> list[str]:
    """Every youth the database knows whose term has passed on `today` (sorted)."""
    frames = [f for f in (case_dates(connection), archive_dates(connection), key_dates(connection)) if not f.empty]
    if not frames:
        return []
    dates = pd.concat([as_days(f) for f in frames], ignore_index=True)
    return due_from_dates(dates, rules.retention_years, today, undated_span_years=group.max_age - group.min_age)


def pseudonyms_of(connection: Connection, youths: list[str]) -> list[str]:
    found = []
    for part in chunks(youths):
        query = sa.select(youth_keys_table.c.pseudonym).where(youth_keys_table.c.youth_id.in_(part))
        found += list(connection.execute(query).scalars())
    return found


def count_where(connection: Connection, table: sa.Table, where) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar())


def sealed_and_plain(connection: Connection, youths: list[str]) -> dict[str, int]:
    """The audit records and decisions that become pseudonymous (sealed under the keys about to go), and those from
    before the keys that stay as they are."""
    counts = dict.fromkeys(PSEUDONYMISED + KEPT_PLAIN, 0)
    for part in chunks(pseudonyms_of(connection, youths)):
        for name, table in zip(PSEUDONYMISED, (audit_table, decisions_table)):
            counts[name] += count_where(connection, table, sa.and_(table.c.sealed.isnot(None), table.c.youth_id.in_(part)))
    for part in chunks(youths):
        for name, table in zip(KEPT_PLAIN, (audit_table, decisions_table)):
            counts[name] += count_where(connection, table, sa.and_(table.c.sealed.is_(None), table.c.youth_id.in_(part)))
    return counts


def service_rows(connection: Connection, youths: list[str], delete: bool) -> dict[str, int]:
    """Count, or delete, the youths' archived scores and keys (the audit log and decisions are counted: they stay)."""
    counts = sealed_and_plain(connection, youths)
    counts["archived_scores"], counts["youth_keys"] = 0, 0
    for part in chunks(youths):
        mine = archived_scores_table.c.youth_id.in_(part)
        if delete:
            counts["archived_scores"] += connection.execute(sa.delete(archived_scores_table).where(mine)).rowcount
        else:
            counts["archived_scores"] += count_where(connection, archived_scores_table, mine)
            counts["youth_keys"] += count_where(connection, youth_keys_table, youth_keys_table.c.youth_id.in_(part))
    if delete:
        counts["youth_keys"] = destroy_keys(connection, youths)
    return counts


def retention_counts(connection: Connection, youths: list[str], delete: bool) -> dict[str, int]:
    """Every table's rows of these youths, counted or removed, in the report's order."""
    if not delete:
        found = casework_rows(connection, youths, delete=False) | service_rows(connection, youths, delete=False)
    else:
        with retention_permit(connection, f"retention-{uuid.uuid4().hex}"):
            found = casework_rows(connection, youths, delete=True) | service_rows(connection, youths, delete=True)
    return {name: found[name] for name in REMOVED + PSEUDONYMISED + KEPT_PLAIN}


class DayTaken(Exception):
    """Today's scheduled run was already made (by another worker)."""


def run_retention(engine: Engine, rules: CaseworkRules, today: dt.date, group: TargetGroup, dry_run: bool = False,
                  scheduled: bool = False) -> RetentionReport | None:
    """Find who is due and remove what is theirs (with `dry_run`: count it, change nothing). A scheduled run claims
    the day first: when another worker already ran today, nothing happens and None is returned."""
    with engine.connect() as connection:  # who is due is read before the writers' lock is taken: writes wait less
        if scheduled and day_taken(connection, today):
            return None
        youths = due_youths(connection, rules, today, group)
        if dry_run:
            return RetentionReport(today, rules.retention_years, len(youths), retention_counts(connection, youths, False), True)
    try:
        with writing(engine) as connection:
            run_id = claim_run(connection, today, rules.retention_years, scheduled)
            counts = retention_counts(connection, youths, delete=True)
            connection.execute(sa.update(retention_runs_table).where(retention_runs_table.c.id == run_id)
                               .values(youths=len(youths), counts=json.dumps(counts)))
    except DayTaken:
        return None
    return RetentionReport(today, rules.retention_years, len(youths), counts)


def claim_run(connection: Connection, today: dt.date, years: int, scheduled: bool) -> int:
    """The run's row (its counts follow at the end of the transaction). A scheduled run raises DayTaken when the
    day was claimed: a second worker finds the row, or (PostgreSQL, at the same moment) waits for the first's
    commit and then fails on the unique day, which rolls its transaction back."""
    table = retention_runs_table
    if scheduled and day_taken(connection, today):
        raise DayTaken(today.isoformat())
    try:
        return connection.execute(table.insert().values(
            ran_at=dt.datetime.now(dt.UTC), today=today, scheduled_day=today if scheduled else None,
            retention_years=years, youths=0, counts="{}")).inserted_primary_key[0]
    except sa.exc.IntegrityError as exc:
        raise DayTaken(today.isoformat()) from exc


def day_taken(connection: Connection, today: dt.date) -> bool:
    table = retention_runs_table
    return connection.execute(sa.select(table.c.id).where(table.c.scheduled_day == today)).first() is not None


def report_lines(report: RetentionReport) -> list[str]:
    """The report in plain lines: counts per table, never a youth id."""
    verb = "would go" if report.dry_run else "went"
    lines = [f"Retention on {report.today.isoformat()}: term {report.retention_years} years after leaving the target "
             f"group; {report.youths} youths due." + (" Dry run: nothing was changed." if report.dry_run else "")]
    lines += [f"  {name:<46} {report.counts[name]:>8}  ({verb})" for name in REMOVED]
    lines += [f"  {name:<46} {report.counts[name]:>8}  (stay, no longer readable)" for name in PSEUDONYMISED]
    lines += [f"  {name:<46} {report.counts[name]:>8}  (stay as they are)" for name in KEPT_PLAIN]
    return lines


FIRST_RUN_SECONDS = 60       # after a start: the workers are up, the first requests served
CHECK_SECONDS = 3600         # then hourly: a new day is noticed within the hour


class RetentionSchedule:
    """The service's daily retention: a thread per worker that runs shortly after the start and then every hour;
    the day's first claim wins (`retention_runs.scheduled_day`), so one worker does it, once a day."""

    def __init__(self, settings: Settings, first_after: float = FIRST_RUN_SECONDS, every: float = CHECK_SECONDS):
        self.settings, self.first_after, self.every = settings, first_after, every
        self.rules = CaseworkRules.from_toml(settings.region_config)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self._engine: Engine | None = None

    def start(self) -> RetentionSchedule:
        self.thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _loop(self) -> None:
        if self.stopped.wait(self.first_after):
            return
        while True:
            self.run_once()
            if self.stopped.wait(self.every):
                return

    def run_once(self) -> RetentionReport | None:
        """Today's run, unless another worker did it; any failure is logged (counts and error kind only) and the
        next check tries again."""
        try:
            if self._engine is None:
                self._engine = open_retention(self.settings.database_url)
            report = run_retention(self._engine, self.rules, self.settings.current_date(), undated_group(self.settings),
                                   scheduled=True)
        except Exception as exc:  # noqa: BLE001 - the service goes on; the next check tries again
            log.error("retention: the scheduled run failed (%s); the next check tries again", type(exc).__name__)
            return None
        if report is not None:
            log.info("retention: %d youths due; %s", report.youths,
                     ", ".join(f"{name} {count}" for name, count in report.counts.items()))
        return report
