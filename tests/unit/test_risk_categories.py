"""Risk categories follow the probability alone; the advised approach (tier) follows the capacity, and one sentence
says so when the two differ. The meaning of a category is measured on labelled youths."""

from __future__ import annotations

import numpy as np
import pytest

from training.evaluate import category_metrics, measure_risk_categories
from vsv_model.policy import APPROACH_NOTES_NL, CategoryMeaning, RiskCategories, approach_note_nl, approach_notes
from vsv_model.risk_model import TierCutoffs


def test_categories_follow_the_probability_at_the_cut_off_edges():
    categories = RiskCategories()
    assert (categories.medium, categories.high) == (0.30, 0.70)
    p = np.array([0.0, 0.2949, 0.2951, 0.30, 0.6949, 0.6951, 0.70, 0.78, 1.0])
    assert categories.assign(p).tolist() == ["low", "low", "medium", "medium", "medium", "high", "high", "high", "high"]


def test_the_word_never_contradicts_the_percent_shown_beside_it():
    """Every probability to 1e-4: the category follows the whole percent the page shows (0.2951 reads '30%': midden)."""
    from vsv_model.wording import shown_percent

    p = np.arange(0, 10_001) / 10_000
    shown = np.array([shown_percent(v) for v in p])
    expected = np.where(shown >= 70, "high", np.where(shown >= 30, "medium", "low"))
    assert (RiskCategories().assign(p) == expected).all()


def test_a_youth_at_078_is_high_whatever_the_capacity_ranking_says():
    """A capacity-sized tier can put 0.78 in `low` (places full); the category stays `high`."""
    crowded = TierCutoffs(medium=0.85, high=0.95, mode="capacity")
    assert crowded.assign(np.array([0.78])).tolist() == ["low"]
    assert RiskCategories().assign(np.array([0.78])).tolist() == ["high"]


def test_cut_offs_are_a_setting_and_bad_ones_are_refused():
    assert RiskCategories(0.2, 0.5).assign(np.array([0.19, 0.2, 0.5])).tolist() == ["low", "medium", "high"]
    with pytest.raises(ValueError, match="0 < medium <= high < 1, got 0.8, 0.6"):
        RiskCategories(0.8, 0.6)


@pytest.mark.parametrize(("category", "tier", "note"), [
    ("low", "low", ""),
    ("medium", "medium", ""),
    ("high", "high", ""),
    ("high", "medium", "Het risico is hoog, maar de matchmakers hebben geen plaats meer: daarom is het advies een gesprek."),
    ("high", "low", "Het risico is hoog, maar er is geen plaats meer bij de matchmakers en voor een gesprek: daarom is het "
                    "advies een brief."),
    ("medium", "low", "Het risico is midden, maar er is geen plaats meer voor een gesprek: daarom is het advies een brief."),
    ("medium", "high", "Het risico is midden, maar de matchmakers hebben nog plaats: daarom is het advies toch een matchmaker."),
    ("low", "high", "Het risico is laag, maar de matchmakers hebben nog plaats: daarom is het advies toch een matchmaker."),
    ("low", "medium", "Het risico is laag, maar er is nog plaats voor een gesprek: daarom is het advies toch een gesprek."),
])
def test_the_approach_note_for_every_combination(category, tier, note):
    assert approach_note_nl(category, tier) == note


def test_approach_notes_over_arrays_equal_the_single_notes():
    categories = np.array(["high", "low", "medium", "high"], dtype=object)
    tiers = np.array(["medium", "low", "high", "low"], dtype=object)
    assert approach_notes(categories, tiers).tolist() == [APPROACH_NOTES_NL[("high", "medium")], "",
                                                          APPROACH_NOTES_NL[("medium", "high")],
                                                          APPROACH_NOTES_NL[("high", "low")]]
    with pytest.raises(ValueError, match="unknown risk category or tier"):
        approach_notes(np.array(["hoog"], dtype=object), np.array(["high"], dtype=object))


def test_the_meaning_measured_on_a_hand_made_set_equals_the_hand_computation():
    """Eight youths. low: 0.10, 0.20 (outcomes 0, 1); medium: 0.30, 0.50, 0.60 (0, 1, 1); high: 0.70, 0.80, 0.90 (1, 1, 0).
    By hand: low 1 of 2 = 0.5, mean p 0.15; medium 2 of 3, mean p 1.4 / 3; high 2 of 3, mean p 0.8."""
    p = np.array([0.10, 0.20, 0.30, 0.50, 0.60, 0.70, 0.80, 0.90])
    y = np.array([0, 1, 0, 1, 1, 1, 1, 0])
    measured = measure_risk_categories(RiskCategories(), y, p, "test cohort 2021-10-01")
    assert measured.measured_on == "test cohort 2021-10-01"
    assert measured.measured["low"] == CategoryMeaning(2, 0.5, pytest.approx(0.15))
    assert measured.measured["medium"] == CategoryMeaning(3, pytest.approx(2 / 3), pytest.approx(1.4 / 3))
    assert measured.measured["high"] == CategoryMeaning(3, pytest.approx(2 / 3), pytest.approx(0.8))
    assert category_metrics(measured)["risk_category_rows_medium"] == 3.0


def test_an_empty_category_has_no_rate_and_says_it_was_not_measured():
    measured = measure_risk_categories(RiskCategories(), np.array([0, 1]), np.array([0.1, 0.2]), "test")
    assert measured.measured["high"] == CategoryMeaning(0, None, None)
    assert np.isnan(category_metrics(measured)["risk_category_outcome_rate_high"])
    assert measured.meaning_nl("high", 23) == ("Bij de test van dit model had niemand risico hoog: wat het betekent, is "
                                               "daarom niet gemeten.")


def test_the_meaning_in_plain_numbers_with_the_models_outcome_age():
    measured = RiskCategories(measured={"high": CategoryMeaning(1234, 0.81, 0.79)})
    assert measured.meaning_nl("high", 23) == (
        "Wat risico hoog betekent: van de 1.234 jongeren met risico hoog bij de test van het model haalden ongeveer 81 op de "
        "100 vóór hun 23e geen diploma van mbo-niveau 2 of hoger, havo of vwo.")
    assert "vóór hun 27e" in measured.meaning_nl("high", 27)
    assert RiskCategories().meaning_nl("high", 23) == "Wat risico hoog betekent, is voor dit model niet gemeten."


def test_categories_round_trip_through_their_dict_and_an_old_model_gets_the_policy():
    measured = RiskCategories(0.25, 0.65, {"low": CategoryMeaning(10, 0.1, 0.12), "high": CategoryMeaning(0, None, None)},
                              "test cohort 2021-10-01")
    assert RiskCategories.from_dict(measured.to_dict()) == measured
    assert RiskCategories.from_dict(None) == RiskCategories() == RiskCategories.from_dict({})


def test_monitoring_shows_each_categorys_share_now_beside_its_share_at_test():
    from monitoring.run import category_shares

    measured = RiskCategories(measured={"low": CategoryMeaning(6, 0.1, 0.12), "medium": CategoryMeaning(3, 0.5, 0.45),
                                        "high": CategoryMeaning(1, 1.0, 0.8)})
    now = np.array(["low", "high", "high", "medium"], dtype=object)
    table = category_shares(measured, now)
    assert table.to_dict("list") == {"risk_category": ["high", "medium", "low"], "youths": [2, 1, 1],
                                     "share": [0.5, 0.25, 0.25], "share_at_test": [0.1, 0.3, 0.6],
                                     "outcome_rate_at_test": [1.0, 0.5, 0.1]}
    unmeasured = category_shares(RiskCategories(), now)
    assert unmeasured["share_at_test"].isna().all() and unmeasured["youths"].tolist() == [2, 1, 1]
