"""Who may do what in the service's PostgreSQL database (`vsv db grant`).

The tables belong to an owner role (a maintenance role: it creates the tables and their triggers, and runs
retention). The service connects as a role of its own that may read, and append to, the records, and nothing
more: no UPDATE or DELETE of a record, no TRUNCATE, no DROP TRIGGER (only an owner may alter a table), so a
compromised service cannot change what it wrote. Only a case's current state (`cases`) is updated; its history
(`case_records`) is appended. Retention deletes as the owner.

`SERVICE_PRIVILEGES` names every table the service's code defines; a test keeps it complete, so a new table
cannot be forgotten here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

READ_APPEND = ("SELECT", "INSERT")
SERVICE_PRIVILEGES: dict[str, tuple[str, ...]] = {
    # the service's records: appended, never changed (their triggers refuse it too)
    "decisions": READ_APPEND,
    "audit_log": READ_APPEND,
    # the archive of batch scores and of monitoring reports (`vsv score`, `vsv monitor`)
    "score_runs": READ_APPEND,
    "archived_scores": READ_APPEND,
    "monitor_reports": READ_APPEND,
    # the work queue: a case's current state changes, its events and history are appended
    "cases": ("SELECT", "INSERT", "UPDATE"),
    "case_events": READ_APPEND,
    "case_records": READ_APPEND,
    "letters": READ_APPEND,
    "case_syncs": READ_APPEND,
    "case_outcomes": READ_APPEND,
    # the page's server-side sessions: a session, its end and each failed login are rows appended
    "page_sessions": READ_APPEND,
    "page_session_ends": READ_APPEND,
    "login_failures": READ_APPEND,
    # the youths' keys (created on a youth's first record; retention, as the owner, destroys them) and the
    # retention runs (run by the owner: `docs/retention.md`)
    "youth_keys": READ_APPEND,
    "retention_runs": READ_APPEND,
}


class GrantRefused(ValueError):
    """The role cannot be made a restricted service role (it is a superuser, or may act as the tables' owner)."""


def service_tables() -> dict[str, sa.Table]:
    """Every table the service's code defines, by name."""
    from casework.tables import metadata as casework_metadata
    from serving.archive import archive_metadata
    from serving.database import metadata as service_metadata
    from serving.retention import retention_metadata
    from serving.sessions import sessions_metadata
    from vsv_model.youth_keys import keys_metadata

    return {name: table for metadata in (service_metadata, archive_metadata, casework_metadata, sessions_metadata,
                                         retention_metadata, keys_metadata) for name, table in metadata.tables.items()}


def create_all_tables(url: str) -> Engine:
    """As the owner: the service's tables, the archive's and the work queue's, with their append-only triggers."""
    from casework.tables import APPEND_ONLY
    from casework.tables import metadata as casework_metadata
    from serving.archive import open_archive
    from serving.retention import retention_metadata
    from serving.sessions import sessions_metadata
    from vsv_model.database import install_append_only

    engine = open_archive(url)  # the service's tables (the youths' keys with them) and the archive's
    for metadata in (casework_metadata, sessions_metadata, retention_metadata):
        metadata.create_all(engine)
    with engine.begin() as connection:
        install_append_only(connection, APPEND_ONLY, ("UPDATE",))  # retention deletes a youth's case records
    return engine


def refusals(connection: Connection, role: str) -> list[str]:
    """Why `role` cannot be a restricted service role: it does not exist, is a superuser, or may act as the owner of
    one of the tables (ownership is what allows ALTER, DROP TRIGGER and TRUNCATE past any grant)."""
    found = connection.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if found is None:
        return [f"there is no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD '...')"]
    problems = [f"{role!r} is a superuser: no grant restricts it"] if found.rolsuper else []
    owners = connection.execute(sa.text(
        "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = ANY(CAST(:oids AS oid[])) "
        "AND pg_has_role(:r, c.relowner, 'USAGE')"), {"r": role, "oids": table_oids(connection)}).scalars().all()
    problems += [f"{role!r} may act as {owner!r}, the owner of the tables" for owner in owners]
    return problems


def table_oids(connection: Connection) -> list[int]:
    query = sa.text("SELECT CAST(to_regclass(:t) AS oid)")
    return [oid for oid in (connection.execute(query, {"t": name}).scalar() for name in SERVICE_PRIVILEGES) if oid]


def grant_statements(connection: Connection, role: str) -> list[str]:
    """Everything the role had on the tables taken away, then exactly `SERVICE_PRIVILEGES`, with USAGE on the
    sequences that number their rows; CONNECT on the database and USAGE on the schema."""
    quoted = connection.dialect.identifier_preparer.quote
    who = quoted(role)
    database, schema = connection.execute(sa.text("SELECT current_database(), current_schema()")).one()
    statements = [f"GRANT CONNECT ON DATABASE {quoted(database)} TO {who}", f"GRANT USAGE ON SCHEMA {quoted(schema)} TO {who}"]
    tables = service_tables()
    for table, privileges in SERVICE_PRIVILEGES.items():
        statements += [f"REVOKE ALL ON TABLE {quoted(table)} FROM {who}",
                       f"GRANT {', '.join(privileges)} ON TABLE {quoted(table)} TO {who}"]
        sequence = serial_sequence(connection, tables[table])
        if sequence:
            statements.append(f"GRANT USAGE ON SEQUENCE {sequence} TO {who}")
    return statements


def serial_sequence(connection: Connection, table: sa.Table) -> str | None:
    """The sequence that numbers the table's rows (`id`), when the database numbers them."""
    if "id" not in table.c:
        return None
    return connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()


def grant_service_role(url: str, role: str) -> list[str]:
    """As the owner (`url` connects as it): create the tables, then give `role` exactly what the service needs.
    Returns the statements run; raises GrantRefused when the role cannot be restricted."""
    backend = sa.engine.make_url(url).get_backend_name()
    if backend != "postgresql":
        raise GrantRefused(f"roles exist on PostgreSQL only, not on {backend}")
    engine = create_all_tables(url)
    with engine.begin() as connection:
        problems = refusals(connection, role)
        if problems:
            raise GrantRefused("; ".join(problems))
        statements = grant_statements(connection, role)
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()
    return statements
