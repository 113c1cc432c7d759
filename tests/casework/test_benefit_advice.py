"""Advice by estimated benefit at ingest, on SQLite and PostgreSQL: rows the service marks `policy="benefit"` keep
the route policy's route, stored with the policy, stepped down within the places left (as the tier advice is within
its capacity) with the sentence why; tier rows are unchanged."""

from __future__ import annotations

from casework.model import CaseworkRules
from tests.builders import scored_event
from tests.casework.helpers import ingest, table

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"
NO_DRAWS = {"random_share": 0.0}


def benefit(youth: str, route: str, day: str = "2026-03-02", **extra) -> dict:
    return scored_event(youth, day, route=route, probability=0.5, risk_category="medium", **extra) | {"policy": "benefit"}


def test_a_benefit_case_stores_the_policy_and_its_route(store, engine):
    ingest(store, CaseworkRules(**NO_DRAWS), benefit("B1", MATCH), scored_event("T1", "2026-03-02", route=TALK))
    cases = {c["youth_id"]: c for c in table(engine, "cases")}
    assert (cases["B1"]["policy"], cases["B1"]["advised_route"]) == ("benefit", MATCH)
    assert cases["B1"]["advice_why"] == ("Eerste melding van verzuim: voor jongeren zoals deze werkte begeleiding door "
                                         "een matchmaker het beste.")
    assert (cases["T1"]["policy"], cases["T1"]["advised_route"]) == ("tier", TALK)
    assert cases["T1"]["advice_why"] == "Eerste melding van verzuim: het model adviseert een gesprek."
    assert {e["policy"] for e in table(engine, "case_events")} == {"benefit", "tier"}


def test_a_full_matchmaker_steps_a_benefit_case_down_to_a_conversation_and_says_why(store, engine):
    rules = CaseworkRules(matchmaker_places_per_month=1, **NO_DRAWS)
    ingest(store, rules, benefit("B1", MATCH, day="2026-03-02"))  # takes March's one place
    ingest(store, rules, benefit("B2", MATCH, day="2026-03-02"), scored_event("T2", "2026-03-02", route=MATCH))
    cases = {c["youth_id"]: c for c in table(engine, "cases")}
    assert cases["B2"]["advised_route"] == TALK and cases["B2"]["policy"] == "benefit"
    assert cases["B2"]["advice_why"] == (
        "Eerste melding van verzuim: voor jongeren zoals deze werkte begeleiding door een matchmaker het beste, maar "
        "daarvoor is nu geen plaats meer. Daarom is het advies een gesprek.")
    assert cases["T2"]["advised_route"] == MATCH  # the tier's capacity is in its cut-offs: not stepped down here


def test_no_place_for_a_conversation_either_steps_down_to_the_letter(store, engine):
    rules = CaseworkRules(matchmaker_places_per_month=1, conversations_per_week=1, **NO_DRAWS)
    ingest(store, rules, benefit("B1", MATCH), benefit("B2", TALK))
    ingest(store, rules, benefit("B3", MATCH), benefit("B4", TALK))
    cases = {c["youth_id"]: c["advised_route"] for c in table(engine, "cases")}
    assert cases == {"B1": MATCH, "B2": TALK, "B3": LETTER, "B4": LETTER}
