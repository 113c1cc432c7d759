"""The route as part of the training data (training/route_labels.py, `route_adjustment = "outcome"`): each step on
hand-made rows with exact expected values, the label's expectation under the letter, and the whole adjustment on the
session's world with the office (the rows it moves, the soft rows' weights, the record in the model, MLflow and the
card)."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.builders import fast_config
from tests.model.test_route_weights import LETTER, MATCH, TALK, case
from training.config import AdjustmentConfig, LightGBMConfig
from training.dataset import build_training_data
from training.model import soft_expanded
from training.route_labels import heaviest_reactions, letter_fit, letter_labels
from training.route_weights import RouteWeightError, resolve_adjustment
from vsv_model.office_cases import OFFICE_CASE_COLUMNS


def test_a_lowering_route_turns_an_outcome_0_into_1_with_the_difference_over_what_was_left():
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    taken = np.array([0.2, 0.2, 0.6, 0.6, 0.5])
    letter = np.array([0.3, 0.3, 0.9, 0.9, 0.5])
    # (0.3 - 0.2) / 0.8 = 0.125; 1 stays 1; (0.9 - 0.6) / 0.4 = 0.75; 1; equal chances: 0 stays 0
    np.testing.assert_allclose(letter_labels(y, taken, letter), [0.125, 1.0, 0.75, 1.0, 0.0], rtol=1e-12)


def test_a_raising_route_keeps_an_outcome_1_with_the_ratio_and_a_0_stays_0():
    y = np.array([1.0, 0.0, 1.0])
    taken = np.array([0.4, 0.4, 0.8])
    letter = np.array([0.3, 0.3, 0.2])
    np.testing.assert_allclose(letter_labels(y, taken, letter), [0.75, 0.0, 0.25], rtol=1e-12)


def test_the_labels_expectation_is_the_chance_under_the_letter():
    """Over both outcomes, weighted by the route's own chance: taken * label(1) + (1 - taken) * label(0) = letter."""
    grid = np.linspace(0.01, 0.99, 41)
    taken, letter = (a.ravel() for a in np.meshgrid(grid, grid))
    expected = taken * letter_labels(np.ones_like(taken), taken, letter) + (1 - taken) * letter_labels(
        np.zeros_like(taken), taken, letter)
    np.testing.assert_allclose(expected, letter, atol=1e-12)
    labels = letter_labels(np.r_[np.ones_like(taken), np.zeros_like(taken)], np.r_[taken, taken], np.r_[letter, letter])
    assert labels.min() >= 0.0 and labels.max() <= 1.0


def test_a_soft_label_becomes_two_rows_weighing_q_and_1_minus_q_times_the_rows_weight():
    matrix = np.array([[1.0], [2.0], [3.0]])
    rows, labels, weights = soft_expanded(matrix, np.array([0.0, 0.25, 1.0]), np.array([1.0, 2.0, 1.0]))
    assert rows[:, 0].tolist() == [1.0, 2.0, 3.0, 2.0] and labels.tolist() == [0.0, 1.0, 1.0, 0.0]
    np.testing.assert_allclose(weights, [1.0, 0.5, 1.0, 1.5])
    same = soft_expanded(matrix, np.array([0, 1, 1]), None)  # no soft label: as they are, no weights made
    assert same[0] is matrix and same[1].tolist() == [0.0, 1.0, 1.0] and same[2] is None


def test_each_row_gets_its_youths_heaviest_reaction_within_the_carry_over():
    """Rows on 2020-03-01, carry-over 365 days: A a letter then a conversation (the conversation, score 0.55); B a
    matchmaker 400 days before (outside) and a letter after (the letter); C none; D a conversation and a matchmaker
    on one youth (the matchmaker, advised a conversation)."""
    cases = pd.DataFrame([
        case("A", "2020-02-01", LETTER, score=0.31, advised=LETTER), case("A", "2020-05-01", TALK, score=0.55),
        case("B", "2019-01-26", MATCH, score=0.93, advised=MATCH), case("B", "2020-04-01", LETTER, score=0.2, advised=LETTER),
        case("D", "2019-06-01", MATCH, score=0.61, advised=TALK), case("D", "2020-03-01", TALK, score=0.7)])
    rows = pd.DataFrame({"youth_id": list("ABCD"), "as_of": ["2020-03-01"] * 4})
    reactions = heaviest_reactions(rows, cases, 365)
    assert reactions["route"].tolist() == [2, 1, 0, 3]
    np.testing.assert_allclose(reactions["score"].to_numpy(), [0.55, 0.2, np.nan, 0.61])
    np.testing.assert_allclose(reactions["advised"].to_numpy(), [2.0, 1.0, np.nan, 2.0])


def test_with_letters_only_nothing_moves_and_no_outcome_model_is_fitted():
    fit = pd.DataFrame({"youth_id": ["A", "B", "C"], "as_of": ["2020-03-01"] * 3, "outcome": np.array([1, 0, 0], np.int64)})
    cases = pd.DataFrame([case("A", "2020-03-05", LETTER, advised=LETTER), case("B", "2018-01-01", TALK)])
    labels, summary = letter_fit(fit, "outcome", cases, np.array([0, 1, 2]), 365, LightGBMConfig(), 1)
    assert labels.tolist() == [1.0, 0.0, 0.0] and summary.effects == {}
    assert (summary.rows_heavier, summary.rows_letter, summary.rows_without_reaction, summary.rows_soft) == (0, 1, 2, 0)


def test_the_default_is_outcome_with_the_offices_cases_and_none_without(tmp_path):
    assert resolve_adjustment("", tmp_path) == "none"
    with pytest.raises(RouteWeightError, match='route_adjustment = "outcome", but .* has no office_cases.csv'):
        resolve_adjustment("outcome", tmp_path)
    assert resolve_adjustment("", None, cases_given=True) == "outcome"  # a backtest's cases known at its origin
    (tmp_path / "office_cases.csv").write_text(",".join(OFFICE_CASE_COLUMNS) + "\n")
    assert resolve_adjustment("", tmp_path) == "outcome"
    assert resolve_adjustment("none", tmp_path) == "none"


@pytest.mark.slow
def test_the_default_moves_the_labels_of_rows_with_a_heavier_route_only(population_dir):
    from training.route_labels import LETTER_CODE
    from vsv_model.office_cases import read_office_cases

    plain = build_training_data(population_dir, None, fast_config(training=AdjustmentConfig("none")))
    moved = build_training_data(population_dir, None, fast_config())
    summary = moved.route_summary
    assert moved.definition["route_adjustment"] == "outcome" and summary.method == "outcome" and moved.weights is None
    assert plain.labels is None and plain.frame.equals(moved.frame)  # the rows and their outcomes stay as they are
    fit, labels = moved.part("fit"), moved.labels
    heavier = heaviest_reactions(fit.reset_index(drop=True), read_office_cases(population_dir / "office_cases.csv"),
                                 365)["route"].to_numpy() > LETTER_CODE
    y = fit["outcome"].to_numpy(float)
    assert len(labels) == len(fit) == summary.fit_rows and heavier.sum() == summary.rows_heavier > 0
    np.testing.assert_array_equal(labels[~heavier], y[~heavier])  # only the heavier rows move
    assert labels.min() >= 0.0 and labels.max() <= 1.0
    soft = (labels > 0) & (labels < 1)
    assert soft.sum() == summary.rows_soft > 0 and not soft[~heavier].any()
    assert set(summary.effects) == {TALK, MATCH}
    assert summary.mean_label_shift == pytest.approx(float((labels - y)[heavier].mean()))


@pytest.mark.slow
def test_the_outcome_adjustment_is_recorded_in_the_model_mlflow_and_the_card(population_dir, tracking):
    from training.pipeline import run_training

    result = run_training(population_dir, None, fast_config(), tracking)
    info = result.model.info["route_adjustment"]
    assert info["method"] == "outcome" and info["rows_heavier"] > 0 and info["max_weight"] == 1.0
    assert result.model.info["fit_rows"] == info["fit_rows"]  # the fit rows counted once
    run = mlflow.MlflowClient(tracking.tracking_uri).get_run(result.run_id)
    assert run.data.params["route_adjustment"] == "outcome"
    assert run.data.metrics["route_weights.rows_soft"] == info["rows_soft"]
    assert run.data.metrics["route_weights.effect_matchmaker"] == pytest.approx(info["effects"]["matchmaker"])
    card = mlflow.artifacts.load_text(f"runs:/{result.run_id}/model_card.md")
    assert "Route adjustment: outcome (the route taken is part of the training data)." in card
    assert "De route die het bureau koos telt mee bij het leren" in card
