"""The officers' changes to a case, on SQLite and PostgreSQL: statuses follow the method, closing needs an outcome,
a decision is compared with the advice stored on the case (nothing sent in can change it), a correction is a new
record that keeps the original, and free text with a BSN is refused without repeating it."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from casework.projection import CaseNotFound, CaseRefused
from casework.store import CaseStore
from tests.builders import scored_event as event
from tests.casework.helpers import ingest, table

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"
BSN = "123456782"  # passes the 11-test


@pytest.fixture
def case(store, rules) -> int:
    """One new case: a first report on Monday 2 March 2026, advised a letter."""
    return int(ingest(store, rules, event("A", "2026-03-02", route=LETTER)).outcomes["case_id"][0])


def state(store: CaseStore, case_id: int) -> dict:
    return store.case(case_id).case


def refused(call, *args, **kwargs) -> list[str]:
    with pytest.raises(CaseRefused) as caught:
        call(*args, **kwargs)
    return caught.value.problems


def test_statuses_go_forward_in_the_methods_order(store, case):
    store.set_status(case, "in_progress", "consulent1", "gebeld")
    store.set_status(case, "route_chosen", "consulent1")  # skipping 'contact made' is allowed
    assert state(store, case)["status"] == "route_chosen"
    assert refused(store.set_status, case, "contact_made", "consulent1") == [
        "Een status gaat niet terug (nu: 'route gekozen'). Corrigeer de eerdere stap als die niet klopte."]
    assert refused(store.set_status, case, "route_chosen", "consulent1") == ["De zaak heeft al de status 'route gekozen'."]
    assert refused(store.set_status, case, "closed", "consulent1") == ["Sluit een zaak af met een uitkomst."]
    assert refused(store.set_status, case, "trajectory", " ") == ["Log in om een zaak te wijzigen."]
    records = store.case(case).records
    assert [(r["officer"], r["action"], r["status_from"], r["status_to"], r["why"]) for r in records[1:]] == [
        ("consulent1", "status", "new", "in_progress", "gebeld"), ("consulent1", "status", "in_progress", "route_chosen", None)]


def test_closing_needs_an_outcome(store, case, clock):
    assert refused(store.close, case, "consulent1", None) == ["Kies een uitkomst om de zaak af te sluiten."]
    assert refused(store.close, case, "consulent1", "terug naar school") == ["Kies een uitkomst om de zaak af te sluiten."]
    assert state(store, case)["status"] == "new"
    clock.day = dt.date(2026, 3, 4)
    store.close(case, "consulent1", "work_with_learning", "start bij een leerbedrijf")
    closed = state(store, case)
    assert (closed["status"], closed["outcome"], closed["closed_on"]) == ("closed", "work_with_learning", dt.date(2026, 3, 4))
    assert refused(store.set_status, case, "trajectory", "consulent1") == [
        "Deze zaak is afgesloten. Corrigeer de afsluiting als de zaak weer open moet."]


def test_assigning_and_unassigning(store, case):
    store.assign(case, "consulent2", by="teamleider")
    assert state(store, case)["officer"] == "consulent2"
    assert refused(store.assign, case, "consulent2", by="teamleider") == ["De zaak staat al zo toegewezen."]
    store.assign(case, None, by="teamleider")
    assert state(store, case)["officer"] is None
    assert [(r["officer"], r["assigned_to"]) for r in store.case(case).records[1:]] == [
        ("teamleider", "consulent2"), ("teamleider", None)]


def test_decide_takes_no_advice_the_stored_one_is_compared(store, case):
    assert "advice" not in " ".join(inspect.signature(store.decide).parameters)  # nothing to forge
    forged = [dict(follows=True, chosen_route=MATCH),  # "follows" a route that is not the advice
              dict(follows=False, chosen_route=LETTER, why="anders"),  # "overrides" with the advice itself
              dict(follows=False, chosen_route=TALK),  # an override without a reason
              dict(follows=False, chosen_route="anders", why="past beter"),  # "anders" without which
              dict(follows=True, chosen_route="huisbezoek")]
    answers = [refused(store.decide, case, "consulent1", **form) for form in forged]
    assert answers == [
        ["U kiest een andere route dan het advies (waarschuwingsbrief): kies 'een andere route' en geef een reden."],
        ["U kiest de geadviseerde route: dan volgt u het advies."],
        ["De toelichting ontbreekt."], ["De andere route ontbreekt."], ["Kies de route die u inzet."]]
    assert state(store, case)["advised_route"] == LETTER and table(store.engine, "case_records")[1:] == []
    store.decide(case, "consulent1", follows=True)  # following takes the stored advice
    decided = state(store, case)
    assert (decided["chosen_route"], decided["status"], decided["advised_route"]) == (LETTER, "route_chosen", LETTER)
    store.decide(case, "consulent1", follows=False, chosen_route=MATCH, why="eerder traject liep vast")
    decided = state(store, case)
    assert (decided["chosen_route"], decided["status"], decided["advised_route"]) == (MATCH, "trajectory", LETTER)
    records = store.case(case).records[1:]
    assert [(r["advised_route"], r["chosen_route"], r["follows_advice"], r["status_to"]) for r in records] == [
        (LETTER, LETTER, True, "route_chosen"), (LETTER, MATCH, False, "trajectory")]


def test_a_decision_with_another_route_a_follow_up_and_a_note(store, case, clock):
    assert refused(store.decide, case, "consulent1", follows=True, follow_up_on=dt.date(2026, 3, 1)) == [
        "De datum voor opvolging ligt in het verleden."]
    assert refused(store.decide, case, "consulent1", follows=True, other_route="buurtcoach") == [
        "Vul 'welke andere route' alleen in als u 'anders' kiest."]
    store.decide(case, "consulent1", follows=False, chosen_route="anders", other_route="buurtcoach",
                 why="kent de buurtcoach al", follow_up_on=dt.date(2026, 3, 16), note="moeder belt terug")
    decided = state(store, case)
    assert (decided["chosen_route"], decided["follow_up_on"], decided["decided_on"]) == (
        "anders", dt.date(2026, 3, 16), dt.date(2026, 3, 2))
    record = store.case(case).records[-1]
    assert (record["other_route"], record["why"], record["note"], record["follows_advice"]) == (
        "buurtcoach", "kent de buurtcoach al", "moeder belt terug", False)
    store.set_follow_up(case, "consulent1", dt.date(2026, 3, 20))
    store.add_note(case, "consulent2", "afspraak gemaakt")
    assert state(store, case)["follow_up_on"] == dt.date(2026, 3, 20)
    assert refused(store.add_note, case, "consulent2", "  ") == ["De notitie ontbreekt."]


def test_the_advice_stays_the_stored_one_after_any_decision(store, rules, case):
    other = int(ingest(store, rules, event("B", "2026-03-02", route=MATCH)).outcomes["case_id"][0])
    calls = [dict(follows=True), dict(follows=False, chosen_route="geen", why="verhuisd"),
             dict(follows=True, chosen_route=TALK), dict(follows=False, chosen_route="anders", other_route="x", why="y")]
    for case_id, advised in ((case, LETTER), (other, MATCH)):
        for call in calls:
            try:
                store.decide(case_id, "consulent1", **call)
            except CaseRefused:
                pass
            assert state(store, case_id)["advised_route"] == advised
        assert {r["advised_route"] for r in store.case(case_id).records} == {advised}


def test_a_correction_keeps_the_original_and_the_case_follows_it(store, case):
    wrong = store.set_status(case, "contact_made", "consulent1", "dacht dat ik had gebeld")
    fixed = store.correct(wrong, "consulent1", "het was een voicemail", status_to="in_progress")
    assert state(store, case)["status"] == "in_progress"  # the correction may go back
    records = store.case(case).records
    original = next(r for r in records if r["id"] == wrong)
    correction = next(r for r in records if r["id"] == fixed)
    assert (original["status_to"], original["why"], original["in_force"], original["corrected_by"]) == (
        "contact_made", "dacht dat ik had gebeld", False, [fixed])
    assert (correction["action"], correction["corrects"], correction["status_to"], correction["why"]) == (
        "correction", wrong, "in_progress", "het was een voicemail")
    again = store.correct(fixed, "teamleider", "toch wel contact gehad", status_to="contact_made")
    assert state(store, case)["status"] == "contact_made" and store.case(case).records[-1]["corrects"] == fixed
    assert [r["id"] for r in store.case(case).records] == [1, wrong, fixed, again]


def test_correcting_a_closing_or_a_decision(store, case):
    closing = store.close(case, "consulent1", "no_contact")
    store.correct(closing, "consulent1", "de jongere belde toch", outcome="work")
    assert (state(store, case)["status"], state(store, case)["outcome"]) == ("closed", "work")
    store.correct(closing, "teamleider", "nog niet klaar", status_to="trajectory")
    reopened = state(store, case)
    assert (reopened["status"], reopened["outcome"], reopened["closed_on"]) == ("trajectory", None, None)
    decision = store.decide(case, "consulent1", follows=False, chosen_route=MATCH, why="veel verzuim")
    store.correct(decision, "consulent1", "toch een brief zoals geadviseerd", chosen_route=LETTER)
    corrected = state(store, case)
    assert (corrected["chosen_route"], corrected["advised_route"]) == (LETTER, LETTER)
    assert store.case(case).records[-1]["follows_advice"] is True


def test_what_cannot_be_corrected(store, case):
    assert refused(store.correct, 1, "consulent1", "fout advies", advised_route="matchmaker") == [
        "Deze regel is door het systeem gemaakt en kan niet worden gecorrigeerd."]
    note = store.add_note(case, "consulent1", "gebeld")
    assert refused(store.correct, note, "consulent1", "typfout", status_to="closed") == [
        "Bij deze regel kunt u alleen note corrigeren, niet status_to."]
    assert refused(store.correct, note, "consulent1", "", note="gemaild") == ["De toelichting ontbreekt."]
    with pytest.raises(CaseNotFound):
        store.correct(999, "consulent1", "bestaat niet", note="x")
    with pytest.raises(CaseNotFound):
        store.set_status(999, "in_progress", "consulent1")


@pytest.mark.parametrize("written", [BSN, "123 456 782", "12.34.56.782", "bsn:123456782."])
def test_a_bsn_in_free_text_is_refused_without_being_repeated(store, case, written):
    before = table(store.engine, "case_records")
    attempts = [lambda: store.add_note(case, "consulent1", f"moeder gaf {written} door"),
                lambda: store.set_status(case, "in_progress", "consulent1", f"zie {written}"),
                lambda: store.decide(case, "consulent1", follows=False, chosen_route="anders", other_route=written,
                                     why="andere route"),
                lambda: store.decide(case, "consulent1", follows=True, note=written),
                lambda: store.close(case, "consulent1", "other", written)]
    for attempt in attempts:
        with pytest.raises(CaseRefused) as caught:
            attempt()
        message = str(caught.value)
        assert "burgerservicenummer (BSN)" in message
        assert not any(part in message for part in ("123", "456", "782", "12.34"))
    note = store.add_note(case, "consulent1", "gebeld")
    with pytest.raises(CaseRefused, match="BSN") as caught:
        store.correct(note, "consulent1", f"nummer {written}", note="gebeld")
    assert "782" not in str(caught.value)
    assert table(store.engine, "case_records") == [*before, table(store.engine, "case_records")[-1]]


def test_free_text_is_not_refused_for_ordinary_numbers(store, case):
    store.add_note(case, "consulent1", "Gebeld op 06-12345678 om 10.30 uur, afspraak 16-03-2026, 1234567890 dossier")
    assert store.case(case).records[-1]["note"].startswith("Gebeld op 06-12345678")
