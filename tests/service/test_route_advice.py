"""The advice in force (`serving.route_advice`): a promoted route policy read from a real MLflow store, its route
per case (the tree read by hand in `tests/route_policies.py`), the page's words for its evidence, and the tier advice
when no policy is promoted or the promoted one cannot be read (said in the log)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from casework.model import CaseworkRules
from serving.route_advice import TIER_ADVICE, AdviceInForce, advice_words, load_advice, route_evidence
from tests.route_policies import (
    LETTER,
    MATCH,
    TALK,
    expected_route,
    hand_made_policy,
    register_broken,
    register_hand_made,
)
from vsv_model.route_policy import EVENT_FEATURES

CASES = pd.DataFrame({"probability": [0.12, 0.45, 0.81, 0.81, 0.5], "risk_category": ["low", "medium", "high", "high", "medium"],
                      "kind": ["report_first", "report_repeat", "report_first", "new_leaver", "stock"],
                      "route": [LETTER, TALK, MATCH, MATCH, TALK]})
STATE = pd.DataFrame({name: [0.0] * len(CASES) for name in EVENT_FEATURES}).assign(age_years=[19.0, 22.0, 20.0, 21.0, 19.0])


def test_the_policys_route_per_case_is_the_trees_read_by_hand_and_the_stock_list_keeps_the_tier():
    advised = AdviceInForce(hand_made_policy(), "3", "").advised(CASES, STATE)
    assert list(advised["route"]) == [TALK, TALK, MATCH, LETTER, TALK]
    assert list(advised["policy"]) == ["benefit"] * 4 + ["tier"]
    policy = hand_made_policy()
    for row in CASES.iloc[:4].itertuples():
        state = STATE.iloc[row.Index]
        assert policy.leaf_of(row.probability, row.risk_category, row.kind, state)["route"] == expected_route(
            row.risk_category, row.kind, state["age_years"])


def test_without_a_policy_the_rows_keep_the_tier_route():
    advised = TIER_ADVICE.advised(CASES)
    assert list(advised["route"]) == list(CASES["route"]) and set(advised["policy"]) == {"tier"}


def test_the_evidence_of_a_cell_in_words():
    shown = route_evidence(AdviceInForce(hand_made_policy(), "3", ""), "low", "report_first")
    assert [(r["route"], r["cases"], r["certainty_nl"]) for r in shown] == [
        (LETTER, 300, "vergelijkingspunt"), (TALK, 120, "zeker genoeg"),
        (MATCH, 45, "nog onzeker: het kan ook geen effect zijn")]
    assert shown[1]["effect"] == ("ongeveer 6 van de 100 jongeren meer terug op school of met een startkwalificatie na "
                                  "een jaar dan met een brief")
    assert shown[1]["between"] == "tussen 2 en 10 van de 100"
    medium = route_evidence(AdviceInForce(hand_made_policy(), "3", ""), "medium", "report_first")
    assert (medium[2]["cases"], medium[2]["certainty_nl"], medium[2]["effect"]) == (15, "te weinig zaken om iets te zeggen", "")
    high = route_evidence(AdviceInForce(hand_made_policy(), "3", ""), "high", "report_first")
    assert high[1]["effect"].startswith("ongeveer 4 van de 100 jongeren minder") and high[1]["certainty_nl"] == "zeker genoeg"
    assert route_evidence(TIER_ADVICE, "low", "report_first") == []


def test_the_words_on_the_advice_in_force_both_ways():
    benefit = advice_words(AdviceInForce(hand_made_policy(), "3", ""), CaseworkRules())
    assert benefit["sentence"] == "Het advies volgt wat voor jongeren zoals deze het beste werkte."
    assert benefit["explained"] == (
        "Dit is gecontroleerd op 640 eerdere zaken die niet gebruikt zijn om dit advies te maken. Met dit advies zijn "
        "naar schatting 41 van de 100 jongeren terug op school of met een startkwalificatie na een jaar; met het advies "
        "volgens de risicogroep 37 van de 100. Het verschil is ongeveer 4 van de 100 (tussen 1 en 7).")
    tier = advice_words(TIER_ADVICE, CaseworkRules(random_share=0.1))
    assert tier["sentence"] == "Het advies volgt de risicogroep." and "(10% van de zaken" in tier["explained"]
    assert tier["decides"] == benefit["decides"] == "U beslist, niet het model."


def test_no_store_and_no_promoted_policy_give_the_tier_advice_and_say_so(tracking, caplog):
    with caplog.at_level(logging.INFO, logger="vsv.route_advice"):
        advice = load_advice(tracking)
    assert advice.name == "tier" and advice.reason == "no route policy is promoted"
    assert "no promoted route policy" in caplog.text and not tracking.sqlite_path().exists()  # asking creates nothing


def test_a_promoted_policy_is_loaded_from_the_registry(tracking):
    version = register_hand_made(tracking)
    advice = load_advice(tracking)
    assert (advice.name, advice.version) == ("benefit", version)
    assert advice.policy == hand_made_policy()


@pytest.mark.parametrize("broken", ["not json", "unknown route"])
def test_a_broken_policy_keeps_the_tier_advice_and_the_log_says_why(tracking, caplog, broken):
    if broken == "not json":
        register_broken(tracking)
    else:
        policy = hand_made_policy()
        register_hand_made(tracking, type(policy)(**{**vars(policy), "tree": {"route": "strafkamp", "gains": [0, 0, 0]}}))
    with caplog.at_level(logging.INFO, logger="vsv.route_advice"):
        advice = load_advice(tracking)
    assert advice.name == "tier" and advice.policy is None
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "the tier advice stays in force" in errors[0].getMessage()
    assert ("JSONDecodeError" if broken == "not json" else "unknown route 'strafkamp'") in errors[0].getMessage()
