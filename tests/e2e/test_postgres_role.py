"""On a real PostgreSQL server the service connects as a role that may only select and insert (`vsv db grant`, run
as the tables' owner): the service's own connection can neither change nor delete a record, nor truncate a table,
nor drop or disable the append-only triggers, the way issue 25 did as the owner (drop the trigger, change rows,
create the trigger again). The service still starts and audits as that role."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys

import httpx
import pytest
import sqlalchemy as sa

from serving.grants import SERVICE_PRIVILEGES, service_tables
from tests.commands import run
from tests.e2e.test_production import audit_request_ids, isolated_env, serve
from tests.load import request_for
from tests.servers import stop

pytestmark = pytest.mark.slow
VSV = [sys.executable, "-m", "vsv_cli"]
DATABASE, SERVICE, OTHER = "vsv_roles", "vsv_service", "vsv_other"
REFUSED = re.compile(r"permission denied for table|must be owner of (table|relation)")
ROW = {"recorded_at": dt.datetime(2026, 10, 1, tzinfo=dt.UTC), "event": "score", "youth_id": "ROLE-1", "model_version": "1",
       "input_hash": "0" * 64, "probability": 0.5, "tier": "medium", "advised_route": "gesprek", "top_reasons": "[]"}


def url_of(server: str, **parts) -> str:
    return sa.engine.make_url(server).set(**parts).render_as_string(hide_password=False)


@pytest.fixture
def roles(postgres_server):
    """A database of its own (as the server's owner role) and two login roles without any privilege yet."""
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        for role in (SERVICE, OTHER):
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    admin.dispose()
    return {"owner": url_of(postgres_server, database=DATABASE),
            "service": url_of(postgres_server, database=DATABASE, username=SERVICE)}


def grant(owner_url: str, role: str):
    return run([*VSV, "db", "grant", role], env=os.environ | {"VSV_DATABASE_URL": owner_url})


def attempt(url: str, statement: str, **values) -> str:
    """Run one statement as the URL's role: 'ok', or the database's first line of refusal."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement), values)
        return "ok"
    except sa.exc.DBAPIError as error:
        return str(error.orig).splitlines()[0]
    finally:
        engine.dispose()


def test_every_table_the_service_defines_has_its_privileges_named():
    assert set(service_tables()) == set(SERVICE_PRIVILEGES)
    updated = {table for table, privileges in SERVICE_PRIVILEGES.items() if "UPDATE" in privileges}
    assert updated == {"cases"} and all("DELETE" not in p for p in SERVICE_PRIVILEGES.values())


def test_the_service_role_may_insert_and_select_and_nothing_else(roles):
    done = grant(roles["owner"], SERVICE)
    assert done.returncode == 0 and f"GRANT SELECT, INSERT ON TABLE audit_log TO {SERVICE}" in done.stdout
    service = roles["service"]
    columns = ", ".join(ROW)
    assert attempt(service, f"INSERT INTO audit_log ({columns}) VALUES ({', '.join(':' + c for c in ROW)})", **ROW) == "ok"
    assert attempt(service, "SELECT count(*) FROM audit_log") == "ok"
    hostile = {"update": "UPDATE audit_log SET probability = 0.01", "delete": "DELETE FROM audit_log",
               "truncate": "TRUNCATE audit_log", "drop trigger": "DROP TRIGGER audit_log_append_only ON audit_log",
               "disable trigger": "ALTER TABLE audit_log DISABLE TRIGGER ALL", "drop table": "DROP TABLE audit_log",
               "decisions update": "UPDATE decisions SET reason = 'x'", "case records update": "UPDATE case_records SET note = 'x'",
               "case records delete": "DELETE FROM case_records", "cases delete": "DELETE FROM cases"}
    answers = {name: attempt(service, statement) for name, statement in hostile.items()}
    print(answers)  # the closing note's figures
    assert all(REFUSED.search(answer) for answer in answers.values()), answers
    assert attempt(service, "UPDATE cases SET status = status") == "ok"  # a case's current state may change
    owner = sa.create_engine(roles["owner"])
    with owner.connect() as connection:
        assert connection.execute(sa.text("SELECT youth_id, probability FROM audit_log")).all() == [("ROLE-1", 0.5)]
    owner.dispose()


def test_a_role_that_could_act_as_the_owner_is_refused(roles, postgres_server):
    owner = sa.engine.make_url(postgres_server).username  # the test server's superuser, who owns the tables
    done = grant(roles["owner"], owner)
    assert done.returncode == 2 and f"'{owner}' is a superuser: no grant restricts it" in done.stderr
    admin = sa.create_engine(roles["owner"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"GRANT {owner} TO {OTHER}")  # a member inherits the owner's rights
    admin.dispose()
    done = grant(roles["owner"], OTHER)
    assert done.returncode == 2 and f"'{OTHER}' may act as '{owner}', the owner of the tables" in done.stderr
    assert grant(roles["owner"], "nobody_here").stderr.startswith("error: there is no role 'nobody_here'")


def test_sqlite_has_no_roles_to_grant(tmp_path):
    done = grant(f"sqlite:///{tmp_path / 'vsv.db'}", SERVICE)
    assert done.returncode == 2 and "roles exist on PostgreSQL only, not on sqlite" in done.stderr
    assert not (tmp_path / "vsv.db").exists()


def test_the_service_starts_and_audits_as_the_restricted_role(roles, champion_store, scored_current, api_keys, tmp_path):
    assert grant(roles["owner"], SERVICE).returncode == 0
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys, database=roles["service"])
    process, url = serve(env, tmp_path / "serve.log")
    try:
        with httpx.Client(base_url=url, headers=api_keys["headers"]["officer"], timeout=30) as client:
            answers = [client.post(path, json=body) for path, body in map(request_for, range(6))]
    finally:
        stop(process)
    assert [a.status_code for a in answers] == [200] * 6
    assert set(audit_request_ids(roles["owner"])) == {a.headers["x-request-id"] for a in answers}
    log = (tmp_path / "serve.log").read_text()
    assert "schema not created" not in log and "append-only triggers" not in log and "Traceback" not in log
