"""Data-quality checks on exact feature rows: which rows are flagged (the edges of each rule), what the officer
reads for each (the record and its dates, in Dutch), and what happens to the concepts they question."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vsv_model.concepts import CONCEPT_NAMES
from vsv_model.explanations import FLAGGED, NOT_SHOWN, REASON, explain_rows, reason_columns
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.plausibility import CHECK_CODES, NO_SCHOOL_RECORDS, failing, flagged_codes, implausible, warning_nl
from vsv_model.risk_model import encode_records

AS_OF = dt.date(2019, 10, 1)
# An enrolled youth who passes every check.
TYPICAL = {"age": 20, "school_municipality": "Dordrecht", "last_diploma": "vmbo-kb", "school_switches": 1,
           "school_switches_2y": 0, "enrolled": 1, "current_education": "mbo-2", "learning_path": "BOL",
           "months_not_enrolled": 0.0, "absence_hours_4w": 0.0, "absence_hours_13w": 0.0, "absence_hours_52w": 0.0,
           "absence_reports_52w": 0, "late_reports_52w": 0, "weeks_since_last_report": None, "dropout_episodes": 0,
           "vo_mbo_transition_1y": 0}
NO_RECORDS = TYPICAL | {"enrolled": 0, "current_education": "geen", "learning_path": "geen", "months_not_enrolled": None,
                        "school_switches": 0, "school_switches_2y": 0, "school_municipality": "onbekend"}


def codes(**changes) -> list[str]:
    return flagged_codes(implausible(encode_records([TYPICAL | changes]))[0])


def test_a_typical_youth_passes_every_check():
    assert codes() == []


@pytest.mark.parametrize(("age", "weeks", "flagged"), [
    (18, 782, False),  # 5,474 days back: a youth of nearly 19 was then just over 4
    (18, 783, True),  # 5,481 days: more than the most days 15 years hold (5,479), so certainly before 4
    (22, 991, False),
    (22, 992, True),  # 6,944 days against 19 years of at most 6,940
    (19, 824, False),  # a youth of 19.9 reported at about 4.1, in primary school: real data (flagged before)
    (19, 731, False),
])
def test_a_report_is_flagged_only_when_it_certainly_lies_before_the_4th_birthday(age, weeks, flagged):
    values = {"age": age, "weeks_since_last_report": float(weeks), "absence_reports_52w": 0, "late_reports_52w": 0}
    assert ("report_before_school_age" in codes(**values)) is flagged


def test_no_school_records_is_a_gap_in_the_data_and_its_code_is_usable_by_others():
    matrix = encode_records([NO_RECORDS, TYPICAL, NO_RECORDS | {"months_not_enrolled": 0.0},
                             TYPICAL | {"months_not_enrolled": None}])
    assert failing(matrix, NO_SCHOOL_RECORDS).tolist() == [True, False, False, False]
    assert flagged_codes(implausible(matrix)[0]) == [NO_SCHOOL_RECORDS]
    assert flagged_codes(implausible(matrix)[3]) == ["enrolment_disagrees"]  # enrolled without months: another check
    assert NO_SCHOOL_RECORDS == "no_school_records" and NO_SCHOOL_RECORDS in CHECK_CODES


def test_no_school_records_replaces_the_school_situation_and_hides_the_school_career_everywhere():
    contributions = np.full((2, len(FEATURE_NAMES)), 0.1)
    contributions[1] = -0.1  # lowering or raising: no "nooit" from no data either way
    explained = explain_rows(encode_records([NO_RECORDS, NO_RECORDS]), contributions)
    situation, career = CONCEPT_NAMES.index("schoolsituatie"), CONCEPT_NAMES.index("schoolloopbaan")
    assert explained.status[:, situation].tolist() == [FLAGGED, FLAGGED]
    assert explained.status[:, career].tolist() == [NOT_SHOWN, NOT_SHOWN]
    # no "Heeft nog geen diploma" and no "De plaats van de school is niet bekend" from missing data either
    for concept in ("diploma", "schoollocatie"):
        assert explained.status[:, CONCEPT_NAMES.index(concept)].tolist() == [NOT_SHOWN, NOT_SHOWN]
    assert explained.status[0, CONCEPT_NAMES.index("verzuim")] == REASON
    columns = reason_columns(explained)
    shown = {str(columns[f"reason_{k}_concept"][0]) for k in range(1, 6)}
    assert shown & {"schoolsituatie", "schoolloopbaan", "diploma", "schoollocatie"} == set()
    assert str(columns["data_quality"][0]) == "no_school_records"


def warning_of(code: str, as_of: dt.date = AS_OF, **changes) -> tuple[str, str]:
    row = encode_records([TYPICAL | changes])[0]
    assert code in flagged_codes(implausible(row[None, :])[0])
    return warning_nl(code, row, as_of)


def test_the_report_before_the_4th_birthday_names_its_week():
    as_of = dt.date(2027, 3, 16)  # 888 weeks after 9 March 2010
    assert warning_of("report_before_school_age", as_of, weeks_since_last_report=888.0) == (
        "de laatste melding van verzuim, in de week van 3 tot en met 9 maart 2010",
        "De laatste melding van verzuim (in de week van 3 tot en met 9 maart 2010) ligt vóór de 4e verjaardag van de "
        "jongere. Controleer die melding.")


def test_no_school_records_names_the_reference_date():
    row = encode_records([NO_RECORDS])[0]
    assert warning_nl(NO_SCHOOL_RECORDS, row, AS_OF) == (
        "de inschrijvingen tot en met 1 oktober 2019",
        "Er zijn tot en met 1 oktober 2019 geen schoolgegevens van deze jongere bekend. Ga na of de jongere in het "
        "buitenland naar school ging of later naar Nederland is gekomen.")


@pytest.mark.parametrize(("code", "changes", "message"), [
    ("absence_over_school_hours", {"absence_hours_4w": 200.0, "absence_hours_13w": 200.0, "absence_hours_52w": 200.0,
                                   "absence_reports_52w": 1, "weeks_since_last_report": 0.0},
     "In de 4 weken van 4 september tot en met 1 oktober 2019 zijn meer verzuimuren gemeld dan er schooluren waren. "
     "Controleer de meldingen van verzuim uit die weken."),
    ("absence_over_school_hours", {"absence_hours_4w": 100.0, "absence_hours_13w": 600.0, "absence_hours_52w": 600.0,
                                   "absence_reports_52w": 9, "weeks_since_last_report": 0.0},
     "In de 13 weken van 3 juli tot en met 1 oktober 2019 zijn meer verzuimuren gemeld dan er schooluren waren. "
     "Controleer de meldingen van verzuim uit die weken."),
    ("absence_windows_not_nested", {"absence_hours_4w": 10.0, "absence_hours_13w": 20.0, "absence_hours_52w": 15.0,
                                    "absence_reports_52w": 2, "weeks_since_last_report": 1.0},
     "Over de 13 weken van 3 juli tot en met 1 oktober 2019 zijn meer verzuimuren gemeld dan over de 52 weken van "
     "3 oktober 2018 tot en met 1 oktober 2019, waar die 13 weken bij horen. Dat kan niet kloppen. Controleer de "
     "meldingen van verzuim uit die weken."),
    ("report_dates_disagree", {"absence_reports_52w": 2, "weeks_since_last_report": 60.0},
     "Er zijn meldingen van verzuim geteld in het jaar van 3 oktober 2018 tot en met 1 oktober 2019, maar de laatste "
     "melding ligt eerder, in de week van 1 tot en met 7 augustus 2018. Controleer de meldingen van verzuim."),
    ("report_dates_disagree", {"absence_reports_52w": 2},
     "Er zijn meldingen van verzuim geteld in het jaar van 3 oktober 2018 tot en met 1 oktober 2019, maar er is geen "
     "datum van een laatste melding. Controleer de meldingen van verzuim."),
    ("report_dates_disagree", {"weeks_since_last_report": 5.0},
     "De laatste melding van verzuim ligt in de week van 21 tot en met 27 augustus 2019, maar in het jaar van "
     "3 oktober 2018 tot en met 1 oktober 2019 is geen melding geteld. Controleer de meldingen van verzuim."),
    ("out_of_school_before_16", {"enrolled": 0, "current_education": "geen", "learning_path": "geen",
                                 "months_not_enrolled": 70.0},
     # 70 months is 2,131 to 2,161 days back (days / 30.44, floored)
     "Volgens de gegevens eindigde de laatste inschrijving tussen 31 oktober en 30 november 2013, vóór de 16e "
     "verjaardag van de jongere. Dat kan niet kloppen met de leerplicht. Controleer de inschrijvingen."),
    ("enrolment_disagrees", {"current_education": "geen"},
     "De gegevens over de inschrijving op 1 oktober 2019 spreken elkaar tegen. Controleer de inschrijvingen."),
    ("never_enrolled_with_history", {"enrolled": 0, "current_education": "geen", "learning_path": "geen",
                                     "months_not_enrolled": None, "dropout_episodes": 1},
     "Volgens de gegevens stond de jongere tot en met 1 oktober 2019 nooit ingeschreven bij een school, maar er zijn "
     "wel wisselingen van school, uitval of een overstap naar het mbo geteld. Controleer de inschrijvingen."),
    ("recent_switches_over_total", {"school_switches_2y": 2},
     "Er zijn meer schoolwisselingen geteld in de 2 jaar van 2 oktober 2017 tot en met 1 oktober 2019 dan in de hele "
     "schoolloopbaan. Dat kan niet kloppen. Controleer de inschrijvingen."),
])
def test_every_warning_names_the_record_and_its_dates(code, changes, message):
    about, said = warning_of(code, **changes)
    assert said == message
    assert about and about[0].islower()

