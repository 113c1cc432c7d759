"""Training end to end against a real MLflow store in a temporary directory: what is logged (aggregates, never a
youth's row), the baselines and intervals, the signature, the audit columns kept out, additivity and the
monotone promises, determinism, and the refusals."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from registry.mlflow_registry import using_store
from tests.builders import enrolment, fast_config, write_data_dir, youth
from tests.commands import run
from training.config import TemporalConfig
from training.dataset import TrainingDataError, build_training_data
from training.pipeline import run_training
from training.promote import promote
from vsv_model.feature_spec import AUDIT_COLUMNS, FEATURE_NAMES, FEATURES
from vsv_model.risk_model import encode_frame, example_frame

FAST = fast_config()
BASELINES = ("spline_logistic", "rule_absence_or_not_enrolled", "base_rate")
TRUTH_METRICS = ("truth_roc_auc", "truth_auc_gap", "truth_brier", "truth_brier_gap_pct", "truth_mean_abs_p_gap")


@pytest.mark.parametrize(("rows", "message"), [
    ("none", "no reference date has its whole cohort's outcome known"),
    ("one_class", "a model needs both outcomes"),
    ("no_reports", "feature\\(s\\) without a single value in the fit set \\(dates before the test date\\): weeks_since_last_report"),
])
def test_untrainable_data_is_refused_and_nothing_registered(tmp_path, tracking, population_dir, rows, message):
    if rows == "none":
        directory = write_data_dir(tmp_path / "d", youths=[youth("A", "2010-01-01")], enrollments=[enrolment("2022-08-01", youth_id="A")])
    elif rows == "no_reports":  # a real population whose absence reports never arrived
        directory = tmp_path / "d"
        shutil.copytree(population_dir, directory)
        header = (directory / "absence_reports.csv").read_text().splitlines()[0]
        (directory / "absence_reports.csv").write_text(header + "\n")
    else:  # all qualify in time: label 0 for everyone
        youths = [youth(f"Y{i}", f"{1996 + i % 3}-06-15") for i in range(30)]
        diplomas = [{"youth_id": f"Y{i}", "diploma_date": f"{1996 + i % 3 + 21}-06-01", "level": "mbo-2"} for i in range(30)]
        directory = write_data_dir(tmp_path / "d", youths=youths, diplomas=diplomas,
                                   enrollments=[enrolment("2014-08-01", "2024-01-01", youth_id=f"Y{i}") for i in range(30)])
    with pytest.raises(TrainingDataError, match=message):
        run_training(directory, None, fast_config(temporal=TemporalConfig(first_date="2014-10-01")), tracking)
    assert MlflowClient(tracking.tracking_uri, tracking.tracking_uri).search_registered_models() == []


@pytest.fixture(scope="module")
def trained(population_dir, tmp_path_factory):
    """A champion trained and promoted in a store of its own (the module shares it)."""
    from vsv_model.settings import Settings

    settings = Settings(tracking_uri=f"sqlite:///{tmp_path_factory.mktemp('training') / 'mlflow.db'}")
    result = run_training(population_dir, None, FAST, settings)
    promote(settings, FAST.gates)
    return result, settings


@pytest.mark.slow
def test_a_run_logs_aggregates_plots_and_the_card(trained, tmp_path):
    result, settings = trained
    client = MlflowClient(settings.tracking_uri, settings.tracking_uri)
    assert str(client.get_model_version_by_alias("vsv-risk", "champion").version) == result.version == "1"
    artifacts = {a.path for a in client.list_artifacts(result.run_id)} | {a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert {"model_card.md", "fairness.csv", "metrics.json", "features.json", "label_maturity.csv", "calibration_effect.csv",
            "definition.json", "config.json"} <= artifacts
    assert {f"plots/{n}.png" for n in ("roc_pr", "reliability", "outcome_rate_per_tier", "shap_beeswarm", "per_group_error_rates")} <= artifacts
    card = Path(client.download_artifacts(result.run_id, "model_card.md", str(tmp_path))).read_text()
    for heading in ("## Intended use", "## Data", "## Metrics (test cohort, 95% bootstrap intervals)", "## Per-group metrics",
                    "## Caveats", "## Samenvatting voor consulenten", "## Promotion of version 1"):
        assert heading in card
    assert "Label maturity rule" in card and "spline logistic baseline" in card
    categories = result.model.categories  # measured on the test cohort, logged as aggregates, shown in the card
    assert "Risk categories (from the probability alone, fixed cut-offs: medium from p = 0.30, high from p = 0.70; " \
           "measured on the test cohort 2021-10-01)" in card
    assert categories.meaning_nl("high", 23) in card and "Het risico volgt alleen uit die kans: laag onder 30%" in card
    logged = json.loads(Path(client.download_artifacts(result.run_id, "risk_categories.json", str(tmp_path))).read_text())
    assert logged == json.loads(json.dumps(categories.to_dict()))
    run_metrics = client.get_run(result.run_id).data.metrics
    assert run_metrics["risk_category_rows_high"] == categories.measured["high"].rows
    run = client.get_run(result.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(result.metrics["roc_auc"])
    assert run.data.params["features"] == ",".join(FEATURE_NAMES) and run.data.params["test_date"] == "2021-10-01"


@pytest.mark.slow
def test_no_youth_level_row_reaches_the_tracking_store(trained, population_dir, tmp_path):
    """Every artifact of the run and of the model is read back: not one youth id of the data appears in it."""
    result, settings = trained
    ids = set(pd.read_csv(population_dir / "youths.csv", usecols=["youth_id"])["youth_id"])
    store = Path(settings.sqlite_path()).parent
    texts = [p.read_text(errors="ignore") for p in store.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".md", ".txt", "")]
    assert texts and len(ids) > 10_000
    found = {i for text in texts for i in ids if i in text}
    assert found == set()
    assert not list(store.rglob("*.parquet"))  # the old test-set artifact is gone


@pytest.mark.slow
def test_the_run_logs_the_gap_to_truth_and_the_baselines_with_intervals(trained):
    result, settings = trained
    logged = MlflowClient(settings.tracking_uri, settings.tracking_uri).get_run(result.run_id).data.metrics
    for name in TRUTH_METRICS:
        assert logged[name] == pytest.approx(result.metrics[name], rel=1e-12), name
    assert logged["truth_auc_gap"] == pytest.approx(logged["truth_roc_auc"] - logged["roc_auc"], abs=1e-12)
    assert logged["roc_auc_low"] < logged["roc_auc"] < logged["roc_auc_high"]
    for baseline in BASELINES:
        for metric in ("roc_auc", "brier", "ece", "precision_at_capacity"):
            assert logged[f"{baseline}.{metric}"] == pytest.approx(result.baselines[baseline][metric], rel=1e-12)
            assert f"{baseline}.{metric}_low" in logged
        assert f"lightgbm_minus_{baseline}.roc_auc_difference" in logged
    assert logged["base_rate.roc_auc"] == 0.5  # a constant score cannot rank
    assert logged["spline_logistic.roc_auc"] > logged["rule_absence_or_not_enrolled.roc_auc"] > 0.5


@pytest.mark.slow
def test_the_model_records_its_definition_counts_and_reference_profile(trained, population_dir):
    result, _ = trained
    info = result.model.info
    rebuilt = build_training_data(population_dir, None, FAST)
    assert {k: info[k] for k in rebuilt.row_counts()} == rebuilt.row_counts()
    assert info["definition"] == rebuilt.definition
    profile = info["reference_profile"]
    # the monitor watches the yearly list: the profile is of the stock's fit rows, not of the events'
    assert profile["rows"] == info["fit_rows_stock"] < info["fit_rows"] and set(profile["features"]) == set(FEATURE_NAMES)
    assert abs(sum(profile["features"]["age"]["shares"].values()) - 1.0) < 1e-9
    assert set(profile["concept_mean_abs_contribution"]) == {"schoolsituatie", "verzuim", "schoolloopbaan", "diploma", "leeftijd",
                                                             "schoollocatie"}


@pytest.mark.slow
def test_registered_model_has_a_signature_and_the_made_up_input_example(trained, tmp_path):
    result, settings = trained
    with using_store(settings):
        info = mlflow.models.get_model_info(f"models:/vsv-risk/{result.version}")
        local = mlflow.artifacts.download_artifacts(f"models:/vsv-risk/{result.version}", dst_path=str(tmp_path))
    assert info.signature.inputs.input_names() == [*FEATURE_NAMES, "kind"]  # the kind of moment: optional
    assert [c.name for c in info.signature.inputs.inputs if not c.required] == ["kind"]
    assert info.signature.outputs.input_names() == ["probability", "tier"]
    example = mlflow.models.Model.load(local).load_input_example(local)
    pd.testing.assert_frame_equal(example.reset_index(drop=True), example_frame(), check_dtype=False)


@pytest.mark.slow
def test_audit_columns_never_reach_the_model(trained):
    result, settings = trained
    assert not set(AUDIT_COLUMNS) & set(FEATURE_NAMES)
    assert result.model.booster.feature_name() == list(FEATURE_NAMES)
    test = result.data.part("test")
    features = test[list(FEATURE_NAMES)].astype({f.name: str for f in FEATURES if f.is_categorical}).reset_index(drop=True)
    audit = test[list(AUDIT_COLUMNS)].astype(str).reset_index(drop=True)
    moved = audit.apply(lambda column: np.roll(column.to_numpy(), 1)).set_axis(audit.index)  # other youths' values
    assert (moved["gender"] != audit["gender"]).sum() > 100 and (moved["origin"] != audit["origin"]).sum() > 100
    with using_store(settings):
        pyfunc = mlflow.pyfunc.load_model(f"models:/vsv-risk/{result.version}")
    as_given = pyfunc.predict(pd.concat([features, audit], axis=1))
    pd.testing.assert_frame_equal(pyfunc.predict(pd.concat([features, moved], axis=1)), as_given)
    pd.testing.assert_frame_equal(pyfunc.predict(features.assign(gender="X", origin="buiten_europa")), as_given)
    np.testing.assert_array_equal(as_given["probability"], result.model.predict_frame(test))


@pytest.mark.slow
def test_model_loads_in_a_fresh_process_and_returns_probability_and_tier(trained):
    result, settings = trained
    rows = result.data.part("test").head(4)
    payload = rows[list(FEATURE_NAMES)].astype({f.name: str for f in FEATURES if f.is_categorical}).to_json(orient="records")
    script = ("import sys, json, mlflow, pandas as pd\n"
              "m = mlflow.pyfunc.load_model('models:/vsv-risk@champion')\n"
              "out = m.predict(pd.DataFrame(json.loads(sys.stdin.read())))\n"
              "print(out.to_json(orient='records', double_precision=15))\n")
    done = run([sys.executable, "-c", script], input=payload, env=os.environ | {"MLFLOW_TRACKING_URI": settings.tracking_uri},
               timeout=120, check=True)
    out = pd.DataFrame(json.loads(done.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(out["probability"], result.model.predict_frame(rows), rtol=0, atol=1e-12)
    assert list(out["tier"]) == list(result.model.tiers(out["probability"].to_numpy()))


@pytest.mark.slow
def test_additivity_and_directional_behaviour(trained):
    model = trained[0].model
    matrix = encode_frame(trained[0].data.part("test"))
    contributions, base = model.contributions(matrix)
    np.testing.assert_allclose(base + contributions.sum(axis=1), model.log_odds(matrix), rtol=0, atol=1e-9)
    p = model.probability(matrix)
    for spec in (f for f in FEATURES if f.monotone == 1):
        j = FEATURE_NAMES.index(spec.name)
        for step in (1.0, 8.0, 40.0):
            more = matrix.copy()
            more[:, j] = np.nan_to_num(more[:, j], nan=0.0) + step
            moved = model.probability(more)
            known = ~np.isnan(matrix[:, j])
            assert (moved[known] >= p[known] - 1e-12).all(), f"more {spec.name} lowered a probability"


@pytest.mark.slow
def test_the_calibration_is_cross_fitted_on_every_fit_youth_and_holds_on_the_test_cohort(trained):
    result = trained[0]
    table = result.calibration
    fit_rows = table[table["part"] == "fit (out of fold)"]  # the yearly stock, per date
    event_rows = table[table["part"].str.startswith("fit (out of fold), ")]  # the events, per kind
    assert int(fit_rows["n"].sum() + event_rows["n"].sum()) == len(result.data.fit)  # every fit row has an out-of-fold score
    assert set(event_rows["part"].str.split(", ").str[1]) == {"report_first", "report_repeat", "new_leaver"}
    test = table[table["part"] == "test"].iloc[0]
    assert set(table["part"].str.split(",").str[0]) == {"fit (out of fold)", "test"}
    # ~650 test youths: the ECE estimate is noisy and biased upward, its interval for the error is not clearly above the bound
    assert test["ece_after"] == pytest.approx(result.metrics["ece"]) and result.metrics["ece_low"] <= FAST.gates.max_ece
    # Per fit date, on thousands of out-of-fold rows. Since the world has the office, the share of each date's youths
    # whose outcome its fixed monthly places changed varies by year, and one pooled calibration misses a date by up
    # to 0.032 (0.0319 measured at 40,000 youths, seed 1): a real shift over the years, bounded here.
    assert (fit_rows["ece_after"] <= 0.035).all()
    assert result.model.calibration.method == "platt, cross-fitted"


@pytest.mark.slow
def test_same_data_config_and_seed_give_identical_metrics(trained, population_dir, tmp_path):
    from vsv_model.settings import Settings

    # The module's training ran on the same data, config and seed into another store: one more run to compare.
    runs = [trained[0], run_training(population_dir, None, FAST, Settings(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}"))]
    assert runs[0].metrics == runs[1].metrics
    assert runs[0].baselines == runs[1].baselines
    assert runs[0].model.booster_sha256 == runs[1].model.booster_sha256
