"""What officers read: the exact Dutch sentence of every template in docs/reasons.md, number formatting,
singular and plural, and the probability in words."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from serving.page_base import percent
from vsv_model.wording import dutch_date, dutch_number, dutch_period, probability_in_words, reason_sentence, risk_nl

UP, DOWN = 0.4, -0.4
ENROLLED = {"enrolled": 1, "current_education": "mbo-2", "learning_path": "BOL", "months_not_enrolled": 0.0}
OUT = {"enrolled": 0, "current_education": "geen", "learning_path": "geen"}
NO_ABSENCE = {"absence_hours_4w": 0.0, "absence_hours_13w": 0.0, "absence_hours_52w": 0.0, "absence_reports_52w": 0,
              "late_reports_52w": 0, "weeks_since_last_report": None}
CAREER = {"school_switches": 0, "school_switches_2y": 0, "dropout_episodes": 0, "vo_mbo_transition_1y": 0}


@pytest.mark.parametrize(("values", "contribution", "sentence"), [
    (ENROLLED, DOWN, "Volgt nu mbo niveau 2, vooral op school (BOL). Dit maakt de kans kleiner."),
    (ENROLLED | {"current_education": "mbo-1", "learning_path": "BBL"}, UP,
     "Volgt nu mbo niveau 1 (entree), werkend leren (BBL). Dit maakt de kans groter."),
    (ENROLLED | {"current_education": "havo", "learning_path": "geen"}, DOWN, "Volgt nu havo. Dit maakt de kans kleiner."),
    (ENROLLED | {"current_education": "onbekend", "learning_path": "geen"}, UP,
     "Volgt nu een opleiding van onbekend type. Dit maakt de kans groter."),
    (OUT | {"months_not_enrolled": 0.0}, UP,
     "Staat sinds minder dan een maand niet meer ingeschreven bij een school. Dit maakt de kans groter."),
    (OUT | {"months_not_enrolled": 1.0}, UP, "Staat sinds 1 maand niet meer ingeschreven bij een school. Dit maakt de kans groter."),
    (OUT | {"months_not_enrolled": 23.0}, UP, "Staat sinds 23 maanden niet meer ingeschreven bij een school. Dit maakt de kans groter."),
    (OUT | {"months_not_enrolled": 24.0}, UP, "Staat sinds 2 jaar niet meer ingeschreven bij een school. Dit maakt de kans groter."),
    (OUT | {"months_not_enrolled": 30.0}, UP, "Staat sinds ruim 2 jaar niet meer ingeschreven bij een school. Dit maakt de kans groter."),
    (OUT | {"months_not_enrolled": None}, UP,
     "Staat niet ingeschreven bij een school en was dat volgens de gegevens ook nooit. Dit maakt de kans groter."),
])
def test_school_situation(values, contribution, sentence):
    assert reason_sentence("schoolsituatie", values, contribution) == sentence


@pytest.mark.parametrize(("values", "sentence"), [
    ({}, "Er is nooit verzuim gemeld."),
    ({"weeks_since_last_report": 52.0}, "Het laatste verzuim werd 1 jaar geleden gemeld."),
    ({"weeks_since_last_report": 321.0}, "Het laatste verzuim werd ruim 6 jaar geleden gemeld."),
    ({"absence_reports_52w": 3, "absence_hours_52w": 48.0, "absence_hours_13w": 16.0, "weeks_since_last_report": 5.0},
     "De school meldde in het afgelopen jaar 3 keer dat de jongere zonder geldige reden afwezig was, samen 48 uur "
     "(waarvan 16 uur in de laatste 13 weken). De laatste melding was 5 weken geleden."),
    ({"absence_reports_52w": 1, "absence_hours_52w": 1.0, "absence_hours_13w": 1.0, "absence_hours_4w": 1.0,
      "weeks_since_last_report": 0.0},
     "De school meldde in het afgelopen jaar 1 keer dat de jongere zonder geldige reden afwezig was, samen 1 uur "
     "(waarvan 1 uur in de laatste 13 weken en 1 uur in de laatste 4 weken). De laatste melding was deze week."),
    ({"absence_reports_52w": 2, "absence_hours_52w": 120.0, "late_reports_52w": 1, "weeks_since_last_report": 30.0},
     "De school meldde in het afgelopen jaar 2 keer dat de jongere zonder geldige reden afwezig was, samen 120 uur "
     "(geen uren in de laatste 13 weken). Ook meldde de school 1 keer dat de jongere vaak te laat kwam. "
     "De laatste melding was 30 weken geleden."),
    ({"absence_reports_52w": 2, "weeks_since_last_report": 1.0},
     "De school meldde in het afgelopen jaar 2 keer dat de jongere zonder geldige reden afwezig was. "
     "De laatste melding was 1 week geleden."),
    ({"late_reports_52w": 2, "weeks_since_last_report": 3.0},
     "De school meldde in het afgelopen jaar 2 keer dat de jongere vaak te laat kwam. De laatste melding was 3 weken geleden."),
    ({"absence_reports_52w": 1, "absence_hours_52w": 12.5, "absence_hours_13w": 12.5, "weeks_since_last_report": 2.0},
     "De school meldde in het afgelopen jaar 1 keer dat de jongere zonder geldige reden afwezig was, samen 12,5 uur "
     "(waarvan 12,5 uur in de laatste 13 weken). De laatste melding was 2 weken geleden."),
])
def test_absence(values, sentence):
    assert reason_sentence("verzuim", NO_ABSENCE | values, UP) == f"{sentence} Dit maakt de kans groter."


@pytest.mark.parametrize(("values", "sentence"), [
    ({}, "Is nooit gestopt met een opleiding zonder diploma en zonder binnen een maand aan een nieuwe te beginnen. "
         "Is na de basisschool nooit zonder diploma naar een andere school gegaan."),
    ({"dropout_episodes": 1, "school_switches": 1},
     "Is 1 keer gestopt met een opleiding zonder diploma en zonder binnen een maand aan een nieuwe te beginnen. "
     "Is na de basisschool 1 keer zonder diploma naar een andere school gegaan."),
    ({"dropout_episodes": 2, "school_switches": 3, "school_switches_2y": 1, "vo_mbo_transition_1y": 1},
     "Is 2 keer gestopt met een opleiding zonder diploma en zonder binnen een maand aan een nieuwe te beginnen. "
     "Is na de basisschool 3 keer zonder diploma naar een andere school gegaan, waarvan 1 keer in de afgelopen 2 jaar. "
     "Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan, met hooguit 3 maanden ertussen."),
])
def test_school_career(values, sentence):
    assert reason_sentence("schoolloopbaan", CAREER | values, DOWN) == f"{sentence} Dit maakt de kans kleiner."


NOT_YET = ", maar nog geen diploma van mbo-niveau 2 of hoger, havo of vwo."


@pytest.mark.parametrize(("level", "achievement"), [
    ("vmbo-bb", "Heeft een vmbo-diploma (basis)"), ("vmbo-kb", "Heeft een vmbo-diploma (kader)"),
    ("vmbo-gt", "Heeft een vmbo-diploma (gemengd of theoretisch)"), ("mbo-1", "Heeft een mbo-diploma niveau 1 (entree)"),
    ("onbekend", "Heeft een diploma van onbekend niveau"),
])
def test_a_diploma_is_never_worded_as_raising_the_chance(level, achievement):
    values = {"last_diploma": level}
    assert reason_sentence("diploma", values, UP) == f"{achievement}{NOT_YET} Dit maakt de kans groter."
    assert reason_sentence("diploma", values, DOWN) == f"{achievement}. Dit maakt de kans kleiner."


def test_no_diploma_is_said_as_it_is_in_both_directions():
    assert reason_sentence("diploma", {"last_diploma": "geen"}, UP) == "Heeft nog geen diploma. Dit maakt de kans groter."
    assert reason_sentence("diploma", {"last_diploma": "geen"}, DOWN) == "Heeft nog geen diploma. Dit maakt de kans kleiner."


@pytest.mark.parametrize(("concept", "values", "sentence"), [
    ("leeftijd", {"age": 18}, "Is 18 jaar."),
    ("leeftijd", {"age": 22}, "Is 22 jaar."),
    ("schoollocatie", {"school_municipality": "Sliedrecht", "enrolled": 1}, "De school staat in Sliedrecht."),
    ("schoollocatie", {"school_municipality": "Sliedrecht", "enrolled": 0}, "De laatste school stond in Sliedrecht."),
    ("schoollocatie", {"school_municipality": "buiten_regio", "enrolled": 1}, "De school staat buiten de regio."),
    ("schoollocatie", {"school_municipality": "buiten_regio", "enrolled": 0}, "De laatste school stond buiten de regio."),
    ("schoollocatie", {"school_municipality": "onbekend", "enrolled": 0}, "De plaats van de school is niet bekend."),
])
def test_diploma_age_and_location(concept, values, sentence):
    assert reason_sentence(concept, values, UP) == f"{sentence} Dit maakt de kans groter."


@pytest.mark.parametrize(("value", "text"), [(34.0, "34"), (12.5, "12,5"), (0.25, "0,25"), (1 / 3, "0,33"), (1200, "1200")])
def test_dutch_number(value, text):
    assert dutch_number(value) == text


TAIL = "vóór hun 23e verjaardag geen diploma van mbo-niveau 2 of hoger, havo of vwo"


@pytest.mark.parametrize(("p", "words"), [
    (0.7, f"ongeveer 7 op de 10 vergelijkbare jongeren halen {TAIL}"),
    (0.1, f"ongeveer 1 op de 10 vergelijkbare jongeren haalt {TAIL}"),
    (0.06, f"ongeveer 1 op de 17 vergelijkbare jongeren haalt {TAIL}"),
    (0.049, f"ongeveer 1 op de 20 vergelijkbare jongeren haalt {TAIL}"),
    (0.18, f"ongeveer 1 op de 6 vergelijkbare jongeren haalt {TAIL}"),
    (0.37, f"ongeveer 37 op de 100 vergelijkbare jongeren halen {TAIL}"),
    (0.95, f"ongeveer 95 op de 100 vergelijkbare jongeren halen {TAIL}"),
    (0.0049, f"minder dan 1 op de 100 vergelijkbare jongeren haalt {TAIL}"),
    (0.995, f"meer dan 99 op de 100 vergelijkbare jongeren halen {TAIL}"),
])
def test_probability_in_words(p, words):
    assert probability_in_words(p, 23) == words


FRACTION = re.compile(r"(?P<bound>ongeveer|minder dan|meer dan) (?P<k>\d+) op de (?P<n>\d+) vergelijkbare jongeren "
                      r"(?P<verb>haalt|halen) ")


def stated_fraction(p: float) -> tuple[str, float, str]:
    """(bound, the stated fraction in percent, verb) of the words for p; the verb is checked against the count."""
    match = FRACTION.match(probability_in_words(p, 23))
    assert match, probability_in_words(p, 23)
    assert match["verb"] == ("haalt" if match["k"] == "1" else "halen"), match.group(0)
    return match["bound"], 100 * int(match["k"]) / int(match["n"]), match["verb"]


@pytest.mark.parametrize("shown", range(1, 100))
def test_the_words_are_close_to_every_whole_percent_the_page_shows(shown):
    for p in (shown / 100, (shown - 0.5) / 100 + 1e-9, (shown + 0.5) / 100 - 1e-9):  # every probability shown as it
        assert percent(p) == f"{shown}%"
        bound, stated, _ = stated_fraction(p)
        assert bound == "ongeveer"
        assert abs(stated - shown) <= 1.5 or abs(stated - shown) <= 0.1 * shown, (shown, stated)


def test_six_percent_is_one_in_seventeen_never_one_in_ten():
    assert stated_fraction(0.06) == ("ongeveer", 100 / 17, "haalt")


@pytest.mark.parametrize(("p", "shown", "bound", "stated", "verb"), [
    (0.0, "minder dan 1%", "minder dan", 1.0, "haalt"), (0.0049, "minder dan 1%", "minder dan", 1.0, "haalt"),
    (0.995, "meer dan 99%", "meer dan", 99.0, "halen"), (1.0, "meer dan 99%", "meer dan", 99.0, "halen"),
])
def test_the_extremes_say_less_or_more_than_the_percent_shown(p, shown, bound, stated, verb):
    assert percent(p) == shown
    assert stated_fraction(p) == (bound, stated, verb)


@pytest.mark.parametrize(("first", "last", "period"), [
    (dt.date(2010, 3, 3), dt.date(2010, 3, 9), "van 3 tot en met 9 maart 2010"),
    (dt.date(2010, 2, 28), dt.date(2010, 3, 6), "van 28 februari tot en met 6 maart 2010"),
    (dt.date(2009, 12, 28), dt.date(2010, 1, 3), "van 28 december 2009 tot en met 3 januari 2010"),
])
def test_dutch_dates_and_periods(first, last, period):
    assert dutch_period(first, last) == period
    assert dutch_period(first, last, between=True) == period.replace("van ", "tussen ", 1).replace(" tot en met ", " en ")


def test_a_dutch_date_names_the_month():
    assert dutch_date(dt.date(2010, 3, 3)) == "3 maart 2010"
    assert dutch_date(dt.date(2019, 10, 1)) == "1 oktober 2019"


def test_the_risk_is_named_with_the_models_outcome_age_and_without_jargon():
    assert risk_nl(27) == "de kans dat deze jongere vóór de 27e verjaardag geen diploma haalt van mbo-niveau 2 of hoger, havo of vwo"
    assert "startkwalificatie" not in risk_nl(23) + probability_in_words(0.5, 23)
