"""The route adjustment by weights (training/route_weights.py): exact weights on hand-made cases, the setting read
and recorded (model info, MLflow, the model card), and "none" giving the model as before. The default, "outcome",
is tested in test_route_labels.py."""

from __future__ import annotations

import shutil

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.builders import fast_config
from training.config import AdjustmentConfig, load_config
from training.dataset import build_training_data
from training.model import train_risk_model
from training.route_weights import RouteWeightError, resolve_adjustment, route_weights
from vsv_model.office_cases import OFFICE_CASE_COLUMNS

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"


def case(youth, day, route, randomised=0, propensity=np.nan, refused=0, advised=TALK, score=0.42, kind="report_first"):
    return {"youth_id": youth, "event_date": pd.Timestamp(day), "kind": kind, "report_id": "", "score": score,
            "risk_category": "medium", "advised_route": advised, "route": route, "randomised": randomised,
            "draw_propensity": propensity, "refused": refused, "refusal_reason": "", "policy": "tier",
            "medium_cutoff": 0.3, "high_cutoff": 0.6}


def hand_cases() -> pd.DataFrame:
    """A: drawn letter (chance 1/3); B: drawn conversation; C: a refused draw, then a letter, in a cell of 40 officers'
    choices of which 10 are letters (C's own among them); E: a matchmaker 200 days before its row; G: a matchmaker 400
    days before; H: two drawn letters (1/2, 1/3); the fillers F: 39 choices in C's cell, 9 of them letters."""
    rows = [case("A", "2020-03-01", LETTER, 1, 1 / 3), case("B", "2020-03-01", TALK, 1, 1 / 3),
            case("C", "2020-03-01", LETTER, 1, 1 / 3, refused=1),
            case("E", "2019-08-15", MATCH, advised=MATCH, score=0.9), case("G", "2019-01-26", MATCH, advised=MATCH, score=0.9),
            case("H", "2020-03-01", LETTER, 1, 1 / 2), case("H", "2020-06-01", LETTER, 1, 1 / 3)]
    rows += [case(f"F{i}", "2020-02-01", LETTER if i < 9 else TALK) for i in range(39)]
    return pd.DataFrame(rows)


def hand_rows() -> pd.DataFrame:
    """One training row per youth, on 2020-03-01 (D has no case)."""
    return pd.DataFrame({"youth_id": list("ABCDEGH"), "as_of": ["2020-03-01"] * 7})


def test_weights_on_hand_made_cases_are_exact():
    weights, summary = route_weights(hand_rows(), hand_cases(), carry_days=365, min_propensity=0.05)
    raw = np.array([3.0, 0.0, 4.0, 1.0, 0.0, 1.0, 6.0])  # A 1/(1/3), B heavier, C 1/(10/40), D none, E, G, H 2*3
    np.testing.assert_allclose(weights, raw * 7 / raw.sum(), rtol=0, atol=1e-12)
    assert (summary.rows_letter, summary.rows_heavier, summary.rows_without_reaction) == (3, 2, 2)
    assert summary.exact_propensities == 4 and summary.cases == 46 and summary.clipped == 0
    kept = raw * 7 / raw.sum()
    assert summary.effective_sample_size == pytest.approx(kept.sum() ** 2 / (kept ** 2).sum(), abs=1e-12)


def test_a_small_chance_is_clipped_and_a_reaction_after_the_carry_over_does_not_count():
    weights, summary = route_weights(hand_rows(), hand_cases(), carry_days=100, min_propensity=0.4)
    raw = np.array([2.5, 0.0, 2.5, 1.0, 1.0, 1.0, 2.5 * 2.0])  # 1/3 and 1/4 clipped to 0.4; E's matchmaker too old
    np.testing.assert_allclose(weights, raw * 7 / raw.sum(), rtol=0, atol=1e-12)
    assert summary.clipped == 3 and summary.rows_heavier == 1


def test_a_cell_with_too_few_cases_takes_its_coarser_cell():
    cases = hand_cases()
    cases.loc[cases["youth_id"] == "C", "score"] = 0.55  # alone in its score band: the cell without the band (10/40)
    weights, _ = route_weights(hand_rows(), cases, carry_days=365, min_propensity=0.05)
    assert weights[2] / weights[3] == pytest.approx(4.0, abs=1e-12)


def test_the_setting_is_read_checked_and_resolved_by_the_data(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('[training]\nroute_adjustment = "none"\nroute_carry_days = 200\n')
    assert load_config(path).training == AdjustmentConfig("none", 200, 0.05)
    path.write_text('[training]\nroute_adjustment = "truth"\n')
    with pytest.raises(ValueError, match='route_adjustment must be "outcome", "weights" or "none", got \'truth\''):
        load_config(path)
    assert resolve_adjustment("", tmp_path) == "none"
    with pytest.raises(RouteWeightError, match="has no office_cases.csv"):
        resolve_adjustment("weights", tmp_path)
    (tmp_path / "office_cases.csv").write_text(",".join(OFFICE_CASE_COLUMNS) + "\n")
    assert resolve_adjustment("", tmp_path) == "outcome"  # the weights are asked for by name (measured worse)
    assert resolve_adjustment("weights", tmp_path) == "weights"
    assert resolve_adjustment("none", tmp_path) == "none"


@pytest.fixture(scope="module")
def office_dir(population_dir):
    """The session's world: with the office (office_cases.csv, outcomes changed by its routes)."""
    assert (population_dir / "office_cases.csv").is_file()
    return population_dir


@pytest.fixture(scope="module")
def plain_dir(population_dir, tmp_path_factory):
    """The same world's files without office_cases.csv."""
    directory = tmp_path_factory.mktemp("plain") / "world"
    shutil.copytree(population_dir, directory)
    (directory / "office_cases.csv").unlink()
    return directory


@pytest.mark.slow
def test_none_gives_the_model_as_before_and_weights_change_it(office_dir, plain_dir):
    """"none" asked for by name with the office's cases gives exactly the model of the same world without them."""
    config = fast_config()
    plain = build_training_data(plain_dir, None, config)  # no office_cases.csv: the default is "none"
    assert plain.weights is None and plain.definition["route_adjustment"] == "none"
    ignored = build_training_data(office_dir, None, fast_config(training=AdjustmentConfig("none")))
    weighted = build_training_data(office_dir, None, fast_config(training=AdjustmentConfig("weights")))
    assert ignored.weights is None and ignored.definition["route_adjustment"] == "none"
    assert weighted.definition["route_adjustment"] == "weights"
    assert weighted.route_summary.rows_heavier > 0 and (weighted.weights == 0).sum() == weighted.route_summary.rows_heavier
    rows = plain.part("event_test")
    predictions = [train_risk_model(d, config)[0].predict_frame(rows) for d in (plain, ignored, weighted)]
    np.testing.assert_array_equal(predictions[0], predictions[1])  # exactly: the files' cases are not read
    assert not np.allclose(predictions[0], predictions[2])


@pytest.mark.slow
def test_the_adjustment_is_recorded_in_the_model_mlflow_and_the_card(office_dir, tracking):
    from training.pipeline import run_training

    result = run_training(office_dir, None, fast_config(training=AdjustmentConfig("weights")), tracking)
    info = result.model.info["route_adjustment"]
    assert info["method"] == "weights" and info["rows_heavier"] > 0 and 0 < info["effective_sample_size"] < info["fit_rows"]
    run = mlflow.MlflowClient(tracking.tracking_uri).get_run(result.run_id)
    assert run.data.params["route_adjustment"] == "weights"
    assert run.data.metrics["route_weights.rows_heavier"] == info["rows_heavier"]
    card = mlflow.artifacts.load_text(f"runs:/{result.run_id}/model_card.md")
    assert "Route adjustment: weights." in card
    assert "De route die het bureau koos telt mee als gewicht" in card
