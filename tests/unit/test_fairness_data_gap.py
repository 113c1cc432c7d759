"""The fairness audit shows, per group, how many youths have no school record at all: a data gap that is flagged to
the officer, never read out as a reason, and may fall on some groups (youths who went to school abroad) more."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.fairness import audit_attribute, fairness_audit, without_school_records
from vsv_model.risk_model import EXAMPLE_FEATURES


def test_the_share_without_school_records_per_group_by_hand():
    # Four youths of 'a' (one without records), two of 'b' (both without).
    y = np.array([1, 0, 1, 0, 1, 1])
    p = np.full(6, 0.5)
    tiers = np.array(["low"] * 6, dtype=object)
    groups = pd.Series(["a", "a", "a", "a", "b", "b"])
    gap = np.array([True, False, False, False, True, True])
    table = audit_attribute(y, p, tiers, groups, gap)
    assert table.loc["a", "share_no_school_records"] == 0.25
    assert table.loc["b", "share_no_school_records"] == 1.0
    assert table.loc["overall", "share_no_school_records"] == 0.5
    assert table.loc["b", "share_no_school_records_ratio"] == 2.0


def test_the_audit_reads_the_gap_from_the_features_as_the_page_flags_it():
    enrolled = dict(EXAMPLE_FEATURES)
    never = dict(EXAMPLE_FEATURES, enrolled=0, current_education="geen", learning_path="geen", months_not_enrolled=np.nan,
                 school_switches=0, school_switches_2y=0, dropout_episodes=0, vo_mbo_transition_1y=0)
    left = dict(never, months_not_enrolled=14.0)
    frame = pd.DataFrame([enrolled, never, left, never]).assign(
        gender=["M", "V", "M", "V"], origin=["nederland", "buiten_europa", "nederland", "buiten_europa"],
        residence_municipality="Dordrecht")
    assert without_school_records(frame).tolist() == [False, True, False, True]
    audit = fairness_audit(frame, np.array([0, 1, 1, 1]), np.full(4, 0.5), np.array(["low"] * 4, dtype=object))
    origin = audit[audit["attribute"] == "origin"].set_index("group")["share_no_school_records"]
    assert origin.to_dict() == pytest.approx({"buiten_europa": 1.0, "nederland": 0.0, "overall": 0.5})


def test_an_audit_of_predictions_without_features_does_not_pretend_to_know_the_gap():
    frame = pd.DataFrame({"gender": ["M", "V"], "origin": ["nederland", "europa"], "school_municipality": "Dordrecht",
                          "age": [19, 20]})
    assert without_school_records(frame) is None
    audit = fairness_audit(frame, np.array([0, 1]), np.full(2, 0.5), np.array(["low"] * 2, dtype=object))
    assert audit["share_no_school_records"].isna().all()
