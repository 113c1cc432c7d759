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

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from training.config import GateConfig, LightGBMConfig, TierConfig, TrainConfig, load_config
from training.dataset import TrainingDataError, build_training_data, split_by_youth
from training.evaluate import expected_calibration_error, precision_recall_at, tier_metrics
from training.fairness import fdr_medium, fnr_high, for_high, fpr_medium
from training.model import tier_cutoffs
from training.pipeline import run_training
from training.promote import PromotionError, promote
from vsv_model.feature_spec import AUDIT_COLUMNS, FEATURE_NAMES, FEATURES
from vsv_model.risk_model import TierCutoffs, encode_frame

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

def test_split_never_shares_a_youth_and_tests_on_the_latest_date():
    frame = pd.DataFrame({"youth_id": [f"Y{i % 300}" for i in range(600)],
                          "as_of": ["2018-10-01"] * 300 + ["2019-10-01"] * 300})
    train, valid, test = split_by_youth(frame, TrainConfig(seed=1))
    ids = frame["youth_id"]
    assert not set(ids.iloc[test]) & set(ids.iloc[np.r_[train, valid]])
    assert not set(ids.iloc[train]) & set(ids.iloc[valid])
    assert set(frame["as_of"].iloc[test]) == {"2019-10-01"}
    assert len(test) == 75


def test_audit_columns_never_reach_the_model(population_dir):
    assert not set(AUDIT_COLUMNS) & set(FEATURE_NAMES)
    data = build_training_data(population_dir, AS_OF, FAST)
    frame = data.part("test")
    shuffled = frame.assign(gender="X", origin="buiten_europa", residence_municipality="Dordrecht")
    np.testing.assert_array_equal(encode_frame(frame), encode_frame(shuffled))
    assert encode_frame(frame).shape[1] == len(FEATURE_NAMES)


@pytest.mark.parametrize(("rows", "message"), [
    ("none", "no labelled in-scope youths"),
    ("one_class", "a model needs both outcomes"),
    ("no_reports", "feature\\(s\\) without a single value: weeks_since_last_report"),
])
def test_untrainable_data_is_refused_and_nothing_registered(tmp_path, tracking, population_dir, rows, message):
    from tests.helpers import enrolment, write_data_dir, youth

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
    assert MlflowClient().search_registered_models() == []


# --- end to end ------------------------------------------------------------------------

@pytest.fixture
def champion(population_dir, tracking):
    result = run_training(population_dir, AS_OF, FAST, tracking)
    promote(tracking, FAST.gates)
    return result


@pytest.mark.slow
def test_train_register_promote_end_to_end(champion, tracking, tmp_path):
    client = MlflowClient()
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
    run = client.get_run(champion.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(champion.metrics["roc_auc"])
    assert run.data.params["features"] == ",".join(FEATURE_NAMES)
    assert len(run.inputs.dataset_inputs) == 2
    version = client.get_model_version("vsv-risk", "1")
    assert json.loads(version.tags["tier_cutoffs"])["mode"] == "capacity"
    assert "promotion_gates" in version.tags


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
def test_promotion_refused_when_the_challenger_is_worse(champion, population_dir, tracking):
    weak = replace(FAST, lightgbm=replace(FAST.lightgbm, num_boost_round=1, num_leaves=2, learning_rate=0.01))
    worse = run_training(population_dir, AS_OF, weak, tracking)
    assert worse.version == "2"
    with pytest.raises(PromotionError, match=r"promotion refused, gate\(s\) failed: auc: AUC"):
        promote(tracking, FAST.gates)
    client = MlflowClient()
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


def test_tpr_high_exact():
    from training.fairness import tpr_high

    assert tpr_high(np.array([1, 1, 1, 0]), np.array([2, 1, 0, 2])) == pytest.approx(1 / 3)
