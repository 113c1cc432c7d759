"""Training, evaluation, registry and promotion: unit rules with exact values, then end to end
against a real MLflow store in a temporary directory."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from registry import mlflow_registry as registry
from training.config import GateConfig, LightGBMConfig, TierConfig, TrainConfig, load_config
from training.dataset import PARTS, TrainingDataError, build_training_data, split_by_youth
from training.evaluate import expected_calibration_error, precision_recall_at, tier_metrics
from training.fairness import audit_attribute, fdr_medium, fnr_high, for_high, fpr_medium, groups_too_small
from training.model import tier_cutoffs
from training.pipeline import run_training
from training.promote import PromotionError, promote
from vsv_cli.app import app
from vsv_model.feature_spec import AUDIT_COLUMNS, FEATURE_NAMES, FEATURES
from vsv_model.risk_model import EXAMPLE_FEATURES, TierCutoffs, encode_frame, example_frame

AS_OF = [dt.date(2019, 10, 1)]
# About 1,700 test rows: the 10-bin calibration error has a sampling noise near 0.02 there,
# so these mechanics tests allow 0.04 (the default gate, 0.03, is for real-size test sets).
FAST = TrainConfig(lightgbm=LightGBMConfig(num_boost_round=150), gates=GateConfig(max_ece=0.04))


# --- rules with exact values -------------------------------------------------------------

def test_expected_calibration_error_exact():
    y = np.array([0, 1, 1, 1])
    p = np.array([0.05, 0.05, 0.95, 0.95])  # bin 0: observed 0.5 vs 0.05; bin 9: 1.0 vs 0.95
    assert expected_calibration_error(y, p) == pytest.approx((2 * 0.45 + 2 * 0.05) / 4)


def test_precision_recall_at_capacity_shares_ties():
    y = np.array([1, 0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.8, 0.1, 0.1])
    precision, recall = precision_recall_at(y, score, 2)  # 0.9 (hit) + one of two tied at 0.8 (half a hit)
    assert precision == pytest.approx(1.5 / 2) and recall == pytest.approx(1.5 / 3)


def test_tier_metrics_rising():
    y = np.array([0, 0, 1, 0, 1, 1, 1])
    tiers = np.array(["low", "low", "low", "medium", "medium", "high", "high"])
    m = tier_metrics(y, tiers)
    assert m["outcome_rate_low"] == pytest.approx(1 / 3) and m["outcome_rate_medium"] == 0.5 and m["outcome_rate_high"] == 1.0
    assert m["tiers_rising"] == 1.0
    assert tier_metrics(y, tiers[::-1])["tiers_rising"] == 0.0


def test_fairness_rates_exact():
    y = np.array([1, 1, 1, 0, 0, 0])
    tier = np.array([2, 1, 0, 1, 0, 0])  # codes: 0 low, 1 medium, 2 high
    assert fnr_high(y, tier) == pytest.approx(2 / 3)      # positives not in high
    assert for_high(y, tier) == pytest.approx(2 / 5)      # positives among those not in high
    assert fpr_medium(y, tier) == pytest.approx(1 / 3)    # negatives at medium or above
    assert fdr_medium(y, tier) == pytest.approx(1 / 3)    # negatives among medium or above


def test_tier_cutoffs_from_capacity():
    p = np.linspace(0.0, 0.99, 100)
    cut = tier_cutoffs(p, TierConfig(high_capacity=10, medium_capacity=20, population=100), population=0)
    assert (p >= cut.high).sum() == 10 and (p >= cut.medium).sum() == 30
    assert cut.details["high_share"] == 0.1


def test_tier_cutoffs_from_thresholds_and_assignment():
    cut = tier_cutoffs(np.array([0.1]), TierConfig(mode="thresholds", medium_threshold=0.3, high_threshold=0.6), 1)
    assert list(cut.assign(np.array([0.29, 0.3, 0.59, 0.6]))) == ["low", "medium", "medium", "high"]
    with pytest.raises(ValueError, match="medium <= high"):
        TierCutoffs(0.7, 0.6)


def test_config_file_overrides_and_refuses_unknown_keys(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text("seed = 3\n[tiers]\nmode = 'thresholds'\nhigh_threshold = 0.7\n")
    config = load_config(path)
    assert config.seed == 3 and config.tiers.high_threshold == 0.7 and config.lightgbm.num_leaves == 7
    path.write_text("[lightgbm]\nnum_leafs = 7\n")
    with pytest.raises(ValueError, match=r"unknown setting\(s\) in \[lightgbm\]: num_leafs"):
        load_config(path)


# --- data and splits ---------------------------------------------------------------------

def test_split_four_parts_share_no_youth_and_test_on_the_latest_date():
    frame = pd.DataFrame({"youth_id": [f"Y{i % 300}" for i in range(600)],
                          "as_of": ["2018-10-01"] * 300 + ["2019-10-01"] * 300})
    parts = split_by_youth(frame, TrainConfig(seed=1))
    youths = {name: set(frame["youth_id"].iloc[parts[name]]) for name in PARTS}
    for i, a in enumerate(PARTS):
        for b in PARTS[i + 1:]:
            assert not youths[a] & youths[b], f"{a} and {b} share youths"
    assert set(frame["as_of"].iloc[parts["test"]]) == {"2019-10-01"}
    # 300 youths: 75 test youths (their 2018 rows are used nowhere); of the other 225,
    # round(225 * 0.15) = 34 stop early and round(225 * 0.2) = 45 calibrate, each with two rows
    assert {name: len(rows) for name, rows in parts.items()} == {"train": 292, "valid": 68, "calib": 90, "test": 75}
    assert {name: len(y) for name, y in youths.items()} == {"train": 146, "valid": 34, "calib": 45, "test": 75}


def test_split_shares_are_checked():
    with pytest.raises(ValueError, match="validation_share \\+ calibration_share must be below 1"):
        TrainConfig(validation_share=0.5, calibration_share=0.5)
    with pytest.raises(ValueError, match="calibration_share must lie strictly between 0 and 1"):
        TrainConfig(calibration_share=0.0)
    with pytest.raises(ValueError, match="significance_level must lie strictly between 0 and 1"):
        GateConfig(significance_level=1.0)


def test_example_row_is_made_up_once_for_every_feature():
    frame = example_frame()
    assert list(frame.columns) == list(FEATURE_NAMES) == list(EXAMPLE_FEATURES)
    assert frame.iloc[0].to_dict() == EXAMPLE_FEATURES
    for spec in (f for f in FEATURES if f.is_categorical):
        assert EXAMPLE_FEATURES[spec.name] in spec.categories, spec.name
    assert not set(frame.columns) & {"youth_id", *AUDIT_COLUMNS}


@pytest.mark.parametrize(("rows", "message"), [
    ("none", "no labelled in-scope youths"),
    ("one_class", "a model needs both outcomes"),
    ("no_reports", "feature\\(s\\) without a single value: weeks_since_last_report"),
])
def test_untrainable_data_is_refused_and_nothing_registered(tmp_path, tracking, population_dir, rows, message):
    from tests.builders import enrolment, write_data_dir, youth

    if rows == "none":
        directory = write_data_dir(tmp_path / "d", youths=[youth("A", "2010-01-01")], enrollments=[enrolment("2022-08-01", youth_id="A")])
    elif rows == "no_reports":  # a real population whose absence reports never arrived
        directory = tmp_path / "d"
        shutil.copytree(population_dir, directory)
        header = (directory / "absence_reports.csv").read_text().splitlines()[0]
        (directory / "absence_reports.csv").write_text(header + "\n")
    else:  # all qualify in time: label 0 for everyone
        youths = [youth(f"Y{i}", "2000-06-15") for i in range(5)]
        diplomas = [{"youth_id": f"Y{i}", "diploma_date": "2021-07-01", "level": "mbo-2"} for i in range(5)]
        directory = write_data_dir(tmp_path / "d", youths=youths, diplomas=diplomas,
                                   enrollments=[enrolment("2018-08-01", "2024-01-01", youth_id="Y0")])  # data end after every 23rd birthday
    with pytest.raises(TrainingDataError, match=message):
        run_training(directory, AS_OF, FAST, tracking)
    mlflow.set_tracking_uri(tracking.tracking_uri)
    assert MlflowClient(tracking.tracking_uri, tracking.tracking_uri).search_registered_models() == []


# --- end to end ------------------------------------------------------------------------

@pytest.fixture
def challenger(population_dir, tracking):
    return run_training(population_dir, AS_OF, FAST, tracking)


@pytest.fixture
def champion(challenger, tracking):
    promote(tracking, FAST.gates)
    return challenger


BASELINES = ("logistic_regression", "rule_absence_or_not_enrolled", "base_rate")
TRUTH_METRICS = ("truth_roc_auc", "truth_auc_gap", "truth_brier", "truth_brier_gap_pct", "truth_mean_abs_p_gap")


@pytest.mark.slow
def test_train_register_promote_end_to_end(champion, tracking, tmp_path):
    client = MlflowClient(tracking.tracking_uri, tracking.tracking_uri)
    assert str(client.get_model_version_by_alias("vsv-risk", "champion").version) == champion.version == "1"
    artifacts = {a.path for a in client.list_artifacts(champion.run_id)} | {
        a.path for a in client.list_artifacts(champion.run_id, "plots")}
    assert {"model_card.md", "fairness.csv", "metrics.json", "features.json", "evaluation"} <= artifacts
    assert {f"plots/{n}.png" for n in ("roc_pr", "reliability", "outcome_rate_per_tier", "shap_beeswarm",
                                       "per_group_error_rates")} <= artifacts
    card = Path(mlflow.artifacts.download_artifacts(run_id=champion.run_id, artifact_path="model_card.md", dst_path=str(tmp_path))).read_text()
    for heading in ("## Intended use", "## Out-of-scope use", "## Data", "## Per-group metrics", "## Caveats",
                    "## Samenvatting voor consulenten"):
        assert heading in card
    assert "observed_expected_ratio" in card
    run = client.get_run(champion.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(champion.metrics["roc_auc"])
    assert run.data.params["features"] == ",".join(FEATURE_NAMES)
    assert len(run.inputs.dataset_inputs) == 2
    version = client.get_model_version("vsv-risk", "1")
    assert json.loads(version.tags["tier_cutoffs"])["mode"] == "capacity"
    assert "promotion_gates" in version.tags


@pytest.mark.slow
def test_run_logs_the_gap_to_truth_and_the_three_baselines(champion, tracking):
    logged = MlflowClient(tracking.tracking_uri, tracking.tracking_uri).get_run(champion.run_id).data.metrics
    for name in TRUTH_METRICS:
        assert logged[name] == pytest.approx(champion.metrics[name], rel=1e-12), name
    assert logged["truth_auc_gap"] == pytest.approx(logged["truth_roc_auc"] - logged["roc_auc"], abs=1e-12)
    for baseline in BASELINES:
        for metric in ("roc_auc", "pr_auc", "brier", "ece", "precision_at_capacity", "recall_at_capacity"):
            assert logged[f"{baseline}.{metric}"] == pytest.approx(champion.baselines[baseline][metric], rel=1e-12)
    assert logged["base_rate.roc_auc"] == 0.5  # a constant score cannot rank
    assert logged["logistic_regression.roc_auc"] > logged["rule_absence_or_not_enrolled.roc_auc"] > 0.5


@pytest.mark.slow
def test_registered_model_has_a_signature_and_the_made_up_input_example(champion, population_dir, tracking, tmp_path):
    info = mlflow.models.get_model_info(f"models:/vsv-risk/{champion.version}")
    assert info.signature.inputs.input_names() == list(FEATURE_NAMES)
    assert info.signature.outputs.input_names() == ["probability", "tier"]
    assert info.saved_input_example_info is not None
    local = mlflow.artifacts.download_artifacts(f"models:/vsv-risk/{champion.version}", dst_path=str(tmp_path))
    example = mlflow.models.Model.load(local).load_input_example(local)
    pd.testing.assert_frame_equal(example.reset_index(drop=True), example_frame(), check_dtype=False)
    counts = build_training_data(population_dir, AS_OF, FAST).row_counts()
    assert set(counts) == {"train_rows", "early_stopping_rows", "calibration_rows", "test_rows"}
    assert {k: champion.model.info[k] for k in counts} == counts
    assert counts["test_rows"] == len(registry.load_test_set(tracking, champion.version, tmp_path / "test"))


@pytest.mark.slow
def test_audit_columns_never_reach_the_model(champion, tracking, tmp_path):
    assert not set(AUDIT_COLUMNS) & set(FEATURE_NAMES)
    assert champion.model.booster.feature_name() == list(FEATURE_NAMES)
    signature = mlflow.models.get_model_info(f"models:/vsv-risk/{champion.version}").signature
    assert signature.inputs.input_names() == list(FEATURE_NAMES)
    assert not set(signature.inputs.input_names()) & set(AUDIT_COLUMNS)
    test = registry.load_test_set(tracking, champion.version, tmp_path)
    features = test[list(FEATURE_NAMES)].astype({f.name: str for f in FEATURES if f.is_categorical})
    audit = test[list(AUDIT_COLUMNS)].astype(str)
    moved = audit.apply(lambda column: np.roll(column.to_numpy(), 1)).set_axis(audit.index)  # other youths' values
    assert (moved["gender"] != audit["gender"]).sum() > 100 and (moved["origin"] != audit["origin"]).sum() > 100
    pyfunc = mlflow.pyfunc.load_model(f"models:/vsv-risk/{champion.version}")
    as_given = pyfunc.predict(pd.concat([features, audit], axis=1))
    pd.testing.assert_frame_equal(pyfunc.predict(pd.concat([features, moved], axis=1)), as_given)
    pd.testing.assert_frame_equal(pyfunc.predict(features.assign(gender="X", origin="buiten_europa")), as_given)
    np.testing.assert_array_equal(as_given["probability"], champion.model.predict_frame(test))


@pytest.mark.slow
def test_model_loads_in_a_fresh_process_and_returns_probability_and_tier(champion, tracking, population_dir):
    rows = build_training_data(population_dir, AS_OF, FAST).part("test").head(4)
    payload = rows[list(FEATURE_NAMES)].astype({f.name: str for f in FEATURES if f.is_categorical}).to_json(orient="records")
    script = ("import sys, json, mlflow, pandas as pd\n"
              "m = mlflow.pyfunc.load_model('models:/vsv-risk@challenger')\n"
              "out = m.predict(pd.DataFrame(json.loads(sys.stdin.read())))\n"
              "print(out.to_json(orient='records', double_precision=15))\n")
    done = subprocess.run([sys.executable, "-c", script], input=payload, capture_output=True, text=True,
                          env=os.environ | {"MLFLOW_TRACKING_URI": tracking.tracking_uri}, timeout=120, check=True)
    out = pd.DataFrame(json.loads(done.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(out["probability"], champion.model.predict_frame(rows), rtol=0, atol=1e-12)
    assert list(out["tier"]) == list(champion.model.tiers(out["probability"].to_numpy()))


@pytest.mark.slow
def test_additivity_and_directional_behaviour(champion, population_dir):
    model = champion.model
    frame = build_training_data(population_dir, AS_OF, FAST).part("test")
    matrix = encode_frame(frame)
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
def test_promotion_refused_when_the_challenger_is_worse(champion, population_dir, tracking, tmp_path):
    weak = replace(FAST, lightgbm=replace(FAST.lightgbm, num_boost_round=1, num_leaves=2, learning_rate=0.01))
    worse = run_training(population_dir, AS_OF, weak, tracking)
    assert worse.version == "2"
    with pytest.raises(PromotionError, match=r"promotion refused, gate\(s\) failed: auc: AUC"):
        promote(tracking, FAST.gates)
    (tmp_path / "gates.toml").write_text(GATES_TOML)
    refused = CliRunner().invoke(app, ["promote", "--config", str(tmp_path / "gates.toml")])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].startswith("error: promotion refused, gate(s) failed: auc: AUC")
    printed = refused.stdout.splitlines()
    assert printed[0].startswith("  FAIL  auc: AUC") and "        not judged (fewer than 100 youths" in refused.stdout
    client = MlflowClient(tracking.tracking_uri, tracking.tracking_uri)
    assert str(client.get_model_version_by_alias("vsv-risk", "champion").version) == "1"
    with pytest.raises(PromotionError, match="--force needs --reason"):
        promote(tracking, FAST.gates, force=True)
    forced = promote(tracking, FAST.gates, force=True, reason="test of the override")
    assert forced.forced and str(client.get_model_version_by_alias("vsv-risk", "champion").version) == "2"
    assert client.get_model_version("vsv-risk", "2").tags["forced_reason"] == "test of the override"


@pytest.mark.slow
def test_same_data_config_and_seed_give_identical_metrics(population_dir, tmp_path):
    from vsv_model.settings import Settings

    runs = [run_training(population_dir, AS_OF, FAST, Settings(tracking_uri=f"sqlite:///{tmp_path / n / 'mlflow.db'}"))
            for n in ("a", "b")]
    assert runs[0].metrics == runs[1].metrics
    assert runs[0].baselines == runs[1].baselines


def test_fairness_gate_fails_clear_disparities_but_not_noise():
    from training.config import GateConfig
    from training.fairness import fairness_audit, fairness_failures

    rng = np.random.default_rng(0)
    n = 4000
    group = np.where(rng.random(n) < 0.25, "buiten_europa", "nederland")
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(0.3 + 0.3 * (y - 0.3) + rng.normal(0, 0.1, n), 0.01, 0.99)
    fair_tiers = np.select([p > 0.55, p > 0.45], ["high", "medium"], "low")
    frame = pd.DataFrame({"gender": "V", "origin": group, "school_municipality": "Dordrecht", "age": 20})
    assert fairness_failures(fairness_audit(frame, y, p, fair_tiers), GateConfig()) == []
    missed = fair_tiers.copy()
    missed[(group == "buiten_europa") & (y == 1)] = "low"  # every positive of one group kept out of 'high'
    failures = fairness_failures(fairness_audit(frame, y, p, missed), GateConfig())
    # fnr_high only moves from 0.72 to 1.00 (ratio 1.38, inside the bounds); tpr_high falls to 0 and is caught
    assert any(f.startswith("origin=buiten_europa: tpr_high ratio 0.00") for f in failures)
    assert not any(f.startswith("origin=nederland") for f in failures)


def test_a_ratio_from_a_handful_of_cases_is_not_a_clear_difference():
    from training.fairness import clear_difference

    assert not clear_difference(0.01, 0.03, 40)      # 0.4 of 40 cases: noise
    assert clear_difference(0.01, 0.03, 5000)        # the same ratio over 5,000 cases: real
    # 0.3 vs 0.2 over 100 cases: z = 0.1 / 0.04 = 2.5, clear at p < 0.05 (1.960), not at p < 0.01 (2.576)
    assert clear_difference(0.3, 0.2, 100, significance_level=0.05)
    assert not clear_difference(0.3, 0.2, 100, significance_level=0.01)


def test_calibration_in_the_large_as_difference_and_observed_expected_ratio():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    p = np.array([0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25])
    groups = pd.Series(["A"] * 4 + ["B"] * 4)
    table = audit_attribute(y, p, np.array(["low"] * 8), groups)
    # A: outcome 0.5, mean p 0.375; B: 0.25 and 0.25; everyone: 0.375 and 0.3125
    assert table.loc["A", "calibration_in_the_large"] == pytest.approx(-0.125)
    assert table.loc["B", "calibration_in_the_large"] == pytest.approx(0.0)
    assert table.loc["overall", "calibration_in_the_large"] == pytest.approx(-0.0625)
    assert table.loc["A", "observed_expected"] == pytest.approx(4 / 3)
    assert table.loc["B", "observed_expected"] == pytest.approx(1.0)
    assert table.loc["overall", "observed_expected"] == pytest.approx(1.2)
    assert table.loc["A", "observed_expected_ratio"] == pytest.approx(10 / 9)
    assert table.loc["B", "observed_expected_ratio"] == pytest.approx(5 / 6)
    assert table.loc["overall", "observed_expected_ratio"] == pytest.approx(1.0)


def test_groups_too_small_to_judge_are_named_for_the_gated_attributes_only():
    audit = pd.DataFrame({
        "attribute": ["gender"] * 4 + ["origin"] * 3 + ["age"] * 2,
        "group": ["M", "V", "X", "overall", "europa", "nederland", "overall", "18", "overall"],
        "n": [150.0, 140.0, 7.0, 297.0, 99.0, 198.0, 297.0, 3.0, 297.0],
    })
    assert groups_too_small(audit, GateConfig()) == ["gender=X (n=7)", "origin=europa (n=99)"]
    assert groups_too_small(audit, GateConfig(min_group_size=99)) == ["gender=X (n=7)"]
    assert groups_too_small(audit, GateConfig(gated_attributes=("age",))) == ["age=18 (n=3)"]


def test_tpr_high_exact():
    from training.fairness import tpr_high

    assert tpr_high(np.array([1, 1, 1, 0]), np.array([2, 1, 0, 2])) == pytest.approx(1 / 3)


# --- `vsv promote` on the command line ---------------------------------------------------

GATES_TOML = "[gates]\nmax_ece = 0.04\n"  # FAST's gates: a small test set


@pytest.mark.slow
def test_vsv_promote_prints_the_gates_and_the_groups_too_small_to_judge(challenger, tracking, tmp_path):
    config = tmp_path / "gates.toml"
    config.write_text(GATES_TOML)
    result = CliRunner().invoke(app, ["promote", "--config", str(config)])
    assert result.exit_code == 0, result.output
    test = registry.load_test_set(tracking, challenger.version, tmp_path / "test")
    counts = {f"{a}={g} (n={n})" for a in ("gender", "origin") for g, n in test[a].fillna("onbekend").value_counts().items()
              if n < 100}
    assert "gender=X" in " ".join(counts)  # the small synthetic population has few youths of gender X
    lines = result.stdout.splitlines()
    fairness = next(i for i, line in enumerate(lines) if line.startswith("  pass  fairness:"))
    prefix = "        not judged (fewer than 100 youths in the test set): "
    assert lines[fairness + 1].startswith(prefix)
    assert set(lines[fairness + 1].removeprefix(prefix).split(", ")) == counts
    assert lines[-1] == "Version 1 is now champion (was: none)"


def test_vsv_promote_names_an_mlflow_error_without_a_traceback(tracking):
    result = CliRunner().invoke(app, ["promote", "--version", "7"])  # an empty store: no version 7
    assert result.exit_code == 1
    assert type(result.exception) is SystemExit  # typer's exit, not an MlflowException escaping
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"error: the MLflow store {tracking.tracking_uri} failed: ")
    assert "name=vsv-risk, version=7" in error and "not found" in error


def test_vsv_promote_refuses_a_bad_gate_config_by_name(tracking, tmp_path):
    config = tmp_path / "gates.toml"
    config.write_text("[gates]\nmin_groupsize = 50\n")
    result = CliRunner().invoke(app, ["promote", "--config", str(config)])
    assert result.exit_code == 2
    assert "unknown setting(s) in [gates]: min_groupsize" in result.stderr


@pytest.mark.slow
def test_vsv_promote_names_a_champion_that_fails_to_load(champion, tracking):
    client = MlflowClient(tracking.tracking_uri, tracking.tracking_uri)
    with mlflow.start_run(run_id=champion.run_id):  # a second version of the same model, with the same test set
        second = registry.register(registry.log_risk_model(champion.model), tracking, {})
    source = client.get_model_version("vsv-risk", champion.version).source  # models:/<logged model id>
    logged = mlflow.get_logged_model(source.removeprefix("models:/"))
    stored = Path(urlparse(logged.artifact_location).path) / "artifacts" / registry.RISK_MODEL_ARTIFACT / "model.txt"
    assert stored.is_file()
    with open(stored, "a") as handle:  # one byte more: the checksum saved with the model no longer matches
        handle.write("\n")
    result = CliRunner().invoke(app, ["promote", "--version", second])
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]  # after MLflow's download progress bars
    assert error.startswith(f"error: the champion (version {champion.version}) cannot be loaded, so nothing can be compared")
    assert error.endswith("model.txt does not match the checksum saved with it: the file is damaged or was changed")
    assert str(client.get_model_version_by_alias("vsv-risk", "champion").version) == champion.version
