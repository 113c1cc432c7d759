"""Risk categories, tiers, routes and capacity, defined once.

Two things are kept apart everywhere an officer reads them:

- the **risk category** (`low`/`medium`/`high`, "laag"/"midden"/"hoog") follows the youth's probability alone, by
  fixed cut-offs: a youth at 0.78 is "hoog" whatever the others score;
- the **tier** is the advised approach (letter, conversation, matchmaker): a place in the capacity ranking, sized by
  the places a year. It is never called "risico"; officers read it as "Advies".

When the approach is lighter or heavier than the risk category, one plain sentence says why (`approach_note_nl`).
The model advises; the officer decides. Routes for 18+ are guidance back to education or work (punitive routes
for minors do not apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vsv_model.columns import positions_in
from vsv_model.wording import category_meaning_nl

TIERS = ("low", "medium", "high")
RISK_CATEGORIES = TIERS  # the same three codes; `risk_category` in the batch file is a fixed interface
RISK_CATEGORY_LABELS_NL = {"low": "laag", "medium": "midden", "high": "hoog"}
# The regional default cut-offs of the risk categories (a setting: `[risk_categories]` in the training config).
# Below 0.30, 7 or more in 10 comparable youths do reach a diploma: the risk is low. From 0.70, 7 or more in 10 do
# not: the risk is high. In between the outcome can go either way. The cut-offs are symmetric around 0.5, read as
# the "3 in 10" and "7 in 10" the page already uses for a probability, and do not move with the capacity, the
# population's size or the next model: the same chance always gets the same word.
RISK_CUTOFFS = {"medium": 0.30, "high": 0.70}


@dataclass(frozen=True)
class Route:
    code: str
    label_nl: str
    intensity_nl: str


TIER_LABELS_NL = {"low": "laag", "medium": "midden", "high": "hoog"}
ROUTES: dict[str, Route] = {
    "low": Route("waarschuwingsbrief", "Waarschuwings- of informatiebrief", "Eén schriftelijk contact"),
    "medium": Route("gesprek", "Uitnodiging voor een gesprek met een consulent", "Enkele contacten met opvolging"),
    "high": Route("matchmaker", "Matchmaker: intensieve begeleiding met huisbezoeken",
                  "Weken tot maanden; beperkte capaciteit"),
}
# What an officer can record as the decision: the three routes, another route, or none.
DECISION_ROUTES = (*(r.code for r in ROUTES.values()), "anders", "geen")
DECISION_ROUTE_LABELS_NL = {r.code: r.label_nl for r in ROUTES.values()} | {"anders": "Een andere route", "geen": "Geen actie"}
# Places a year: the matchmakers guided about 470 youths with a result in one year (Oct 2017-Oct 2018); the
# number of conversations consultants can hold is a local assumption to set.
CAPACITY = {"high": 470, "medium": 1500}
# The capacity for events, answered as they come (a regional setting, `[tiers]`): conversations a week and new
# matchmaker trajectories a month. An assumption until the region sets its own: about half the matchmaker places and
# two fifths of the conversations above, for events (about 2,000 a year) come besides the yearly list.
EVENT_CAPACITY = {"conversations_per_week": 12, "matchmaker_places_per_month": 20}


def route_for(tier: str) -> Route:
    return ROUTES[tier]


@dataclass(frozen=True)
class CategoryMeaning:
    """What a risk category meant on the held-out test cohort: its youths, the share with the outcome, and the
    mean predicted probability (aggregates only)."""

    rows: int
    observed_rate: float | None
    mean_predicted: float | None


@dataclass(frozen=True)
class RiskCategories:
    """Risk categories from the probability alone: high when p >= high, medium when p >= medium, else low; with,
    once training measured it, each category's meaning on the test cohort (`measured`, empty when not measured)."""

    medium: float = RISK_CUTOFFS["medium"]
    high: float = RISK_CUTOFFS["high"]
    measured: dict[str, CategoryMeaning] = field(default_factory=dict)
    measured_on: str = ""  # which youths the meaning was measured on, e.g. "test cohort 2021-10-01"

    def __post_init__(self):
        if not 0.0 < self.medium <= self.high < 1.0:
            raise ValueError(f"risk category cut-offs must satisfy 0 < medium <= high < 1, got {self.medium}, {self.high}")

    def assign(self, probability: np.ndarray) -> np.ndarray:
        """By the whole percent shown beside the word (rounded as `wording.shown_percent` rounds), so 0.2996, shown
        as '30%', is midden with a cut-off of 0.30, never laag."""
        percent = np.round(100 * np.asarray(probability, dtype=float))
        medium, high = round(100 * self.medium), round(100 * self.high)
        return np.array(RISK_CATEGORIES, dtype=object)[(percent >= medium).astype(int) + (percent >= high).astype(int)]

    def meaning_nl(self, category: str, outcome_age: int) -> str:
        """The category's measured meaning in one plain Dutch sentence (or that it was not measured)."""
        meaning = self.measured.get(category)
        if meaning is None:
            return category_meaning_nl(None, None, outcome_age, RISK_CATEGORY_LABELS_NL[category])
        return category_meaning_nl(meaning.rows, meaning.observed_rate, outcome_age, RISK_CATEGORY_LABELS_NL[category])

    def to_dict(self) -> dict:
        return {"medium": self.medium, "high": self.high, "measured_on": self.measured_on,
                "measured": {c: vars(m) for c, m in self.measured.items()}}

    @classmethod
    def from_dict(cls, values: dict | None) -> RiskCategories:
        """Saved categories; a model saved before they existed gets the policy's cut-offs, not measured."""
        if not values:
            return cls()
        measured = {c: CategoryMeaning(**m) for c, m in values.get("measured", {}).items()}
        return cls(float(values["medium"]), float(values["high"]), measured, str(values.get("measured_on", "")))


# One sentence when the advised approach (the tier, sized by capacity) is lighter or heavier than the risk category.
# Keyed (risk category, tier); equal pairs need no note.
APPROACH_NOTES_NL = {
    ("high", "medium"): "Het risico is hoog, maar de matchmakers hebben geen plaats meer: daarom is het advies een gesprek.",
    ("high", "low"): "Het risico is hoog, maar er is geen plaats meer bij de matchmakers en voor een gesprek: daarom is "
                     "het advies een brief.",
    ("medium", "low"): "Het risico is midden, maar er is geen plaats meer voor een gesprek: daarom is het advies een brief.",
    ("medium", "high"): "Het risico is midden, maar de matchmakers hebben nog plaats: daarom is het advies toch een "
                        "matchmaker.",
    ("low", "high"): "Het risico is laag, maar de matchmakers hebben nog plaats: daarom is het advies toch een matchmaker.",
    ("low", "medium"): "Het risico is laag, maar er is nog plaats voor een gesprek: daarom is het advies toch een gesprek.",
}


def approach_note_nl(category: str, tier: str) -> str:
    """Why the advice is lighter or heavier than the risk category; empty when they match."""
    return APPROACH_NOTES_NL.get((category, tier), "")


def approach_notes(categories: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """`approach_note_nl` for whole arrays: one lookup in the 3 x 3 table, no Python call per youth."""
    table = np.array([approach_note_nl(c, t) for c in RISK_CATEGORIES for t in TIERS], dtype=object)
    category, tier = positions_in(categories, RISK_CATEGORIES), positions_in(tiers, TIERS)
    if (category < 0).any() or (tier < 0).any():
        raise ValueError(f"unknown risk category or tier: expected codes among {', '.join(TIERS)}")
    return table[category * len(TIERS) + tier]
