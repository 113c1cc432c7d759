"""Every monitoring rule on a hand-made fixture with its value worked out by hand (no world, no model)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from monitoring.config import MonitorConfig, load_monitor_config
from monitoring.measures import (
    ALARM,
    LEVELS,
    WARN,
    capacity_findings,
    compared_spans,
    dispersion,
    expected_auc_finding,
    feature_drift,
    group_tier_drift,
    rate_findings,
    share_finding,
    status_of,
    unit_dispersions,
)
from training.profile import comparable_spans, feature_entry
from vsv_model.drift import (
    bin_counts,
    poisson_p_value,
    psi,
    psi_null_quantile,
    rate_ratio_p_value,
    seen_alike,
    seen_below,
    shares_of,
    two_proportion_z,
)
from vsv_model.expected_performance import estimate, expected_at_capacity, expected_auc
from vsv_model.feature_spec import FEATURES_BY_NAME, OPEN_LOOKBACK

CONFIG = MonitorConfig()


def test_psi_by_hand():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.25 (ln 2 + ln 1.5)
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.25, "b": 0.75}, 1000, 1000) == pytest.approx(0.25 * math.log(3.0), abs=1e-12)
    assert psi({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}, 1000, 1000) == 0.0
    # an empty reference bin counts half a youth: 0.5 / 100 = 0.005
    expected = (0.5 - 1.0) * math.log(0.5) + (0.5 - 0.005) * math.log(0.5 / 0.005)
    assert psi({"a": 1.0, "b": 0.0}, {"a": 0.5, "b": 0.5}, 100, 100) == pytest.approx(expected, abs=1e-12)


def test_the_null_guard_by_hand():
    # chi-square(1) 99.9% quantile 10.828 times (1/1000 + 1/1000)
    assert psi_null_quantile(2, 1000, 1000, 0.001) == pytest.approx(10.827566 * 0.002, rel=1e-6)
    assert psi_null_quantile(1, 1000, 1000, 0.001) == 0.0


def test_bins_are_closed_on_the_right_so_zero_is_a_bin_of_its_own():
    values = pd.Series([0, 0, 1, 2, 5, np.nan])
    assert bin_counts(values, None, [0.0, 1.0, 2.0]) == {"bin_0": 2, "bin_1": 1, "bin_2": 1, "bin_3": 1, "missing": 1}
    assert bin_counts(pd.Series(["a", "c", "a"]), ("a", "b"), None) == {"a": 2, "b": 0}
    assert shares_of({"x": 1, "y": 3}) == {"x": 0.25, "y": 0.75}


def one_feature_profile(n_ref: int) -> dict:
    """school_switches binned 0 | 1 | ... | 8 | >8, one tenth of the fit rows in each; 90% above zero."""
    shares = {f"bin_{k}": 0.1 for k in range(10)} | {"missing": 0.0}
    return {"bin_rule": "right_closed", "rows": n_ref, "rows_per_date": n_ref,
            "features": {"school_switches": {"edges": [float(k) for k in range(9)], "shares": shares, "missing": 0.0,
                                             "unknown": 0.0, "nonzero": 0.9}}}


def switches(n_per_tenth: float) -> pd.DataFrame:
    """9 / 1 / 5 x 8 twentieths of the youths in the ten bins (shares 0.18, 0.02, 0.1, ...)."""
    counts = [int(9 * n_per_tenth), int(1 * n_per_tenth)] + [int(5 * n_per_tenth)] * 8
    return pd.DataFrame({"school_switches": np.repeat(np.arange(10), counts)})


def test_a_psi_above_the_threshold_is_no_finding_in_a_small_sample_and_is_in_a_large_one():
    # PSI = 0.08 ln 1.8 + 0.08 ln 5 = 0.17578; by chance at n = 2000 / 50 and 9 df: 27.877 (1/2000 + 1/50) = 0.5715
    findings, table = feature_drift(one_feature_profile(2000), switches(1), CONFIG)
    assert table.loc[0, "psi"] == pytest.approx(0.08 * math.log(1.8) + 0.08 * math.log(5.0), abs=1e-9)
    assert table.loc[0, "psi_chance"] == pytest.approx(27.877161 * (1 / 2000 + 1 / 50), rel=1e-6)
    assert findings == []
    findings, table = feature_drift(one_feature_profile(2000), switches(100), CONFIG)  # 5,000 youths: chance 0.0195
    assert [(f.level, f.rule, f.subject) for f in findings] == [(WARN, "psi", "school_switches")]


def test_a_share_finding_needs_size_ratio_and_a_clear_test():
    # 30% -> 15% of 2,000 each: ratio 0.5 (alarm band), z = -0.15 / sqrt(0.225 * 0.775 * 2 / 2000) = -11.3
    assert two_proportion_z(0.15, 2000, 0.30, 2000) == pytest.approx(-0.15 / math.sqrt(0.225 * 0.775 * 0.001), rel=1e-12)
    finding = share_finding("absence_hours_52w", "above zero", 0.30, 0.15, 2000, 2000, CONFIG)
    assert (finding.level, finding.value) == (ALARM, 0.5)
    assert share_finding("x", "above zero", 0.30, 0.15, 20, 20, CONFIG) is None  # not clear at 20 youths
    assert share_finding("x", "missing", 0.001, 0.004, 10**6, 10**6, CONFIG) is None  # clear, x4, but only 0.3 points
    assert share_finding("x", "above zero", 0.30, 0.25, 10**6, 10**6, CONFIG) is None  # clear, but x0.83 only


def test_the_rate_tests_by_hand():
    assert poisson_p_value(0, 10.0) == pytest.approx(2 * math.exp(-10), rel=1e-9)
    # equal exposures: 0 of 10 reports on the current side is binomial(10, 1/2): twice 1/1024
    assert rate_ratio_p_value(0, 1.0, 10, 1.0) == pytest.approx(2 / 1024, rel=1e-9)
    assert rate_ratio_p_value(0, 1.0, 0, 1.0) == 1.0


def test_a_school_that_stops_reporting_alarms_and_a_small_school_is_not_judged():
    reference = pd.DataFrame({"school_id": ["A", "B", "C"], "municipality": ["Dordrecht"] * 3,
                              "reports": [100, 3, 100], "pupil_years": [10.0, 10.0, 10.0]})
    current = pd.DataFrame({"school_id": ["A", "B", "C"], "municipality": ["Dordrecht"] * 3,
                            "reports": [0, 0, 12], "pupil_years": [1.0, 1.0, 1.0]})
    findings, judged = rate_findings(reference, current, "school_id", "reporting_school", CONFIG)
    # A: 10 due, 0 sent; binomial(100, 1/11) at 0: (10/11)^100 = 7.3e-5, well under 0.001 / 2 schools judged
    # B: 0.3 due (< 5): not judged.  C: 12 against 10 due (x1.2): inside the bands
    assert judged["school_id"].tolist() == ["A", "C"]
    assert judged.set_index("school_id").loc["A", "expected"] == pytest.approx(10.0)
    assert [(f.level, f.subject) for f in findings] == [(ALARM, "A (Dordrecht)")]
    assert rate_ratio_p_value(0, 1.0, 100, 10.0) < CONFIG.significance / 2


def test_expected_auc_by_hand_on_four_youths():
    p = np.array([0.9, 0.6, 0.3, 0.1])
    # correct pairs: 0.9 (0.4 + 0.7 + 0.9) + 0.6 (0.7 + 0.9) + 0.3 (0.9) = 3.03; all pairs: sum p_i (2.1 - q_i) = 3.36
    assert expected_auc(p) == pytest.approx(3.03 / 3.36, abs=1e-12)
    # ties count half: scores 1, 1, 0, 0 -> 0.9 (1.6 + 0.2) + 0.6 (1.6 + 0.05) + 0.3 (0.45) + 0.1 (0.35) = 2.78
    assert expected_auc(p, np.array([1.0, 1.0, 0.0, 0.0])) == pytest.approx(2.78 / 3.36, abs=1e-12)


def test_expected_auc_equals_the_pairwise_sum_it_replaces():
    rng = np.random.default_rng(3)
    p, s = rng.uniform(0.01, 0.9, 60), rng.integers(0, 8, 60).astype(float)  # many ties
    num = den = 0.0
    for i in range(60):
        for j in range(60):
            if i != j:
                w = p[i] * (1 - p[j])
                den += w
                num += w * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
    assert expected_auc(p, s) == pytest.approx(num / den, abs=1e-12)


def test_expected_precision_recall_and_tier_rates_by_hand():
    p = np.array([0.9, 0.6, 0.3, 0.1])
    precision, recall = expected_at_capacity(p, 2)  # top two: 1.5 of an expected 1.9 outcomes
    assert (precision, recall) == (pytest.approx(0.75), pytest.approx(1.5 / 1.9))
    result = estimate(p, np.array(["high", "high", "medium", "low"], dtype=object), 0.5)
    assert result["capacity_k"] == 2 and result["tier_counts"] == {"low": 1, "medium": 1, "high": 2}
    assert result["expected_outcome_rate"] == {"low": pytest.approx(0.1), "medium": pytest.approx(0.3), "high": pytest.approx(0.75)}


def test_capacity_and_expected_auc_rules():
    # 140 youths for 100 places: +40% (alarm), beyond 3.29 sqrt(100); 112 is within the margin
    assert [(f.level, f.subject) for f in capacity_findings({"high": 140}, {"high": 100, "medium": None}, CONFIG)] == [(ALARM, "high")]
    assert capacity_findings({"high": 112}, {"high": 100}, CONFIG) == []
    assert [f.rule for f in expected_auc_finding(0.80, 0.76, CONFIG)] == ["expected_auc"]
    assert expected_auc_finding(0.80, 0.78, CONFIG) == []


def test_status_and_exit_codes():
    assert status_of([]) == "ok" and LEVELS["ok"] == 0
    warn = share_finding("x", "above zero", 0.30, 0.18, 10**6, 10**6, CONFIG)  # x0.6: warn band
    alarm = share_finding("x", "above zero", 0.30, 0.10, 10**6, 10**6, CONFIG)
    assert status_of([warn]) == WARN and LEVELS[WARN] == 1
    assert status_of([warn, alarm]) == ALARM and LEVELS[ALARM] == 2


def test_the_monitor_section_is_read_and_unknown_keys_are_refused(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text("[temporal]\nfolds = 5\n[monitor]\npsi_warn = 0.05\n")
    assert load_monitor_config(path).psi_warn == 0.05 and load_monitor_config(None) == MonitorConfig()
    path.write_text("[monitor]\npsi_warning = 0.05\n")
    with pytest.raises(ValueError, match="psi_warning"):
        load_monitor_config(path)
    with pytest.raises(ValueError, match="psi_warn"):
        MonitorConfig(psi_warn=0.3, psi_alarm=0.2)


def test_the_reports_overdispersion_by_hand():
    # A: 10 and 30 reports in equal years (mean 20): (10^2 + 10^2) / 20 = 10 on 1 df; B: 20 and 20: 0 on 1 df
    per_date = pd.DataFrame({"school_id": ["A", "A", "B", "B"], "date": [0, 1, 0, 1], "reports": [10, 30, 20, 20],
                             "pupil_years": [1.0, 1.0, 1.0, 1.0]})
    assert dispersion(per_date, "school_id", 5) == pytest.approx(5.0)
    assert dispersion(per_date[per_date["school_id"] == "B"], "school_id", 5) == 1.0  # never below Poisson
    # with dispersion 5, school A of the reference (100 reports in 10 years) sending 0 where 10 were due is no
    # longer clear: 0 of 20 effective reports at 1/11 has p = 2 x (10/11)^20 > 0.001 / 2
    reference = pd.DataFrame({"school_id": ["A", "C"], "municipality": ["Dordrecht"] * 2, "reports": [100, 100],
                              "pupil_years": [10.0, 10.0]})
    current = pd.DataFrame({"school_id": ["A", "C"], "municipality": ["Dordrecht"] * 2, "reports": [0, 12],
                            "pupil_years": [1.0, 1.0]})
    findings, judged = rate_findings(reference, current, "school_id", "reporting_school", CONFIG, 5.0)
    assert findings == [] and judged["dispersion"].tolist() == [5.0, 5.0]


def test_a_unit_whose_own_years_varied_more_is_judged_with_the_mean_of_its_spread_and_the_pools():
    # the pool: (10^2 + 10^2) / 20 = 10 for A and 0 for B on 2 df: 5. A's own: 10, so (5 + 10) / 2 = 7.5;
    # B's own 0 is below the pool's, so B keeps 5. C (4 reports a year) is under 5 a year: not in the reference's
    per_date = pd.DataFrame({"school_id": ["A", "A", "B", "B", "C", "C"], "date": [0, 1] * 3,
                             "reports": [10, 30, 20, 20, 2, 6], "pupil_years": [1.0] * 6})
    assert unit_dispersions(per_date, "school_id", 5) == (pytest.approx(5.0), {"A": 7.5, "B": 5.0})
    # each sends 2 where 20 were due (x0.1): A's counts are divided by 7.5 (0 and 27 effective), B's and C's by the
    # pool's 5 (C has no years of its own in the reference): 0 and 40
    reference = pd.DataFrame({"school_id": ["A", "B", "C"], "municipality": ["Dordrecht"] * 3,
                              "reports": [200, 200, 200], "pupil_years": [10.0] * 3})
    current = pd.DataFrame({"school_id": ["A", "B", "C"], "municipality": ["Dordrecht"] * 3, "reports": [2, 2, 2],
                            "pupil_years": [1.0] * 3})
    _, judged = rate_findings(reference, current, "school_id", "reporting_school", CONFIG,
                              *unit_dispersions(per_date, "school_id", 5))
    assert judged["dispersion"].tolist() == [7.5, 5.0, 5.0]
    assert judged["p_value"].tolist() == pytest.approx([minlike(27), minlike(40), minlike(40)], rel=1e-9)


def minlike(reference: int) -> float:
    """The exact two-sided p of 0 current reports of `reference` + 0 when the current exposure is 1 of 11: the
    chances of all totals no likelier than 0, summed (the binomial's own sum, by hand)."""
    n, p = reference, 1 / 11
    terms = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    return sum(t for t in terms if t <= terms[0] * (1 + 1e-7))


def test_one_category_that_grows_by_half_is_found_though_the_psi_is_small():
    """current_education: mbo-1 from 6% to 9.5% of 2,250 youths (x1.58, z = 4.4 > 3.99, the two-sided 0.001 / 15
    level: all 15 categories hold at least 1%), the rest in proportion: PSI 0.02, under any threshold; the
    category's share is found."""
    from vsv_model.feature_spec import FEATURES_BY_NAME

    categories = FEATURES_BY_NAME["current_education"].categories
    reference = {c: 0.94 / (len(categories) - 1) for c in categories} | {"mbo-1": 0.06}
    counts = {c: round(2250 * 0.905 / (len(categories) - 1)) for c in categories} | {"mbo-1": round(2250 * 0.095)}
    profile = {"bin_rule": "right_closed", "rows": 2250, "rows_per_date": 2250,
               "features": {"current_education": {"edges": None, "shares": reference, "missing": 0.0,
                                                  "unknown": reference["onbekend"],
                                                  "nonzero": None}}}
    values = pd.Series(np.repeat(list(counts), list(counts.values())))
    findings, table = feature_drift(profile, pd.DataFrame({"current_education": values}), CONFIG)
    assert table.loc[0, "psi"] < 0.025
    assert [(f.level, f.rule, f.message.split(" against")[0]) for f in findings] == [
        (WARN, "share", f"share 'mbo-1' {counts['mbo-1'] / len(values):.1%}")]


def test_a_group_that_drifts_into_high_is_found_and_the_others_and_small_groups_are_not():
    # At training (one date of 1,000 rows): both genders 5% high, 5% medium. Now: 'm' unchanged (25 high, 25
    # medium of 500); 'v' 100 high and 25 medium of 500 (20% high: x4; 25% high or medium: x2.5); 'x' has 50 youths,
    # all high, and is too small to judge (min_group_size 100).
    level = {"low": 0.90, "medium": 0.05, "high": 0.05}
    profile = {"rows": 1000, "rows_per_date": 1000,
               "groups": {"gender": {"m": {"n": 500, **level}, "v": {"n": 500, **level}, "x": {"n": 50, **level}}}}
    tiers = np.array(["high"] * 25 + ["medium"] * 25 + ["low"] * 450 + ["high"] * 100 + ["medium"] * 25
                     + ["low"] * 375 + ["high"] * 50)
    groups = pd.DataFrame({"gender": ["m"] * 500 + ["v"] * 500 + ["x"] * 50})
    findings, table = group_tier_drift(profile, groups, tiers, MonitorConfig())
    assert [(f.level, f.rule, f.subject, round(f.value, 3)) for f in findings] == [
        ("alarm", "group_tiers", "gender=v", 4.0), ("alarm", "group_tiers", "gender=v", 2.5)]
    assert findings[0].message == "share in high 20.0% against 5.0% at training (x4.00)"
    shares = table.set_index(["group", "tiers"])
    assert shares.loc[("x", "high"), "share"] == 1.0 and shares.loc[("m", "high or medium"), "share"] == 0.1
    assert shares.loc[("v", "high or medium"), "reference"] == pytest.approx(0.10)


def test_the_share_without_school_records_is_shown_per_group_and_a_group_that_gains_the_gap_is_found():
    # At training: 2% of 'europa' and 2% of 'nederland' had no school record. Now: 'nederland' 10 of 500 (2%, as
    # before), 'buiten_europa' 60 of 500 (12%: x6 against 2%), and a profile without the share ('onbekend', an old
    # model) is shown but not judged.
    level = {"low": 1.0, "medium": 0.0, "high": 0.0}
    profile = {"rows": 1000, "rows_per_date": 1000, "groups": {"origin": {
        "nederland": {"n": 500, **level, "no_school_records": 0.02},
        "buiten_europa": {"n": 500, **level, "no_school_records": 0.02},
        "onbekend": {"n": 500, **level}}}}
    groups = pd.DataFrame({"origin": ["nederland"] * 500 + ["buiten_europa"] * 500 + ["onbekend"] * 500})
    gap = np.r_[np.arange(500) < 10, np.arange(500) < 60, np.arange(500) < 5]
    findings, table = group_tier_drift(profile, groups, np.array(["low"] * 1500), MonitorConfig(), gap)
    assert [(f.level, f.subject, f.message.split(" against")[0]) for f in findings] == [
        ("alarm", "origin=buiten_europa", "share in without school records 12.0%")]
    gaps = table[table["tiers"] == "without school records"].set_index("group")
    assert gaps["share"].to_dict() == {"buiten_europa": 0.12, "nederland": 0.02, "onbekend": 0.01}
    assert gaps.loc["nederland", "reference"] == 0.02 and np.isnan(gaps.loc["onbekend", "reference"])


def test_the_span_every_fit_date_sees_in_full_by_hand():
    # the world's first report is dated 2012-08-03; 2014-10-01 lies 789 days later: 112 whole weeks
    look = OPEN_LOOKBACK["weeks_since_last_report"]
    assert look.seen_in_full(dt.date(2014, 10, 1), dt.date(2012, 8, 3)) == 112
    assert comparable_spans(["2020-10-01", "2014-10-01"], {"absence_reports": "2012-08-03"}) == {"weeks_since_last_report": 112}
    assert comparable_spans(["2014-10-01"], {}) == {}  # no report at all: nothing to cut
    # 111 weeks at 2014-10-01: the latest report lies at most 783 days back, after the first record: kept. 112 weeks
    # may be a report before the registrations began, which that date could not see: none, at every date.
    weeks = pd.Series([0.0, 111.0, 112.0, 700.0, np.nan])
    assert seen_below(weeks, 112).isna().tolist() == [False, False, True, True, True]
    assert seen_below(weeks, None) is weeks


def test_weeks_since_the_last_report_is_compared_over_what_every_date_can_see():
    """The fit rows of 2014 cannot see a report more than 112 weeks back, those of 2020 can (300 weeks), the year
    monitored sees 500 weeks back: the data's start moving away. Cut at the span on both sides, nothing changed."""
    nan = np.nan
    at_2014 = [nan] * 500 + [10.0] * 250 + [100.0] * 250
    at_2020 = [nan] * 400 + [10.0] * 250 + [100.0] * 250 + [300.0] * 100
    fit = pd.Series(at_2014 + at_2020)
    now = pd.DataFrame({"weeks_since_last_report": [nan] * 300 + [10.0] * 250 + [100.0] * 250 + [500.0] * 200})
    spec = FEATURES_BY_NAME["weeks_since_last_report"]

    def profile(entry: dict) -> dict:
        return {"bin_rule": "right_closed", "rows": len(fit), "rows_per_date": len(fit) / 2,
                "features": {spec.name: entry}}

    findings, table = feature_drift(profile(feature_entry(fit, spec)), now, CONFIG)  # every value compared
    assert table.loc[0, "psi"] > CONFIG.psi_warn and {f.rule for f in findings} == {"psi", "share"}
    entry = feature_entry(fit, spec, span=112)  # 2014 and 2020 alike: half never reported within 112 weeks
    assert (entry["compared_below"], entry["missing"], entry["nonzero"]) == (112, 0.5, 0.5)
    findings, table = feature_drift(profile(entry), now, CONFIG)
    assert findings == [] and table.loc[0, "psi"] == 0.0 and table.loc[0, "compared_below"] == 112
    moved = now.assign(weeks_since_last_report=[nan] * 300 + [10.0] * 500 + [500.0] * 200)  # recent reports doubled
    findings, _ = feature_drift(profile(entry), moved, CONFIG)
    assert ("psi", spec.name) in {(f.rule, f.subject) for f in findings}  # a change the span can see is still found


def test_the_explanation_reads_every_feature_cut_at_the_profiles_spans():
    profile = {"features": {"weeks_since_last_report": {"compared_below": 112}, "age": {"edges": [20.0]}}}
    assert compared_spans(profile) == {"weeks_since_last_report": 112}
    frame = pd.DataFrame({"age": [19, 22], "weeks_since_last_report": [3.0, 300.0]})
    cut = seen_alike(frame, compared_spans(profile))
    assert cut["age"].tolist() == [19, 22] and cut["weeks_since_last_report"].tolist()[0] == 3.0
    assert np.isnan(cut["weeks_since_last_report"].iloc[1]) and frame["weeks_since_last_report"].iloc[1] == 300.0
    assert seen_alike(frame, {}) is frame
