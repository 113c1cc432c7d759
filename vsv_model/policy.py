"""Tiers, routes and capacity, defined once: what each risk tier advises, in the words officers read, and how
many youths a year each intensive route can take.

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
DECISION_ROUTE_LABELS_NL = {r.code: r.label_nl for r in ROUTES.values()} | {"anders": "Een andere route", "geen": "Geen actie"}
# Places a year: the matchmakers guided about 470 youths with a result in one year (Oct 2017-Oct 2018); the
# number of conversations consultants can hold is a local assumption to set.
CAPACITY = {"high": 470, "medium": 1500}


def route_for(tier: str) -> Route:
    return ROUTES[tier]
