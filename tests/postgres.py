"""A real PostgreSQL server for the tests, started by the test set-up from Debian's `postgresql` package
(`make test` installs it): a private cluster in a temporary folder on a free loopback port, stopped at the end.
As root the cluster runs as the package's `postgres` user (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import commands
from tests.servers import free_port

PACKAGE = "postgresql"


def server_binaries() -> Path:
    """The newest installed PostgreSQL's bin folder; a clear error naming the package when there is none."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError(f"PostgreSQL is not installed: install Debian's '{PACKAGE}' package (`make test` does)")
    return found[-1].parent


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def temporary_server(port: int | None = None) -> Iterator[str]:
    """Start a throwaway cluster with a `vsv_test` database (on `port`, else a free one); yields its SQLAlchemy URL."""
    binaries = server_binaries()
    root = Path(tempfile.mkdtemp(prefix="vsv-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = port or free_port()
    data, log = root / "data", root / "server.log"
    run = lambda *args: commands.run(as_server_user([str(binaries / args[0]), *args[1:]]), check=True)  # noqa: E731
    try:
        run("initdb", "-D", str(data), "-U", "vsv", "--auth=trust", "--no-sync")
        run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start")
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "vsv", "vsv_test")
        yield f"postgresql+psycopg://vsv@127.0.0.1:{port}/vsv_test"
    finally:
        if (data / "postmaster.pid").exists():
            commands.run(as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]))
        shutil.rmtree(root, ignore_errors=True)
