"""Implausible data: feature values that cannot all be true are flagged, never explained.

The checks sit next to the contract and run on the model's feature matrix (the same one the booster reads), for
a whole population at once or for one request. A flag names the concept whose features it questions: that
concept's reason is replaced by the flag's warning on the page, in the API and in the batch file, so no officer
reads out "436 uur verzuim in de afgelopen 4 weken" or "87 maanden niet ingeschreven" at age 20 as a fact.

`enrolled = 0` with `months_not_enrolled = 0` is true data (left school less than 30.44 days ago) and is
never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsv_model.contract import MBO_TYPES, NONE, UNKNOWN
from vsv_model.feature_spec import CURRENT_EDUCATION_CATEGORIES, FEATURE_NAMES, LEARNING_PATH_CATEGORIES

MAX_SCHOOL_HOURS_PER_WEEK = 40  # no school week holds more; secondary and full-time mbo have about 25-30
WEEKS_PER_YEAR = 52.1775


@dataclass(frozen=True)
class Check:
    code: str
    concept: str
    message_nl: str


CHECKS: tuple[Check, ...] = (
    Check("absence_over_school_hours", "verzuim",
          "Er zijn meer verzuimuren gemeld dan er schooluren zijn geweest. Controleer de meldingen van verzuim."),
    Check("absence_windows_not_nested", "verzuim",
          "De verzuimuren over een korte periode zijn hoger dan over een langere periode. Dat kan niet kloppen."),
    Check("report_dates_disagree", "verzuim",
          "Het aantal meldingen van verzuim past niet bij de datum van de laatste melding. Controleer de meldingen."),
    Check("report_before_school_age", "verzuim",
          "De laatste melding van verzuim ligt vóór de leeftijd waarop een kind naar school gaat. Controleer de datum."),
    Check("out_of_school_before_16", "schoolsituatie",
          "Volgens de gegevens staat de jongere al niet meer op school sinds vóór de 16e verjaardag. Dat kan niet "
          "kloppen met de leerplicht. Controleer de inschrijvingen."),
    Check("enrolment_disagrees", "schoolsituatie",
          "De gegevens over de inschrijving spreken elkaar tegen. Controleer de inschrijvingen."),
    Check("never_enrolled_with_history", "schoolloopbaan",
          "De jongere stond volgens de gegevens nooit ingeschreven, maar heeft wel wisselingen of uitval. "
          "Controleer de inschrijvingen."),
    Check("recent_switches_over_total", "schoolloopbaan",
          "Er zijn meer schoolwisselingen in de afgelopen 2 jaar dan in totaal. Dat kan niet kloppen."),
)
CHECK_CODES: tuple[str, ...] = tuple(c.code for c in CHECKS)
CHECKS_BY_CODE: dict[str, Check] = {c.code: c for c in CHECKS}
MBO_CODES = [CURRENT_EDUCATION_CATEGORIES.index(t) for t in MBO_TYPES]
UNKNOWN_EDUCATION = CURRENT_EDUCATION_CATEGORIES.index(UNKNOWN)


def column(matrix: np.ndarray, name: str) -> np.ndarray:
    return matrix[:, FEATURE_NAMES.index(name)]


def absence_flags(x) -> dict[str, np.ndarray]:
    h4, h13, h52 = x("absence_hours_4w"), x("absence_hours_13w"), x("absence_hours_52w")
    reports = x("absence_reports_52w") + x("late_reports_52w")
    weeks, age = x("weeks_since_last_report"), x("age")
    limit = MAX_SCHOOL_HOURS_PER_WEEK
    recent_report = ~np.isnan(weeks) & (weeks < 52)
    with np.errstate(invalid="ignore"):
        return {
            "absence_over_school_hours": (h4 > 4 * limit) | (h13 > 13 * limit) | (h52 > 52 * limit),
            "absence_windows_not_nested": (h4 > h13) | (h13 > h52),
            "report_dates_disagree": (reports > 0) != recent_report,
            "report_before_school_age": ~np.isnan(weeks) & (weeks > WEEKS_PER_YEAR * (age - 4)),
        }


def enrolment_flags(x) -> dict[str, np.ndarray]:
    enrolled, months, age = x("enrolled"), x("months_not_enrolled"), x("age")
    education, path = x("current_education"), x("learning_path")
    no_education = education == CURRENT_EDUCATION_CATEGORIES.index(NONE)
    has_path = ~np.isin(path, [LEARNING_PATH_CATEGORIES.index(NONE), LEARNING_PATH_CATEGORIES.index(UNKNOWN)])
    never = np.isnan(months)
    with np.errstate(invalid="ignore"):
        disagrees = ((enrolled == 1) & ((months > 0) | never | no_education)) | ((enrolled == 0) & ~no_education)
        disagrees |= has_path & ~np.isin(education, [*MBO_CODES, UNKNOWN_EDUCATION])  # a known path, a known non-mbo education
        return {
            "out_of_school_before_16": ~never & (months > 12 * (age - 15)),
            "enrolment_disagrees": disagrees,
            "never_enrolled_with_history": never & (enrolled == 0) & (
                (x("school_switches") > 0) | (x("dropout_episodes") > 0) | (x("vo_mbo_transition_1y") > 0)),
            "recent_switches_over_total": x("school_switches_2y") > x("school_switches"),
        }


def implausible(matrix: np.ndarray) -> np.ndarray:
    """(rows x CHECKS) booleans: which checks each row fails."""
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))

    def x(name):
        return column(matrix, name)

    flags = absence_flags(x) | enrolment_flags(x)
    return np.column_stack([flags[code] for code in CHECK_CODES]) if len(matrix) else np.zeros((0, len(CHECKS)), bool)


def flagged_codes(flags_row: np.ndarray) -> list[str]:
    return [code for code, failed in zip(CHECK_CODES, flags_row) if failed]
