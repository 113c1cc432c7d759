"""The audit log: one record per score, explanation and decision, written before the answer; append-only
in the database itself (SQLite and a real PostgreSQL server); a failing write is a 503, never silent loss;
exported for analysts."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import sys
import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from serving.audit import AuditLog, AuditUnavailable
from serving.database import open_database
from serving.decisions import Advice, DecisionStore, validate_decision
from serving.schemas import YouthInput
from tests.commands import run, start
from vsv_model.database import write_lock_path, writing

YOUTH = {"youth_id": "AUD-1", "as_of": "2019-10-01", "history": {
    "birth_date": "2000-05-01",
    "enrollments": [{"school_id": "25LH00", "school_municipality": "Dordrecht", "education_type": "mbo-2",
                     "learning_path": "BOL", "start_date": "2016-08-15", "end_date": "2018-02-01"}],
    "absence_reports": [{"report_date": "2019-08-01", "kind": "18plus", "hours": 34}]}}


def row(youth_id: str = "J1", when: dt.datetime | None = None, **fields) -> dict:
    return {"recorded_at": when or dt.datetime.now(dt.UTC), "event": "score", "request_id": "r1", "key_name": "k",
            "youth_id": youth_id, "as_of": "2026-10-01", "model_version": "1", "input_hash": "0" * 64,
            "probability": 0.5, "tier": "medium", "advised_route": "gesprek", "top_reasons": "[]", **fields}


def audit_rows(url: str, **where) -> pd.DataFrame:
    """The records as readers see them (personal fields opened under the youths' keys; they are sealed as stored)."""
    records = AuditLog(open_database(url)).export(dt.date(2000, 1, 1))
    for column, value in where.items():
        records = records[records[column] == value]
    return records.reset_index(drop=True)


# --- through the service ---------------------------------------------------------------

def test_each_scored_youth_is_one_record_with_what_was_advised(asgi_client, scored_current, champion_store):
    youths = [YOUTH, dict(YOUTH, youth_id="AUD-2")]
    response = asgi_client.post("/score", json={"youths": youths})
    assert response.status_code == 200
    records = audit_rows(scored_current["database"], request_id=response.headers["x-request-id"])
    assert list(records["youth_id"]) == ["AUD-1", "AUD-2"] and set(records["event"]) == {"score"}
    first, answer = records.iloc[0], response.json()["results"][0]
    assert first["key_name"] == "test-officer" and first["model_version"] == champion_store["version"]
    assert first["as_of"] == "2019-10-01"
    assert first["input_hash"] == hashlib.sha256(YouthInput.model_validate(YOUTH).model_dump_json().encode()).hexdigest()
    assert (first["probability"], first["tier"], first["advised_route"]) == (answer["probability"], answer["tier"], answer["route"])
    assert [r["concept"] for r in json.loads(first["top_reasons"])] == [r["concept"] for r in answer["reasons"]]
    assert first["model_run_id"] == champion_store["run_id"] == answer["model_run_id"]
    assert first["decision_route"] is None
    assert records.iloc[1]["input_hash"] != first["input_hash"]


def test_an_explanation_is_one_record_and_refused_requests_none(asgi_client, scored_current):
    before = len(audit_rows(scored_current["database"]))
    explained = asgi_client.post("/explain", json={"youth": YOUTH})
    assert explained.status_code == 200
    (record,) = audit_rows(scored_current["database"], request_id=explained.headers["x-request-id"]).itertuples()
    assert record.event == "explain" and record.probability == explained.json()["probability"]
    young = dict(YOUTH, history=dict(YOUTH["history"], birth_date="2010-01-01"))
    assert asgi_client.post("/score", json={"youths": [young]}).status_code == 422
    assert asgi_client.post("/score", json={"youths": [YOUTH]}, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert len(audit_rows(scored_current["database"])) == before + 1


def test_a_decision_and_the_viewing_before_it_are_recorded(asgi_client, scored_current):
    youth_id = scored_current["frame"].iloc[3]["youth_id"]
    page = asgi_client.get(f"/ui/jongere/{youth_id}")
    viewed = audit_rows(scored_current["database"], request_id=page.headers["x-request-id"])
    assert list(viewed["event"]) == ["explain"] and viewed.iloc[0]["youth_id"] == youth_id
    youth_json = re.search(r'name="youth" value="([^"]+)"', page.text).group(1).replace("&#34;", '"')
    stored = asgi_client.post("/ui/besluit", data={"youth": youth_json, "bron": "lijst", "route": "geen", "houding": "wijkt_af",
                                                   "reden": "verhuisd"}, follow_redirects=False)
    assert stored.status_code == 303
    (decision,) = audit_rows(scored_current["database"], request_id=stored.headers["x-request-id"]).itertuples()
    assert (decision.event, decision.youth_id, decision.key_name) == ("decision", youth_id, "test-officer")
    assert (decision.decision_route, bool(decision.decision_follows), decision.decision_reason) == ("geen", False, "verhuisd")
    assert decision.tier == viewed.iloc[0]["tier"] and decision.probability == viewed.iloc[0]["probability"]


def test_no_key_is_ever_stored(asgi_client, scored_current, api_keys):
    asgi_client.post("/score", json={"youths": [YOUTH]})
    dump = audit_rows(scored_current["database"]).to_csv()
    assert not any(key in dump for key in api_keys["keys"].values())
    assert "test-officer" in dump


def test_analysts_export_the_log_over_the_api(asgi_client, scored_current, api_keys):
    asgi_client.post("/score", json={"youths": [YOUTH]})
    stored = audit_rows(scored_current["database"])
    first_day = pd.to_datetime(stored["recorded_at"]).min().date()  # the session may have crossed midnight (UTC)
    body = asgi_client.post("/audit_export", json={"since": first_day.isoformat()}, headers=api_keys["headers"]["analyst"]).json()
    assert len(body["records"]) == len(stored) > 0
    assert asgi_client.post("/audit_export", json={"since": "2999-01-01"}, headers=api_keys["headers"]["analyst"]).json() == {"records": []}
    assert asgi_client.post("/audit_export", json={"since": 0}, headers=api_keys["headers"]["analyst"]).status_code == 400


# --- the database itself ---------------------------------------------------------------

def check_append_only(url: str) -> None:
    engine = open_database(url)
    audit, store = AuditLog(engine), DecisionStore(engine)
    audit.append([row("J1"), row("J2")])
    advice = Advice("high", "matchmaker", 0.8, "1", "r1")
    decision = validate_decision("J1", "anna", advice, "gesprek", "wijkt_af", "eerst praten")
    store.append(decision, audit, row("J1", event="decision", decision_route="gesprek", decision_follows=False,
                                      decision_reason="eerst praten"))
    assert audit.count() == 3 and [d["chosen_route"] for d in store.history("J1")] == ["gesprek"]
    for statement in ("update audit_log set tier = 'low'", "delete from audit_log", "update decisions set reason = 'x'",
                      "delete from decisions where officer = 'anna'"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert audit.count() == 3 and set(audit.export(dt.date(2000, 1, 1))["tier"]) == {"medium"}
    open_database(url)  # opening again (another worker, a restart) keeps tables, rows and triggers
    assert audit.count() == 3


def test_sqlite_is_append_only_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    check_append_only(url)
    with open_database(url).connect() as connection:
        assert connection.exec_driver_sql("pragma journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("pragma synchronous").scalar() == 2  # FULL: a commit survives a power cut


def test_postgresql_is_append_only(postgres_url):
    check_append_only(postgres_url)


def test_postgresql_refuses_truncate_too(postgres_url):
    """Row triggers do not fire on TRUNCATE: a statement trigger of its own refuses it, also after reopening."""
    open_database(postgres_url)
    engine = open_database(postgres_url)
    AuditLog(engine).append([row("T1")])
    for table in ("audit_log", "decisions", "audit_log, decisions"):
        with pytest.raises(sa.exc.DatabaseError, match="is append-only"):
            with engine.begin() as connection:
                connection.exec_driver_sql(f"truncate {table}")
    assert AuditLog(engine).count() == 1


def test_postgresql_keeps_every_concurrent_append(postgres_url):
    audit = AuditLog(open_database(postgres_url))
    errors = []

    def write(worker: int) -> None:
        try:
            for i in range(25):
                audit.append([row(f"W{worker}-{i}")])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and audit.count() == 200
    assert audit.export(dt.date(2000, 1, 1))["youth_id"].nunique() == 200


def test_the_writer_lock_lives_next_to_a_sqlite_file_only(tmp_path):
    assert write_lock_path(sa.create_engine(f"sqlite:///{tmp_path / 'vsv.db'}")) == tmp_path / "vsv.db-writer.lock"
    assert write_lock_path(sa.create_engine("sqlite://")) is None
    assert write_lock_path(sa.create_engine("sqlite:///:memory:")) is None
    assert write_lock_path(sa.create_engine(f"sqlite:///file:{tmp_path / 'vsv.db'}?mode=ro&uri=true")) is None
    assert write_lock_path(sa.create_engine("postgresql+psycopg://vsv:vsv@127.0.0.1/vsv")) is None


def try_lock(path) -> bool:
    """Whether an exclusive lock on `path` can be had right now (through a file description of its own)."""
    with open(path, "ab") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_sqlite_writers_queue_on_the_file_lock_and_none_is_lost(tmp_path):
    """A write transaction holds the lock from begin to commit; a writer arriving meanwhile waits for it (it
    wakes on release, not after one of SQLite's busy sleeps) and its row still lands."""
    engine = open_database(f"sqlite:///{tmp_path / 'vsv.db'}")
    lock = write_lock_path(engine)
    audit = AuditLog(engine)
    with writing(engine) as connection:
        audit.append([row("HELD")], connection)
        assert not try_lock(lock)
        waiting = threading.Thread(target=audit.append, args=([row("WAITED")],))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # queued behind the open transaction
    waiting.join()
    assert try_lock(lock)
    assert list(audit.export(dt.date(2000, 1, 1))["youth_id"]) == ["HELD", "WAITED"]


def test_sqlite_keeps_every_append_of_concurrent_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    open_database(url)
    script = ("import sys, datetime as dt; from serving.audit import AuditLog; from serving.database import open_database; "
              "from tests.service.test_audit import row; audit = AuditLog(open_database(sys.argv[1])); "
              "[audit.append([row(f'{sys.argv[2]}-{i}')]) for i in range(150)]")
    writers = [start([sys.executable, "-c", script, url, f"P{p}"]) for p in range(3)]
    assert [w.wait(120) for w in writers] == [0, 0, 0]
    records = AuditLog(open_database(url)).export(dt.date(2000, 1, 1))
    assert len(records) == 450 and records["youth_id"].nunique() == 450


def test_a_read_only_database_fails_loudly(tmp_path):
    path = tmp_path / "vsv.db"
    AuditLog(open_database(f"sqlite:///{path}")).append([row()])
    read_only = AuditLog(open_database(f"sqlite:///file:{path}?mode=ro&uri=true"))
    with pytest.raises(AuditUnavailable, match="the audit log cannot be written"):
        read_only.append([row("J2")])
    assert read_only.count() == 1


def test_export_cli_writes_records_since_a_day(tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    AuditLog(open_database(url)).append([row("OLD", dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC)),
                                         row("NEW1", dt.datetime(2026, 2, 1, 0, 0, tzinfo=dt.UTC)),
                                         row("NEW2", dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
                                         # a record written before ids were checked: the export must still be safe to open
                                         row('=HYPERLINK("http://evil","x")', dt.datetime(2026, 3, 2, tzinfo=dt.UTC))])
    out = tmp_path / "export" / "audit.csv"
    done = run([sys.executable, "-m", "vsv_cli", "audit", "export", "--since", "2026-02-01", "--out", str(out)],
               env=os.environ | {"VSV_DATABASE_URL": url}, check=True)
    assert f"Wrote 3 audit records since 2026-02-01 to {out}" in done.stdout
    assert list(pd.read_csv(out)["youth_id"]) == ["NEW1", "NEW2", "'=HYPERLINK(\"http://evil\",\"x\")"]
    raw_lines = out.read_text(encoding="utf-8").splitlines()
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for line in raw_lines for cell in line.split(","))
    refused = run([sys.executable, "-m", "vsv_cli", "audit", "export", "--since", "1-2-2026", "--out", str(out)],
                  env=os.environ | {"VSV_DATABASE_URL": url})
    assert refused.returncode != 0 and "YYYY-MM-DD" in refused.stderr


def test_concurrent_requests_share_commits_and_all_wait_for_theirs(tmp_path):
    audit = AuditLog(open_database(f"sqlite:///{tmp_path / 'vsv.db'}"))

    async def many() -> None:
        await asyncio.gather(*(audit.append_async([row(f"C{i}")]) for i in range(300)))

    asyncio.run(many())
    assert audit.count() == 300  # every awaited append was committed before its await returned
    read_only = AuditLog(open_database(f"sqlite:///file:{tmp_path / 'vsv.db'}?mode=ro&uri=true"))

    async def refused() -> list:
        return await asyncio.gather(*(read_only.append_async([row(f"R{i}")]) for i in range(20)), return_exceptions=True)

    outcomes = asyncio.run(refused())
    assert all(isinstance(o, AuditUnavailable) for o in outcomes) and audit.count() == 300


class FailingOnce:
    """The engine, except that its first write raises an error no database driver would (a bug, a full disk
    reported oddly): the writer thread must survive whatever a write throws."""

    def __init__(self, engine):
        self.engine, self.failed = engine, False

    def begin(self):
        if not self.failed:
            self.failed = True
            raise RuntimeError("unexpected")
        return self.engine.begin()

    def __getattr__(self, name):
        return getattr(self.engine, name)


def test_any_writer_failure_is_a_503_for_its_requests_and_the_writer_serves_the_next(tmp_path):
    audit = AuditLog(FailingOnce(open_database(f"sqlite:///{tmp_path / 'vsv.db'}")))
    guard = 60  # seconds: turns a request left waiting for ever (a dead writer) into a failure, measures nothing

    async def two_requests() -> None:
        with pytest.raises(AuditUnavailable, match=r"^the audit log cannot be written \(RuntimeError\)$"):
            await asyncio.wait_for(audit.append_async([row("FAILED")]), guard)
        await asyncio.wait_for(audit.append_async([row("NEXT")]), guard)

    asyncio.run(two_requests())
    assert list(audit.export(dt.date(2000, 1, 1))["youth_id"]) == ["NEXT"]
