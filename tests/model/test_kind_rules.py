"""Rules of the kinds of moment with exact values on literal inputs: a calibration per kind, the events' cut-offs
from weekly and monthly capacity, a model's settings per kind and their round trip, the bootstrap over youths."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from training.config import TierConfig
from training.dataset import OUTCOME
from training.kind_evaluation import absence_line, observed_expected_of, youth_counts
from training.model import MIN_KIND_ROWS, event_cutoffs, kind_calibrations
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.risk_model import Calibration, KindSettings, RiskModel, TierCutoffs


def logistic_rows(kind: str, n: int, shift: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows whose true log-odds are the raw score plus `shift`: the kind's Platt scaling must find slope 1, intercept
    `shift`."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(0.0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(raw + shift)))).astype(int)
    return pd.DataFrame({"kind": kind, OUTCOME: y}), raw


def test_each_kind_gets_its_own_platt_scaling_and_a_small_kind_the_stocks():
    parts = [logistic_rows("stock", 40_000, 0.0, 1), logistic_rows("report_first", 40_000, -1.0, 2),
             logistic_rows("new_leaver", MIN_KIND_ROWS - 1, 2.0, 3)]
    fit = pd.concat([p[0] for p in parts], ignore_index=True)
    raw = np.concatenate([p[1] for p in parts])
    calibrations = kind_calibrations(raw, fit)
    assert calibrations["stock"].intercept == pytest.approx(0.0, abs=0.05)
    assert calibrations["report_first"].intercept == pytest.approx(-1.0, abs=0.05)
    assert calibrations["report_first"].slope == pytest.approx(1.0, abs=0.05)
    assert calibrations["report_first"].method == "platt, cross-fitted on report_first rows (40,000, every fit year)"
    small = calibrations["new_leaver"]
    assert (small.slope, small.intercept) == (calibrations["stock"].slope, calibrations["stock"].intercept)
    assert small.method == f"the stock's (only {MIN_KIND_ROWS - 1} new_leaver rows)"


def test_a_kind_the_score_does_not_rank_keeps_the_stocks_calibration():
    stock, raw = logistic_rows("stock", 5_000, 0.0, 4)
    inverted, raw_inverted = logistic_rows("report_repeat", 5_000, 0.0, 5)
    fit = pd.concat([stock, inverted], ignore_index=True)
    calibrations = kind_calibrations(np.r_[raw, -raw_inverted], fit)  # the score ranks this kind backwards
    assert calibrations["report_repeat"].method == "the stock's (the score does not rank report_repeat rows)"


class FixedChances:
    """Stands in for a model: the chances of the year's events, in order."""

    def __init__(self, probability: np.ndarray):
        self.probability = probability

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        return self.probability[: len(frame)]


def test_the_events_cut_offs_are_the_capacity_a_week_and_a_month_as_shares_of_a_years_events():
    events = pd.DataFrame({"kind": ["report_first"] * 1000})
    chances = np.arange(1000) / 1000  # 0.000 .. 0.999
    config = TierConfig(conversations_per_week=2, matchmaker_places_per_month=5)  # 60 and round(2 x 52.18) = 104 a year
    cut = event_cutoffs(FixedChances(chances), events, config)
    assert cut.details["high_capacity"] == 60 and cut.details["medium_capacity"] == 104
    assert cut.high == pytest.approx(0.940)  # the 60 highest of 1,000: from 0.940
    assert cut.medium == pytest.approx(0.836)  # the next 104: from 0.836
    assert (chances >= cut.high).sum() == 60 and ((chances >= cut.medium) & (chances < cut.high)).sum() == 104
    assert cut.details["events_a_week"] == pytest.approx(1000 / (365.25 / 7))


def test_more_places_than_events_put_every_event_in_the_heaviest_tier_that_has_room():
    events = pd.DataFrame({"kind": ["new_leaver"] * 10})
    cut = event_cutoffs(FixedChances(np.linspace(0.1, 0.9, 10)), events, TierConfig(matchmaker_places_per_month=1))
    assert cut.high == pytest.approx(0.1) and cut.details["high_share"] == 1.0


def tiny_model() -> RiskModel:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, len(FEATURE_NAMES)))
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_leaves": 3}, lgb.Dataset(x, (x[:, 0] > 0).astype(int)), 3)
    kinds = {"report_first": KindSettings(Calibration(2.0, -1.0, "platt"), TierCutoffs(0.2, 0.6, "capacity per week and month"))}
    return RiskModel(booster, Calibration(1.0, 0.0), TierCutoffs(0.5, 0.9), kinds=kinds)


def test_a_kind_is_scored_with_its_calibration_and_cut_offs_and_an_unknown_kind_is_refused(tmp_path):
    model = tiny_model()
    matrix = np.zeros((1, len(FEATURE_NAMES)))
    raw = model.raw_log_odds(matrix)
    assert model.for_kind("report_first").log_odds(matrix) == pytest.approx(2.0 * raw - 1.0)
    assert model.for_kind("stock") is model and model.for_kind(None) is model
    assert list(model.for_kind("report_first").tiers(np.array([0.3, 0.7]))) == ["medium", "high"]
    with pytest.raises(ValueError, match="no calibration for the kind of event 'new_leaver'; it knows: stock, report_first"):
        model.for_kind("new_leaver")
    loaded = RiskModel.load(model.save(tmp_path / "m"))
    assert loaded.kinds == model.kinds


def test_a_model_from_before_events_scores_every_kind_with_its_one_calibration():
    model = tiny_model()
    model.kinds = {}
    assert model.for_kind("new_leaver") is model


def test_the_bootstrap_over_youths_draws_a_youths_rows_together():
    counts = youth_counts(pd.Series(["a", "a", "b", "c", "c", "c"]), samples=50, seed=0)
    assert (counts[:, 0] == counts[:, 1]).all() and (counts[:, 3] == counts[:, 5]).all()
    assert (counts[:, [0, 2, 3]].sum(axis=1) == 3).all()  # three youths drawn per resample


def test_observed_expected_and_the_absence_line():
    y, p = np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.5, 0.5, 0.25, 0.25])
    assert observed_expected_of(y, p, np.ones((1, 4)))[0] == pytest.approx(2 / 1.5)
    row = {"kind": "report_first", "roc_auc": 0.76, "auc_without_absence": 0.70, "absence_gain": 0.06,
           "absence_gain_low": 0.03, "absence_gain_high": 0.09}
    assert absence_line(row) == ("report_first: the absence history adds clearly to the ranking: AUC 0.760 with it, "
                                 "0.700 without (difference +0.060 [+0.030, +0.090]).")
    assert "no clear difference" in absence_line(row | {"absence_gain_low": -0.01})
    assert "slightly worse" in absence_line(row | {"absence_gain_low": -0.03, "absence_gain_high": -0.01})


def test_the_ece_a_calibrated_model_shows_by_chance_shrinks_with_the_rows():
    from training.kind_evaluation import ece_if_calibrated

    certain = ece_if_calibrated(np.array([0.0, 1.0] * 50), samples=50, seed=0)
    assert certain == 0.0  # chances of 0 and 1 are always met exactly
    few, many = (ece_if_calibrated(np.full(n, 0.3), samples=200, seed=0) for n in (100, 10_000))
    assert few == pytest.approx(np.sqrt(0.21 / 100) * np.sqrt(2 / np.pi), rel=0.15)  # E|mean - p| of one bin
    assert many < few / 5


def test_the_truth_splits_a_kinds_miss_into_the_rows_luck_and_the_models_bias():
    from training.kind_evaluation import truth_figures

    y, p = np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.5, 0.5, 0.25, 0.25])
    truth = np.array([0.6, 0.2, 0.4, 0.2])
    figures = truth_figures(y, p, truth, samples=50, seed=0)
    assert figures["truth_auc"] == 1.0
    assert figures["truth_observed_expected"] == pytest.approx(2 / 1.4)  # the outcomes' luck
    assert figures["truth_expected"] == pytest.approx(1.4 / 1.5)  # the model's bias: O/E = luck x bias
    assert figures["truth_observed_expected"] * figures["truth_expected"] == pytest.approx(2 / 1.5)
    assert figures["truth_ece"] == pytest.approx((0.4 + 0.4 + 0.6) / 4)  # bins 0.6 | 0.2, 0.2 | 0.4
    assert figures["ece_against_truth"] == pytest.approx((0.2 + 0.1) / 4)  # bins of p: 0.5, 0.5 | 0.25, 0.25
    assert truth_figures(y[:2], p[:2], np.array([1.0, 0.0]), 50, 0)["ece_floor_truth"] == 0.0
