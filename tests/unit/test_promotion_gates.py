"""Every promotion gate judges an interval: hand-made figures on each side of each gate's bound give its three
verdicts (pass: the interval within; undecided: it straddles the bound, and passes; refuse: wholly beyond)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from training.bootstrap import basic_interval, ece_of, interval, intervals, resample_counts
from training.config import GateConfig
from training.evaluate import expected_calibration_error
from training.fairness import (
    DENOMINATORS,
    RATE_METRICS,
    fairness_failures,
    fairness_undecided,
    groups_too_small,
    ratio_intervals,
)
from training.group_calibration import offsets_undecided
from training.intervals import difference, rate_ratio, share_ratio, wilson
from training.promote import (
    PASS,
    REFUSE,
    UNDECIDED,
    Gate,
    at_least,
    at_most,
    baseline_gate,
    calibration_gate,
    comparison_gates,
    own_gates,
    stability_gate,
    tiers_gate,
)

GATES = GateConfig()


def test_an_interval_is_refused_only_when_it_lies_wholly_beyond_the_bound():
    assert [at_most(lo, hi, 0.03) for lo, hi in ((0.01, 0.03), (0.02, 0.04), (0.03, 0.05), (0.0301, 0.05))] == [
        PASS, UNDECIDED, UNDECIDED, REFUSE]
    assert [at_least(lo, hi, 0.6) for lo, hi in ((0.6, 0.8), (0.5, 0.7), (0.4, 0.6), (0.4, 0.5999))] == [
        PASS, UNDECIDED, UNDECIDED, REFUSE]
    assert Gate("x", UNDECIDED, "").passed and not Gate("x", REFUSE, "").passed


def comparison(auc: tuple[float, float], brier: tuple[float, float]) -> dict:
    return {"n": 500, "roc_auc": {"difference": sum(auc) / 2, "low": auc[0], "high": auc[1]},
            "brier": {"difference": sum(brier) / 2, "low": brier[0], "high": brier[1]}}


@pytest.mark.parametrize(("auc", "brier", "verdicts"), [
    ((-0.004, 0.006), (-0.002, 0.002), (PASS, PASS)),          # AUC no lower than -0.005, Brier no higher than +0.002
    ((-0.009, 0.001), (-0.001, 0.003), (UNDECIDED, UNDECIDED)),  # straddling -0.005 and +0.002
    ((-0.012, -0.0051), (0.0021, 0.004), (REFUSE, REFUSE)),     # wholly below -0.005, wholly above +0.002
])
def test_the_auc_and_brier_gates_judge_the_paired_interval(auc, brier, verdicts):
    assert tuple(g.verdict for g in comparison_gates(comparison(auc, brier), GATES)) == verdicts


@pytest.mark.parametrize(("low", "high", "verdict"), [(0.010, 0.028, PASS), (0.012, 0.079, UNDECIDED), (0.031, 0.09, REFUSE)])
def test_the_calibration_gate_judges_the_ece_interval(low, high, verdict):
    # the 40,000-youth world's refusal: a point ECE of 0.060 beyond 0.03, its interval for the error [0.012, 0.079]
    gate = calibration_gate({"ece": 0.060, "ece_low": low, "ece_high": high}, GATES)
    assert gate.verdict == verdict and "expected calibration error 0.0600" in gate.detail


def test_the_ece_interval_is_the_basic_one_and_holds_a_calibrated_models_error():
    # draws lying above the estimate by the bias: reflected about the estimate, at least 0
    draws = np.linspace(0.05, 0.09, 401)
    low, high = basic_interval(0.06, draws, 0.95)
    assert (low, high) == pytest.approx((2 * 0.06 - np.quantile(draws, 0.975), 2 * 0.06 - np.quantile(draws, 0.025)))
    assert basic_interval(0.01, draws, 0.95)[0] == 0.0
    # a perfectly calibrated model on 350 youths (y drawn from p itself): its ECE estimate 0.056 lies beyond 0.03 and
    # so would the percentile interval [0.045, 0.107]; the interval for the error itself reaches below it
    rng = np.random.default_rng(5)
    p = np.where(rng.random(350) < 0.72, rng.beta(1.2, 6, 350), rng.beta(6, 1.0, 350))
    y = (rng.random(350) < p).astype(float)
    assert expected_calibration_error(y, p) == pytest.approx(0.0556, abs=1e-4)
    assert interval(ece_of(y, p, resample_counts(350, 500, 0)), 0.95)[0] > GATES.max_ece
    found = intervals(y, p, 0.05, 500, 0.95, seed=0)
    assert found["ece_low"] < GATES.max_ece < found["ece_high"]


def tier_metrics(rows: dict[str, tuple[int, int]], youths: int) -> dict:
    """(outcomes, youths) per tier as the evaluation's metrics: share of the test youths and outcome rate."""
    out = {}
    for tier, (k, n) in rows.items():
        out[f"share_{tier}"], out[f"outcome_rate_{tier}"] = n / youths, (k / n if n else math.nan)
    return out


def test_the_difference_of_two_rates_by_hand():
    # Agresti-Caffo: (45 + 1) / 52 - (90 + 1) / 152 = 0.285931, se sqrt(0.884615 * 0.115385 / 52 + 0.598684 * 0.401316
    # / 152) = 0.059528, times 1.959964
    assert difference(45, 50, 90, 150, 0.95) == pytest.approx((0.285931 - 0.116673, 0.285931 + 0.116673), abs=1e-5)
    assert difference(1, 0, 3, 10, 0.95) == (-1.0, 1.0)


@pytest.mark.parametrize(("rows", "verdict"), [
    ({"low": (200, 800), "medium": (90, 150), "high": (45, 50)}, PASS),      # 0.25 < 0.60 < 0.90, each clearly
    ({"low": (200, 800), "medium": (90, 150), "high": (5, 10)}, UNDECIDED),  # 0.50 of 10 after 0.60 of 150: not clear
    ({"low": (200, 800), "medium": (90, 150), "high": (10, 50)}, REFUSE),    # 0.20 after 0.60: clearly falling
])
def test_the_tiers_gate_judges_each_pair_of_adjacent_tiers(rows, verdict):
    youths = sum(n for _, n in rows.values())
    assert tiers_gate(tier_metrics(rows, youths), youths, GATES).verdict == verdict


def test_a_tier_without_test_youths_is_shown_not_judged():
    rows = {"low": (0, 0), "medium": (90, 150), "high": (45, 50)}
    gate = tiers_gate(tier_metrics(rows, 200), 200, GATES)
    assert (gate.verdict, gate.not_judged) == (PASS, ("tier low (no test youth)",))
    assert "low none" in gate.detail and "high - medium +0.300" in gate.detail


def test_wilson_and_the_ratio_of_two_shares_by_hand():
    # Wilson, 0 of 10: centre = half = (1.96^2 / 20) / (1 + 1.96^2 / 10) = 0.13877, so [0, 0.2775]
    assert wilson(0, 10, 0.95) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson(3, 0, 0.95) == (0.0, 1.0)
    low, high = share_ratio(0, 40, 100, 1000, 0.99)  # a rate of 0 against 0.1: MOVER-R still has an upper end
    assert low == 0.0 and 0.5 < high < 1.5
    assert share_ratio(5, 50, 0, 100, 0.95)[1] == math.inf
    assert rate_ratio(30, 100, 30, 100, 0.99) == (1.0, 1.0)  # the group is the whole
    assert all(math.isnan(v) for v in rate_ratio(0, 0, 30, 100, 0.99))


def fairness_audit_of(groups: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """An audit of `origin` where every error rate of group g is k of n cases (same for all five rates), with the
    overall row summed; ratios to the overall rate."""
    total_k, total_n = sum(k for k, _ in groups.values()), sum(n for _, n in groups.values())
    rows = []
    for group, (k, n) in {**groups, "overall": (total_k, total_n)}.items():
        row = {"attribute": "origin", "group": group, "n": 10 * n}
        for metric in RATE_METRICS:
            row[metric], row[DENOMINATORS[metric]] = k / n, n
            row[f"{metric}_ratio"] = (k / n) / (total_k / total_n)
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("k", "n", "verdict"), [
    (60, 400, PASS),        # 0.15 as the rest's 0.15: ratio 1.00 [0.75, 1.30], within [0.5, 2]
    (12, 40, UNDECIDED),    # 0.30 of 40 cases: ratio 1.96 [1.01, 3.27] straddles 2
    (24, 40, REFUSE),       # 0.60 of 40 cases: ratio 3.78 [2.54, 4.92], wholly above 2
    (200, 400, REFUSE),     # 0.50 of 400 against the whole's 0.21: ratio 2.40 [2.13, 2.67]
    (0, 400, REFUSE),       # no case of 400: [0, 0.13], wholly below 0.5
    (0, 15, UNDECIDED),     # no case of 15: [0, 2.05], could be chance
])
def test_the_fairness_gate_judges_each_ratio_interval(k, n, verdict):
    audit = fairness_audit_of({"A": (k, n), "B": (300, 2000)})
    table = ratio_intervals(audit, GateConfig(gated_attributes=("origin",), min_group_size=1))
    a = table[table["group"] == "A"]
    assert len(a) == len(RATE_METRICS) and set(a["verdict"]) == {verdict}
    lists = {REFUSE: fairness_failures, UNDECIDED: fairness_undecided}
    for which, listed in lists.items():
        named = [line for line in listed(audit, GateConfig(gated_attributes=("origin",), min_group_size=1))
                 if line.startswith("origin=A:")]
        assert len(named) == (len(RATE_METRICS) if which == verdict else 0)


def test_a_small_group_is_shown_not_judged_by_the_fairness_gate():
    audit = fairness_audit_of({"A": (0, 400), "B": (300, 2000)})  # A: 4,000 youths, B: 20,000
    gates = GateConfig(gated_attributes=("origin",), min_group_size=5000)
    assert set(ratio_intervals(audit, gates)["group"]) == {"B"} and fairness_failures(audit, gates) == []
    assert groups_too_small(audit, gates) == ["origin=A (n=4000)"]


def test_the_stability_gate_judges_each_share_with_its_interval():
    figures = {"youths": 1000, "jaccard_high": 0.8, "high_both": 80, "high_either": 100, "jaccard_high_medium": 0.85,
               "high_medium_both": 255, "high_medium_either": 300, "route_change_share": 0.15, "route_changes": 150,
               "top_reason_change_share": 0.2, "top_reason_changes": 200}
    assert stability_gate(figures, GATES).verdict == PASS  # 80 of 100: [0.711, 0.867] above 0.6
    assert "Jaccard high 0.800 [0.711, 0.867] (min 0.6)" in stability_gate(figures, GATES).detail
    small = figures | {"jaccard_high": 0.55, "high_both": 11, "high_either": 20}  # 11 of 20: [0.34, 0.74]
    assert stability_gate(small, GATES).verdict == UNDECIDED
    churn = figures | {"route_change_share": 0.25, "route_changes": 250}  # 250 of 1,000: [0.224, 0.278] above 0.2
    assert stability_gate(churn, GATES).verdict == REFUSE
    nobody = figures | {"jaccard_high": 1.0, "high_both": 0, "high_either": 0}  # no high tier in either list
    assert stability_gate(nobody, GATES).verdict == PASS


def test_the_baseline_gate_judges_the_paired_interval():
    def verdict(low, high):
        key = "lightgbm_minus_spline_logistic.roc_auc_"
        return baseline_gate({f"{key}low": low, f"{key}high": high, f"{key}difference": (low + high) / 2}).verdict

    assert (verdict(0.002, 0.01), verdict(-0.004, 0.006), verdict(-0.01, -0.001)) == (PASS, UNDECIDED, REFUSE)


def test_the_per_group_calibration_gate_shows_the_straddling_groups():
    from tests.unit.test_group_calibration import hand_audit

    # B: +0.40 +- 2.935 x 0.1 = [+0.11, +0.69] straddles 0.2; A and E lie wholly beyond it
    gates = GateConfig(gated_attributes=("origin",), max_calibration_offset=0.2)
    assert offsets_undecided(hand_audit(), gates) == ["origin=B: +0.40 [+0.11, +0.69]"]


def test_the_challengers_own_gates_from_one_evaluation():
    metrics = {"ece": 0.06, "ece_low": 0.012, "ece_high": 0.079} | tier_metrics(
        {"low": (200, 800), "medium": (90, 150), "high": (45, 50)}, 1000)
    offsets = pd.DataFrame({"attribute": ["origin"], "group": ["A"], "label": ["origin=A"], "rows": [800],
                            "youths": [400], "observed_expected": [1.0], "delta": [0.05], "delta_se": [0.05]})
    evaluation = SimpleNamespace(metrics=metrics, probability=np.zeros(1000),
                                 audit=fairness_audit_of({"A": (60, 400), "B": (300, 2000)}).assign(n=1000),
                                 group_calibration=offsets)
    gates = GateConfig(gated_attributes=("origin",), max_calibration_offset=0.2)  # A: +0.05 +- 0.15 lies within 0.2
    found = {g.name: g.verdict for g in own_gates(evaluation, gates)}
    assert found == {"calibration": UNDECIDED, "tiers_rising": PASS, "fairness": PASS, "calibration_by_group": PASS}
