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
    first = written[(written["kind"] == "report_first") & (written["cohort"] == "2020-10-01")].iloc[0]
    assert logged["origin_2020.cohort_2020.report_first.untreated_observed_expected"] == pytest.approx(
        first["untreated_observed_expected"])
    assert (f"untreated ({int(first['untreated_rows']):,} events: no conversation or matchmaker) observed/expected "
            f"{first['untreated_observed_expected']:.3f}") in done.stdout


def untreated_by_hand(frame: pd.DataFrame, cases: pd.DataFrame) -> int:
    """Events whose youth had no conversation or matchmaker dated from 365 days before the event on, counted one by
    one from the cases (apart from training/route_labels.py's vectorised join)."""
    heavier = cases[cases["route"] != "waarschuwingsbrief"]
    days = {youth: list(pd.to_datetime(part["event_date"])) for youth, part in heavier.groupby("youth_id")}
    count = 0
    for youth, as_of in zip(frame["youth_id"], pd.to_datetime(frame["as_of"].astype(str)), strict=True):
        if not any(day >= as_of - pd.Timedelta(days=365) for day in days.get(youth, [])):
            count += 1
    return count


def test_each_years_events_are_judged_on_the_untreated_too(table, population_dir):
    """With the office's cases (the session's world has them), every events row has its untreated events: their count
    as a hand count gives it, and their observed/expected with an interval."""
    from training.backtest import judged_events
    from training.dataset import data_end_of
    from vsv_model.office_cases import read_office_cases
    from vsv_model.reader import read_data_dir

    config = fast_config()
    full = read_data_dir(population_dir)
    frames = judged_events(full, 2019, data_end_of(full, config), config, population_dir)
    cases = read_office_cases(population_dir / "office_cases.csv")
    events = table[table["kind"] != "stock"].set_index(["origin", "cohort", "kind"])
    for (day, kind), (frame, _) in frames.items():
        row = events.loc[("2019-10-01", day.isoformat(), kind)]
        assert row["untreated_rows"] == untreated_by_hand(frame, cases) < len(frame)
    known = events[events["outcome_known_share"] >= 0.5]  # a recent year's few known outcomes may all be alike
    assert known["untreated_observed_expected"].notna().all() and len(known) >= 12
    judged = events[events["untreated_observed_expected"].notna()]
    assert ((judged["untreated_observed_expected_low"] <= judged["untreated_observed_expected"])
            & (judged["untreated_observed_expected"] <= judged["untreated_observed_expected_high"])).all()
    assert judged["untreated_truth_expected"].between(0.5, 2.0).all()
    assert table[table["kind"] == "stock"]["untreated_rows"].isna().all()  # the yearly cohorts are not split
