"""Retention across the service's database, on SQLite and on a real PostgreSQL server: hand-made youths with exact
dates, the counts per table worked out by hand, the audit log verified after, the youths gone from every table.

Today is 15 June 2026, the term 2 years. Youths and what decides them:
- J-DUE   a case, left the group 14 June 2024: due (a day past the term); also archived, audited, a decision,
          and one audit record from before the keys (plain: it stays, counted as kept);
- J-EDGE  a case, left 15 June 2024: due (today is the term's last day: today >= exit + term);
- J-KEEP  a case, left 16 June 2024: kept; also archived, audited, a decision;
- J-ARCH-DUE   only archived, exit 1 January 2024 kept with the scores: due;
- J-ARCH-KEEP  only archived, exit 1 January 2025: kept;
- J-API-OLD    only audited (an API request as of 1 October 2010): no exit known, the latest it can be is 9 years
               (ages 18 to 27, the widest group) later, 1 October 2019, + 2 years: due;
- J-API-NEW    only audited, as of 1 October 2020: 2029 + 2: kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa

from casework.model import CaseworkRules
from serving.archive import archive_scores, archived_scores, open_archive
from serving.audit import AuditLog
from serving.audit_chain import verify
from serving.database import audit_table
from serving.decisions import Advice, DecisionStore, validate_decision
from serving.retention import (
    RetentionSchedule,
    open_retention,
    run_retention,
    undated_group,
)
from tests.casework.test_retention import add_case, add_counts, casework_engine, empty_database
from tests.service.test_audit import row
from vsv_model.database import retention_permit
from vsv_model.settings import Settings
from vsv_model.youth_keys import REMOVED_NL

TODAY = dt.date(2026, 6, 15)
RULES = CaseworkRules()
GROUP = undated_group(Settings())  # 18 to 27: the widest
SERVED = SimpleNamespace(name="vsv-risk", version="7", run_id="0123456789abcdef0123456789abcdef",
                         booster_sha256="f" * 64, fingerprint="01234567-ffffffff",
                         model=SimpleNamespace(cutoffs=SimpleNamespace(details={"high_share": 0.05})))
GONE = ("J-DUE", "J-EDGE", "J-ARCH-DUE", "J-API-OLD")
STAYING = ("J-KEEP", "J-ARCH-KEEP", "J-API-NEW")
EXPECTED = {
    "cases": 2, "case_events": 4, "case_records": 4, "letters": 2,   # J-DUE and J-EDGE: one case each
    "archived_scores": 3,                                           # J-DUE, J-EDGE, J-ARCH-DUE
    "youth_keys": 3,                                                # J-DUE, J-EDGE, J-API-OLD (archiving makes no key)
    "audit_log sealed (key destroyed)": 5,                          # a score and a decision each for J-DUE, J-EDGE; J-API-OLD
    "decisions sealed (key destroyed)": 2,                          # J-DUE, J-EDGE
    "audit_log plain (from before the keys, kept)": 1,              # J-DUE's record from before the keys
    "decisions plain (from before the keys, kept)": 0,
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    empty_database(url)
    return url


def decide(store: DecisionStore, audit: AuditLog, youth_id: str) -> None:
    decision = validate_decision(youth_id, "anna", Advice("low", "waarschuwingsbrief", 0.2, "7", "r7"), "gesprek",
                                 "wijkt_af", f"reden voor {youth_id}")
    store.append(decision, audit, row(youth_id, event="decision", as_of="2023-10-01", decision_route="gesprek",
                                      decision_follows=False, decision_reason=decision.reason))


def build_world(url: str) -> sa.engine.Engine:
    engine = open_retention(url)
    casework_engine(url)
    with engine.begin() as connection:  # a record from before the keys: plain, unchained
        connection.execute(audit_table.insert(), [row("J-DUE", as_of="2023-09-01") | {
            "kind": None, "model_run_id": None, "decision_route": None, "decision_follows": None, "decision_reason": None}])
        for youth_id, exit_day in (("J-DUE", dt.date(2024, 6, 14)), ("J-EDGE", dt.date(2024, 6, 15)),
                                   ("J-KEEP", dt.date(2024, 6, 16))):
            add_case(connection, youth_id, exit_day)
        add_counts(connection)
    audit, store = AuditLog(engine), DecisionStore(engine)
    audit.append([row(y, as_of="2023-10-01") for y in ("J-DUE", "J-EDGE", "J-KEEP")]
                 + [row("J-API-OLD", as_of="2010-10-01"), row("J-API-NEW", as_of="2020-10-01")])
    for youth_id in ("J-DUE", "J-EDGE", "J-KEEP"):
        decide(store, audit, youth_id)
    frame = pd.DataFrame({"youth_id": ["J-DUE", "J-EDGE", "J-KEEP", "J-ARCH-DUE", "J-ARCH-KEEP"],
                          "probability": [0.1, 0.2, 0.3, 0.4, 0.5], "tier": ["low"] * 5,
                          "leaves_group_on": ["2024-06-14", "2024-06-15", "2024-06-16", "2024-01-01", "2025-01-01"]})
    archive_scores(engine, frame, SERVED, dt.date(2023, 10, 1))
    return engine


def snapshot(engine) -> dict[str, list]:
    """Every row of every table, as text (the database as a whole, to compare and to search)."""
    with engine.connect() as connection:
        return {name: sorted(str(tuple(r)) for r in connection.execute(sa.text(f"select * from {name}")))
                for name in sa.inspect(connection).get_table_names()}


def test_retention_removes_what_is_due_keeps_the_rest_and_the_log_verifies(url):
    engine = build_world(url)
    before = snapshot(engine)
    dry = run_retention(engine, RULES, TODAY, GROUP, dry_run=True)
    assert (dry.youths, dry.counts) == (4, EXPECTED)
    assert snapshot(engine) == before  # the dry run changed nothing

    done = run_retention(engine, RULES, TODAY, GROUP)
    assert (done.youths, done.counts) == (4, EXPECTED)  # what the dry run said would go, went
    assert verify(engine).ok and verify(engine).records == 9

    after = snapshot(engine)
    text = json.dumps(after)
    assert [y for y in GONE if y in text] == ["J-DUE"]  # only in its record from before the keys:
    assert sum("J-DUE" in r for r in after["audit_log"]) == 1 and not any("J-DUE" in r for t, rows in after.items()
                                                                           if t != "audit_log" for r in rows)
    assert all(y in text for y in STAYING)
    assert after["case_syncs"] == before["case_syncs"] and after["case_outcomes"] == before["case_outcomes"]
    assert len(after["audit_log"]) == len(before["audit_log"]) and len(after["decisions"]) == len(before["decisions"])

    opened = AuditLog(engine).export(dt.date(2000, 1, 1))
    by_data = opened.groupby("personal_data")["youth_id"].apply(lambda s: sorted(s.fillna("-")))
    assert by_data[REMOVED_NL] == ["-"] * 5 and by_data["leesbaar"] == ["J-API-NEW", "J-KEEP", "J-KEEP"]
    assert sorted(opened["tier"]) == ["medium"] * 9 and opened["probability"].notna().all()  # the aggregates stay
    store = DecisionStore(engine)
    assert store.history("J-DUE") == [] and store.history("J-EDGE") == []
    assert [(d["youth_id"], d["reason"]) for d in store.history("J-KEEP")] == [("J-KEEP", "reden voor J-KEEP")]
    run = pd.read_sql(sa.text("select youth_id from archived_scores"), engine)
    assert sorted(run["youth_id"]) == ["J-ARCH-KEEP", "J-KEEP"]

    again = run_retention(engine, RULES, TODAY, GROUP)
    assert (again.youths, set(again.counts.values())) == (0, {0})  # a second run removes nothing more
    assert verify(engine).ok


def test_the_day_before_the_edge_youth_is_kept(url):
    engine = build_world(url)
    report = run_retention(engine, RULES, TODAY - dt.timedelta(days=1), GROUP, dry_run=True)
    assert (report.youths, report.counts["cases"], report.counts["youth_keys"]) == (3, 1, 2)  # J-DUE, J-ARCH-DUE, J-API-OLD


def test_archived_scores_refuse_a_delete_without_a_retention_permit(url):
    engine = build_world(url)
    with pytest.raises(sa.exc.DatabaseError, match="append-only: only retention deletes"):
        with engine.begin() as connection:
            connection.execute(sa.text("delete from archived_scores where youth_id = 'J-KEEP'"))
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(sa.text("truncate archived_scores"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(sa.text("update archived_scores set tier = 'high'"))
    with engine.begin() as connection, retention_permit(connection, "test"):
        assert connection.execute(sa.text("delete from archived_scores where youth_id = 'J-KEEP'")).rowcount == 1
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from retention_permits")).scalar() == 0
    open_archive(url)  # opening again keeps the rule
    with pytest.raises(sa.exc.DatabaseError, match="only retention deletes"):
        with engine.begin() as connection:
            connection.execute(sa.text("delete from archived_scores"))


def test_an_archive_from_before_retention_gets_the_permit_rule_and_the_exit_column(tmp_path):
    """An existing SQLite archive: its unconditional delete trigger is replaced, `leaves_group_on` added (null for
    the runs archived before it)."""
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("create table archived_scores (run_id bigint not null, youth_id varchar(64) not null, "
                                   "probability float not null, tier varchar(16) not null, reason_1 varchar(32), "
                                   "reason_2 varchar(32), reason_3 varchar(32))")
        connection.exec_driver_sql("insert into archived_scores values (1, 'OLD', 0.5, 'low', null, null, null)")
        connection.exec_driver_sql("create trigger archived_scores_no_delete before delete on archived_scores "
                                   "begin select raise(abort, 'archived_scores is append-only'); end")
    engine = open_archive(url)
    assert archived_scores(engine, 1).empty  # no run row: never read
    with engine.begin() as connection, retention_permit(connection, "test"):
        assert connection.execute(sa.text("select leaves_group_on from archived_scores")).scalar() is None
        assert connection.execute(sa.text("delete from archived_scores")).rowcount == 1


def test_the_cli_reports_counts_never_ids(tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    build_world(url)
    env = os.environ | {"VSV_DATABASE_URL": url}
    command = [sys.executable, "-m", "vsv_cli", "retention", "--today", "2026-06-15"]
    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert dry.stdout.splitlines()[0] == ("Retention on 2026-06-15: term 2 years after leaving the target group; "
                                          "4 youths due. Dry run: nothing was changed.")
    assert dry.stdout.replace("would go", "went").splitlines()[1:] == done.stdout.splitlines()[1:]
    assert counts_printed(done.stdout) == EXPECTED
    assert not any(y in dry.stdout + done.stdout for y in GONE + STAYING)
    config = tmp_path / "region.toml"
    config.write_text("[casework]\nretention_years = 1\n", encoding="utf-8")
    later = subprocess.run([*command, "--dry-run", "--config", str(config)], env=env, capture_output=True, text=True)
    assert "term 1 years after leaving the target group; 2 youths due." in later.stdout  # J-KEEP, J-ARCH-KEEP
    config.write_text("[casework]\nretention_yers = 1\n", encoding="utf-8")
    wrong = subprocess.run([*command, "--config", str(config)], env=env, capture_output=True, text=True)
    assert wrong.returncode == 2 and "unknown [casework] setting(s): retention_yers" in wrong.stderr


def counts_printed(stdout: str) -> dict[str, int]:
    """The table lines: two spaces, the name in 46 characters, the count in 8."""
    return {line[2:48].strip(): int(line[48:57]) for line in stdout.splitlines()[1:]}


def test_the_scheduled_run_happens_once_a_day_whichever_worker(url):
    build_world(url)
    settings = Settings(database_url=url, today=TODAY)
    workers = [RetentionSchedule(settings) for _ in range(3)]
    reports = []
    threads = [threading.Thread(target=lambda w=w: reports.append(w.run_once())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [r for r in reports if r is not None]
    assert len(done) == 1 and done[0].counts == EXPECTED  # one worker did the day; the others found it taken
    assert workers[0].run_once() is None
    next_day = RetentionSchedule(Settings(database_url=url, today=TODAY + dt.timedelta(days=1))).run_once()
    assert (next_day.youths, next_day.counts["cases"]) == (1, 1)  # the next day J-KEEP's term has passed too
    with sa.create_engine(url).connect() as connection:
        runs = connection.execute(sa.text("select scheduled_day, youths, counts from retention_runs order by id")).all()
    assert [(str(r.scheduled_day), r.youths) for r in runs] == [("2026-06-15", 4), ("2026-06-16", 1)]
    assert json.loads(runs[0].counts) == EXPECTED


def test_the_schedule_runs_in_its_thread_shortly_after_the_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    build_world(url)
    schedule = RetentionSchedule(Settings(database_url=url, today=TODAY), first_after=0, every=3600).start()
    engine = sa.create_engine(url)
    deadline = 120  # seconds: a guard against a thread that never runs, measures nothing
    for _ in range(deadline * 10):
        with engine.connect() as connection:
            if connection.execute(sa.text("select count(*) from retention_runs")).scalar():
                break
        threading.Event().wait(0.1)
    schedule.stop()
    schedule.thread.join(deadline)
    assert not schedule.thread.is_alive()
    with engine.connect() as connection:
        assert connection.execute(sa.text("select youths from retention_runs")).scalar() == 4
