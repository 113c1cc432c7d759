"""The suite's own promise: a command a test runs cannot fail without showing why."""

from __future__ import annotations

import sys

import pytest

from tests.commands import CommandFailed, run, unwatch_log, watch_log, watched_logs

FAILING = [sys.executable, "-c", "import sys; print('the output'); print('the reason', file=sys.stderr); sys.exit(3)"]


def test_a_command_that_must_succeed_quotes_its_output_when_it_fails():
    with pytest.raises(CommandFailed) as failed:
        run(FAILING, check=True)
    message = str(failed.value)
    assert message.startswith("`") and "` exited with 3" in message
    assert "the reason" in message and "the output" in message


def test_every_command_copies_its_output_to_the_tests_output(capsys):
    done = run(FAILING)
    assert done.returncode == 3 and done.stdout == "the output\n"
    shown = capsys.readouterr()
    assert "exited with 3; its stdout:\nthe output" in shown.out and "its stderr:\nthe reason" in shown.err


def test_a_long_output_is_quoted_by_its_end():
    noisy = [sys.executable, "-c", "import sys; print('x' * 10000, file=sys.stderr); print('the end', file=sys.stderr); sys.exit(1)"]
    with pytest.raises(CommandFailed, match=r"\.\.\.x+\nthe end"):
        run(noisy, check=True)


def test_a_running_servers_log_is_shown_until_it_stops(tmp_path):
    log = tmp_path / "serve.log"
    log.write_text("started\nTraceback: what went wrong\n")
    watch_log(log, ["vsv", "serve"])
    try:
        (title, text), = [entry for entry in watched_logs() if str(log) in entry[0]]
        assert title == f"server log {log} of `vsv serve`" and text.endswith("what went wrong\n")
    finally:
        unwatch_log(log)
    assert all(str(log) not in title for title, _ in watched_logs())
