"""Calibration per group as a log-odds offset: the offset and its interval by hand, the groups crossed with the
current education and the kind of row, and the gate that judges the interval: found, not found, not judged."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training.config import GateConfig
from training.group_calibration import (
    audited_groups,
    calibration_audit,
    calibration_offsets,
    education_group,
    event_kind,
    offset_failures,
    offsets_too_small,
)

Z95 = 1.959963984540054


def test_the_offset_its_interval_and_z_by_hand():
    """With one p per group the MLE is closed: logit(outcome rate) - logit(p), and the Fisher information is
    n * rate * (1 - rate). a: p 0.5, 3 of 4 -> delta log 3, information 0.75. b: p 0.2, 2 of 5 -> delta
    logit 0.4 - logit 0.2 = log(8/3), information 1.2; the score's squares sum to the information too."""
    y = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0])
    p = np.array([0.5] * 4 + [0.2] * 5)
    table = calibration_offsets(y, p, pd.Series(list("aaaabbbbb"))).set_index("group")
    delta = {"a": math.log(3), "b": math.log(8 / 3)}
    se = {"a": 1 / math.sqrt(0.75), "b": 1 / math.sqrt(1.2)}
    for g in "ab":
        assert table.loc[g, "delta"] == pytest.approx(delta[g], abs=1e-6)
        assert table.loc[g, "delta_se"] == pytest.approx(se[g], abs=1e-6)
        assert table.loc[g, "delta_low"] == pytest.approx(delta[g] - Z95 * se[g], abs=1e-6)
        assert table.loc[g, "delta_high"] == pytest.approx(delta[g] + Z95 * se[g], abs=1e-6)
        assert table.loc[g, "delta_z"] == pytest.approx(delta[g] / se[g], abs=1e-6)
    assert table.loc["a", "delta_p_value"] == pytest.approx(0.3413875, abs=1e-6)  # 2 * (1 - Phi(0.951427))
    assert table["observed_expected"].tolist() == pytest.approx([1.5, 2.0])


def test_a_youth_with_several_rows_is_one_cluster():
    """a again, but the first two rows are one youth: its summed score 0.25 + 0.25 counts squared, so the variance is
    (0.5^2 + 0.25^2 + 0.75^2) / 0.75^2 = 0.875 / 0.5625, not 1 / 0.75; delta itself does not change."""
    table = calibration_offsets(np.array([1, 1, 1, 0]), np.full(4, 0.5), pd.Series(list("aaaa")),
                                clusters=np.array(["x", "x", "y", "z"]))
    assert table.loc[0, "delta"] == pytest.approx(math.log(3), abs=1e-6)
    assert table.loc[0, "delta_se"] == pytest.approx(math.sqrt(0.875 / 0.5625), abs=1e-6)
    assert (table.loc[0, "rows"], table.loc[0, "youths"]) == (4, 3)


def test_unequal_probabilities_solve_the_score_equation():
    """No closed form: at the MLE the group's outcomes equal the sum of the shifted probabilities."""
    p = np.array([0.1, 0.3, 0.6, 0.8, 0.45])
    y = np.array([1, 0, 1, 1, 1])
    delta = calibration_offsets(y, p, pd.Series(["g"] * 5)).loc[0, "delta"]
    shifted = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + delta)))
    assert shifted.sum() == pytest.approx(4.0, abs=1e-9)
    assert delta > 0


def test_a_group_of_one_outcome_has_no_finite_offset():
    table = calibration_offsets(np.array([0, 0, 1, 0]), np.full(4, 0.3), pd.Series(["a", "a", "b", "b"]))
    assert np.isnan(table.loc[0, "delta"]) and np.isfinite(table.loc[1, "delta"])


def tiny_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "gender": ["M", "V", "V", "M", "X"],
        "origin": ["buiten_europa", "buiten_europa", "nederland", "europa", "nederland"],
        "enrolled": [1, 1, 1, 0, 1],
        "current_education": ["mbo-2", "havo", "isk", "geen", "vavo"],
    })


def test_the_education_group_from_enrolment_and_current_education():
    assert education_group(tiny_frame()).tolist() == ["mbo", "vo", "other", "not_enrolled", "vo"]


def test_every_attribute_alone_and_crossed_with_the_education_group():
    groups = audited_groups(tiny_frame(), ("gender", "origin"))
    assert list(groups) == ["gender", "origin", "gender & education", "origin & education"]
    assert groups["origin & education"].tolist() == ["buiten_europa & mbo", "buiten_europa & vo", "nederland & other",
                                                      "europa & not_enrolled", "nederland & vo"]
    audit = calibration_audit(tiny_frame(), np.array([1, 0, 1, 0, 1]), np.full(5, 0.5), ("origin",))
    assert audit["label"].tolist() == ["origin=buiten_europa", "origin=europa", "origin=nederland",
                                       "origin=buiten_europa & education=mbo", "origin=buiten_europa & education=vo",
                                       "origin=europa & education=not_enrolled", "origin=nederland & education=other",
                                       "origin=nederland & education=vo"]
    assert audit["rows"].tolist() == [2, 1, 2, 1, 1, 1, 1, 1]


def test_the_kind_of_row_is_one_more_crossing_when_the_rows_carry_it():
    frame = tiny_frame().assign(kind=["stock", "report_first", "stock", "new_leaver", "report_repeat"])
    groups = audited_groups(frame, ("origin",))
    assert list(groups) == ["origin", "origin & education", "origin & kind"]
    assert groups["origin & kind"].tolist() == ["buiten_europa & stock", "buiten_europa & report_first",
                                                "nederland & stock", "europa & new_leaver", "nederland & report_repeat"]
    audit = calibration_audit(frame, np.array([1, 0, 1, 0, 1]), np.full(5, 0.5), ("origin",))
    assert "origin=europa & kind=new_leaver" in audit["label"].tolist()


def test_a_crossing_that_is_absent_or_splits_nothing_adds_no_groups():
    """Without a kind column, or with the yearly stock only, `origin & kind` would copy `origin`: left out, so the
    Bonferroni family does not grow."""
    assert event_kind(tiny_frame()) is None
    assert list(audited_groups(tiny_frame(), ("origin",))) == ["origin", "origin & education"]
    stock_only = tiny_frame().assign(kind="stock")
    assert list(audited_groups(stock_only, ("origin",))) == ["origin", "origin & education"]


def test_another_crossing_column_is_one_more_entry():
    crossings = {"status": lambda f: pd.Series(np.where(f["enrolled"] == 1, "in", "out"), index=f.index)}
    assert audited_groups(tiny_frame(), ("gender",), crossings)["gender & status"].tolist() == [
        "M & in", "V & in", "V & in", "M & out", "X & in"]


def hand_audit() -> pd.DataFrame:
    """A: delta 0.8, B: 0.4, E: -0.7, all se 0.1 and judged (Bonferroni over 3: z 2.935); C too small; a gender
    group outside the gated attributes."""
    rows = [("origin", "A", 300, 0.8), ("origin", "B", 300, 0.4), ("origin", "C", 50, 2.0),
            ("origin & education", "E & mbo", 200, -0.7), ("gender", "V", 900, 3.0)]
    return pd.DataFrame([{"attribute": a, "group": g, "label": f"{a}={g}" if "&" not in a else "origin=E & education=mbo",
                          "rows": 2 * n, "youths": n, "observed_expected": 1.0, "delta": d, "delta_se": 0.1}
                         for a, g, n, d in rows])


def test_the_gate_refuses_an_interval_beyond_the_bound_and_passes_one_that_straddles_it():
    gates = GateConfig(gated_attributes=("origin",), max_calibration_offset=0.2)
    assert offset_failures(hand_audit(), gates) == [
        "origin=A: log-odds offset +0.80 [+0.51, +1.09] (99.67% interval, Bonferroni over 3 groups) beyond +-0.2 over 300 "
        "youths (600 rows; observed/expected 1.00): the model underestimates the group's risk",
        "origin=E & education=mbo: log-odds offset -0.70 [-0.99, -0.41] (99.67% interval, Bonferroni over 3 groups) "
        "beyond +-0.2 over 200 youths (400 rows; observed/expected 1.00): the model overestimates the group's risk"]
    assert offsets_too_small(hand_audit(), gates) == ["origin=C (n=50)"]


def test_a_wider_bound_lets_the_straddling_intervals_pass():
    """A's interval [0.51, 1.09] straddles 0.6; E's [-0.99, -0.41] straddles -0.6."""
    assert offset_failures(hand_audit(), GateConfig(gated_attributes=("origin",), max_calibration_offset=0.6)) == []


def test_a_negative_bound_is_refused():
    with pytest.raises(ValueError, match="max_calibration_offset must be at least 0"):
        GateConfig(max_calibration_offset=-0.1)


def boundary_audit() -> pd.DataFrame:
    """Three judged groups, all se 0.1: Bonferroni over 3 at family-wise 0.01 gives z = 2.935199, a half-width of
    0.2935. up: delta +0.40, its interval [+0.1065, +0.6935] lies beyond +0.1 (found); near: +0.39, [+0.0965, ...]
    reaches into the bound (not found); down: -0.40, [..., -0.1065] beyond -0.1 (found). Not judged: small (99
    youths, under min_group_size 100) and one (500 youths, one outcome only: no finite offset)."""
    rows = [("up", 300, 0.40), ("near", 300, 0.39), ("down", 200, -0.40), ("small", 99, 3.0), ("one", 500, np.nan)]
    return pd.DataFrame([{"attribute": "origin", "group": g, "label": f"origin={g}", "rows": 2 * n, "youths": n,
                          "observed_expected": 1.0, "delta": d, "delta_se": 0.1} for g, n, d in rows])


def test_the_default_gate_finds_an_interval_just_beyond_the_bound_and_not_one_that_reaches_it():
    gates = GateConfig(gated_attributes=("origin",))
    assert gates.max_calibration_offset == 0.1
    assert offset_failures(boundary_audit(), gates) == [
        "origin=up: log-odds offset +0.40 [+0.11, +0.69] (99.67% interval, Bonferroni over 3 groups) beyond +-0.1 over "
        "300 youths (600 rows; observed/expected 1.00): the model underestimates the group's risk",
        "origin=down: log-odds offset -0.40 [-0.69, -0.11] (99.67% interval, Bonferroni over 3 groups) beyond +-0.1 "
        "over 200 youths (400 rows; observed/expected 1.00): the model overestimates the group's risk"]


def test_small_and_one_outcome_groups_are_shown_not_judged():
    """Neither counts in the Bonferroni family (3 groups, not 5), and a huge offset of a small group fails nothing."""
    gates = GateConfig(gated_attributes=("origin",))
    assert offsets_too_small(boundary_audit(), gates) == ["origin=small (n=99)", "origin=one (n=500, one outcome only)"]


def test_a_larger_family_widens_every_interval():
    """Judging the small group too makes 4 groups: z = 3.022202, half-width 0.3022, so up's interval [+0.098, ...]
    no longer clears +0.1 (nor down's -0.1); only the small group's +3.0 fails."""
    gates = GateConfig(gated_attributes=("origin",), min_group_size=99)
    failures = offset_failures(boundary_audit(), gates)
    assert len(failures) == 1 and failures[0].startswith("origin=small: log-odds offset +3.00 [+2.70, +3.30] (99.75% "
                                                         "interval, Bonferroni over 4 groups)")
