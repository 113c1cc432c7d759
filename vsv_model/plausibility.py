"""Implausible data and data gaps: feature values that cannot all be true, or that say nothing, are flagged,
never explained.

The checks sit next to the contract and run on the model's feature matrix (the same one the booster reads), for
a whole population at once or for one request. A flag names the concept whose features it questions: that
concept's reason is replaced by the flag's warning on the page, in the API and in the batch file, so no officer
reads out "436 uur verzuim in de afgelopen 4 weken" or "87 maanden niet ingeschreven" at age 20 as a fact.

A warning an officer reads names the record and the dates it is about (`warning_nl`), derived from the feature
values and the row's reference date: the checks themselves stay vectorised and date-free, so the batch file
keeps codes and the fairness audit and monitoring can count them (`CHECK_CODES`, `NO_SCHOOL_RECORDS`).

`enrolled = 0` with `months_not_enrolled = 0` is true data (left school less than 30.44 days ago) and is
never flagged.

Three checks read a youth's records rather than the features (`implausible_record_dates`): a record dated before
1990, or before the youth's birth, cannot be true of a youth in the target group, and the features built from it
are not explained. Only a request's history form has the records at hand; on the feature matrix these checks never
fail. Records after the reference date are not flagged: they are left out of the features (and reported as such).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from vsv_model.contract import MBO_TYPES, NONE, UNKNOWN
from vsv_model.feature_spec import (
    CURRENT_EDUCATION_CATEGORIES,
    DAYS_PER_MONTH,
    FEATURE_NAMES,
    HOUR_WINDOWS,
    LEARNING_PATH_CATEGORIES,
    REPORT_WINDOW_DAYS,
    SWITCH_WINDOW_DAYS,
)
from vsv_model.wording import dutch_date, dutch_period

MAX_SCHOOL_HOURS_PER_WEEK = 40  # no school week holds more; secondary and full-time mbo have about 25-30
SCHOOL_START_AGE = 4  # children in the Netherlands may go to (primary) school from their 4th birthday
# (weeks, days, feature) of the three absence windows, as the warnings name them
ABSENCE_WINDOWS = tuple((days // 7, days, name) for name, days in HOUR_WINDOWS.items())
NO_SCHOOL_RECORDS = "no_school_records"
EARLIEST_RECORD = dt.date(1990, 1, 1)  # no youth of the target group has a school record from before this day
EARLIEST_RECORD_DAY = (EARLIEST_RECORD - dt.date(1970, 1, 1)).days  # as a day number (days since 1970-01-01)


@dataclass(frozen=True)
class Check:
    code: str
    concept: str
    message_nl: str  # the general message; `warning_nl` gives the one for a youth, with the record and its dates


CHECKS: tuple[Check, ...] = (
    Check("absence_over_school_hours", "verzuim",
          "Er zijn meer verzuimuren gemeld dan er schooluren zijn geweest. Controleer de meldingen van verzuim."),
    Check("absence_windows_not_nested", "verzuim",
          "De verzuimuren over een korte periode zijn hoger dan over een langere periode. Dat kan niet kloppen."),
    Check("report_dates_disagree", "verzuim",
          "Het aantal meldingen van verzuim past niet bij de datum van de laatste melding. Controleer de meldingen."),
    Check("report_before_school_age", "verzuim",
          "De laatste melding van verzuim ligt vóór de 4e verjaardag van de jongere. Controleer die melding."),
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
    Check(NO_SCHOOL_RECORDS, "schoolsituatie",
          "Er zijn geen schoolgegevens van deze jongere bekend. Ga na of de jongere in het buitenland naar school ging "
          "of later naar Nederland is gekomen."),
    Check("enrolment_date_implausible", "schoolloopbaan",
          "Een inschrijving begint vóór 1990 of vóór de geboortedatum van de jongere. Dat kan niet kloppen. "
          "Controleer de inschrijvingen."),
    Check("diploma_date_implausible", "diploma",
          "Een diploma is gedateerd vóór 1990 of vóór de geboortedatum van de jongere. Dat kan niet kloppen. "
          "Controleer de diploma's."),
    Check("report_date_implausible", "verzuim",
          "Een melding van verzuim is gedateerd vóór 1990 of vóór de geboortedatum van de jongere. Dat kan niet "
          "kloppen. Controleer de meldingen van verzuim."),
)
# The checks on a youth's records, by the table they read (the others read the feature matrix).
RECORD_DATE_CHECKS = MappingProxyType({"enrollments": "enrolment_date_implausible", "diplomas": "diploma_date_implausible",
                                       "absence_reports": "report_date_implausible"})
CHECK_CODES: tuple[str, ...] = tuple(c.code for c in CHECKS)
CHECKS_BY_CODE: dict[str, Check] = {c.code: c for c in CHECKS}
MBO_CODES = [CURRENT_EDUCATION_CATEGORIES.index(t) for t in MBO_TYPES]
UNKNOWN_EDUCATION = CURRENT_EDUCATION_CATEGORIES.index(UNKNOWN)


def column(matrix: np.ndarray, name: str) -> np.ndarray:
    return matrix[:, FEATURE_NAMES.index(name)]


def absence_flags(x) -> dict[str, np.ndarray]:
    """A report before the 4th birthday is flagged only when it is certain: age is completed years, so the youth
    may be nearly A + 1, and the last report of W weeks ago lies at least 7 W days back. A report at age 4 or 5
    (primary school) is real data."""
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
            "report_before_school_age": ~np.isnan(weeks) & (7 * weeks >= most_days_in_years(age + 1 - SCHOOL_START_AGE)),
        }


def most_days_in_years(years: np.ndarray) -> np.ndarray:
    """The most days `years` consecutive years can hold: 365 a year and a 29 February in every 4 (at most
    ceil(years / 4) of them)."""
    return 365 * years + np.ceil(np.maximum(years, 0) / 4)


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
            NO_SCHOOL_RECORDS: never & (enrolled == 0),  # a data gap (abroad, arrived later, or missing), not a fact
        }


def implausible(matrix: np.ndarray) -> np.ndarray:
    """(rows x CHECKS) booleans: which checks each row fails."""
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))

    def x(name):
        return column(matrix, name)

    flags = absence_flags(x) | enrolment_flags(x)
    none = np.zeros(len(matrix), dtype=bool)  # the record checks cannot fail on features alone
    flags |= {code: none for code in RECORD_DATE_CHECKS.values()}
    return np.column_stack([flags[code] for code in CHECK_CODES]) if len(matrix) else np.zeros((0, len(CHECKS)), bool)


def implausible_record_dates(youth: np.ndarray, days: np.ndarray, births: np.ndarray, youths: int) -> np.ndarray:
    """Per youth (0 .. youths - 1), whether any of its records is dated before 1990 or before its birth; `youth` and
    `days` are the records' youth positions and dates as day numbers, `births` the youths' birth days."""
    wrong = (days < EARLIEST_RECORD_DAY) | (days < births[youth])
    return np.bincount(youth[wrong], minlength=youths) > 0


def record_date_flags(tables: dict[str, tuple[np.ndarray, np.ndarray]], births: np.ndarray) -> np.ndarray:
    """(youths x CHECKS) booleans: the record checks failed, from each table's (youth positions, day numbers)."""
    flags = np.zeros((len(births), len(CHECKS)), dtype=bool)
    for table, code in RECORD_DATE_CHECKS.items():
        youth, days = tables[table]
        flags[:, CHECK_CODES.index(code)] = implausible_record_dates(youth, days, births, len(births))
    return flags


def flagged_codes(flags_row: np.ndarray) -> list[str]:
    return [code for code, failed in zip(CHECK_CODES, flags_row) if failed]


def failing(matrix: np.ndarray, code: str) -> np.ndarray:
    """Per row, whether it fails the check `code` (for counts per group, e.g. `NO_SCHOOL_RECORDS` per origin)."""
    return implausible(matrix)[:, CHECK_CODES.index(code)]


# --- the warning an officer reads: the record and its dates -----------------------------------------------------


def days_back(as_of: dt.date, days: float) -> dt.date:
    """The day `days` before `as_of`; the first day of the calendar for a count reaching past it (a record dated in
    the year 1 makes the last report thousands of years old)."""
    return as_of - dt.timedelta(days=min(int(days), (as_of - dt.date.min).days))


def window_nl(as_of: dt.date, days: int) -> str:
    """The dates of a window of `days` days up to the reference date: 'van 4 september tot en met 1 oktober 2019'."""
    return dutch_period(days_back(as_of, days - 1), as_of)


def report_week_nl(as_of: dt.date, weeks: float) -> str:
    """The week the last report lies in: W whole weeks back means 7 W to 7 W + 6 days before the reference date."""
    return f"in de week {dutch_period(days_back(as_of, 7 * weeks + 6), days_back(as_of, 7 * weeks))}"


def enrolment_end_nl(as_of: dt.date, months: float) -> str:
    """When the last enrolment ended: M whole months (days / 30.44, floored) back."""
    least, most = first_day_of_month(months), first_day_of_month(months + 1) - 1
    return dutch_period(days_back(as_of, most), days_back(as_of, least), between=True)


def first_day_of_month(months: float) -> int:
    """The fewest whole days that count as `months` months, floored exactly as the feature is (days / 30.44)."""
    days = math.ceil(DAYS_PER_MONTH * months)
    while days > 0 and math.floor((days - 1) / DAYS_PER_MONTH) >= months:
        days -= 1
    while math.floor(days / DAYS_PER_MONTH) < months:
        days += 1
    return days


def over_school_hours_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    weeks, days, _ = next(w for w in ABSENCE_WINDOWS if v[w[2]] > w[0] * MAX_SCHOOL_HOURS_PER_WEEK)
    about = f"de meldingen van verzuim in de {weeks} weken {window_nl(as_of, days)}"
    return about, (f"In de {weeks} weken {window_nl(as_of, days)} zijn meer verzuimuren gemeld dan er schooluren waren. "
                   "Controleer de meldingen van verzuim uit die weken.")


def windows_not_nested_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    short, long = ABSENCE_WINDOWS[:2] if v["absence_hours_4w"] > v["absence_hours_13w"] else ABSENCE_WINDOWS[1:]
    about = f"de meldingen van verzuim in de {long[0]} weken {window_nl(as_of, long[1])}"
    return about, (f"Over de {short[0]} weken {window_nl(as_of, short[1])} zijn meer verzuimuren gemeld dan over de "
                   f"{long[0]} weken {window_nl(as_of, long[1])}, waar die {short[0]} weken bij horen. Dat kan niet "
                   "kloppen. Controleer de meldingen van verzuim uit die weken.")


def report_dates_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    year = window_nl(as_of, REPORT_WINDOW_DAYS)
    weeks = v["weeks_since_last_report"]
    if v["absence_reports_52w"] + v["late_reports_52w"] > 0:
        last = ("er is geen datum van een laatste melding" if math.isnan(weeks)
                else f"de laatste melding ligt eerder, {report_week_nl(as_of, weeks)}")
        return (f"de meldingen van verzuim in het jaar {year}",
                f"Er zijn meldingen van verzuim geteld in het jaar {year}, maar {last}. Controleer de meldingen van verzuim.")
    week = report_week_nl(as_of, weeks)
    return (f"de laatste melding van verzuim, {week}",
            f"De laatste melding van verzuim ligt {week}, maar in het jaar {year} is geen melding geteld. "
            "Controleer de meldingen van verzuim.")


def before_school_age_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    week = report_week_nl(as_of, v["weeks_since_last_report"])
    return (f"de laatste melding van verzuim, {week}",
            f"De laatste melding van verzuim ({week}) ligt vóór de 4e verjaardag van de jongere. Controleer die melding.")


def out_before_16_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    ended = enrolment_end_nl(as_of, v["months_not_enrolled"])
    return (f"de laatste inschrijving, geëindigd {ended}",
            f"Volgens de gegevens eindigde de laatste inschrijving {ended}, vóór de 16e verjaardag van de jongere. "
            "Dat kan niet kloppen met de leerplicht. Controleer de inschrijvingen.")


def enrolment_disagrees_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    return (f"de inschrijving op de peildatum, {dutch_date(as_of)}",
            f"De gegevens over de inschrijving op {dutch_date(as_of)} spreken elkaar tegen. Controleer de inschrijvingen.")


def never_enrolled_with_history_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    return (f"de inschrijvingen tot en met {dutch_date(as_of)}",
            f"Volgens de gegevens stond de jongere tot en met {dutch_date(as_of)} nooit ingeschreven bij een school, "
            "maar er zijn wel wisselingen van school, uitval of een overstap naar het mbo geteld. "
            "Controleer de inschrijvingen.")


def recent_switches_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    period = window_nl(as_of, SWITCH_WINDOW_DAYS)
    return (f"de inschrijvingen in de 2 jaar {period}",
            f"Er zijn meer schoolwisselingen geteld in de 2 jaar {period} dan in de hele schoolloopbaan. Dat kan niet "
            "kloppen. Controleer de inschrijvingen.")


def record_dates_nl(code: str, records_nl: str):
    """The warning of a record check: the records it is about, and the check's message (the records' own dates
    are in the youth's history, shown beside it)."""
    def warning(v: dict, as_of: dt.date) -> tuple[str, str]:
        return f"{records_nl} tot en met {dutch_date(as_of)}", CHECKS_BY_CODE[code].message_nl
    return warning


def no_school_records_nl(v: dict, as_of: dt.date) -> tuple[str, str]:
    return (f"de inschrijvingen tot en met {dutch_date(as_of)}",
            f"Er zijn tot en met {dutch_date(as_of)} geen schoolgegevens van deze jongere bekend. Ga na of de jongere "
            "in het buitenland naar school ging of later naar Nederland is gekomen.")


WARNINGS_NL = {
    "absence_over_school_hours": over_school_hours_nl, "absence_windows_not_nested": windows_not_nested_nl,
    "report_dates_disagree": report_dates_nl, "report_before_school_age": before_school_age_nl,
    "out_of_school_before_16": out_before_16_nl, "enrolment_disagrees": enrolment_disagrees_nl,
    "never_enrolled_with_history": never_enrolled_with_history_nl, "recent_switches_over_total": recent_switches_nl,
    NO_SCHOOL_RECORDS: no_school_records_nl,
    "enrolment_date_implausible": record_dates_nl("enrolment_date_implausible", "de inschrijvingen"),
    "diploma_date_implausible": record_dates_nl("diploma_date_implausible", "de diploma's"),
    "report_date_implausible": record_dates_nl("report_date_implausible", "de meldingen van verzuim"),
}


def warning_nl(code: str, row: np.ndarray, as_of: dt.date) -> tuple[str, str]:
    """A failed check as an officer reads it, for one youth: (the record and its dates, the whole message).

    `row` is the youth's feature-matrix row, `as_of` its reference date. Written per flagged youth of a request;
    the batch file keeps the codes."""
    return WARNINGS_NL[code](dict(zip(FEATURE_NAMES, np.asarray(row, dtype=np.float64).tolist())), as_of)
