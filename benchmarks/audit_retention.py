"""Benchmark: the audit log's sealing and hash chain, `vsv audit verify`, and a retention run, with their floors.

1. Appending: --batches batches of 1,000 records (one full /score request each) through `AuditLog.append` (keys,
   sealing, chain), first of new youths, then of the same youths again, against the floor measured in the same
   run: the same rows inserted as they are (no key, no seal, no chain) into a database of the same schema.
2. Verifying the whole log (2 x --batches x 1,000 records) (`serving.audit_chain.verify`) against its floor: reading every row, and SHA-256 over
   the same bytes.
3. Retention on a region-sized database: --youths youths with a key and two audit records each, two archived runs
   of all of them, a case for half of them; about one in eight due. The dry run and the real run.

SQLite (a temporary file) and PostgreSQL (a private cluster from Debian's package, as the tests start it).

Usage: python benchmarks/audit_retention.py [--batches 20] [--youths 40000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from casework.model import CaseworkRules  # noqa: E402
from casework.tables import cases_table, metadata  # noqa: E402
from serving.archive import archive_scores  # noqa: E402
from serving.audit import AuditLog  # noqa: E402
from serving.audit_chain import canonical, verify  # noqa: E402
from serving.database import audit_table, open_database  # noqa: E402
from serving.retention import open_retention, run_retention  # noqa: E402
from vsv_model.database import writing  # noqa: E402
from vsv_model.target_group import EXTENDED_TO_27  # noqa: E402

BATCH = 1_000
TODAY = dt.date(2026, 6, 15)
SERVED = SimpleNamespace(name="vsv-risk", version="1", run_id="0" * 32, booster_sha256="0" * 64,
                         fingerprint="00000000-00000000", model=SimpleNamespace(cutoffs=SimpleNamespace(details={})))
REASONS = '[{"concept": "verzuim", "contribution": 0.412345}, {"concept": "schoolsituatie", "contribution": 0.2}]'


def records(youths: list[str], as_of: str) -> list[dict]:
    now = dt.datetime.now(dt.UTC)
    return [{"recorded_at": now, "event": "score", "request_id": "r", "key_name": "k", "youth_id": y, "as_of": as_of,
             "kind": "stock", "model_version": "1", "model_run_id": "r1", "input_hash": hashlib.sha256(y.encode()).hexdigest(),
             "probability": 0.123456789, "tier": "low", "advised_route": "waarschuwingsbrief", "top_reasons": REASONS,
             "decision_route": None, "decision_follows": None, "decision_reason": None} for y in youths]


def measure_append(url: str, floor_url: str, batches: int, label: str) -> None:
    audit, floor = AuditLog(open_database(url)), open_database(floor_url)
    for youths in ("new youths (keys created)", "the same youths again (keys found)"):
        sealed, plain = [], []
        for b in range(batches):
            rows = records([f"Y{b:03d}{k:05d}" for k in range(BATCH)], "2026-10-01")
            started = time.perf_counter()
            audit.append(rows)
            sealed.append(time.perf_counter() - started)
            started = time.perf_counter()
            with writing(floor) as connection:
                connection.execute(audit_table.insert(), rows)
            plain.append(time.perf_counter() - started)
        print(f"{label:<11} append {BATCH:,} records of {youths}: sealed and chained {np.median(sealed) * 1000:6.1f} ms "
              f"(median of {batches}); floor, inserted as they are {np.median(plain) * 1000:6.1f} ms", flush=True)
    started = time.perf_counter()
    result = verify(audit.engine)
    walked = time.perf_counter() - started
    assert result.ok
    with audit.engine.connect() as connection:
        started = time.perf_counter()
        rows = connection.execute(sa.select(audit_table)).mappings().all()
        read = time.perf_counter() - started
    started = time.perf_counter()
    for row in rows:
        hashlib.sha256(canonical(row).encode()).hexdigest()
    hashed = time.perf_counter() - started
    print(f"{label:<11} verify {result.records:,} records {walked:5.2f} s ({result.records / walked:,.0f}/s); floor: "
          f"reading them {read:5.2f} s + canonical form and SHA-256 {hashed:5.2f} s", flush=True)


def build_region(url: str, youths: int) -> None:
    engine = open_retention(url)
    metadata.create_all(engine)  # the work queue's tables
    ids = [f"Y{k:07d}" for k in range(youths)]
    audit = AuditLog(engine)
    for begin in range(0, youths, BATCH):
        audit.append(records(ids[begin:begin + BATCH], "2022-10-01") + records(ids[begin:begin + BATCH], "2023-10-01"))
    # exits spread over a year from 1 May 2024: those up to 15 June 2024 (about one in eight) are due on TODAY
    exits = pd.Series(pd.to_datetime("2024-05-01") + pd.to_timedelta(np.arange(youths) % 3650 // 10, unit="D"))
    frame = pd.DataFrame({"youth_id": ids, "probability": 0.1, "tier": "low",
                          "leaves_group_on": exits.dt.strftime("%Y-%m-%d")})
    archive_scores(engine, frame, SERVED, dt.date(2022, 10, 1))
    archive_scores(engine, frame, SERVED, dt.date(2023, 10, 1))
    now = dt.datetime.now(dt.UTC)
    with writing(engine) as connection:
        connection.execute(cases_table.insert(), [{
            "youth_id": y, "opened_on": dt.date(2024, 1, 1), "first_kind": "report_first", "last_kind": "report_first",
            "last_event_on": dt.date(2023, 1, 1), "events": 1, "deadline": dt.date(2024, 1, 8), "status": "closed",
            "probability": 0.1, "risk_category": "low", "tier": "low", "advised_route": "waarschuwingsbrief",
            "advice_why": "", "escalation": 0, "model_version": "1", "model_fingerprint": "f",
            "leaves_group_on": exits[k].date(), "created_at": now, "updated_at": now} for k, y in enumerate(ids) if k % 2 == 0])


def measure_retention(url: str, youths: int, label: str) -> None:
    started = time.perf_counter()
    build_region(url, youths)
    print(f"{label:<11} region of {youths:,} youths built in {time.perf_counter() - started:5.1f} s", flush=True)
    engine = open_retention(url)
    for dry_run in (True, False):
        started = time.perf_counter()
        report = run_retention(engine, CaseworkRules(), TODAY, EXTENDED_TO_27, dry_run=dry_run)
        seconds = time.perf_counter() - started
        print(f"{label:<11} retention {'dry run' if dry_run else 'real run'}: {report.youths:,} youths due, "
              f"{sum(report.counts.values()):,} rows counted {seconds:5.2f} s", flush=True)
    assert verify(engine).ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--youths", type=int, default=40_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        measure_append(f"sqlite:///{Path(scratch) / 'a.db'}", f"sqlite:///{Path(scratch) / 'floor.db'}", args.batches, "SQLite")
        measure_retention(f"sqlite:///{Path(scratch) / 'r.db'}", args.youths, "SQLite")
    if not args.no_postgres:
        from tests.postgres import temporary_server

        with temporary_server() as url:
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.exec_driver_sql("create database floor")
                connection.exec_driver_sql("create database region")
            measure_append(url, url.rsplit("/", 1)[0] + "/floor", args.batches, "PostgreSQL")
            measure_retention(url.rsplit("/", 1)[0] + "/region", args.youths, "PostgreSQL")


if __name__ == "__main__":
    main()
