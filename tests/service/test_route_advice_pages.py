"""The advice in force in the whole service (in-process, the session's champion store): without a promoted route
policy new cases get the tier advice and the pages say so; after a hand-made policy is promoted and `/reload` read
it, a delivered event's case stores `policy="benefit"` and the policy's route, the case page says which advice is
in force, how it was checked and the artifact's evidence for youths like this one. With only an evaluation
registered (alias `evaluated`, not promoted) the advice stays the tier's and the case page shows that evaluation's
evidence, where it comes from and which check failed, in words. The aliases are removed and the service reloaded
afterwards, so the other tests see the tier advice again."""

from __future__ import annotations

import pytest

from serving.case_events import case_scorer
from tests.builders import report
from tests.route_policies import (
    EVIDENCE,
    LETTER,
    MATCH,
    TALK,
    expected_route,
    hand_made_policy,
    register_hand_made,
    remove_route_aliases,
)
from tests.service.test_case_events import cases, delivery, post

TIER_SENTENCE = "Het advies volgt de risicogroep."
BENEFIT_SENTENCE = "Het advies volgt wat voor jongeren zoals deze het beste werkte."


def reload(client, api_keys):
    response = client.post("/reload", json={}, headers=api_keys["headers"]["admin"])
    assert response.status_code == 200, response.text


@pytest.fixture
def promoted(asgi_client, api_keys, champion_store):
    settings = champion_store["settings"]
    version = register_hand_made(settings)
    reload(asgi_client, api_keys)
    yield version
    remove_route_aliases(settings)
    reload(asgi_client, api_keys)


@pytest.fixture
def evaluated_only(asgi_client, api_keys, champion_store):
    """The hand-made policy registered as the latest evaluation only: its value and groups checks failed."""
    settings = champion_store["settings"]
    version = register_hand_made(settings, hand_made_policy(failed=("value", "groups")), promoted=False)
    reload(asgi_client, api_keys)
    yield version
    remove_route_aliases(settings)
    reload(asgi_client, api_keys)


def opened_case(client, api_keys, youth_id: str, report_id: str) -> dict:
    given = report("2026-09-15", report_id=report_id, youth_id="X")
    response = post(client, api_keys, delivery(youth_id, report=given))
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


def test_without_a_promoted_policy_the_pages_say_the_tier_advice_is_in_force(asgi_client, api_keys, scored_current):
    answer = opened_case(asgi_client, api_keys, "RA-T1", "MELD-RA-01")
    case = cases(scored_current).case(answer["case_id"]).case
    assert case["policy"] == "tier"
    page = asgi_client.get(f"/ui/zaak/{answer['case_id']}").text
    section = page.split('id="routes-bewijs"')[1].split("</section>")[0]
    assert TIER_SENTENCE in section and "leert nog welke route" in section and "(10% van de zaken" in section
    assert "U beslist, niet het model." in section and 'id="routes-tabel"' not in section
    youth = scored_current["frame"]["youth_id"].iloc[0]
    assert f'<p class="meta" id="advies-in-gebruik">{TIER_SENTENCE}</p>' in asgi_client.get(f"/ui/jongere/{youth}").text


def test_a_promoted_policy_advises_new_cases_and_the_case_page_shows_its_evidence(asgi_client, api_keys,
                                                                                 scored_current, promoted):
    answer = opened_case(asgi_client, api_keys, "RA-B1", "MELD-RA-02")
    view = cases(scored_current).case(answer["case_id"])
    case = view.case
    assert not case["randomised"]
    assert case["policy"] == "benefit" and view.events[0]["policy"] == "benefit"
    assert answer["advised_route"] == case["advised_route"] == expected_route(case["risk_category"], "report_first")
    page = asgi_client.get(f"/ui/zaak/{answer['case_id']}").text
    section = page.split('id="routes-bewijs"')[1].split("</section>")[0]
    assert BENEFIT_SENTENCE in section and TIER_SENTENCE not in section
    assert "Het verschil is ongeveer 4 van de 100 (tussen 1 en 7)." in section and "640 eerdere zaken" in section
    assert "U beslist, niet het model." in section and 'id="routes-herkomst"' not in section
    assert_evidence_rows(section, case["risk_category"])
    youth = scored_current["frame"]["youth_id"].iloc[0]
    assert "volgt het advies wat voor jongeren zoals deze het beste werkte" in asgi_client.get(f"/ui/jongere/{youth}").text


def test_the_sync_path_gives_the_policys_route(champion_store, population_dir):
    import pandas as pd

    from features.office_events import office_events
    from serving.route_advice import AdviceInForce
    from tests.route_policies import hand_made_policy
    from vsv_model.reader import read_data_dir

    data = read_data_dir(population_dir)
    events = office_events(data, pd.Timestamp("2026-06-01").date(), pd.Timestamp("2026-06-30").date()).head(40)
    rows = case_scorer(champion_store["served"], AdviceInForce(hand_made_policy(), "1", ""))(data, events)
    assert len(rows) and set(rows["policy"]) == {"benefit"}
    births = pd.to_datetime(data.youths.set_index("youth_id")["birth_date"]).reindex(rows["youth_id"]).to_numpy()
    ages = (pd.to_datetime(rows["event_date"]).to_numpy() - births) / pd.Timedelta(days=1) / 365.25
    assert {"new_leaver", "report_first"} <= set(rows["kind"]) and (ages <= 20.5).any() and (ages > 20.5).any()
    assert list(rows["route"]) == [expected_route(c, k, a) for c, k, a in zip(rows["risk_category"], rows["kind"], ages)]


def assert_evidence_rows(section: str, risk_category: str) -> None:
    """The table's rows against the hand-made evidence, read apart from the page's code."""
    for route, (count, effect, low, high) in zip((LETTER, TALK, MATCH), EVIDENCE[risk_category]):
        row = section.split(f'id="route-{route}"')[1].split("</tr>")[0]
        assert f'<td class="zaken">{count}</td>' in row
        if count < 20:
            assert "te weinig zaken om iets te zeggen" in row
        elif route != LETTER:
            number = round(100 * effect)
            assert f"ongeveer {abs(number)} van de 100 jongeren {'meer' if number > 0 else 'minder'}" in row
            assert f"tussen {round(100 * low)} en {round(100 * high)} van de 100" in row
            assert ("nog onzeker" if low <= 0 <= high else "zeker genoeg") in row


def test_an_evaluation_not_promoted_shows_its_evidence_and_which_check_failed(asgi_client, api_keys, scored_current,
                                                                              evaluated_only):
    answer = opened_case(asgi_client, api_keys, "RA-E1", "MELD-RA-03")
    case = cases(scored_current).case(answer["case_id"]).case
    assert case["policy"] == "tier"  # the evaluation never advises
    page = asgi_client.get(f"/ui/zaak/{answer['case_id']}").text
    section = page.split('id="routes-bewijs"')[1].split("</section>")[0]
    assert TIER_SENTENCE in section and BENEFIT_SENTENCE not in section
    assert 'id="routes-tabel"' in section
    assert_evidence_rows(section, case["risk_category"])
    note = section.split('id="routes-herkomst">')[1].split("</p>")[0]
    assert note == ("Deze cijfers komen uit de laatste evaluatie (periode 1 januari 2024 tot en met 31 december 2025). "
                    "Die route-keuze is nog niet goed genoeg bewezen om het advies te bepalen: het advies volgt de "
                    "risicogroep. Waarom nog niet: het verschil met het advies volgens de risicogroep is nog te "
                    "onzeker; voor een groep jongeren zou het advies slechter uitpakken dan het advies volgens de "
                    "risicogroep.")
    assert "U beslist, niet het model." in section
    for jargon in ("interval", "gate", "policy", "evaluated", "champion"):
        assert jargon not in section.lower()
