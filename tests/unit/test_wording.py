"""What officers read: exact Dutch sentences, number formatting, verb agreement and probability wording."""

from __future__ import annotations

import math

import pytest

from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.wording import SUBJECTS, dutch_number, probability_in_words, reason_sentence


@pytest.mark.parametrize(("feature", "value", "raises", "sentence"), [
    ("absence_hours_13w", 34.0, True, "34 verzuimuren in de afgelopen 13 weken verhogen het risico"),
    ("absence_hours_13w", 12.5, True, "12,5 verzuimuren in de afgelopen 13 weken verhogen het risico"),
    ("absence_hours_4w", 1.0, True, "1 verzuimuur in de afgelopen 4 weken verhoogt het risico"),
    ("absence_hours_52w", 0.0, False, "Geen verzuimuren in de afgelopen 52 weken verlagen het risico"),
    ("school_switches", 1, True, "1 schoolwisseling verhoogt het risico"),
    ("school_switches", 3, True, "3 schoolwisselingen verhogen het risico"),
    ("school_switches_2y", 0, False, "Geen schoolwisselingen in de afgelopen 2 jaar verlagen het risico"),
    ("age", 22, True, "Een leeftijd van 22 jaar verhoogt het risico"),
    ("age", 18, False, "Een leeftijd van 18 jaar verlaagt het risico"),
    ("enrolled", 0, True, "Niet ingeschreven staan verhoogt het risico"),
    ("enrolled", 1, False, "Een lopende inschrijving verlaagt het risico"),
    ("current_education", "mbo-2", False, "De huidige opleiding (mbo-2) verlaagt het risico"),
    ("current_education", "geen", True, "Geen lopende opleiding verhoogt het risico"),
    ("learning_path", "BBL", False, "De beroepsbegeleidende leerweg (BBL) verlaagt het risico"),
    ("last_diploma", "geen", True, "Geen eerder behaald diploma verhoogt het risico"),
    ("last_diploma", "vmbo-kb", True, "Het laatst behaalde diploma (vmbo-kb) verhoogt het risico"),
    ("school_municipality", "Dordrecht", True, "Schoollocatie Dordrecht verhoogt het risico"),
    ("school_municipality", "buiten_regio", True, "Een schoollocatie buiten de regio verhoogt het risico"),
    ("months_not_enrolled", 1.0, True, "1 maand niet ingeschreven verhoogt het risico"),
    ("months_not_enrolled", 14.0, True, "14 maanden niet ingeschreven verhogen het risico"),
    ("months_not_enrolled", None, True, "Nooit ingeschreven zijn geweest verhoogt het risico"),
    ("months_not_enrolled", math.nan, True, "Nooit ingeschreven zijn geweest verhoogt het risico"),
    ("weeks_since_last_report", None, False, "Nooit een verzuimmelding verlaagt het risico"),
    ("weeks_since_last_report", 1.0, True, "1 week sinds de laatste verzuimmelding verhoogt het risico"),
    ("absence_reports_52w", 2, True, "2 verzuimmeldingen in het afgelopen jaar verhogen het risico"),
    ("late_reports_52w", 1, True, "1 te-laat-melding in het afgelopen jaar verhoogt het risico"),
    ("dropout_episodes", 1, True, "1 eerdere uitval zonder startkwalificatie verhoogt het risico"),
    ("dropout_episodes", 2, True, "2 eerdere keren uitval zonder startkwalificatie verhogen het risico"),
    ("vo_mbo_transition_1y", 1, True, "Een overstap van vo naar mbo in het afgelopen jaar verhoogt het risico"),
])
def test_reason_sentences(feature, value, raises, sentence):
    assert reason_sentence(feature, value, raises) == sentence


def test_every_feature_has_a_sentence():
    assert set(SUBJECTS) == set(FEATURE_NAMES)


@pytest.mark.parametrize(("value", "text"), [(34.0, "34"), (12.5, "12,5"), (0.25, "0,25"), (1.333, "1,33"), (7, "7")])
def test_dutch_number(value, text):
    assert dutch_number(value) == text


@pytest.mark.parametrize(("p", "words"), [
    (0.70, "ongeveer 7 op de 10 vergelijkbare jongeren halen geen startkwalificatie vóór hun 23e"),
    (0.66, "ongeveer 7 op de 10 vergelijkbare jongeren halen geen startkwalificatie vóór hun 23e"),
    (0.64, "ongeveer 6 op de 10 vergelijkbare jongeren halen geen startkwalificatie vóór hun 23e"),
    (0.12, "ongeveer 1 op de 10 vergelijkbare jongeren haalt geen startkwalificatie vóór hun 23e"),
    (0.05, "ongeveer 1 op de 10 vergelijkbare jongeren haalt geen startkwalificatie vóór hun 23e"),
    (0.049, "minder dan 1 op de 20 vergelijkbare jongeren haalt geen startkwalificatie vóór hun 23e"),
    (0.949, "ongeveer 9 op de 10 vergelijkbare jongeren halen geen startkwalificatie vóór hun 23e"),
    (0.95, "meer dan 19 op de 20 vergelijkbare jongeren halen geen startkwalificatie vóór hun 23e"),
])
def test_probability_in_words(p, words):
    assert probability_in_words(p, 23) == words


def test_probability_in_words_names_the_models_outcome_age():
    assert probability_in_words(0.7, 27) == "ongeveer 7 op de 10 vergelijkbare jongeren halen geen startkwalificatie vóór hun 27e"
