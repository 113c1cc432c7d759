"""Real servers for end-to-end tests: a subprocess on a free loopback port, stopped with its workers."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.commands import tail, unwatch_log, watch_log

ARTIFACTS = Path(os.environ.get("VSV_TEST_ARTIFACTS", "test-artifacts"))  # screenshots and figures of test runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(command: list[str], port: int, env: dict, cwd=None, timeout: float = 90.0, log_path=None):
    """Start `command`, wait until /readyz answers 200, yield the base URL, then stop the process group."""
    process, url = start_server(command, port, env, cwd, timeout, log_path)
    try:
        yield url
    finally:
        stop(process)


def start_server(command: list[str], port: int, env: dict, cwd=None, timeout: float = 90.0, log_path=None):
    """Start `command` in its own process group and wait until it is ready. Its output goes to `log_path` (or a
    temporary file): while it runs, a failing test shows the log's end, and so does a server that never gets ready."""
    log_path = Path(log_path) if log_path else temporary_log()
    with open(log_path, "a") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log_path = log_path
    watch_log(log_path, command)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, timeout)
    except Exception as error:
        stop(process)
        raise RuntimeError(f"{error}; the end of its log {log_path}:\n{tail(log_path.read_text(errors='replace'))}") from error
    except BaseException:
        stop(process)
        raise
    return process, f"http://127.0.0.1:{port}"


def temporary_log() -> Path:
    handle, name = tempfile.mkstemp(prefix="vsv-server-", suffix=".log")
    os.close(handle)
    return Path(name)


def wait_ready(url: str, process: subprocess.Popen, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (BentoML stops its workers), then SIGKILL whatever is left."""
    unwatch_log(getattr(process, "log_path", ""))
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_tree(process)


def kill_tree(process: subprocess.Popen) -> int:
    """SIGKILL the server and every process under it (BentoML's workers run in sessions of their own),
    as a crash or an OOM kill would; returns how many processes were killed."""
    import psutil

    unwatch_log(getattr(process, "log_path", ""))
    parent = psutil.Process(process.pid)
    victims = [parent, *parent.children(recursive=True)]
    for victim in victims:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(victims, timeout=10)
    process.wait()
    return len(victims)


FORM_TOKEN = re.compile(r'<input type="hidden" name="csrf" value="([0-9a-f]{64})">')


def form_token(client: httpx.Client, path: str) -> str:
    """The form token of the page at `path`, as the page gives its own forms (`{{ csrf_field() }}`); empty when the
    page gives none (a form sent without it is refused)."""
    found = FORM_TOKEN.search(client.get(path).text)
    return found.group(1) if found else ""


def page_post(client: httpx.Client, path: str, data: dict, token_from: str = "/ui/", **options) -> httpx.Response:
    """A form sent as the page's own browser sends it: from the page's origin, with the form token it was given."""
    return client.post(path, data=data | {"csrf": form_token(client, token_from)}, headers={"Origin": str(client.base_url).rstrip("/")},
                       **options)


def page_session(url: str, key: str, **options) -> httpx.Client:
    """A browser-like client logged in to the page at `url` with `key` (its session cookie kept)."""
    client = httpx.Client(base_url=url, **options)
    response = page_post(client, "/ui/login", {"sleutel": key}, "/ui/login")
    if response.status_code not in (200, 303):
        raise AssertionError(f"login refused: {response.status_code}")
    return client
