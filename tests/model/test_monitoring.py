"""`vsv monitor` on generated worlds: drift found after mbo schools began reporting 18+ absence in the world with
time (the session's scaled world, seed 11), nothing raised in the same world without drift, a planted shift found, the archive of `vsv score`
joined with the outcomes known since and the estimates held against them, the report offline and in MLflow with
aggregates only.

Champions are built like `vsv train` builds them but not evaluated or logged (tests/builders.py:
monitored_champion); each is shared by the tests of its world."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import replace

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from monitoring.config import MonitorConfig
from monitoring.run import monitor
from serving.archive import archived_runs, latest_report, open_archive
from tests.builders import POPULATION_YOUTHS, fast_config, monitored_champion
from training.config import TemporalConfig
from vsv_cli.app import app
from vsv_model.concepts import CONCEPTS_BY_NAME
from vsv_model.reader import read_data_dir

pytestmark = pytest.mark.slow
ABSENCE_FEATURES = set(CONCEPTS_BY_NAME["verzuim"].features)
QUICK = replace(MonitorConfig(), history_years=0)


def champion(directory, data, first: int, test: int):
    """Fit on the 1 Octobers first..test-1, tested on `test`'s held-out youths (three folds: monitoring needs a
    calibrated model, not the best one)."""
    config = fast_config(temporal=TemporalConfig(data_end="2026-10-01", test_date=f"{test}-10-01", folds=3))
    return monitored_champion(directory, [dt.date(y, 10, 1) for y in range(first, test + 1)], config, data)


@pytest.fixture(scope="module")
def drifted(population_dir):
    """The world with time and a champion trained before mbo schools reported 18+ absence consistently (from 2017/18):
    fit 2014-2015, test cohort 2016."""
    data = read_data_dir(population_dir)
    return population_dir, data, champion(population_dir, data, 2014, 2016)


@pytest.fixture(scope="module")
def calm(tmp_path_factory):
    """The same world (seed 11, scaled) with every calendar effect off, and a champion trained on 2019-2021 (test
    cohort 2022): after the registrations' first years, when the history the features look back on is complete."""
    from data_synthetic.generate import WorldConfig, generate_world, write_world

    directory = tmp_path_factory.mktemp("no-drift")
    write_world(directory, generate_world(WorldConfig(youths=POPULATION_YOUTHS, seed=11, drift=False)))
    data = read_data_dir(directory)
    return directory, data, champion(directory, data, 2019, 2022)


@pytest.fixture(scope="module")
def calm_by_default(calm):
    """The calm world's champion fitted as `vsv train` fits by default: every 1 October from 2014 on, the first years
    of the absence reports (which begin in August 2012) included."""
    directory, data, _ = calm
    return directory, data, monitored_champion(directory, None, fast_config(), data)


def cli(monkeypatch, tmp_path, served):
    """`vsv` in-process serving `served`, with a database and an MLflow store of the test's own."""
    monkeypatch.setenv("VSV_DATABASE_URL", f"sqlite:///{tmp_path / 'vsv.db'}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    monkeypatch.setattr("vsv_cli.scores.load_scoring_model", lambda settings, version: served)
    return lambda *args: CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def thresholds(tmp_path, history_years: int):
    """A `[monitor]` section with the defaults but fewer yearly dates in the report (each costs a feature build)."""
    path = tmp_path / "monitor.toml"
    path.write_text(f"[monitor]\nhistory_years = {history_years}\n", encoding="utf-8")
    return path


def finding_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"^(WARN|ALARM) ", line)]


def test_drift_is_found_at_2019_and_names_the_absence_features(drifted, monkeypatch, tmp_path):
    """By 2019 the mbo schools report 18+ absence: the shares of the group with any absence and any report in the
    year rise by about x1.6 (measured: 4.4% -> 7.1% and 4.2% -> 6.8%)."""
    directory, _, served = drifted
    run = cli(monkeypatch, tmp_path, served)
    report = tmp_path / "report.html"
    done = run("monitor", "--data", directory, "--as-of", "2019-10-01", "--report", report, "--no-track",
               "--config", thresholds(tmp_path, 1))
    assert done.exit_code in (1, 2), done.output
    named = {line.split()[2].rstrip(":") for line in finding_lines(done.stdout)}
    assert named & ABSENCE_FEATURES, done.stdout
    assert f"status {'warn' if done.exit_code == 1 else 'alarm'}" in done.stdout
    page = report.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 2 and not re.search(r"(src|href)=\"(https?:)?//", page)
    assert latest_report(open_archive(f"sqlite:///{tmp_path / 'vsv.db'}")).status == done.stdout.split("status ")[1].split()[0]


def test_no_false_alarm_without_drift(calm, monkeypatch, tmp_path):
    directory, data, served = calm
    for day in ("2023-10-01", "2025-10-01"):
        assert monitor(served, data, dt.date.fromisoformat(day), QUICK).findings == []
    done = cli(monkeypatch, tmp_path, served)("monitor", "--data", directory, "--as-of", "2026-10-01", "--no-track",
                                              "--config", thresholds(tmp_path, 0))
    assert done.exit_code == 0 and finding_lines(done.stdout) == [], done.output


def test_a_default_champion_raises_no_false_alarm_while_the_data_grows_older(calm_by_default):
    """Weeks since the last report looks back to the first report in the data, so each later year sees further back:
    compared as the profile's earliest fit date saw it, the no-drift world raises nothing at any 1 October of
    2022-2026 (compared in full, the 1:1 world warned at every one of them: PSI 0.126-0.180)."""
    _, data, served = calm_by_default
    profile = served.model.info["reference_profile"]
    first = data.absence_reports["report_date"].min().date()
    assert profile["as_of_dates"][0] == "2014-10-01"
    assert profile["features"]["weeks_since_last_report"]["compared_below"] == (dt.date(2014, 10, 1) - first).days // 7
    for year in range(2022, 2027):
        assert monitor(served, data, dt.date(year, 10, 1), QUICK).findings == [], year


@pytest.mark.parametrize(("shift", "rule", "subjects"), [
    ("reporting_stop", "reporting_school", None),  # the largest mbo location reports nothing new
    ("absence_level", "share", ABSENCE_FEATURES),  # absence twice as intense
])
def test_a_planted_shift_is_found(calm, tmp_path, shift, rule, subjects):
    """The shift at size 1 from 2025-10-01, monitored at 2026-10-01. The world is the calm one up to then (same
    seed), so the calm champion is the one that would be serving."""
    from data_synthetic.generate import WorldConfig, generate_world, write_world

    _, _, served = calm
    write_world(tmp_path, generate_world(WorldConfig(youths=POPULATION_YOUTHS, seed=11, drift=False,
                                                     shifts=((shift, 1.0),))))
    found = [f for f in monitor(served, read_data_dir(tmp_path), dt.date(2026, 10, 1), QUICK).findings if f.rule == rule]
    assert found, f"{shift}: no {rule} finding"
    if subjects is None:  # one school, and it stopped: an alarm with (almost) no reports where dozens were due
        assert [f.level for f in found] == ["alarm"] and found[0].value < 0.1, [f.line() for f in found]
    else:
        assert {f.subject for f in found} & subjects, [f.line() for f in found]


def within(realised: float, expected: float, standard_error: float, z: float = 3.0) -> bool:
    return abs(realised - expected) <= z * standard_error


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley and McNeil's standard error of an AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    return math.sqrt((auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2))
                     / (positives * negatives))


def test_score_archives_and_the_estimates_hold_once_outcomes_are_known(calm, monkeypatch, tmp_path):
    """Scored on 2022-10-01 (the champion's test date: no youth's row there was fitted on) and archived by
    `vsv score`; at the data's end `vsv monitor` joins the outcomes known since. For the matured youths the
    realised AUC and outcome rate lie within 3 standard errors of what their probabilities let one expect, and
    the run is logged to MLflow with aggregates only."""
    directory, _, served = calm
    run = cli(monkeypatch, tmp_path, served)
    done = run("score", "--data", directory, "--as-of", "2022-10-01", "--out", tmp_path / "scores.csv")
    assert done.exit_code == 0 and "Archived " in done.stdout, done.output
    engine = open_archive(f"sqlite:///{tmp_path / 'vsv.db'}")
    [archived] = archived_runs(engine)
    scored = pd.read_csv(tmp_path / "scores.csv")
    assert (archived.as_of, archived.youths, archived.model_fingerprint) == ("2022-10-01", len(scored), served.fingerprint)
    done = run("monitor", "--data", directory, "--as-of", "2026-10-01", "--report", tmp_path / "report.html",
               "--config", thresholds(tmp_path, 0))
    assert done.exit_code == 0 and "Logged to MLflow run" in done.stdout, done.output
    realised = monitor(served, read_data_dir(directory), dt.date(2026, 10, 1), QUICK, engine).realised.iloc[0]
    assert realised["matured"] >= 200
    positives = round(realised["realised_rate"] * realised["matured"])
    se_auc = auc_standard_error(realised["expected_auc"], positives, int(realised["matured"]) - positives)
    se_rate = math.sqrt(realised["expected_rate"] * (1 - realised["expected_rate"]) / realised["matured"])
    print(f"\nmatured {realised['matured']:.0f} of {archived.youths}: AUC expected {realised['expected_auc']:.3f} "
          f"realised {realised['realised_auc']:.3f} (se {se_auc:.3f}); rate expected {realised['expected_rate']:.3f} "
          f"realised {realised['realised_rate']:.3f} (se {se_rate:.3f}); ECE {realised['realised_ece']:.3f}")
    assert within(realised["realised_auc"], realised["expected_auc"], se_auc)
    assert within(realised["realised_rate"], realised["expected_rate"], se_rate)
    # MLflow: the report and the aggregates, never a youth
    run_id = done.stdout.split("Logged to MLflow run ")[1].split()[0]
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    logged = client.get_run(run_id)
    assert logged.data.tags["vsv.monitor_status"] == "ok" and "expected_auc" in logged.data.metrics
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="monitor", dst_path=str(tmp_path / "art"),
                                                tracking_uri=f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    texts = " ".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "art" / "monitor").iterdir()))
    assert "Estimated against realised" in texts and json.loads((tmp_path / "art" / "monitor" / "findings.json").read_text()) == []
    sample = scored["youth_id"].astype(str).sample(200, random_state=1)
    assert not any(youth in texts for youth in sample) and local
