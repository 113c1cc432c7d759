"""Training rules with exact values on tiny literal inputs: calibration error, precision at capacity, tiers,
cut-offs, the fairness rates and gates, the bootstrap, the configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from training.bootstrap import auc_of, brier_of, ece_of, paired_difference, resample_counts
from training.config import GateConfig, TierConfig, load_config
from training.evaluate import expected_calibration_error, precision_recall_at, tier_metrics
from training.fairness import (
    audit_attribute,
    fairness_audit,
    fdr_medium,
    fnr_high,
    for_high,
    fpr_medium,
    groups_too_small,
)
from training.model import tier_cutoffs
from vsv_model.risk_model import TierCutoffs

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


def test_the_keys_of_the_former_random_split_are_refused_with_what_replaced_them(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text("seed = 3\ntest_share = 0.25\ncalibration_share = 0.2\n")
    with pytest.raises(ValueError) as refused:
        load_config(path)
    message = str(refused.value)
    assert "test_share: the test set is now a cohort: set [temporal] test_share" in message
    assert "calibration_share: the calibration is now fitted out of fold" in message and "validation_share" not in message


def test_fairness_gate_fails_clear_disparities_but_not_noise():
    from training.config import GateConfig
    from training.fairness import fairness_failures

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


def test_a_ratio_from_a_handful_of_cases_is_not_refused():
    from training.intervals import rate_ratio

    # 1 of 100 cases against the rest's 5%: ratio 0.22 to the whole's 4.6%, but its 99% interval reaches above 0.5
    # (noise); the same rates over 5,000 cases lie wholly below it (real)
    assert rate_ratio(1, 100, 1 + 0.05 * 900, 1000, 0.99)[1] > 0.5
    assert rate_ratio(50, 5000, 50 + 0.05 * 45_000, 50_000, 0.99)[1] < 0.5


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




# --- the bootstrap -----------------------------------------------------------------------------------------

def test_bootstrap_metrics_on_all_ones_counts_are_the_plain_metrics():
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.3).astype(float)
    p = np.round(np.clip(0.3 + 0.4 * (y - 0.3) + rng.normal(0, 0.2, 500), 0, 1), 2)  # ties on purpose
    ones = np.ones((1, 500))
    assert auc_of(y, p, ones)[0] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert brier_of(y, p, ones)[0] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert ece_of(y, p, ones)[0] == pytest.approx(expected_calibration_error(y, p), abs=1e-12)


def test_bootstrap_counts_equal_the_resampled_rows():
    rng = np.random.default_rng(1)
    y, p = (rng.random(300) < 0.4).astype(float), rng.random(300)
    counts = resample_counts(300, 2, seed=5)
    assert (counts.sum(axis=1) == 300).all()
    rows = np.repeat(np.arange(300), counts[1].astype(int))
    assert auc_of(y, p, counts)[1] == pytest.approx(roc_auc_score(y[rows], p[rows]), abs=1e-12)


def test_a_paired_difference_of_a_model_with_itself_is_exactly_zero_and_a_worse_one_is_clear():
    rng = np.random.default_rng(2)
    y = (rng.random(2000) < 0.3).astype(float)
    good = np.clip(0.3 + 0.5 * (y - 0.3) + rng.normal(0, 0.15, 2000), 0.01, 0.99)
    same = paired_difference(y, good, good, 0.05, 200, 0.95, seed=0)
    assert same["roc_auc"] == {"difference": 0.0, "low": 0.0, "high": 0.0} and same["n"] == 2000
    noisy = np.clip(good + rng.normal(0, 0.3, 2000), 0.01, 0.99)
    worse = paired_difference(y, noisy, good, 0.05, 200, 0.95, seed=0)["roc_auc"]
    assert worse["high"] < 0 and worse["low"] < worse["difference"] < worse["high"]


def test_config_sections_for_the_temporal_design_search_and_gates(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text("[temporal]\nlabel_maturity = 'complete'\nfolds = 4\ntest_share = 0.2\n[search]\nnum_leaves = [7, 15]\n"
                    "[gates]\nmin_jaccard_high = 0.5\ngated_attributes = ['origin']\n")
    config = load_config(path)
    assert config.temporal.label_maturity == "complete" and config.temporal.folds == 4 and config.temporal.test_share == 0.2
    assert config.search.num_leaves == (7, 15) and config.gates.gated_attributes == ("origin",)
    path.write_text("[temporal]\nlabel_maturity = 'soon'\n")
    with pytest.raises(ValueError, match="temporal.label_maturity must be 'known' or 'complete', got 'soon'"):
        load_config(path)
    path.write_text("[temporal]\nfolds = 2\n")
    with pytest.raises(ValueError, match="temporal.folds must be at least 3"):
        load_config(path)
