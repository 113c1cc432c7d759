"""The randomised share at ingest, on SQLite and PostgreSQL: borderline new cases get a route drawn by lot among the
routes with places left, recorded with its chance and the model's own advice beside it; repeats are not drawn
again; a refused draw is an append-only record and the advice falls back to the model's.

The checker here computes each draw apart from the code: SHA-256 of "<salt>\\x1f<event key>", the first 8 bytes over
2**64 below the share draws, the next 8 bytes pick among the routes with places (in the order letter,
conversation, matchmaker). Event keys are written by hand ("report:<report number>")."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from casework.model import CaseworkRules
from casework.projection import CaseRefused
from casework.tables import case_records_table
from tests.builders import scored_event
from tests.casework.helpers import day, ingest, table

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"
SALT = "regio-zuid-holland-zuid-2026"
CUTOFFS = {"medium_cutoff": 0.30, "high_cutoff": 0.60}
PLENTY = {"conversations_per_week": 1_000_000, "matchmaker_places_per_month": 1_000_000}


def checker(key: str, salt: str = SALT) -> tuple[float, float]:
    digest = hashlib.sha256((salt + "\x1f" + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64


def borderline_event(youth: str, probability: float = 0.32, route: str = TALK, **extra) -> dict:
    return scored_event(youth, "2026-03-02", route=route, probability=probability,
                        risk_category="medium") | CUTOFFS | extra


def drawn_youths(count: int, salt: str = SALT, share: float = 0.10) -> list[str]:
    """The first `count` youth ids whose first report on 2 March 2026 is drawn (by the checker)."""
    found = [f"L{i}" for i in range(10_000) if checker(f"report:R-L{i}-2026-03-02", salt)[0] < share]
    return found[:count]


@pytest.fixture
def plenty():
    return CaseworkRules(draw_salt=SALT, **PLENTY)


def test_the_share_of_2000_borderline_events_is_the_checkers_and_within_a_binomial_bound(store, engine, plenty):
    youths = [f"Y{i:04d}" for i in range(2000)]
    probabilities = [0.26, 0.34, 0.56, 0.64] * 500  # all within 0.05 of 0.30 or 0.60
    ingest(store, plenty, *(borderline_event(y, p) for y, p in zip(youths, probabilities)))
    expected = {}
    for youth in youths:
        take, pick = checker(f"report:R-{youth}-2026-03-02")
        if take < 0.10:
            expected[youth] = (LETTER, TALK, MATCH)[int(pick * 3)]
    cases = pd.DataFrame(table(engine, "cases"))
    drawn = cases[cases["randomised"].fillna(False).astype(bool)]
    assert dict(zip(drawn["youth_id"], drawn["advised_route"])) == expected
    assert len(drawn) == len(expected)
    assert abs(len(expected) - 200) <= 4 * math.sqrt(2000 * 0.10 * 0.90)  # 4 standard deviations of Binomial(2000, 0.1)
    assert drawn["draw_propensity"].tolist() == [1 / 3] * len(expected)
    assert (drawn["model_advised_route"] == TALK).all()  # the model's own advice kept beside the draw
    assert cases[~cases["youth_id"].isin(expected)]["advised_route"].eq(TALK).all()


def test_events_away_from_the_cut_offs_are_never_drawn(store, engine, plenty):
    youths = [f"N{i:04d}" for i in range(400)]
    probabilities = [0.10, 0.2499, 0.3501, 0.45, 0.6501, 0.90] * 66 + [0.5] * 4
    ingest(store, plenty, *(borderline_event(y, p) for y, p in zip(youths, probabilities)))
    assert sum(checker(f"report:R-{y}-2026-03-02")[0] < 0.10 for y in youths) > 20  # the lot would have drawn some
    assert not any(row["randomised"] for row in table(engine, "cases"))


def test_an_event_without_its_kinds_cut_offs_is_never_drawn(store, engine, plenty):
    youths = drawn_youths(5)
    ingest(store, plenty, *(scored_event(y, "2026-03-02", route=TALK, probability=0.32) for y in youths))
    assert [row["randomised"] for row in table(engine, "cases")] == [False] * 5


def test_a_share_of_zero_draws_nothing(store, engine):
    rules = CaseworkRules(draw_salt=SALT, random_share=0.0, **PLENTY)
    ingest(store, rules, *(borderline_event(y) for y in drawn_youths(5)))
    assert [row["randomised"] for row in table(engine, "cases")] == [False] * 5


def test_no_route_without_places_is_drawn(store, engine):
    """No conversation places this week: the draw is among letter and matchmaker, each with chance 1/2."""
    rules = CaseworkRules(draw_salt=SALT, conversations_per_week=0, matchmaker_places_per_month=1_000_000)
    youths = drawn_youths(40)
    ingest(store, rules, *(borderline_event(y) for y in youths))
    cases = {row["youth_id"]: row for row in table(engine, "cases")}
    expected = {y: (LETTER, MATCH)[int(checker(f"report:R-{y}-2026-03-02")[1] * 2)] for y in youths}
    assert {y: cases[y]["advised_route"] for y in youths} == expected
    assert {cases[y]["draw_propensity"] for y in youths} == {0.5}
    assert set(expected.values()) == {LETTER, MATCH}


def test_places_taken_by_cases_this_week_close_a_route_to_the_draw(store, engine):
    """One conversation a week and one matchmaker place a month, both taken by cases opened this week (the inbox's
    figures): only the letter is left, drawn with chance 1."""
    rules = CaseworkRules(draw_salt=SALT, conversations_per_week=1, matchmaker_places_per_month=1)
    ingest(store, rules, scored_event("T1", "2026-03-02", route=TALK), scored_event("M1", "2026-03-02", route=MATCH))
    youths = drawn_youths(10)
    ingest(store, rules, *(borderline_event(y) for y in youths))
    drawn = [row for row in table(engine, "cases") if row["youth_id"] in youths]
    assert [(r["randomised"], r["advised_route"], r["draw_propensity"]) for r in drawn] == [(True, LETTER, 1.0)] * 10


def test_a_draw_is_recorded_with_its_chance_both_advices_and_one_sentence(store, engine, plenty):
    youth = drawn_youths(1)[0]
    take, pick = checker(f"report:R-{youth}-2026-03-02")
    drawn = (LETTER, TALK, MATCH)[int(pick * 3)]
    ingest(store, plenty, borderline_event(youth))
    view = store.case(1, day("2026-03-02"))
    case = view.case
    assert (case["randomised"], case["advised_route"], case["model_advised_route"], case["draw_propensity"],
            case["policy"]) == (True, drawn, TALK, 1 / 3, "tier")
    phrase = {LETTER: "een brief", TALK: "een gesprek", MATCH: "begeleiding door een matchmaker"}[drawn]
    assert case["advice_why"] == (f"Eerste melding van verzuim: deze zaak is ingeloot. De route {phrase} is door "
                                  "loting gekozen; het model adviseert een gesprek.")
    event = view.events[0]
    assert (event["randomised"], event["advised_route"], event["model_advised_route"], event["draw_propensity"],
            event["medium_cutoff"], event["high_cutoff"], event["policy"]) == (True, drawn, TALK, 1 / 3, 0.30, 0.60, "tier")
    assert [(r["action"], r["advised_route"]) for r in view.records] == [("opened", drawn)]


def test_a_repeat_that_attaches_to_a_drawn_case_is_not_drawn_again(store, engine, plenty):
    rules = dataclasses.replace(plenty, random_share=1.0)  # every borderline opening is drawn
    youth = "R1"
    ingest(store, rules, borderline_event(youth))
    drawn = store.case(1, day("2026-03-02")).case["advised_route"]
    repeat = scored_event(youth, "2026-03-09", kind="report_repeat", route=TALK, probability=0.32) | CUTOFFS
    result = ingest(store, rules, repeat)
    assert result.outcomes["status"].tolist() == ["attached"]
    view = store.case(1, day("2026-03-09"))
    assert [e["randomised"] for e in view.events] == [True, False]
    ladder = (LETTER, TALK, MATCH)
    assert view.case["advised_route"] == ladder[min(2, max(ladder.index(drawn) + 1, 1))]  # escalated from the draw
    assert view.case["randomised"] and view.case["draw_propensity"] == 1 / 3


def test_a_refused_draw_is_recorded_with_its_reason_and_the_advice_falls_back(store, engine, plenty):
    rules = dataclasses.replace(plenty, random_share=1.0)
    ingest(store, rules, borderline_event("F1"), borderline_event("F2", probability=0.10, route=LETTER))
    with pytest.raises(CaseRefused) as missing:
        store.refuse_draw(1, "Consulent A", "  ")
    assert missing.value.problems == ["De reden van de weigering ontbreekt."]
    with pytest.raises(CaseRefused) as bsn:
        store.refuse_draw(1, "Consulent A", "zie 123456782")
    assert "123456782" not in str(bsn.value) and "burgerservicenummer" in str(bsn.value)
    with pytest.raises(CaseRefused) as not_drawn:
        store.refuse_draw(2, "Consulent A", "past niet")
    assert not_drawn.value.problems == ["Deze zaak is niet ingeloot: er is geen loting om te weigeren."]

    record_id = store.refuse_draw(1, "Consulent A", "De jongere heeft al een afspraak bij het jongerenloket.")
    view = store.case(1, day("2026-03-02"))
    assert (view.case["advised_route"], view.case["draw_refused"], view.case["randomised"]) == (TALK, True, True)
    assert view.case["advice_why"] == "De loting is geweigerd: het advies is weer dat van het model, een gesprek."
    assert [(r["id"], r["action"], r["officer"], r["advised_route"], r["why"]) for r in view.records][-1] == (
        record_id, "refusal", "Consulent A", TALK, "De jongere heeft al een afspraak bij het jongerenloket.")
    with pytest.raises(CaseRefused) as twice:
        store.refuse_draw(1, "Consulent A", "nog eens")
    assert twice.value.problems == ["De loting van deze zaak is al geweigerd."]

    store.decide(1, "Consulent A", follows=True)  # the officer decides as usual, against the model's advice
    decided = store.case(1, day("2026-03-02"))
    assert (decided.case["chosen_route"], decided.records[-1]["follows_advice"]) == (TALK, True)
    assert decided.case["draw_refused"] is True  # a later change re-folds the refusal

    with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:  # append-only: the database refuses
        connection.execute(case_records_table.update().where(case_records_table.c.id == record_id).values(why="x"))


def test_a_draw_cannot_be_refused_after_the_decision(store, plenty):
    ingest(store, dataclasses.replace(plenty, random_share=1.0), borderline_event("G1"))
    store.decide(1, "Consulent B", follows=True)
    with pytest.raises(CaseRefused) as late:
        store.refuse_draw(1, "Consulent B", "te laat")
    assert late.value.problems[0].startswith("Er is al een besluit vastgelegd.")


def test_the_share_band_and_salt_are_regional_settings(tmp_path):
    region = tmp_path / "region.toml"
    region.write_text('[casework]\nrandom_share = 0.2\nrandom_band = 0.03\ndraw_salt = "zhz"\n', encoding="utf-8")
    rules = CaseworkRules.from_toml(region)
    assert (rules.random_share, rules.random_band, rules.draw_salt) == (0.2, 0.03, "zhz")
    assert (CaseworkRules().random_share, CaseworkRules().random_band) == (0.10, 0.05)
    region.write_text("[casework]\nrandom_share = 1.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="random_share must lie between 0 and 1, got 1.5"):
        CaseworkRules.from_toml(region)


def test_a_refusal_cannot_be_corrected_away(store, plenty):
    ingest(store, dataclasses.replace(plenty, random_share=1.0), borderline_event("H1"))
    record_id = store.refuse_draw(1, "Consulent C", "Past niet bij de jongere.")
    with pytest.raises(CaseRefused) as kept:
        store.correct(record_id, "Consulent C", "vergist")
    assert kept.value.problems == ["Een geweigerde loting blijft geweigerd: beslis nu zelf, en leg uit waarom."]
    assert store.case(1, day("2026-03-02")).case["draw_refused"] is True
