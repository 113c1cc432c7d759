"""The advice in force (`serving.route_advice`): a promoted route policy read from a real MLflow store, its route
per case (the tree read by hand in `tests/route_policies.py`), the page's words for its evidence, and the tier advice
when no policy is promoted or the promoted one cannot be read (said in the log). Without a promoted policy the
evidence comes from the latest evaluation (alias `evaluated`), with the sentence why it does not set the advice and
which check failed, in plain Dutch."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from casework.model import CaseworkRules
from serving.route_advice import (
    TIER_ADVICE,
    AdviceInForce,
    AdviceMarker,
    advice_words,
    evidence_note,
    load_advice,
    route_evidence,
)
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


NOT_PROMOTED = ("Deze cijfers komen uit de laatste evaluatie (periode 1 januari 2024 tot en met 31 december 2025). "
                "Die route-keuze is nog niet goed genoeg bewezen om het advies te bepalen: het advies volgt de "
                "risicogroep.")


def test_without_a_champion_the_latest_evaluation_gives_the_evidence_and_the_advice_stays_the_tiers(tracking, caplog):
    evaluated = hand_made_policy(failed=("value",))
    version = register_hand_made(tracking, evaluated, promoted=False)
    with caplog.at_level(logging.INFO, logger="vsv.route_advice"):
        advice = load_advice(tracking)
    assert (advice.name, advice.policy, advice.version) == ("tier", None, None)
    assert (advice.evaluated, advice.evaluated_version) == (evaluated, version)
    assert f"evidence of route evaluation version {version} (not promoted)" in caplog.text
    shown = route_evidence(advice, "low", "report_first")
    assert [(r["route"], r["cases"], r["certainty_nl"]) for r in shown] == [
        (LETTER, 300, "vergelijkingspunt"), (TALK, 120, "zeker genoeg"),
        (MATCH, 45, "nog onzeker: het kan ook geen effect zijn")]
    assert shown[1]["between"] == "tussen 2 en 10 van de 100"
    assert evidence_note(advice) == (f"{NOT_PROMOTED} Waarom nog niet: het verschil met het advies volgens de "
                                     "risicogroep is nog te onzeker.")
    assert advice_words(advice, CaseworkRules())["sentence"] == "Het advies volgt de risicogroep."
    assert TIER_ADVICE.advised(CASES).equals(advice.advised(CASES))  # evidence never advises


@pytest.mark.parametrize(("failed", "why"), [
    (("stability",), "het voordeel is niet in zowel de eerdere als de latere zaken te zien"),
    (("groups",), "voor een groep jongeren zou het advies slechter uitpakken dan het advies volgens de risicogroep"),
    (("value", "stability"), "het verschil met het advies volgens de risicogroep is nog te onzeker; het voordeel is "
                             "niet in zowel de eerdere als de latere zaken te zien"),
])
def test_each_failed_check_in_plain_words(failed, why):
    advice = AdviceInForce(evaluated=hand_made_policy(failed=failed), evaluated_version="4")
    assert evidence_note(advice) == f"{NOT_PROMOTED} Waarom nog niet: {why}."


def test_an_evaluation_that_passed_but_was_not_promoted_says_so():
    advice = AdviceInForce(evaluated=hand_made_policy(), evaluated_version="4")
    assert evidence_note(advice).endswith("Die route-keuze heeft alle controles doorstaan, maar is nog niet in gebruik "
                                          "genomen: het advies volgt de risicogroep.")


def test_a_champion_gives_the_evidence_even_when_a_later_evaluation_failed(tracking):
    register_hand_made(tracking)
    later = hand_made_policy(failed=("value",))
    later = type(later)(**{**vars(later), "evidence": [{**row, "cases": row["cases"] + 1} for row in later.evidence]})
    register_hand_made(tracking, later, promoted=False)
    advice = load_advice(tracking)
    assert advice.policy == hand_made_policy() and advice.evaluated is None
    assert [r["cases"] for r in route_evidence(advice, "low", "report_first")] == [300, 120, 45]
    assert evidence_note(advice) == ""


@pytest.mark.parametrize("broken", ["not json", "no verdicts", "unknown route"])
def test_an_unreadable_evaluation_shows_no_evidence_and_the_log_says_why(tracking, caplog, broken):
    if broken == "not json":
        register_broken(tracking, promoted=False)
    else:
        policy = hand_made_policy()
        changed = ({"gates": [{"name": "value", "verdict": "pass"}]} if broken == "no verdicts" else
                   {"evidence": [{**policy.evidence[0], "route": "strafkamp"}]})
        register_hand_made(tracking, type(policy)(**{**vars(policy), **changed}), promoted=False)
    with caplog.at_level(logging.INFO, logger="vsv.route_advice"):
        advice = load_advice(tracking)
    assert advice.name == "tier" and advice.evaluated is None
    assert route_evidence(advice, "low", "report_first") == [] and evidence_note(advice) == ""
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "the case page shows no route evidence" in errors[0]
    assert {"not json": "JSONDecodeError", "no verdicts": "a gate without its name and verdict",
            "unknown route": "unknown route 'strafkamp'"}[broken] in errors[0]


def test_the_workers_marker_carries_the_evaluation(tmp_path):
    marker = AdviceMarker(tmp_path / "advice.json")
    evaluated = AdviceInForce(reason="no route policy is promoted", evaluated=hand_made_policy(failed=("value",)),
                              evaluated_version="5")
    marker.mark(evaluated)
    assert AdviceMarker(tmp_path / "advice.json").advice() == evaluated
