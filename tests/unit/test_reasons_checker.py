"""The reasons checker itself: every template of docs/reasons.md passes when true, every kind of error is caught.

The youths and sentences are written by hand from the spec, so a checker that accepts everything (or rejects
everything) fails here before it is trusted on a whole population.
"""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

from tests.data.reasons_checker import check_rows, check_youth, summary
from vsv_model.feature_spec import FEATURE_NAMES

GREATER = "Dit maakt de kans groter."
SMALLER = "Dit maakt de kans kleiner."

# An enrolled youth whose values pass every data-quality check of the spec.
ENROLLED = {
    "age": 19, "school_municipality": "Dordrecht", "last_diploma": "vmbo-kb", "school_switches": 2,
    "school_switches_2y": 1, "enrolled": 1, "current_education": "mbo-2", "learning_path": "BOL",
    "months_not_enrolled": 0.0, "absence_hours_4w": 4.0, "absence_hours_13w": 20.0, "absence_hours_52w": 47.0,
    "absence_reports_52w": 3, "late_reports_52w": 2, "weeks_since_last_report": 1.0, "dropout_episodes": 1,
    "vo_mbo_transition_1y": 1,
}
# A youth out of school for 5 months, never reported absent, with no school history to speak of.
OUT_OF_SCHOOL = {
    **ENROLLED, "enrolled": 0, "current_education": "geen", "learning_path": "geen", "months_not_enrolled": 5.0,
    "absence_hours_4w": 0.0, "absence_hours_13w": 0.0, "absence_hours_52w": 0.0, "absence_reports_52w": 0,
    "late_reports_52w": 0, "weeks_since_last_report": None, "school_switches": 0, "school_switches_2y": 0,
    "dropout_episodes": 0, "vo_mbo_transition_1y": 0,
}
ENROLLED_ABSENCE = (
    "De school meldde in het afgelopen jaar 3 keer dat de jongere zonder geldige reden afwezig was, samen 47 uur "
    "(waarvan 20 uur in de laatste 13 weken en 4 uur in de laatste 4 weken). Ook meldde de school 2 keer dat de "
    "jongere vaak te laat kwam. De laatste melding was 1 week geleden."
)
DROPPED = "gestopt met een opleiding zonder diploma en zonder binnen een maand aan een nieuwe te beginnen."
SWITCHED = "zonder diploma naar een andere school gegaan"
TRANSITION = "Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan, met hooguit 3 maanden ertussen."
NEVER_CAREER = f"Is nooit {DROPPED} Is na de basisschool nooit {SWITCHED}."
ENROLLED_CAREER = (
    f"Is 1 keer {DROPPED} Is na de basisschool 2 keer {SWITCHED}, waarvan 1 keer in de afgelopen 2 jaar. {TRANSITION}"
)
NOT_YET = ", maar nog geen diploma van mbo-niveau 2 of hoger, havo of vwo."
QUIET = {"absence_hours_4w": 0.0, "absence_hours_13w": 0.0, "absence_hours_52w": 0.0}
# An enrolled youth without any absence report: the verzuim cases change only what their template needs.
NO_REPORTS = {**ENROLLED, **QUIET, "absence_reports_52w": 0, "late_reports_52w": 0, "weeks_since_last_report": None}


def youth(base: dict = ENROLLED, **changes) -> dict:
    """A youth's 17 decoded feature values: the base with some values changed."""
    return {**base, **changes}


def left(duration: str) -> str:
    """The schoolsituatie sentence of a youth who left school {duration} ago."""
    return f"Staat sinds {duration} niet meer ingeschreven bij een school."


def reason(concept: str, facts: str, contribution: float = 0.4) -> dict:
    """A shown reason whose direction sentence agrees with the contribution."""
    return {"concept": concept, "contribution": contribution,
            "sentence_nl": f"{facts} {GREATER if contribution > 0 else SMALLER}"}


def raw(concept: str, sentence: str, contribution: float = 0.4) -> dict:
    """A shown reason with its text exactly as given (to test direction errors)."""
    return {"concept": concept, "contribution": contribution, "sentence_nl": sentence}


TRUE_CASES = [
    # schoolsituatie
    (ENROLLED, {}, "schoolsituatie", "Volgt nu mbo niveau 2, vooral op school (BOL)."),
    (ENROLLED, {"learning_path": "BBL", "current_education": "mbo-3"}, "schoolsituatie",
     "Volgt nu mbo niveau 3, werkend leren (BBL)."),
    (ENROLLED, {"learning_path": "geen", "current_education": "havo"}, "schoolsituatie", "Volgt nu havo."),
    (ENROLLED, {"learning_path": "onbekend", "current_education": "mbo-4"}, "schoolsituatie", "Volgt nu mbo niveau 4."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 0.0}, "schoolsituatie",
     "Staat sinds minder dan een maand niet meer ingeschreven bij een school."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 1.0}, "schoolsituatie",
     "Staat sinds 1 maand niet meer ingeschreven bij een school."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 2.0}, "schoolsituatie",
     "Staat sinds 2 maanden niet meer ingeschreven bij een school."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 23.0}, "schoolsituatie",
     "Staat sinds 23 maanden niet meer ingeschreven bij een school."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 24.0}, "schoolsituatie",
     "Staat sinds 2 jaar niet meer ingeschreven bij een school."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 30.0}, "schoolsituatie",
     "Staat sinds ruim 2 jaar niet meer ingeschreven bij een school."),
    (OUT_OF_SCHOOL, {"months_not_enrolled": 36.0, "age": 20}, "schoolsituatie",
     "Staat sinds 3 jaar niet meer ingeschreven bij een school."),
    # verzuim
    (NO_REPORTS, {}, "verzuim", "Er is nooit verzuim gemeld."),
    (NO_REPORTS, {"weeks_since_last_report": 52.0}, "verzuim", "Het laatste verzuim werd 1 jaar geleden gemeld."),
    (NO_REPORTS, {"weeks_since_last_report": 60.0}, "verzuim", "Het laatste verzuim werd ruim 1 jaar geleden gemeld."),
    (NO_REPORTS, {"weeks_since_last_report": 104.0}, "verzuim", "Het laatste verzuim werd 2 jaar geleden gemeld."),
    (NO_REPORTS, {"weeks_since_last_report": 150.0}, "verzuim", "Het laatste verzuim werd ruim 2 jaar geleden gemeld."),
    (NO_REPORTS, {"absence_reports_52w": 1, "weeks_since_last_report": 0.0}, "verzuim",
     "De school meldde in het afgelopen jaar 1 keer dat de jongere zonder geldige reden afwezig was. "
     "De laatste melding was deze week."),
    (NO_REPORTS, {"absence_reports_52w": 2, "weeks_since_last_report": 7.0, "absence_hours_52w": 16.0,
                  "absence_hours_13w": 16.0},
     "verzuim", "De school meldde in het afgelopen jaar 2 keer dat de jongere zonder geldige reden afwezig was, samen "
     "16 uur (waarvan 16 uur in de laatste 13 weken). De laatste melding was 7 weken geleden."),
    (NO_REPORTS, {"absence_reports_52w": 2, "weeks_since_last_report": 20.0, "absence_hours_52w": 12.5}, "verzuim",
     "De school meldde in het afgelopen jaar 2 keer dat de jongere zonder geldige reden afwezig was, samen 12,5 uur "
     "(geen uren in de laatste 13 weken). De laatste melding was 20 weken geleden."),
    (NO_REPORTS, {"absence_reports_52w": 1, "weeks_since_last_report": 1.0, "absence_hours_52w": 1.0,
                  "absence_hours_13w": 1.0, "absence_hours_4w": 1.0}, "verzuim",
     "De school meldde in het afgelopen jaar 1 keer dat de jongere zonder geldige reden afwezig was, samen 1 uur "
     "(waarvan 1 uur in de laatste 13 weken en 1 uur in de laatste 4 weken). De laatste melding was 1 week geleden."),
    (NO_REPORTS, {"late_reports_52w": 1, "weeks_since_last_report": 3.0}, "verzuim",
     "De school meldde in het afgelopen jaar 1 keer dat de jongere vaak te laat kwam. "
     "De laatste melding was 3 weken geleden."),
    (NO_REPORTS, {"late_reports_52w": 2, "weeks_since_last_report": 51.0, "absence_hours_52w": 6.0}, "verzuim",
     "De school meldde in het afgelopen jaar 2 keer dat de jongere vaak te laat kwam, samen 6 uur "
     "(geen uren in de laatste 13 weken). De laatste melding was 51 weken geleden."),
    # schoolloopbaan
    (ENROLLED, {"school_switches": 0, "school_switches_2y": 0, "dropout_episodes": 0, "vo_mbo_transition_1y": 0},
     "schoolloopbaan", NEVER_CAREER),
    (ENROLLED, {"school_switches": 1, "school_switches_2y": 0, "dropout_episodes": 2, "vo_mbo_transition_1y": 0},
     "schoolloopbaan", f"Is 2 keer {DROPPED} Is na de basisschool 1 keer {SWITCHED}."),
    (ENROLLED, {}, "schoolloopbaan", ENROLLED_CAREER),
    # diploma ("geen" raising is below: lowering is never shown; the diplomas the youth has are below, by direction)
    # leeftijd
    (ENROLLED, {"age": 18}, "leeftijd", "Is 18 jaar."),
    (ENROLLED, {"age": 22}, "leeftijd", "Is 22 jaar."),
    # schoollocatie
    (ENROLLED, {}, "schoollocatie", "De school staat in Dordrecht."),
    (ENROLLED, {"school_municipality": "Hendrik-Ido-Ambacht"}, "schoollocatie",
     "De school staat in Hendrik-Ido-Ambacht."),
    (ENROLLED, {"school_municipality": "buiten_regio"}, "schoollocatie", "De school staat buiten de regio."),
    (ENROLLED, {"school_municipality": "onbekend"}, "schoollocatie", "De plaats van de school is niet bekend."),
    (OUT_OF_SCHOOL, {"school_municipality": "Hoeksche Waard"}, "schoollocatie",
     "De laatste school stond in Hoeksche Waard."),
    (OUT_OF_SCHOOL, {"school_municipality": "buiten_regio"}, "schoollocatie",
     "De laatste school stond buiten de regio."),
    (OUT_OF_SCHOOL, {"school_municipality": "onbekend"}, "schoollocatie", "De plaats van de school is niet bekend."),
]
EDUCATION_WORDS = {
    "mbo-1": "mbo niveau 1 (entree)", "mbo-2": "mbo niveau 2", "mbo-3": "mbo niveau 3", "mbo-4": "mbo niveau 4",
    "vmbo-bb": "vmbo basis", "vmbo-kb": "vmbo kader",
    "vmbo-gt": "vmbo gemengd of theoretisch", "havo": "havo", "vwo": "vwo", "pro": "praktijkonderwijs",
    "vso": "voortgezet speciaal onderwijs", "isk": "een schakelklas voor nieuwkomers",
    "vavo": "vavo (havo of vwo voor volwassenen)", "po": "basisonderwijs", "so": "speciaal onderwijs", "hbo": "hbo",
    "wo": "een universitaire opleiding", "onbekend": "een opleiding van onbekend type",
}


@pytest.mark.parametrize(("base", "changes", "concept", "facts"), TRUE_CASES)
@pytest.mark.parametrize("contribution", [0.4, -0.2])
def test_every_template_passes_when_true(base, changes, concept, facts, contribution):
    assert check_youth(youth(base, **changes), [reason(concept, facts, contribution)]) == []


ACHIEVEMENTS = [("vmbo-bb", "Heeft een vmbo-diploma (basis)"), ("vmbo-kb", "Heeft een vmbo-diploma (kader)"),
                ("vmbo-gt", "Heeft een vmbo-diploma (gemengd of theoretisch)"),
                ("mbo-1", "Heeft een mbo-diploma niveau 1 (entree)"), ("onbekend", "Heeft een diploma van onbekend niveau")]


def test_no_diploma_is_a_reason_when_it_raises_and_never_shown_as_helping():
    assert check_youth(youth(last_diploma="geen"), [reason("diploma", "Heeft nog geen diploma.", 0.4)]) == []
    assert check_youth(youth(last_diploma="geen"), [reason("diploma", "Heeft nog geen diploma.", -0.2)]) == [
        "diploma: tells a youth without any diploma that this lowers the chance, which the spec does not show"]


@pytest.mark.parametrize(("level", "achievement"), ACHIEVEMENTS)
def test_a_diploma_passes_with_the_missing_diploma_when_it_raises_and_plain_when_it_lowers(level, achievement):
    features = youth(last_diploma=level)
    assert check_youth(features, [reason("diploma", f"{achievement}{NOT_YET}", 0.4)]) == []
    assert check_youth(features, [reason("diploma", f"{achievement}.", -0.2)]) == []


@pytest.mark.parametrize(("level", "achievement"), ACHIEVEMENTS)
def test_a_diploma_worded_as_raising_the_chance_is_caught(level, achievement):
    problems = check_youth(youth(last_diploma=level), [reason("diploma", f"{achievement}.", 0.4)])
    assert problems == ["diploma: words a diploma the youth has as raising the chance (the spec adds 'maar nog geen "
                        "diploma van mbo-niveau 2 of hoger, havo of vwo')"]


def test_the_missing_diploma_on_a_lowering_diploma_or_on_no_diploma_is_caught():
    lowering = check_youth(ENROLLED, [reason("diploma", f"Heeft een vmbo-diploma (kader){NOT_YET}", -0.2)])
    assert lowering == ["diploma: adds 'maar nog geen diploma ...' to a diploma that lowers the chance"]
    none = check_youth(youth(last_diploma="geen"), [reason("diploma", f"Heeft nog geen diploma{NOT_YET}", 0.4)])
    assert none == ["diploma: adds 'maar nog geen diploma ...' to 'Heeft nog geen diploma'"]


@pytest.mark.parametrize(("education", "words"), sorted(EDUCATION_WORDS.items()))
def test_every_education_word_passes_for_its_education(education, words):
    path = "BOL" if education.startswith("mbo") else "geen"
    suffix = ", vooral op school (BOL)" if path == "BOL" else ""
    features = youth(current_education=education, learning_path=path)
    assert check_youth(features, [reason("schoolsituatie", f"Volgt nu {words}{suffix}.")]) == []


def test_a_whole_youth_with_all_six_concepts_passes():
    reasons = [
        reason("verzuim", ENROLLED_ABSENCE, 0.5),
        reason("schoolloopbaan", ENROLLED_CAREER, 0.2),
        reason("schoolsituatie", "Volgt nu mbo niveau 2, vooral op school (BOL).", -0.3),
        reason("diploma", f"Heeft een vmbo-diploma (kader){NOT_YET}", 0.1),
        reason("leeftijd", "Is 19 jaar.", 0.05),
        reason("schoollocatie", "De school staat in Dordrecht.", -0.01),
    ]
    assert check_youth(ENROLLED, reasons) == []


# --- direction ------------------------------------------------------------------------------------------------


def test_wrong_direction_is_caught():
    problems = check_youth(ENROLLED, [raw("leeftijd", f"Is 19 jaar. {SMALLER}", 0.3)])
    assert problems == ["leeftijd: says 'Dit maakt de kans kleiner.' but the contribution is positive"]


def test_wrong_direction_for_a_negative_contribution_is_caught():
    problems = check_youth(ENROLLED, [raw("schoollocatie", f"De school staat in Dordrecht. {GREATER}", -0.3)])
    assert problems == ["schoollocatie: says 'Dit maakt de kans groter.' but the contribution is negative"]


def test_a_missing_direction_sentence_is_caught():
    problems = check_youth(ENROLLED, [raw("leeftijd", "Is 19 jaar.")])
    assert problems == [
        "leeftijd: has no direction sentence ('Dit maakt de kans groter.' or 'Dit maakt de kans kleiner.')"]


def test_two_direction_sentences_are_caught():
    problems = check_youth(ENROLLED, [raw("leeftijd", f"Is 19 jaar. {GREATER} {GREATER}")])
    assert problems == ["leeftijd: has 2 direction sentences, the spec allows exactly one"]


def test_a_direction_sentence_before_the_facts_is_caught():
    problems = check_youth(ENROLLED, [raw("leeftijd", f"{GREATER} Is 19 jaar.")])
    assert problems == ["leeftijd: the direction sentence is not the last sentence"]


def test_a_zero_contribution_shown_is_caught():
    problems = check_youth(ENROLLED, [raw("leeftijd", f"Is 19 jaar. {GREATER}", 0.0)])
    assert problems == ["leeftijd: shown with a contribution of exactly 0, which is no reason"]


def test_a_missing_contribution_is_caught():
    problems = check_youth(ENROLLED, [raw("leeftijd", f"Is 19 jaar. {GREATER}", math.nan)])
    assert problems == ["leeftijd: shown without a contribution"]


# --- numbers --------------------------------------------------------------------------------------------------


def test_a_wrong_hour_count_is_caught():
    facts = ENROLLED_ABSENCE.replace("samen 47 uur", "samen 48 uur")
    problems = check_youth(ENROLLED, [reason("verzuim", facts)])
    assert problems == ["verzuim: states 48 uur for absence_hours_52w, the youth has 47"]


def test_a_wrong_report_count_is_caught():
    facts = ENROLLED_ABSENCE.replace("Ook meldde de school 2 keer", "Ook meldde de school 3 keer")
    problems = check_youth(ENROLLED, [reason("verzuim", facts)])
    assert problems == ["verzuim: states 3 keer for late_reports_52w, the youth has 2"]


def test_a_wrong_age_is_caught():
    problems = check_youth(ENROLLED, [reason("leeftijd", "Is 20 jaar.")])
    assert problems == ["leeftijd: states 20 jaar for age, the youth has 19"]


def test_fractional_hours_must_be_the_youths():
    features = youth(absence_hours_52w=47.5)
    assert check_youth(features, [reason("verzuim", ENROLLED_ABSENCE.replace("samen 47 uur", "samen 47,5 uur"))]) == []
    assert check_youth(features, [reason("verzuim", ENROLLED_ABSENCE)]) == [
        "verzuim: states 47 uur for absence_hours_52w, the youth has 47,5"]


def test_numbers_not_written_the_dutch_way_are_caught():
    problems = check_youth(ENROLLED, [reason("leeftijd", "Is 19,0 jaar.")])
    assert problems == ["leeftijd: writes the number '19,0', not the Dutch way (no leading zeros, whole numbers "
                        "without decimals)"]
    assert check_youth(ENROLLED, [reason("leeftijd", "Is 19.0 jaar.")]) == [
        "leeftijd: unrecognised sentence: 'Is 19.0 jaar.'",
    ]


def test_a_wrong_switch_count_of_the_last_two_years_is_caught():
    facts = ENROLLED_CAREER.replace("waarvan 1 keer", "waarvan 2 keer")
    problems = check_youth(ENROLLED, [reason("schoolloopbaan", facts)])
    assert problems == ["schoolloopbaan: states 2 keer for school_switches_2y, the youth has 1"]


# --- unit conversions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "stated", "spec"), [
    (24.0, "ruim 2 jaar", "2 jaar"),
    (30.0, "2 jaar", "ruim 2 jaar"),
    (30.0, "30 maanden", "ruim 2 jaar"),
    (23.0, "ruim 1 jaar", "23 maanden"),
    (36.0, "ruim 2 jaar", "3 jaar"),
])
def test_a_wrong_month_conversion_is_caught(months, stated, spec):
    features = youth(OUT_OF_SCHOOL, months_not_enrolled=months, age=21)
    problems = check_youth(features, [reason("schoolsituatie", left(stated))])
    assert problems == [f"schoolsituatie: states '{stated}' for months_not_enrolled, the youth has {months:.0f} "
                        f"(the spec writes '{spec}')"]


def test_less_than_a_month_must_be_zero_months():
    features = youth(OUT_OF_SCHOOL, months_not_enrolled=1.0)
    problems = check_youth(features, [reason("schoolsituatie", left("minder dan een maand"))])
    assert problems == ["schoolsituatie: states 'minder dan een maand' for months_not_enrolled, the youth has 1"]


def test_zero_months_must_be_less_than_a_month():
    features = youth(OUT_OF_SCHOOL, months_not_enrolled=0.0)
    problems = check_youth(features, [reason("schoolsituatie", left("1 maand"))])
    assert problems == ["schoolsituatie: states '1 maand' for months_not_enrolled, the youth has 0 "
                        "(the spec writes 'minder dan een maand')"]


@pytest.mark.parametrize(("weeks", "stated", "spec"), [
    (60.0, "1 jaar geleden", "ruim 1 jaar geleden"),
    (104.0, "ruim 2 jaar geleden", "2 jaar geleden"),
    (103.0, "2 jaar geleden", "ruim 1 jaar geleden"),
])
def test_a_wrong_week_conversion_is_caught(weeks, stated, spec):
    features = youth(**QUIET, absence_reports_52w=0, late_reports_52w=0, weeks_since_last_report=weeks)
    problems = check_youth(features, [reason("verzuim", f"Het laatste verzuim werd {stated} gemeld.")])
    assert problems == [f"verzuim: states '{stated}' for weeks_since_last_report, the youth has {weeks:.0f} "
                        f"(the spec writes '{spec}')"]


def test_this_week_must_be_zero_weeks():
    problems = check_youth(ENROLLED, [reason("verzuim", ENROLLED_ABSENCE.replace("1 week geleden", "deze week"))])
    assert problems == ["verzuim: states 'deze week' for weeks_since_last_report, the youth has 1"]


def test_zero_weeks_must_be_this_week():
    features = youth(weeks_since_last_report=0.0)
    problems = check_youth(features, [reason("verzuim", ENROLLED_ABSENCE.replace("1 week geleden", "0 weken geleden"))])
    assert problems == ["verzuim: states '0 weken geleden' for weeks_since_last_report, the youth has 0 "
                        "(the spec writes 'deze week')"]


# --- singular and plural --------------------------------------------------------------------------------------


def test_one_month_is_singular():
    features = youth(OUT_OF_SCHOOL, months_not_enrolled=1.0)
    problems = check_youth(features, [reason("schoolsituatie", left("1 maanden"))])
    assert problems == ["schoolsituatie: writes '1 maanden', Dutch is '1 maand'"]


def test_two_months_are_plural():
    features = youth(OUT_OF_SCHOOL, months_not_enrolled=2.0)
    problems = check_youth(features, [reason("schoolsituatie", left("2 maand"))])
    assert problems == ["schoolsituatie: writes '2 maand', Dutch is '2 maanden'"]


def test_one_week_is_singular_and_two_weeks_plural():
    one = check_youth(ENROLLED, [reason("verzuim", ENROLLED_ABSENCE.replace("1 week geleden", "1 weken geleden"))])
    assert one == ["verzuim: writes '1 weken', Dutch is '1 week'"]
    features = youth(weeks_since_last_report=2.0)
    two = check_youth(features, [reason("verzuim", ENROLLED_ABSENCE.replace("1 week geleden", "2 week geleden"))])
    assert two == ["verzuim: writes '2 week', Dutch is '2 weken'"]


def test_uur_keer_and_jaar_do_not_change():
    facts = ENROLLED_ABSENCE.replace("samen 47 uur", "samen 47 uren").replace("3 keer", "3 keren")
    assert check_youth(ENROLLED, [reason("verzuim", facts)]) == [
        "verzuim: writes '3 keren', Dutch is '3 keer'",
        "verzuim: writes '47 uren', Dutch is '47 uur'",
    ]
    problems = check_youth(ENROLLED, [reason("leeftijd", "Is 19 jaren.")])
    assert problems == ["leeftijd: writes '19 jaren', Dutch is '19 jaar'"]


# --- facts that are not the spec's for the youth --------------------------------------------------------------


def test_never_reported_only_when_weeks_since_last_report_is_missing():
    problems = check_youth(ENROLLED, [reason("verzuim", "Er is nooit verzuim gemeld.")])
    assert problems == [
        "verzuim: says absence was never reported, but weeks_since_last_report is 1",
        "verzuim: leaves out 'De school meldde … zonder geldige reden afwezig was …', "
        "which the spec prescribes for this youth",
        "verzuim: leaves out 'Ook meldde de school … vaak te laat kwam.', which the spec prescribes for this youth",
        "verzuim: leaves out 'De laatste melding was ….', which the spec prescribes for this youth",
    ]


def test_the_hours_breakdown_must_be_the_specs():
    facts = ENROLLED_ABSENCE.replace(" en 4 uur in de laatste 4 weken", "")
    problems = check_youth(ENROLLED, [reason("verzuim", facts)])
    assert problems == ["verzuim: leaves out the hours of the last 4 weeks, the youth has 4 absence_hours_4w"]


def test_hours_left_out_are_caught():
    facts = ENROLLED_ABSENCE.replace(", samen 47 uur (waarvan 20 uur in de laatste 13 weken en 4 uur in de laatste "
                                     "4 weken)", "")
    problems = check_youth(ENROLLED, [reason("verzuim", facts)])
    assert problems == ["verzuim: states no hours, the youth has 47 absence_hours_52w"]


def test_no_hours_in_13_weeks_only_when_there_were_none():
    facts = ENROLLED_ABSENCE.replace("waarvan 20 uur in de laatste 13 weken en 4 uur in de laatste 4 weken",
                                     "geen uren in de laatste 13 weken")
    problems = check_youth(ENROLLED, [reason("verzuim", facts)])
    assert problems == ["verzuim: states 'geen uren in de laatste 13 weken', the youth has 20 absence_hours_13w"]


def test_a_lateness_only_sentence_for_a_youth_with_absence_reports_is_caught():
    facts = ("De school meldde in het afgelopen jaar 2 keer dat de jongere vaak te laat kwam, samen 47 uur (waarvan "
             "20 uur in de laatste 13 weken en 4 uur in de laatste 4 weken). De laatste melding was 1 week geleden.")
    problems = check_youth(ENROLLED, [reason("verzuim", facts)])
    assert problems == [
        "verzuim: uses 'De school meldde … vaak te laat kwam …' (lateness only), but absence_reports_52w is 3",
        "verzuim: leaves out 'De school meldde … zonder geldige reden afwezig was …', "
        "which the spec prescribes for this youth",
        "verzuim: leaves out 'Ook meldde de school … vaak te laat kwam.', which the spec prescribes for this youth",
    ]


def test_verzuim_sentences_out_of_order_are_caught():
    first, second, third = ENROLLED_ABSENCE.split(". ")
    problems = check_youth(ENROLLED, [reason("verzuim", f"{second}. {first}. {third}")])
    assert problems == ["verzuim: its sentences are not in the order the spec gives"]


def test_the_education_words_must_match_current_education():
    problems = check_youth(ENROLLED, [reason("schoolsituatie", "Volgt nu mbo niveau 3, vooral op school (BOL).")])
    assert problems == ["schoolsituatie: states 'mbo niveau 3' (mbo-3) for current_education, the youth has mbo-2"]


def test_the_learning_path_words_must_match_learning_path():
    wrong = check_youth(ENROLLED, [reason("schoolsituatie", "Volgt nu mbo niveau 2, werkend leren (BBL).")])
    assert wrong == ["schoolsituatie: states 'werkend leren (BBL)' (BBL) for learning_path, the youth has BOL"]
    missing = check_youth(ENROLLED, [reason("schoolsituatie", "Volgt nu mbo niveau 2.")])
    assert missing == ["schoolsituatie: states no learning path for learning_path, the youth has BOL"]


def test_never_enrolled_only_when_months_not_enrolled_is_missing():
    problems = check_youth(OUT_OF_SCHOOL, [reason(
        "schoolsituatie", "Staat niet ingeschreven bij een school en was dat volgens de gegevens ook nooit.")])
    assert problems == ["schoolsituatie: says the youth was never enrolled, but months_not_enrolled is 5"]


def test_a_youth_with_no_school_records_gets_the_warning_not_a_reason():
    no_records = youth(OUT_OF_SCHOOL, months_not_enrolled=None)
    situation = check_youth(no_records, [reason(
        "schoolsituatie", "Staat niet ingeschreven bij een school en was dat volgens de gegevens ook nooit.")])
    assert situation == ["schoolsituatie: shown although the data-quality warning no_school_records replaces it"]
    for contribution in (0.4, -0.2):
        career = check_youth(no_records, [reason("schoolloopbaan", NEVER_CAREER, contribution)])
        assert career[-1] == ("schoolloopbaan: speaks of the schoolloopbaan of a youth with no school records, which "
                              "the spec does not show")
    assert check_youth(youth(no_records, last_diploma="geen"), [reason("diploma", "Heeft nog geen diploma.")]) == [
        "diploma: speaks of the diploma of a youth with no school records, which the spec does not show"]
    assert check_youth(youth(OUT_OF_SCHOOL, months_not_enrolled=0.0), [reason("schoolloopbaan", NEVER_CAREER)]) == []


@pytest.mark.parametrize(("age", "weeks", "flagged"), [(18, 782.0, False), (18, 783.0, True), (19, 824.0, False),
                                                       (22, 991.0, False), (22, 992.0, True)])
def test_a_report_is_flagged_only_when_it_certainly_lies_before_the_4th_birthday(age, weeks, flagged):
    features = youth(NO_REPORTS, age=age, weeks_since_last_report=weeks)
    when = f"ruim {int(weeks // 52)} jaar geleden"
    problems = check_youth(features, [reason("verzuim", f"Het laatste verzuim werd {when} gemeld.")])
    expected = ["verzuim: shown although the data-quality warning report_before_school_age replaces it"]
    assert problems == (expected if flagged else [])


def test_the_diploma_sentence_must_match_last_diploma():
    problems = check_youth(ENROLLED, [reason("diploma", "Heeft nog geen diploma.")])
    assert problems == ["diploma: states 'Heeft nog geen diploma.' (geen) for last_diploma, the youth has vmbo-kb"]


def test_the_location_must_match_school_municipality():
    problems = check_youth(ENROLLED, [reason("schoollocatie", "De school staat in Gorinchem.")])
    assert problems == ["schoollocatie: states Gorinchem for school_municipality, the youth has Dordrecht"]
    outside = check_youth(ENROLLED, [reason("schoollocatie", "De school staat buiten de regio.")])
    assert outside == ["schoollocatie: states buiten_regio for school_municipality, the youth has Dordrecht"]


def test_zero_counts_are_written_as_never():
    features = youth(school_switches=0, school_switches_2y=0, dropout_episodes=0, vo_mbo_transition_1y=0)
    facts = f"Is 0 keer {DROPPED} Is na de basisschool nooit {SWITCHED}."
    problems = check_youth(features, [reason("schoolloopbaan", facts)])
    assert problems == ["schoolloopbaan: writes '0 keer' in 'keer gestopt', where the spec writes it differently for 0"]


def test_never_dropped_out_only_when_there_was_no_dropout():
    facts = ENROLLED_CAREER.replace("Is 1 keer gestopt", "Is nooit gestopt")
    problems = check_youth(ENROLLED, [reason("schoolloopbaan", facts)])
    assert problems == ["schoolloopbaan: states 'nooit gestopt' (0) for dropout_episodes, the youth has 1"]


def test_the_transition_sentence_must_match_the_flag():
    features = youth(vo_mbo_transition_1y=0)
    problems = check_youth(features, [reason("schoolloopbaan", ENROLLED_CAREER)])
    assert problems == ["schoolloopbaan: says the youth went from vo to mbo in the last year, but "
                        "vo_mbo_transition_1y is 0"]
    left_out = check_youth(ENROLLED, [reason("schoolloopbaan", ENROLLED_CAREER.rsplit(" Is in", 1)[0])])
    assert left_out == ["schoolloopbaan: leaves out 'Is in het afgelopen jaar van het voortgezet onderwijs naar het "
                        "mbo gegaan, met hooguit 3 maanden ertussen.', which the spec prescribes for this youth"]


def test_the_old_career_sentences_that_did_not_say_what_they_count_are_unrecognised():
    old = ["Is 1 keer gestopt met een opleiding zonder diploma.",
           "Is 2 keer van school gewisseld zonder diploma, waarvan 1 keer in de afgelopen 2 jaar.",
           "Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan."]
    problems = check_youth(ENROLLED, [reason("schoolloopbaan", " ".join(old))])
    assert problems == [f"schoolloopbaan: unrecognised sentence: '{sentence}'" for sentence in old]


def test_recent_switches_left_out_are_caught():
    facts = ENROLLED_CAREER.replace(", waarvan 1 keer in de afgelopen 2 jaar", "")
    problems = check_youth(ENROLLED, [reason("schoolloopbaan", facts)])
    assert problems == [
        "schoolloopbaan: leaves out the switches of the last 2 years, the youth has 1 school_switches_2y"]


# --- enrolment ------------------------------------------------------------------------------------------------


def test_an_enrolment_claim_contradicting_enrolled_is_caught():
    problems = check_youth(OUT_OF_SCHOOL, [reason("schoollocatie", "De school staat in Dordrecht.")])
    assert problems == ["schoollocatie: says the youth is enrolled ('De school staat'), but enrolled is 0"]


def test_not_enrolled_for_an_enrolled_youth_is_caught():
    problems = check_youth(ENROLLED, [reason(
        "schoolsituatie", "Staat sinds minder dan een maand niet meer ingeschreven bij een school.")])
    assert problems == ["schoolsituatie: says the youth is not enrolled ('niet meer ingeschreven'), but enrolled is 1"]


def test_follows_now_for_a_youth_out_of_school_is_caught():
    problems = check_youth(OUT_OF_SCHOOL, [reason("schoolsituatie", "Volgt nu mbo niveau 2, vooral op school (BOL).")])
    assert problems == [
        "schoolsituatie: says the youth is enrolled ('Volgt nu'), but enrolled is 0",
        "schoolsituatie: states 'mbo niveau 2' (mbo-2) for current_education, the youth has geen",
        "schoolsituatie: states 'vooral op school (BOL)' (BOL) for learning_path, the youth has geen",
    ]


# --- across the reasons of one youth --------------------------------------------------------------------------


def test_two_reasons_contradicting_each_other_about_enrolment_are_caught():
    reasons = [reason("schoolsituatie", "Volgt nu mbo niveau 2, vooral op school (BOL)."),
               reason("schoollocatie", "De laatste school stond in Dordrecht.", -0.1)]
    assert check_youth(ENROLLED, reasons) == [
        "schoollocatie: says the youth is not enrolled ('De laatste school stond'), but enrolled is 1",
        "schoollocatie: contradicts schoolsituatie: states enrolled = 0, schoolsituatie states 1",
    ]


def test_a_concept_shown_twice_with_two_values_is_caught():
    reasons = [reason("leeftijd", "Is 19 jaar."), reason("leeftijd", "Is 20 jaar.")]
    assert check_youth(ENROLLED, reasons) == [
        "leeftijd: states 20 jaar for age, the youth has 19",
        "leeftijd: contradicts another reason: the concept is shown 2 times",
        "leeftijd: contradicts leeftijd: states age = 20, leeftijd states 19",
    ]


def test_a_concept_shown_twice_alike_is_caught():
    reasons = [reason("diploma", "Heeft een vmbo-diploma (kader).", -0.1)] * 2
    assert check_youth(ENROLLED, reasons) == ["diploma: contradicts another reason: the concept is shown 2 times"]


# --- sentences the checker does not know, concepts the spec does not show -------------------------------------


def test_an_unrecognised_sentence_is_caught():
    problems = check_youth(ENROLLED, [reason("diploma", "Heeft een havo-diploma.")])
    assert problems == ["diploma: unrecognised sentence: 'Heeft een havo-diploma.'"]


def test_a_sentence_of_another_concept_is_unrecognised():
    problems = check_youth(ENROLLED, [reason("leeftijd", "De school staat in Dordrecht.")])
    assert problems == ["leeftijd: unrecognised sentence: 'De school staat in Dordrecht.'"]


def test_an_unknown_concept_and_an_empty_sentence_are_caught():
    assert check_youth(ENROLLED, [reason("woonplaats", "Woont in Dordrecht.")]) == ["woonplaats: unknown concept"]
    assert check_youth(ENROLLED, [raw("leeftijd", "")]) == ["leeftijd: shown without a sentence"]


def test_a_reason_replaced_by_a_data_quality_warning_is_caught():
    features = youth(absence_hours_4w=30.0)  # more hours in 4 weeks than in 13: not nested
    facts = ENROLLED_ABSENCE.replace("en 4 uur in de laatste 4 weken", "en 30 uur in de laatste 4 weken")
    problems = check_youth(features, [reason("verzuim", facts)])
    assert problems == ["verzuim: shown although the data-quality warning absence_windows_not_nested replaces it"]


def test_absence_lowering_the_chance_of_a_youth_out_of_school_is_caught():
    problems = check_youth(OUT_OF_SCHOOL, [reason("verzuim", "Er is nooit verzuim gemeld.", -0.2)])
    assert problems == ["verzuim: lowers the chance of a youth who is not enrolled, so the spec does not show it as a "
                        "reason"]
    assert check_youth(OUT_OF_SCHOOL, [reason("verzuim", "Er is nooit verzuim gemeld.", 0.2)]) == []


def test_school_career_lowering_the_chance_of_a_youth_long_out_of_school_is_caught():
    facts = NEVER_CAREER
    long_out = youth(OUT_OF_SCHOOL, months_not_enrolled=12.0)
    assert check_youth(long_out, [reason("schoolloopbaan", facts, -0.2)]) == [
        "schoolloopbaan: lowers the chance of a youth out of school for 12 months or more (or never enrolled), so "
        "the spec does not show it as a reason"]
    assert check_youth(youth(OUT_OF_SCHOOL, months_not_enrolled=11.0), [reason("schoolloopbaan", facts, -0.2)]) == []


# --- batches --------------------------------------------------------------------------------------------------


def batch_frame(rows: list[tuple[str, dict, list[dict]]]) -> pd.DataFrame:
    """A batch-scoring output frame: youth_id, the 17 features and up to five reasons (NaN where fewer)."""
    records = []
    for youth_id, features, reasons in rows:
        record = {"youth_id": youth_id, **{n: features[n] for n in FEATURE_NAMES}}
        for k in range(1, 6):
            shown = reasons[k - 1] if k <= len(reasons) else {}
            record[f"reason_{k}_concept"] = shown.get("concept", math.nan)
            record[f"reason_{k}_sentence_nl"] = shown.get("sentence_nl", math.nan)
            record[f"reason_{k}_contribution"] = shown.get("contribution", math.nan)
        records.append(record)
    return pd.DataFrame(records)


def test_check_rows_reports_one_row_per_problem_and_summary_counts_them():
    frame = batch_frame([
        ("a", ENROLLED, [reason("leeftijd", "Is 19 jaar."), reason("diploma", "Heeft een vmbo-diploma (kader).", -0.1)]),
        ("b", ENROLLED, [reason("leeftijd", "Is 20 jaar."), reason("schoollocatie", "De laatste school stond in "
                                                                  "Dordrecht.")]),
        ("c", OUT_OF_SCHOOL, [reason("verzuim", "Er is nooit verzuim gemeld.")]),
        ("d", ENROLLED, [reason("schoolsituatie", "Volgt nu mbo niveau 2, vooral op school (BOL)."),
                         reason("schoollocatie", "De laatste school stond in Dordrecht.")]),
    ])
    problems = check_rows(frame)
    assert list(problems.columns) == ["youth_id", "concept", "problem"]
    assert problems.to_dict("records") == [
        {"youth_id": "b", "concept": "leeftijd", "problem": "leeftijd: states 20 jaar for age, the youth has 19"},
        {"youth_id": "b", "concept": "schoollocatie",
         "problem": "schoollocatie: says the youth is not enrolled ('De laatste school stond'), but enrolled is 1"},
        {"youth_id": "d", "concept": "schoollocatie",
         "problem": "schoollocatie: says the youth is not enrolled ('De laatste school stond'), but enrolled is 1"},
        {"youth_id": "d", "concept": "schoollocatie",
         "problem": "schoollocatie: contradicts schoolsituatie: states enrolled = 0, schoolsituatie states 1"},
    ]
    assert summary(problems) == {"false_sentences": 3, "youths_with_problems": 2, "contradictions": 1}


def test_check_rows_reads_missing_values_and_numpy_types():
    features = youth(OUT_OF_SCHOOL, weeks_since_last_report=None)
    frame = batch_frame([("a", features, [reason("verzuim", "Er is nooit verzuim gemeld.")])])
    frame["enrolled"] = frame["enrolled"].astype("int8")
    frame["current_education"] = frame["current_education"].astype("category")
    assert check_rows(frame).empty
    assert summary(check_rows(frame)) == {"false_sentences": 0, "youths_with_problems": 0, "contradictions": 0}


def test_check_rows_refuses_a_frame_without_reason_concepts():
    frame = batch_frame([("a", ENROLLED, [reason("leeftijd", "Is 19 jaar.")])])
    frame = frame.rename(columns={"reason_1_concept": "reason_1_feature"})
    with pytest.raises(ValueError, match="reason_1_concept"):
        check_rows(frame)


def test_check_rows_checks_a_population_of_100000_in_well_under_a_minute():
    cases = []
    for i in range(500):  # 500 distinct youths (hours and ages differ), each repeated 200 times
        hours = float(i % 60 + 20)
        features = youth(absence_hours_52w=hours, age=18 + i % 5)
        facts = ENROLLED_ABSENCE.replace("samen 47 uur", f"samen {hours:.0f} uur")
        cases.append((f"y{i}", features, [reason("verzuim", facts, 0.3 + i / 1000), reason("leeftijd",
                                                                                          f"Is {18 + i % 5} jaar.")]))
    frame = pd.concat([batch_frame(cases)] * 200, ignore_index=True)
    frame["youth_id"] = [f"y{i}" for i in range(len(frame))]
    started = time.perf_counter()
    problems = check_rows(frame)
    assert time.perf_counter() - started < 30
    assert problems.empty
