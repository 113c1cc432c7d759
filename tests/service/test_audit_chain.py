"""The audit log's hash chain and its sealed personal fields, on SQLite and on a real PostgreSQL server.

The chain is checked by a walker written here from the rule (SHA-256 over the previous hash, a newline and the
record's stored fields as a JSON list), apart from `serving.audit_chain`; tampering is done with the triggers
dropped, as someone with the database's owner rights would."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from serving.audit import DAMAGED_NL, PLAIN_NL, READABLE_NL, AuditLog, AuditUnavailable
from serving.audit_chain import GENESIS, verify
from serving.database import open_database
from serving.decisions import Advice, DecisionStore, validate_decision
from tests.service.test_audit import row
from vsv_model.youth_keys import REMOVED_NL, destroy_keys

ADVICE = Advice("high", "matchmaker", 0.8, "1", "r1")
CHAINED = ["recorded_at", "event", "request_id", "key_name", "youth_id", "as_of", "kind", "model_version", "model_run_id",
           "input_hash", "probability", "tier", "advised_route", "top_reasons", "decision_route", "decision_follows",
           "decision_reason", "sealed"]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vsv.db'}"
    return request.getfixturevalue("postgres_url")


def stored(url: str) -> list[dict]:
    with sa.create_engine(url).connect() as connection:
        return [dict(r) for r in connection.execute(sa.text("select * from audit_log order by id")).mappings()]


def expected_hash(prev: str, record: dict) -> str:
    """The rule, restated: times in UTC with microseconds and +00:00, booleans and floats as JSON has them."""
    def value(name):
        v = record[name]
        if name == "recorded_at" and isinstance(v, str):  # SQLite's text, read without SQLAlchemy's types
            v = dt.datetime.fromisoformat(v)
        if isinstance(v, dt.datetime):
            v = (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        if name == "decision_follows" and v is not None:
            v = bool(v)
        return v
    text = json.dumps([value(n) for n in CHAINED], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


def write_some(url: str) -> AuditLog:
    engine = open_database(url)
    audit, store = AuditLog(engine), DecisionStore(engine)
    audit.append([row("J1"), row("J2", kind="report_first")])
    audit.append([row("J1", when=dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))))])
    decision = validate_decision("J2", "anna", ADVICE, "gesprek", "wijkt_af", "eerst praten")
    store.append(decision, audit, row("J2", event="decision", decision_route="gesprek", decision_follows=False,
                                      decision_reason="eerst praten"))
    return audit


def drop_triggers(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for name in ("audit_log_no_update", "audit_log_no_delete"):
                connection.exec_driver_sql(f"drop trigger {name}")
        else:
            connection.exec_driver_sql("drop trigger audit_log_append_only on audit_log")


def test_a_clean_log_verifies_and_every_link_follows_the_rule(url):
    write_some(url)
    records = stored(url)
    assert len(records) == 4
    previous = GENESIS
    for record in records:
        assert record["prev_hash"] == previous and record["row_hash"] == expected_hash(previous, record)
        previous = record["row_hash"]
    result = verify(open_database(url))
    assert (result.ok, result.records, result.chained, result.before_chain) == (True, 4, 4, 0)
    assert (result.head_id, result.head_hash) == (records[-1]["id"], records[-1]["row_hash"])


def test_records_are_sealed_as_stored_and_opened_for_readers(url):
    audit = write_some(url)
    records = stored(url)
    dump = json.dumps(records, default=str)
    for personal in ('"J1"', '"J2"', "eerst praten"):
        assert personal not in dump
    assert {r["input_hash"] for r in records} == {""} and {r["top_reasons"] for r in records} == {""}
    assert len({r["youth_id"] for r in records}) == 2  # one pseudonym per youth
    with sa.create_engine(url).connect() as connection:
        decision = connection.execute(sa.text("select youth_id, reason, sealed from decisions")).one()
    assert decision.reason is None and decision.youth_id == records[-1]["youth_id"] != "J2"
    sealed = base64.b64decode(decision.sealed)  # random bytes: a two-letter id may occur in its text by chance
    assert b"eerst praten" not in sealed and b'"J2"' not in sealed
    opened = audit.export(dt.date(2000, 1, 1))
    assert list(opened["youth_id"]) == ["J1", "J2", "J1", "J2"] and set(opened["input_hash"]) == {"0" * 64}
    assert list(opened["decision_reason"])[-1] == "eerst praten" and set(opened["personal_data"]) == {READABLE_NL}
    moment = opened["recorded_at"].iloc[2]  # stored in UTC (SQLite keeps no offset: read back naive)
    assert (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)) == dt.datetime(2026, 3, 1, 11, 0, 0, 123456, tzinfo=dt.UTC)
    history = DecisionStore(audit.engine).history("J2")
    assert [(d["youth_id"], d["reason"]) for d in history] == [("J2", "eerst praten")]


def test_a_destroyed_key_leaves_the_chain_whole_and_the_youth_unfindable(url):
    audit = write_some(url)
    with audit.engine.begin() as connection:
        assert destroy_keys(connection, ["J2"]) == 1
    assert verify(audit.engine).ok
    opened = audit.export(dt.date(2000, 1, 1))
    assert list(opened["youth_id"].fillna("-")) == ["J1", "-", "J1", "-"]
    assert list(opened["personal_data"]) == [READABLE_NL, REMOVED_NL, READABLE_NL, REMOVED_NL]
    assert opened["decision_reason"].isna().all() and list(opened["tier"]) == ["medium"] * 4  # the aggregates stay
    assert DecisionStore(audit.engine).history("J2") == []


def test_an_edited_record_is_named(url):
    write_some(url)
    target = stored(url)[1]["id"]
    drop_triggers(url)
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("update audit_log set tier = 'low' where id = :id"), {"id": target})
    result = verify(open_database(url))
    assert (result.ok, result.broken_id) == (False, target) and "content was changed" in result.problem


def test_a_deleted_record_is_found_at_the_next(url):
    write_some(url)
    records = stored(url)
    drop_triggers(url)
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("delete from audit_log where id = :id"), {"id": records[1]["id"]})
    result = verify(open_database(url))
    assert (result.ok, result.broken_id) == (False, records[2]["id"]) and "missing" in result.problem


def test_a_sealed_field_moved_to_another_youths_record_does_not_open(url):
    """The ciphertext is bound to its table and pseudonym: copied onto J1's record it does not open under J1's key
    (the export says so, never shows J2's data as J1's), and the chain names the record."""
    audit = write_some(url)
    records = stored(url)
    drop_triggers(url)
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("update audit_log set sealed = :s where id = :id"),
                           {"s": records[1]["sealed"], "id": records[0]["id"]})
    opened = audit.export(dt.date(2000, 1, 1))
    assert opened["personal_data"].iloc[0] == DAMAGED_NL and pd.isna(opened["youth_id"].iloc[0])
    assert verify(audit.engine).broken_id == records[0]["id"]


def test_a_record_slipped_in_without_the_chain_is_named(url):
    write_some(url)
    with sa.create_engine(url).begin() as connection:  # plain INSERT: the triggers allow it, the chain does not
        connection.execute(sa.text(
            "insert into audit_log (recorded_at, event, youth_id, model_version, input_hash, probability, tier, "
            "advised_route, top_reasons) values (:t, 'score', 'X', '1', 'h', 0.1, 'low', 'brief', '[]')"),
            {"t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
        slipped = connection.execute(sa.text("select max(id) from audit_log")).scalar()
    result = verify(open_database(url))
    assert result.broken_id == slipped and "no hash" in result.problem


def test_records_from_before_the_chain_keep_reading_and_are_folded_into_it(url):
    """An existing database: plain records without hashes, then the new version appends (sealed and chained)."""
    engine = open_database(url)
    legacy = [row("OLD1", decision_reason=None), row("OLD2", event="decision", decision_route="geen",
                                                    decision_follows=False, decision_reason="verhuisd")]
    from serving.database import audit_table

    with engine.begin() as connection:
        connection.execute(audit_table.insert(), [{**r, "kind": None, "model_run_id": None} | (
            {} if "decision_route" in r else {"decision_route": None, "decision_follows": None}) for r in legacy])
        connection.execute(sa.text("insert into decisions (recorded_at, youth_id, officer, advised_tier, advised_route, "
                                   "probability, model_version, chosen_route, follows_advice, reason) values "
                                   "(:t, 'OLD2', 'bert', 'low', 'brief', 0.1, '1', 'geen', false, 'verhuisd')"),
                           {"t": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)})
    audit = AuditLog(engine)
    audit.append([row("NEW1")])
    result = verify(engine)
    assert (result.ok, result.records, result.chained, result.before_chain) == (True, 3, 1, 2)
    opened = audit.export(dt.date(2000, 1, 1))
    assert list(opened["youth_id"]) == ["OLD1", "OLD2", "NEW1"]
    assert list(opened["personal_data"]) == [PLAIN_NL, PLAIN_NL, READABLE_NL]
    assert [(d["youth_id"], d["reason"]) for d in DecisionStore(engine).history("OLD2")] == [("OLD2", "verhuisd")]
    first_chained = stored(url)[2]
    drop_triggers(url)
    with engine.begin() as connection:  # a record from before the chain changed: the first chained link breaks
        connection.execute(sa.text("update audit_log set tier = 'high' where youth_id = 'OLD1'"))
    assert verify(engine).broken_id == first_chained["id"]


def test_a_record_without_its_input_hash_is_refused_and_nothing_is_written(url):
    audit = AuditLog(open_database(url))
    with pytest.raises(AuditUnavailable, match=r"a record without input_hash"):
        audit.append([row("J1"), row("J2", input_hash=None)])
    assert audit.count() == 0


def test_concurrent_writers_never_fork_the_chain(url):
    audit = AuditLog(open_database(url))
    errors = []

    def write(worker: int) -> None:
        try:
            for i in range(20):
                audit.append([row(f"W{worker}-{i}"), row(f"W{worker}-{i}b")])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = verify(audit.engine)
    assert errors == [] and (result.ok, result.records) == (True, 240)


def test_verify_cli_exits_0_with_counts_and_1_naming_the_record(tmp_path):
    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    write_some(url)
    env = os.environ | {"VSV_DATABASE_URL": url}
    command = [sys.executable, "-m", "vsv_cli", "audit", "verify"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "OK: 4 audit records verified (4 chained, 0 from before the chain" in done.stdout
    target = stored(url)[2]["id"]
    drop_triggers(url)
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("update audit_log set probability = 0.9 where id = :id"), {"id": target})
    broken = subprocess.run(command, env=env, capture_output=True, text=True)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"BROKEN at audit record id {target}: its content was changed" in broken.stderr


def test_the_tail_a_starting_service_checks_names_an_edited_or_deleted_record(url):
    from serving.audit_chain import verify_tail

    write_some(url)
    records = stored(url)
    assert verify_tail(open_database(url)) == ""
    drop_triggers(url)
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("update audit_log set tier = 'low' where id = :id"), {"id": records[-1]["id"]})
    assert verify_tail(open_database(url)) == (f"audit record {records[-1]['id']}: its content was changed after it "
                                               "was written: its hash does not match")
    drop_triggers(url)  # opening the database put them back
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text("delete from audit_log where id = :id"), {"id": records[1]["id"]})
    assert verify_tail(open_database(url)).startswith(f"audit record {records[2]['id']}: the record before it is missing")
