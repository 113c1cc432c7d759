"""The command line's help is read by data scientists: config sections such as [gates] are printed as written,
not swallowed as markup."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from vsv_cli.app import app
from vsv_cli.common import quiet_mlflow


def help_of(*command: str) -> str:
    done = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return " ".join(done.stdout.split())


def test_config_sections_in_help_texts_are_printed_as_written():
    assert "TOML file with the [gates] bounds." in help_of("promote")
    trained = help_of("train")
    assert "(the [search] grid, with the cost of an explanation counted)" in trained
    assert "default: the config's [target_group], else today's group" in trained
    assert "Plant a documented harm KIND[=SIZE]" in help_of("generate")


def test_score_says_how_events_are_scored():
    scored = help_of("score")
    assert "with --events every office event of a period as of its own day" in scored
    assert "Event rows add kind and report_id after youth_id, their as_of is the event's day" in scored
    assert "--events-file" in scored and "--repeat-days" in scored


def test_a_command_run_in_process_leaves_the_callers_environment_as_it_was(monkeypatch, tmp_path):
    for name in ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "MLFLOW_CONFIGURE_LOGGING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VSV_LOG_DIR", str(tmp_path))
    before = dict(os.environ)
    done = CliRunner().invoke(app, ["keys", "--help"])
    assert done.exit_code == 0, done.output
    assert dict(os.environ) == before


def test_the_vsv_process_switches_mlflow_s_bars_and_logging_off_unless_set():
    environ = {"MLFLOW_CONFIGURE_LOGGING": "true"}
    quiet_mlflow(environ)
    assert environ == {"MLFLOW_CONFIGURE_LOGGING": "true", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
