"""Every command a test runs goes through here, so none can hide why it failed.

`run` captures a command's output (tests read it) and copies it to the test's own output, which pytest shows
when the test fails; a command that must succeed and does not raises an error that quotes the end of its
output. `start` runs a command in the background the same way. Servers (`tests.servers`) write a log file;
while one runs, a failing test shows the end of that log (`watched_logs`, read by the hook in conftest.py).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

SHOWN_CHARS = 4000  # the end of a failed command's output quoted in its error (all of it is in the test's output)
_WATCHED: dict[Path, str] = {}  # server log -> the command that writes it, while the server runs


class CommandFailed(AssertionError):
    """A command that had to succeed exited non-zero; the message quotes the end of its output."""

    def __init__(self, done: subprocess.CompletedProcess):
        self.done = done
        super().__init__(f"{described(done)}\n{tail(done.stderr)}\n{tail(done.stdout)}".rstrip())


def described(done: subprocess.CompletedProcess) -> str:
    command = done.args if isinstance(done.args, str) else shlex.join(str(a) for a in done.args)
    return f"`{command}` exited with {done.returncode}"


def tail(text: str | None, chars: int = SHOWN_CHARS) -> str:
    text = text or ""
    return text if len(text) <= chars else "..." + text[-chars:]


def run(command: list[str], *, check: bool = False, **options) -> subprocess.CompletedProcess:
    """Run `command` to its end with its output captured as text, copied to this test's output (shown when the
    test fails). With `check`, a non-zero exit raises `CommandFailed` quoting the output."""
    done = subprocess.run(command, capture_output=True, text=True, **options)
    show(done)
    if check and done.returncode != 0:
        raise CommandFailed(done)
    return done


def show(done: subprocess.CompletedProcess) -> None:
    print(f"--- {described(done)}; its stdout:\n{done.stdout}", file=sys.stdout)
    print(f"--- {described(done)}; its stderr:\n{done.stderr}", file=sys.stderr)


def start(command: list[str], **options) -> subprocess.Popen:
    """Start `command` in the background. Its output goes where this test's goes: pytest captures the file
    descriptors the child inherits and shows what they got when the test fails."""
    return subprocess.Popen(command, **options)


def watch_log(log: Path, command: list[str]) -> None:
    _WATCHED[Path(log)] = shlex.join(str(a) for a in command)


def unwatch_log(log: Path) -> None:
    _WATCHED.pop(Path(log), None)


def watched_logs(chars: int = SHOWN_CHARS) -> list[tuple[str, str]]:
    """(title, the end of the log) for every server running now."""
    shown = []
    for log, command in list(_WATCHED.items()):
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else "(no log yet)"
        shown.append((f"server log {log} of `{command}`", tail(text, chars)))
    return shown
