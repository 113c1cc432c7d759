"""Capacity per year in `vsv score`: the youths are ranked, and when a tier holds more youths than its places the
ones that fit are marked by rank; the tiers themselves are the model's and never move."""

from __future__ import annotations

import pandas as pd

from serving.batch import BatchResult, describe_counts, mark_capacity


def scored() -> pd.DataFrame:
    """Seven youths: three high for two places, three medium for five places, one low."""
    return pd.DataFrame({"youth_id": list("ABCDEFG"),
                         "probability": [0.70, 0.91, 0.40, 0.85, 0.30, 0.45, 0.10],
                         "tier": ["high", "high", "medium", "high", "medium", "medium", "low"],
                         "route_nl": ["x"] * 7, "model_version": ["1"] * 7})


def test_ranks_and_marks_by_rank_within_each_tier_by_hand():
    marked = mark_capacity(scored(), {"high": 2, "medium": 5})
    assert list(marked.columns) == ["youth_id", "probability", "tier", "route_nl", "rank", "within_capacity", "model_version"]
    assert marked["rank"].tolist() == [3, 1, 5, 2, 6, 4, 7]
    assert marked["within_capacity"].tolist() == [False, True, True, True, True, True, True]  # A is the 3rd of 2 places
    assert marked["tier"].tolist() == scored()["tier"].tolist()


def test_ties_are_ranked_in_the_order_of_the_list_and_threshold_models_mark_everyone_within():
    tied = scored().assign(probability=[0.9, 0.9, 0.4, 0.9, 0.3, 0.45, 0.1])
    marked = mark_capacity(tied, {"high": 2, "medium": None})
    assert marked["rank"].tolist()[:4] == [1, 2, 5, 3] and marked["within_capacity"].tolist()[:4] == [True, True, True, False]
    assert mark_capacity(scored(), {"high": None, "medium": None})["within_capacity"].all()


def test_the_counts_say_by_how_many_a_tier_is_over_its_places():
    result = BatchResult(mark_capacity(scored(), {"high": 2, "medium": 5}), {"low": 1, "medium": 3, "high": 3},
                         {"high": 2, "medium": 5}, 0.0, 0.0)
    assert describe_counts(result) == [
        "  matchmaker                 3 youths (capacity 2: OVER by 1; the 2 highest are marked within_capacity)",
        "  gesprek                    3 youths (capacity 5: within)",
        "  waarschuwingsbrief         1 youths",
    ]


def test_the_counts_show_risk_categories_apart_from_the_routes_against_capacity():
    """Seven youths: by probability 0.91, 0.85 and 0.70 are hoog, 0.40, 0.45 and 0.30 midden, 0.10 laag; the
    routes follow the tiers (capacity), so the two counts are printed apart and never under one heading."""
    result = BatchResult(mark_capacity(scored(), {"high": 2, "medium": 5}), {"low": 1, "medium": 3, "high": 3},
                         {"high": 2, "medium": 5}, 0.0, 0.0, {"low": 1, "medium": 3, "high": 3})
    assert describe_counts(result) == [
        "Risk category (from the probability):",
        "  hoog                       3 youths",
        "  midden                     3 youths",
        "  laag                       1 youths",
        "Advised route (sized by capacity):",
        "  matchmaker                 3 youths (capacity 2: OVER by 1; the 2 highest are marked within_capacity)",
        "  gesprek                    3 youths (capacity 5: within)",
        "  waarschuwingsbrief         1 youths",
    ]
