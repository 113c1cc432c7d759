"""What officers read: the exact Dutch sentence of every template in docs/reasons.md, number formatting,
singular and plural, and the probability in words."""

from __future__ import annotations

import pytest

from vsv_model.wording import dutch_number, probability_in_words, reason_sentence, risk_nl

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
    ({}, "Is nooit gestopt met een opleiding zonder diploma. Is nooit van school gewisseld zonder diploma."),
    ({"dropout_episodes": 1, "school_switches": 1},
     "Is 1 keer gestopt met een opleiding zonder diploma. Is 1 keer van school gewisseld zonder diploma."),
    ({"dropout_episodes": 2, "school_switches": 3, "school_switches_2y": 1, "vo_mbo_transition_1y": 1},
     "Is 2 keer gestopt met een opleiding zonder diploma. Is 3 keer van school gewisseld zonder diploma, waarvan 1 keer "
     "in de afgelopen 2 jaar. Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan."),
])
def test_school_career(values, sentence):
    assert reason_sentence("schoolloopbaan", CAREER | values, DOWN) == f"{sentence} Dit maakt de kans kleiner."


@pytest.mark.parametrize(("concept", "values", "sentence"), [
    ("diploma", {"last_diploma": "geen"}, "Heeft nog geen diploma."),
    ("diploma", {"last_diploma": "vmbo-bb"}, "Heeft een vmbo-diploma (basis)."),
    ("diploma", {"last_diploma": "vmbo-kb"}, "Heeft een vmbo-diploma (kader)."),
    ("diploma", {"last_diploma": "vmbo-gt"}, "Heeft een vmbo-diploma (gemengd of theoretisch)."),
    ("diploma", {"last_diploma": "mbo-1"}, "Heeft een mbo-diploma niveau 1 (entree)."),
    ("diploma", {"last_diploma": "onbekend"}, "Heeft een diploma van onbekend niveau."),
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


@pytest.mark.parametrize(("p", "words"), [
    (0.7, "ongeveer 7 op de 10 vergelijkbare jongeren halen vóór hun 23e verjaardag geen diploma van mbo-niveau 2 of hoger, "
          "havo of vwo"),
    (0.1, "ongeveer 1 op de 10 vergelijkbare jongeren haalt vóór hun 23e verjaardag geen diploma van mbo-niveau 2 of hoger, "
          "havo of vwo"),
    (0.049, "minder dan 1 op de 20 vergelijkbare jongeren haalt vóór hun 23e verjaardag geen diploma van mbo-niveau 2 of "
            "hoger, havo of vwo"),
    (0.95, "meer dan 19 op de 20 vergelijkbare jongeren halen vóór hun 23e verjaardag geen diploma van mbo-niveau 2 of "
           "hoger, havo of vwo"),
])
def test_probability_in_words(p, words):
    assert probability_in_words(p, 23) == words


def test_the_risk_is_named_with_the_models_outcome_age_and_without_jargon():
    assert risk_nl(27) == "de kans dat deze jongere vóór de 27e verjaardag geen diploma haalt van mbo-niveau 2 of hoger, havo of vwo"
    assert "startkwalificatie" not in risk_nl(23) + probability_in_words(0.5, 23)
