"""`vsv backtest`: per origin year a model trained on what was known then, judged on that year's cohort and the
ones after, with intervals; logged to MLflow with its plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from tests.builders import fast_config
from training.backtest import backtest
from vsv_cli.app import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def table(population_dir):
    return backtest(population_dir, 2019, 2020, fast_config())


def test_each_origin_is_judged_on_its_own_and_later_cohorts_only(table):
    for origin in (2019, 2020):
        cohorts = set(table.loc[table["origin"] == f"{origin}-10-01", "cohort"].str[:4].astype(int))
        assert set(range(origin, 2022)) <= cohorts <= set(range(origin, 2026))  # complete ones, and later partial ones
    assert (table["cohort"] >= table["origin"]).all()
    assert (table["years_ahead"] == table["cohort"].str[:4].astype(int) - table["origin"].str[:4].astype(int)).all()
    assert (table.groupby("origin")["fit_rows"].nunique() == 1).all()
    assert table.groupby("origin")["fit_rows"].first()["2020-10-01"] > table.groupby("origin")["fit_rows"].first()["2019-10-01"]


def test_figures_come_with_intervals_and_the_known_share_of_recent_cohorts(table):
    assert ((table["roc_auc_low"] <= table["roc_auc"]) & (table["roc_auc"] <= table["roc_auc_high"])).all()
    stock, events = table[table["kind"] == "stock"], table[table["kind"] != "stock"]
    assert (stock["roc_auc"] > 0.7).all() and (stock["truth_roc_auc"] > stock["roc_auc"]).all()
    assert set(events["kind"]) == {"report_first", "report_repeat", "new_leaver"}  # each school year's events beside
    assert ((events["observed_expected_low"] <= events["observed_expected"])
            & (events["observed_expected"] <= events["observed_expected_high"])).all()
    assert (events["rows"] >= events["youths"]).all()
    for kind, part in events.groupby("kind"):  # a year's few events of one kind may rank by chance; pooled they rank
        assert np.average(part["roc_auc"], weights=part["rows"]) > 0.6, kind
    known = stock.set_index(["origin", "cohort"])["outcome_known_share"]
    assert known[("2019-10-01", "2021-10-01")] == 1.0 and known[("2019-10-01", "2024-10-01")] < 0.5


def test_vsv_backtest_prints_and_logs_to_mlflow(population_dir, tracking, tmp_path):
    out = tmp_path / "backtest.csv"
    done = CliRunner().invoke(app, ["backtest", "--data", str(population_dir), "--from", "2020", "--to", "2020", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "origin 2020 -> cohort 2020" in done.stdout and "Logged the backtest to MLflow" in done.stdout
    written = pd.read_csv(out)
    run_id = done.stdout.strip().split("run ")[-1].rstrip(")")
    client = MlflowClient(tracking.tracking_uri, tracking.tracking_uri)
    assert {a.path for a in client.list_artifacts(run_id, "backtest")} == {"backtest/backtest.csv", "backtest/backtest.png"}
    logged = client.get_run(run_id).data.metrics
    assert logged["origin_2020.cohort_2020.roc_auc"] == pytest.approx(written.loc[0, "roc_auc"])
