"""Every reason an officer reads is true for its youth: the independent checker (tests/data/reasons_checker.py,
written from docs/reasons.md apart from the code that writes the sentences) over a whole scored population, over
generated edge cases, and through the service for the cases the issue names."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.batch import score_population
from tests.builders import diploma, enrolment, history, report, request_youth
from tests.data.reasons_checker import check_rows, check_youth, summary
from vsv_model.concepts import CONCEPT_NAMES, MEMBERSHIP
from vsv_model.contract import EDUCATION_TYPES, MBO_TYPES, UNKNOWN
from vsv_model.explanations import BACKGROUND, REASON, explain_rows
from vsv_model.feature_spec import FEATURE_NAMES, SCHOOL_MUNICIPALITY_CATEGORIES
from vsv_model.risk_model import decode_value, encode_records


@pytest.mark.parametrize("as_of", ["2019-10-01", "2026-10-01"])
def test_every_sentence_of_a_scored_population_is_true(champion_store, population_dir, as_of):
    frame = score_population(champion_store["served"], population_dir, dt.date.fromisoformat(as_of), explain=True).frame
    problems = check_rows(frame)
    assert len(frame) > 1000
    assert summary(problems) == {"false_sentences": 0, "youths_with_problems": 0, "contradictions": 0}, problems.head(20)
    concepts = [f"contribution_{c}" for c in CONCEPT_NAMES]
    np.testing.assert_allclose(frame["base_value"] + frame[concepts].sum(axis=1), frame["log_odds"], rtol=0, atol=1e-9)


# --- generated feature rows, with the edges the issue names ------------------------------------------------

def situation():
    enrolled = st.fixed_dictionaries({
        "enrolled": st.just(1), "months_not_enrolled": st.just(0.0),
        "current_education": st.sampled_from([*EDUCATION_TYPES, UNKNOWN])}).flatmap(
        lambda d: st.just(d | {"learning_path": "geen"}) if d["current_education"] not in MBO_TYPES
        else st.sampled_from(["BOL", "BBL", UNKNOWN]).map(lambda p: d | {"learning_path": p}))
    out = st.fixed_dictionaries({
        "enrolled": st.just(0), "current_education": st.just("geen"), "learning_path": st.just("geen"),
        "months_not_enrolled": st.sampled_from([None, 0.0, 1.0, 2.0, 11.0, 12.0, 23.0, 24.0, 25.0, 36.0, 48.0])})
    return st.one_of(enrolled, out)


def absence():
    hours = st.sampled_from([0.0, 1.0, 2.5, 16.0, 48.0])
    return st.fixed_dictionaries({
        "absence_hours_4w": hours, "absence_hours_13w": hours, "absence_hours_52w": hours,
        "absence_reports_52w": st.sampled_from([0, 1, 2, 7]), "late_reports_52w": st.sampled_from([0, 1, 3]),
        "weeks_since_last_report": st.sampled_from([None, 0.0, 1.0, 2.0, 51.0, 52.0, 53.0, 104.0, 321.0])}).map(nested)


def nested(values: dict) -> dict:
    """Hours of the shorter windows never above the longer ones (the rest may be implausible: then it is flagged)."""
    values["absence_hours_13w"] = min(values["absence_hours_13w"], values["absence_hours_52w"])
    values["absence_hours_4w"] = min(values["absence_hours_4w"], values["absence_hours_13w"])
    return values


youth_features = st.tuples(situation(), absence(), st.fixed_dictionaries({
    "school_switches": st.sampled_from([0, 1, 2, 5]), "school_switches_2y": st.sampled_from([0, 1, 2]),
    "dropout_episodes": st.sampled_from([0, 1, 3]), "vo_mbo_transition_1y": st.sampled_from([0, 1]),
    "last_diploma": st.sampled_from(["geen", "vmbo-bb", "vmbo-kb", "vmbo-gt", "mbo-1", UNKNOWN]),
    "age": st.integers(18, 26), "school_municipality": st.sampled_from(SCHOOL_MUNICIPALITY_CATEGORIES)})).map(
    lambda parts: parts[0] | parts[1] | parts[2])
contributions = st.lists(st.sampled_from([-0.7, -0.2, -1e-6, 0.0, 1e-6, 0.3, 1.1]), min_size=len(FEATURE_NAMES),
                         max_size=len(FEATURE_NAMES))


def shown_reasons(explained, row: int) -> list[dict]:
    return [{"concept": CONCEPT_NAMES[c], "contribution": float(explained.contributions[row, c]),
             "sentence_nl": explained.sentences[row, c]}
            for c in range(len(CONCEPT_NAMES)) if explained.status[row, c] in (REASON, BACKGROUND)]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(youth_features, contributions), min_size=1, max_size=8))
def test_generated_youths_get_only_true_sentences(cases):
    rows = [features for features, _ in cases]
    matrix = encode_records(rows)
    explained = explain_rows(matrix, np.array([c for _, c in cases]))
    for r in range(len(rows)):
        decoded = {name: decode_value(name, matrix[r, j]) for j, name in enumerate(FEATURE_NAMES)}
        assert check_youth(decoded, shown_reasons(explained, r)) == []


def test_concept_contributions_are_the_sums_of_their_features():
    contributions = np.random.default_rng(1).normal(size=(50, len(FEATURE_NAMES)))
    explained = explain_rows(encode_records([_typical()] * 50), contributions)
    np.testing.assert_allclose(explained.contributions, contributions @ MEMBERSHIP, rtol=0, atol=1e-12)
    np.testing.assert_allclose(explained.contributions.sum(axis=1), contributions.sum(axis=1), rtol=0, atol=1e-12)


def _typical() -> dict:
    return {"age": 20, "school_municipality": "Dordrecht", "last_diploma": "vmbo-kb", "school_switches": 1,
            "school_switches_2y": 0, "enrolled": 1, "current_education": "mbo-2", "learning_path": "BOL",
            "months_not_enrolled": 0.0, "absence_hours_4w": 0.0, "absence_hours_13w": 0.0, "absence_hours_52w": 0.0,
            "absence_reports_52w": 0, "late_reports_52w": 0, "weeks_since_last_report": None, "dropout_episodes": 0,
            "vo_mbo_transition_1y": 0}


# --- through the service: the cases the issue names --------------------------------------------------------

AS_OF = "2019-10-01"
EDGE_CASES = {
    "left school yesterday": history(birth="2000-05-01", enrollments=[enrolment("2017-08-15", "2019-09-30")]),
    "enrolled with zero absence": history(birth="2000-05-01", enrollments=[enrolment("2018-08-15")]),
    "never reported": history(birth="2000-05-01", enrollments=[enrolment("2018-08-15", "2019-01-31")]),
    "one hour": history(birth="2000-05-01", enrollments=[enrolment("2018-08-15")],
                        reports=[report("2019-09-20", kind="18plus", hours=1)]),
    "one switch": history(birth="2000-05-01", enrollments=[enrolment("2017-08-15", "2018-07-31"),
                                                           enrolment("2018-08-15", school_id="30AB01")]),
    "exactly 18": history(birth="2001-10-01", enrollments=[enrolment("2018-08-15")]),
    "exactly 22": history(birth="1997-10-01", enrollments=[enrolment("2018-08-15", "2019-03-01")],
                          diplomas=[diploma("2014-07-01", "vmbo-gt")]),
    "unknown values": history(birth="2000-05-01", enrollments=[enrolment("2018-08-15", education_type="mbo 5")],
                              diplomas=[diploma("2017-07-01", "vmbo-tl")], reports=[report("2019-08-20", kind="spijbelen", hours=4)]),
    "havo then vavo the same day": history(birth="2000-05-01", enrollments=[
        enrolment("2012-08-15", "2017-07-31", education_type="havo", school_id="20HA00"),
        enrolment("2017-07-31", "2018-12-31", education_type="vavo", school_id="21VA00"),
        enrolment("2018-12-31", education_type="mbo-2", school_id="30AB01")]),
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_get_only_true_sentences(asgi_client, case):
    body = asgi_client.post("/explain", json={"youth": request_youth("EDGE", as_of=AS_OF, history=EDGE_CASES[case])})
    assert body.status_code == 200, body.text
    result = body.json()
    shown = [{"concept": r["concept"], "contribution": r["contribution"], "sentence_nl": r["sentence_nl"]}
             for r in result["reasons"] + result["background"]]
    assert shown and check_youth(result["features"], shown) == []
    assert result["data_quality"] == []


def test_edge_cases_say_what_the_issue_expects(asgi_client):
    def sentences(case: str) -> dict:
        result = asgi_client.post("/explain", json={"youth": request_youth("EDGE", as_of=AS_OF, history=EDGE_CASES[case])}).json()
        return {r["concept"]: r["sentence_nl"] for r in result["reasons"] + result["background"]}

    left = sentences("left school yesterday")["schoolsituatie"]
    assert left.startswith("Staat sinds minder dan een maand niet meer ingeschreven bij een school.")
    assert sentences("exactly 18")["leeftijd"].startswith("Is 18 jaar.")
    assert sentences("exactly 22")["leeftijd"].startswith("Is 22 jaar.")
    assert "samen 1 uur (waarvan 1 uur in de laatste 13 weken en 1 uur in de laatste 4 weken)" in sentences("one hour")["verzuim"]
    assert ("Is na de basisschool 1 keer zonder diploma naar een andere school gegaan, waarvan 1 keer in de afgelopen "
            "2 jaar.") in sentences("one switch")["schoolloopbaan"]
    assert sentences("unknown values")["diploma"].startswith("Heeft een diploma van onbekend niveau")
    # havo, then vavo at another school the same day, without a diploma: never "Is nooit gestopt met een opleiding
    # zonder diploma." (it stopped twice); the career raises the chance through the switches, so those are said
    career = sentences("havo then vavo the same day")["schoolloopbaan"]
    assert "Is nooit gestopt met een opleiding zonder diploma." not in career
    assert career.startswith("Is na de basisschool 2 keer zonder diploma naar een andere school gegaan")


def test_a_youth_with_no_school_records_gets_a_dated_warning_and_no_school_career(asgi_client):
    no_records = history(birth="2000-05-01", diplomas=[], enrollments=[])
    result = asgi_client.post("/explain", json={"youth": request_youth("GAP", as_of=AS_OF, history=no_records)}).json()
    assert [(w["code"], w["concept"], w["about_nl"]) for w in result["data_quality"]] == [
        ("no_school_records", "schoolsituatie", "de inschrijvingen tot en met 1 oktober 2019")]
    assert result["data_quality"][0]["message_nl"] == (
        "Er zijn tot en met 1 oktober 2019 geen schoolgegevens van deze jongere bekend. Ga na of de jongere in het "
        "buitenland naar school ging of later naar Nederland is gekomen.")
    shown = {r["concept"] for r in result["reasons"] + result["background"]}
    assert "schoolsituatie" not in shown and "schoolloopbaan" not in shown
    assert not any("nooit" in r["sentence_nl"] and r["concept"] != "verzuim" for r in result["reasons"])
    page = asgi_client.post("/ui/nieuw", data={"gegevens": json.dumps(request_youth("GAP", as_of=AS_OF, history=no_records))})
    assert "Er zijn tot en met 1 oktober 2019 geen schoolgegevens van deze jongere bekend." in page.text
    assert "ook nooit" not in page.text and "nooit gestopt" not in page.text


def test_implausible_data_is_flagged_not_explained(asgi_client):
    implausible = history(birth="2000-05-01", enrollments=[enrolment("2018-08-15")],
                          reports=[report("2019-09-20", kind="18plus", hours=436)])
    result = asgi_client.post("/explain", json={"youth": request_youth("ODD", as_of=AS_OF, history=implausible)}).json()
    assert [w["code"] for w in result["data_quality"]] == ["absence_over_school_hours"]
    assert result["data_quality"][0]["concept"] == "verzuim"
    assert "verzuim" not in {r["concept"] for r in result["reasons"]}  # no reason built on 436 hours in 4 weeks
    assert not any("436" in r["sentence_nl"] for r in result["reasons"] + result["background"])
    page = asgi_client.post("/ui/nieuw", data={"gegevens": json.dumps(request_youth("ODD", as_of=AS_OF, history=implausible))})
    assert "Controleer eerst de gegevens." in page.text
    assert ("In de 4 weken van 4 september tot en met 1 oktober 2019 zijn meer verzuimuren gemeld dan er schooluren "
            "waren.") in page.text
