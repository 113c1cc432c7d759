"""Tiers and routes, defined once: what each risk tier advises, in the words officers read.

The model advises; the officer decides. Routes for 18+ are guidance back to
education or work (punitive routes for minors do not apply).
"""

from __future__ import annotations

from dataclasses import dataclass

TIERS = ("low", "medium", "high")


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


def route_for(tier: str) -> Route:
    return ROUTES[tier]
