"""What the officers' list and "Alle factoren" say, from tiny literal inputs: values in words, effects without
numbers, dates and freshness in Dutch, who has left the group, the list's query and its page numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from serving.feature_words import VALUE_WORDS, factors, last_report_nl, value_nl
from serving.freshness import days_ago_nl, dutch_date, left_group_nl, left_group_sentences
from serving.list_query import page_numbers, read_list_query
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.target_group import CURRENT_LAW, EXTENDED_TO_27


@pytest.mark.parametrize(("name", "value", "words"), [
    ("enrolled", 1, "ja"), ("enrolled", 0, "nee"), ("months_not_enrolled", 24.0, "24 maanden"),
    ("months_not_enrolled", 1.0, "1 maand"), ("months_not_enrolled", None, "nooit ingeschreven"),
    ("months_not_enrolled", float("nan"), "nooit ingeschreven"), ("school_municipality", "buiten_regio", "buiten de regio"),
    ("school_municipality", "Dordrecht", "Dordrecht"), ("absence_hours_4w", 12.0, "12 uur"), ("absence_hours_13w", 2.5, "2,5 uur"),
    ("current_education", "mbo-2", "mbo niveau 2"), ("current_education", "geen", "geen opleiding"),
    ("last_diploma", "geen", "geen diploma"), ("last_diploma", "vmbo-kb", "vmbo kader"), ("learning_path", "BBL", "werkend leren (BBL)"),
    ("weeks_since_last_report", None, "nooit gemeld"), ("weeks_since_last_report", 3.0, "3 weken"), ("age", 21, "21 jaar"),
    ("absence_reports_52w", 0, "geen"), ("absence_reports_52w", 1, "1 melding"), ("school_switches", 2, "2 keer"),
    ("vo_mbo_transition_1y", 1, "ja"),
])
def test_a_feature_value_in_words_and_units(name, value, words):
    assert value_nl(name, value) == words


def test_every_feature_has_words():
    assert set(VALUE_WORDS) == set(FEATURE_NAMES)


def test_the_list_says_when_the_last_report_was():
    assert [last_report_nl(w) for w in (None, float("nan"), 0.0, 1.0, 6.0, 103.0, 104.0, 593.0)] == [
        "nooit gemeld", "nooit gemeld", "deze week", "1 week geleden", "6 weken geleden", "103 weken geleden", "2 jaar geleden",
        "ruim 11 jaar geleden"]


def test_effects_are_a_direction_and_a_size_never_a_number():
    values = {"age": 22, "enrolled": 0, "absence_hours_4w": 12.0, "months_not_enrolled": None}
    rows = factors(values, {"age": 0.3, "enrolled": 1.2, "absence_hours_4w": -0.4, "months_not_enrolled": 0.001})
    shown = {f.label: (f.value, f.effect, f.size, f.width) for f in rows}
    assert rows[0].label == "Staat ingeschreven" and len(rows) == len(FEATURE_NAMES)
    assert shown["Staat ingeschreven"] == ("nee", "maakt de kans groter", "sterk", 100)
    assert shown["Verzuimuren afgelopen 4 weken"] == ("12 uur", "maakt de kans kleiner", "matig", 33)
    assert shown["Leeftijd"] == ("22 jaar", "maakt de kans groter", "matig", 25)
    # a small effect still has its direction (the reasons show any effect that is not 0), only 0 is "geen invloed"
    assert shown["Maanden niet ingeschreven"] == ("nooit ingeschreven", "maakt de kans groter", "weinig", 1)
    assert shown["Leerweg"] == ("onbekend", "geen invloed", "", 0)  # a feature without a value or an effect


def test_dates_and_freshness_in_dutch():
    assert dutch_date(dt.date(2026, 10, 1)) == "1 oktober 2026" and dutch_date("2026-11-12") == "12 november 2026"
    today = dt.date(2026, 12, 6)
    assert [days_ago_nl(d, today) for d in ("2026-10-01", "2026-12-05", "2026-12-06")] == ["66 dagen geleden", "1 dag geleden", "vandaag"]


def test_a_youth_is_out_of_the_group_from_the_day_itself():
    day = dt.date(2026, 11, 12)
    assert left_group_nl("2026-11-12", "max_age", day, CURRENT_LAW) == "Valt sinds 12 november 2026 buiten de doelgroep: 23 jaar geworden."
    assert left_group_nl("2026-11-12", "max_age", day, EXTENDED_TO_27).endswith(": 27 jaar geworden.")
    assert left_group_nl("2026-11-12", "startkwalificatie", day, CURRENT_LAW) == (
        "Valt sinds 12 november 2026 buiten de doelgroep: heeft een diploma van mbo-niveau 2 of hoger, havo of vwo gehaald.")
    assert left_group_nl("2026-11-13", "max_age", day, CURRENT_LAW) is None
    assert left_group_nl(float("nan"), float("nan"), day, CURRENT_LAW) is None


def test_the_list_marks_only_those_who_left_and_old_files_not_at_all():
    rows = pd.DataFrame({"leaves_group_on": ["2026-11-12", "2026-11-13", None], "leaves_group_reason": ["max_age"] * 3}, index=[7, 8, 9])
    marked = left_group_sentences(rows, dt.date(2026, 11, 12), CURRENT_LAW)
    assert marked.tolist() == ["Valt sinds 12 november 2026 buiten de doelgroep: 23 jaar geworden.", "", ""]
    assert marked.index.tolist() == [7, 8, 9]
    assert left_group_sentences(pd.DataFrame({"youth_id": ["A"]}), dt.date(2026, 11, 12), CURRENT_LAW).tolist() == [""]


@pytest.mark.parametrize(("page", "pages", "numbers"), [
    (1, 1, [1]), (1, 3, [1, 2, 3]), (4, 7, [1, 2, 3, 4, 5, 6, 7]), (5, 10, [1, None, 3, 4, 5, 6, 7, None, 10]),
    (1, 44, [1, 2, 3, None, 44]), (44, 44, [1, None, 42, 43, 44]),
])
def test_page_numbers_show_the_first_the_last_and_the_nearby_pages(page, pages, numbers):
    assert page_numbers(page, pages) == numbers


def test_the_query_accepts_dutch_words_and_codes_and_names_what_it_does_not_know():
    query = read_list_query(" Laag ", "buiten de regio", "nee", "  j00 ", "melding", "", 2)
    assert (query.wanted.tier, query.wanted.municipality, query.wanted.enrolled, query.wanted.search) == ("low", "buiten_regio", False, "j00")
    assert (query.wanted.sort, query.wanted.descending, query.problems) == ("melding", False, [])
    assert read_list_query("high", "", "", "", "leeftijd-oplopend", "", 1).wanted.tier == "high"
    assert read_list_query("", "", "", "", "leeftijd-oplopend", "", 1).wanted.descending is False
    refused = read_list_query("extreem", "Parijs", "misschien", "123456782", "naam", "zijwaarts", 1)
    assert refused.wanted == read_list_query("", "", "", "", "", "", 1).wanted
    assert refused.problems == [
        "Het filter 'risico' kent deze waarde niet en is niet toegepast. Kies laag, midden of hoog.",
        "Het filter 'schoollocatie' kent deze waarde niet en is niet toegepast. Kies een gemeente uit de lijst.",
        "Het filter 'ingeschreven' kent deze waarde niet en is niet toegepast. Kies ja of nee.",
        "Zoek nooit op een burgerservicenummer (BSN), alleen op het nummer (pseudoniem) van de jongere.",
        "Deze sortering bestaat niet; de lijst staat op kans. Kies kans, leeftijd, maanden of melding.",
        "Deze volgorde bestaat niet. Kies aflopend of oplopend.",
    ]


def test_the_factors_are_grouped_as_the_reasons_with_what_each_group_does_together():
    from serving.feature_words import factors_by_concept

    values = {"enrolled": 0, "current_education": "geen", "learning_path": "geen", "months_not_enrolled": 1.0}
    contributions = {"enrolled": 0.9, "current_education": 0.2, "months_not_enrolled": -0.1, "age": 0.5}
    groups = factors_by_concept(values, contributions)
    first = groups[0]
    assert (first.total.label, first.total.effect, first.total.size, first.total.width) == (
        "Schoolsituatie", "maakt de kans groter", "sterk", 100)  # 0.9 + 0.2 - 0.1 = 1.0, the largest
    assert [(f.label, f.effect) for f in first.features] == [
        ("Staat ingeschreven", "maakt de kans groter"), ("Huidige opleiding", "maakt de kans groter"),
        ("Maanden niet ingeschreven", "maakt de kans kleiner"), ("Leerweg", "geen invloed")]
    assert (groups[1].total.label, groups[1].total.size, groups[1].total.width) == ("Leeftijd", "sterk", 50)
    assert sum(len(g.features) for g in groups) == len(FEATURE_NAMES)
