"""A database that is not the one the service opened is never written to: each commit first checks the SQLite
file's identity (device, inode) at its path, or the PostgreSQL server's system identifier and the database's
oid. Deleting, moving or restoring the file, or another server or database behind the same URL, refuses the
commit (`DatabaseReplaced`, a database error: the service answers 503) and readiness says why."""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3

import pytest
import sqlalchemy as sa

from tests.postgres import temporary_server
from vsv_model.database import DatabaseReplaced, create_engine, database_problem, writing

NOTES = sa.Table("notes", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.String(20)))


def opened(url: str) -> sa.Engine:
    engine = create_engine(url)
    NOTES.metadata.create_all(engine)
    write(engine, "first")
    return engine


def write(engine: sa.Engine, text: str) -> None:
    with writing(engine) as connection:
        connection.execute(NOTES.insert().values(text=text))


def texts(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [r.text for r in connection.execute(sa.select(NOTES.c.text).order_by(NOTES.c.id))]
    finally:
        engine.dispose()


def test_a_deleted_sqlite_file_refuses_every_commit(tmp_path):
    path = tmp_path / "vsv.db"
    engine = opened(f"sqlite:///{path}")
    for name in ("vsv.db", "vsv.db-wal", "vsv.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(DatabaseReplaced, match=r"vsv\.db is gone \(deleted or moved\)"):
        write(engine, "lost")
    assert database_problem(engine).endswith("is gone (deleted or moved) since this process opened it")
    assert not path.exists()  # readiness did not create a new empty file either


def test_a_sqlite_file_restored_from_a_copy_is_another_database(tmp_path):
    path = tmp_path / "vsv.db"
    engine = opened(f"sqlite:///{path}")
    shutil.copy(path, tmp_path / "copy.db")
    os.replace(tmp_path / "copy.db", path)  # same content, another file
    with pytest.raises(DatabaseReplaced, match="is not the database this process opened"):
        write(engine, "lost")
    assert texts(f"sqlite:///{path}") == ["first"]


def test_the_same_sqlite_file_goes_on_and_a_fresh_engine_takes_the_new_one(tmp_path):
    path = tmp_path / "vsv.db"
    engine = opened(f"sqlite:///{path}")
    write(engine, "second")
    assert database_problem(engine) is None
    engine.dispose()
    del engine  # a restarted service: no engine of this process holds the old file any more
    gc.collect()
    path.unlink()
    fresh = opened(f"sqlite:///{path}")  # a restarted service opens the database that is there now
    write(fresh, "second")
    assert texts(f"sqlite:///{path}") == ["first", "second"]


def test_an_engine_opened_after_the_deletion_neither_creates_a_file_nor_takes_one(tmp_path):
    path = tmp_path / "vsv.db"
    first = opened(f"sqlite:///{path}")
    for name in ("vsv.db", "vsv.db-wal", "vsv.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    late = create_engine(f"sqlite:///{path}")  # a worker's second engine (its page sessions) connecting only now
    assert database_problem(late).endswith("vsv.db is gone (deleted or moved) since this process opened it")
    assert not path.exists()
    with sqlite3.connect(path) as other:  # somebody else puts a database with the same table at the path
        other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text VARCHAR(20))")
    assert path.exists()
    assert "is not the database this process opened" in database_problem(late)
    assert "is not the database this process opened" in database_problem(first)
    with pytest.raises(DatabaseReplaced):
        write(late, "lost")
    assert texts(f"sqlite:///{path}") == []


def test_a_read_only_uri_and_memory_still_open(tmp_path):
    path = tmp_path / "vsv.db"
    opened(f"sqlite:///{path}")
    read_only = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert database_problem(read_only) is None
    memory = opened("sqlite://")
    write(memory, "second")
    assert database_problem(memory) is None


def test_a_postgresql_database_dropped_and_created_again_is_another_database(postgres_server):
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS vsv_identity WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE vsv_identity")
    url = postgres_server.rsplit("/", 1)[0] + "/vsv_identity"
    engine = opened(url)
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE vsv_identity WITH (FORCE)")  # ends the engine's connections
        connection.exec_driver_sql("CREATE DATABASE vsv_identity")
    NOTES.metadata.create_all(sa.create_engine(url))
    with pytest.raises(DatabaseReplaced, match="PostgreSQL database vsv_identity is not the database this process opened"):
        write(engine, "lost")
    assert "is not the database this process opened" in database_problem(engine)
    assert texts(url) == []
    engine.dispose()
    admin.dispose()


def test_another_postgresql_server_behind_the_same_address_is_another_database():
    with temporary_server() as url:
        engine = opened(url)
        port = engine.url.port
    with temporary_server(port) as again:  # a new cluster (another system identifier) on the same port
        assert again == url
        NOTES.metadata.create_all(sa.create_engine(url))
        with pytest.raises(DatabaseReplaced, match="is not the database this process opened"):
            write(engine, "lost")
        assert texts(url) == []
        engine.dispose()
