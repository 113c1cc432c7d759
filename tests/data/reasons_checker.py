"""An independent checker of the Dutch reason sentences, written from docs/reasons.md alone.

Officers read these sentences aloud to the youth, so every one must be true for its youth. This module does not
import or copy the code that writes them (vsv_model/wording.py, vsv_model/concepts.py, vsv_model/explanations.py): it
parses each sentence with regular expressions built from the spec's phrases and compares what it states with the
youth's decoded feature values. A sentence it cannot parse is itself a problem.

Public functions:

- `check_youth(features, reasons)` -> one problem string per false statement, each "concept: what is wrong";
- `check_rows(frame)` -> the same over a batch-scoring output frame, one row per problem;
- `summary(problems)` -> counts of false sentences, youths with problems and youths with contradictions.

Problems about two sentences of one youth that cannot both be true contain ": contradicts", which is how
`summary` counts them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from vsv_model.contract import MBO_TYPES, NONE, OUTSIDE_REGION, REGION_MUNICIPALITIES, UNKNOWN
from vsv_model.feature_spec import FEATURE_NAMES

MAX_REASONS = 5
CONTRADICTS = "contradicts"
GREATER = "Dit maakt de kans groter."
SMALLER = "Dit maakt de kans kleiner."
DIRECTIONS = (GREATER, SMALLER)

# Which features each concept's check may read: its own features (docs/reasons.md, "Concepts") plus the ones
# its data-quality warnings and its "not shown" rules need (age for two warnings, enrolled and months for rules 1
# and 3).
RELEVANT_FEATURES: dict[str, tuple[str, ...]] = {
    "schoolsituatie": ("enrolled", "current_education", "learning_path", "months_not_enrolled", "age"),
    "verzuim": ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w", "absence_reports_52w",
                "late_reports_52w", "weeks_since_last_report", "enrolled", "age"),
    "schoolloopbaan": ("school_switches", "school_switches_2y", "dropout_episodes", "vo_mbo_transition_1y",
                       "enrolled", "months_not_enrolled"),
    "diploma": ("last_diploma", "enrolled", "months_not_enrolled"),
    "leeftijd": ("age",),
    "schoollocatie": ("school_municipality", "enrolled", "months_not_enrolled"),
}
CONCEPTS = tuple(RELEVANT_FEATURES)
RELEVANT_POSITIONS = {c: tuple(FEATURE_NAMES.index(n) for n in names) for c, names in RELEVANT_FEATURES.items()}

EDUCATION_WORDS = {
    "mbo-1": "mbo niveau 1 (entree)", "mbo-2": "mbo niveau 2", "mbo-3": "mbo niveau 3", "mbo-4": "mbo niveau 4",
    "vmbo-bb": "vmbo basis", "vmbo-kb": "vmbo kader", "vmbo-gt": "vmbo gemengd of theoretisch", "havo": "havo",
    "vwo": "vwo", "pro": "praktijkonderwijs", "vso": "voortgezet speciaal onderwijs",
    "isk": "een schakelklas voor nieuwkomers", "vavo": "vavo (havo of vwo voor volwassenen)", "po": "basisonderwijs",
    "so": "speciaal onderwijs", "hbo": "hbo", "wo": "een universitaire opleiding",
    UNKNOWN: "een opleiding van onbekend type",
}
LEARNING_PATH_WORDS = {"BOL": ", vooral op school (BOL)", "BBL": ", werkend leren (BBL)"}
# The diploma sentences without their final '.': an achievement that raises the chance adds NOT_YET.
DIPLOMA_SENTENCES = {
    "Heeft nog geen diploma": NONE,
    "Heeft een vmbo-diploma (basis)": "vmbo-bb",
    "Heeft een vmbo-diploma (kader)": "vmbo-kb",
    "Heeft een vmbo-diploma (gemengd of theoretisch)": "vmbo-gt",
    "Heeft een mbo-diploma niveau 1 (entree)": "mbo-1",
    "Heeft een diploma van onbekend niveau": UNKNOWN,
}
NOT_YET = ", maar nog geen diploma van mbo-niveau 2 of hoger, havo of vwo"
DROPOUT_TAIL = r"gestopt met een opleiding zonder diploma en zonder binnen een maand aan een nieuwe te beginnen\."
SWITCH_TAIL = "zonder diploma naar een andere school gegaan"
# Dutch after a number: singular and plural of the units the spec uses (uur, keer and jaar do not change).
UNIT_FORMS = {"uur": ("uur", "uur"), "keer": ("keer", "keer"), "jaar": ("jaar", "jaar"),
              "maand": ("maand", "maanden"), "week": ("week", "weken")}
UNIT_OF_WORD = {"uur": "uur", "uren": "uur", "keer": "keer", "keren": "keer", "jaar": "jaar", "jaren": "jaar",
                "maand": "maand", "maanden": "maand", "week": "week", "weken": "week"}

NUM = r"\d+(?:,\d+)?"


def _alternatives(phrases: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first so no phrase wins on a prefix of another."""
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


def _number_with_unit(name: str, words: str) -> str:
    """A number group `name` followed by a unit group `name_unit`: both plural forms parse, so errors are named."""
    return rf"(?P<{name}>{NUM}) (?P<{name}_unit>{words})"


HOURS = (
    rf", samen {_number_with_unit('h52', 'uur|uren')}"
    rf"(?: \((?:waarvan {_number_with_unit('h13', 'uur|uren')} in de laatste 13 weken"
    rf"(?: en {_number_with_unit('h4', 'uur|uren')} in de laatste 4 weken)?"
    r"|(?P<no13>geen uren in de laatste 13 weken))\))?"
)
WHEN = rf"(?P<when>deze week|(?P<when_ruim>ruim )?{_number_with_unit('when_n', 'weken|week|jaren|jaar')} geleden)"
DURATION = rf"(?P<dur>(?P<dur_ruim>ruim )?{_number_with_unit('dur_n', 'maanden|maand|jaren|jaar')})"


@dataclass(frozen=True)
class Form:
    """One sentence form of the spec: its concept, the kind of fact it states and the pattern it must match."""

    concept: str
    name: str
    kind: str
    pattern: re.Pattern


def _form(concept: str, name: str, kind: str, pattern: str) -> Form:
    """Compile a whole-sentence form."""
    return Form(concept, name, kind, re.compile(pattern))


FORMS: tuple[Form, ...] = (
    _form("schoolsituatie", "follows", "situation",
          rf"Volgt nu (?P<education>{_alternatives(EDUCATION_WORDS.values())})"
          rf"(?P<path>{_alternatives(LEARNING_PATH_WORDS.values())})?\."),
    _form("schoolsituatie", "never_enrolled", "situation",
          r"Staat niet ingeschreven bij een school en was dat volgens de gegevens ook nooit\."),
    _form("schoolsituatie", "left_recently", "situation",
          r"Staat sinds minder dan een maand niet meer ingeschreven bij een school\."),
    _form("schoolsituatie", "left_since", "situation",
          rf"Staat sinds {DURATION} niet meer ingeschreven bij een school\."),
    _form("verzuim", "never_reported", "never", r"Er is nooit verzuim gemeld\."),
    _form("verzuim", "last_absence", "last_absence", rf"Het laatste verzuim werd {WHEN} gemeld\."),
    _form("verzuim", "absent", "absent",
          rf"De school meldde in het afgelopen jaar {_number_with_unit('r', 'keer|keren')} dat de jongere zonder "
          rf"geldige reden afwezig was(?P<hours>{HOURS})?\."),
    _form("verzuim", "also_late", "also_late",
          rf"Ook meldde de school {_number_with_unit('l', 'keer|keren')} dat de jongere vaak te laat kwam\."),
    _form("verzuim", "late", "late",
          rf"De school meldde in het afgelopen jaar {_number_with_unit('l', 'keer|keren')} dat de jongere vaak te "
          rf"laat kwam(?P<hours>{HOURS})?\."),
    _form("verzuim", "last_report", "last_report", rf"De laatste melding was {WHEN}\."),
    _form("schoolloopbaan", "never_dropped_out", "dropout", rf"Is nooit {DROPOUT_TAIL}"),
    _form("schoolloopbaan", "dropped_out", "dropout", rf"Is {_number_with_unit('d', 'keer|keren')} {DROPOUT_TAIL}"),
    _form("schoolloopbaan", "never_switched", "switches", rf"Is na de basisschool nooit {SWITCH_TAIL}\."),
    _form("schoolloopbaan", "switched", "switches",
          rf"Is na de basisschool {_number_with_unit('s', 'keer|keren')} {SWITCH_TAIL}"
          rf"(?P<recent>, waarvan {_number_with_unit('s2', 'keer|keren')} in de afgelopen 2 jaar)?\."),
    _form("schoolloopbaan", "transition", "transition",
          r"Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan, met hooguit 3 maanden ertussen\."),
    _form("diploma", "diploma", "diploma",
          rf"(?P<diploma>{_alternatives(DIPLOMA_SENTENCES)})(?P<not_yet>{re.escape(NOT_YET)})?\."),
    _form("leeftijd", "age", "age", rf"Is {_number_with_unit('a', 'jaar|jaren')}\."),
    _form("schoollocatie", "school_in", "location",
          rf"De school staat in (?P<g>{_alternatives(REGION_MUNICIPALITIES)})\."),
    _form("schoollocatie", "last_school_in", "location",
          rf"De laatste school stond in (?P<g>{_alternatives(REGION_MUNICIPALITIES)})\."),
    _form("schoollocatie", "school_outside", "location", r"De school staat buiten de regio\."),
    _form("schoollocatie", "last_school_outside", "location", r"De laatste school stond buiten de regio\."),
    _form("schoollocatie", "location_unknown", "location", r"De plaats van de school is niet bekend\."),
)
FORMS_BY_CONCEPT: dict[str, tuple[Form, ...]] = {c: tuple(f for f in FORMS if f.concept == c) for c in CONCEPTS}

KIND_LABELS = {
    "situation": "the sentence on the school situation",
    "never": "'Er is nooit verzuim gemeld.'",
    "last_absence": "'Het laatste verzuim werd … gemeld.'",
    "absent": "'De school meldde … zonder geldige reden afwezig was …'",
    "also_late": "'Ook meldde de school … vaak te laat kwam.'",
    "late": "'De school meldde … vaak te laat kwam …'",
    "last_report": "'De laatste melding was ….'",
    "dropout": "the sentence on dropping out",
    "switches": "the sentence on school switches",
    "transition": "'Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan, met hooguit 3 maanden "
                  "ertussen.'",
    "diploma": "the sentence on the diploma",
    "age": "the sentence on the age",
    "location": "the sentence on the school location",
}


@dataclass
class Findings:
    """What checking one reason found: problems (without the concept prefix) and the facts its sentences state.

    Claims are (feature, value) pairs; the cross-sentence check compares them between a youth's reasons.
    """

    problems: list[str]
    claims: list[tuple[str, object]]

    def add(self, problem: str) -> None:
        """Record one false statement."""
        self.problems.append(problem)

    def claim(self, feature: str, value) -> None:
        """Record a fact a sentence states about one feature."""
        self.claims.append((feature, value))


# --- values and numbers ---------------------------------------------------------------------------------------


def normalise_value(value):
    """One decoded feature value as plain Python: missing of any flavour (None, NaN, pd.NA) becomes None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return normalise_value(value.item())
    return value


def normalise_features(features: dict) -> dict:
    """The 17 features with missing values as None and enrolled as 0/1, so comparisons need no special cases."""
    values = {name: normalise_value(features.get(name)) for name in FEATURE_NAMES}
    if values["enrolled"] is not None:
        values["enrolled"] = int(bool(values["enrolled"]))
    return values


def dutch(value) -> str:
    """A value as the spec writes it: decimal comma, whole numbers without decimals; categories as they are."""
    if value is None:
        return "no value"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{float(value):.10g}".replace(".", ",")


def parse_dutch(text: str) -> float:
    """A number as written in a sentence ("12,5") to a float."""
    return float(text.replace(",", "."))


def number_format_problems(text: str) -> list[str]:
    """Problems with how a stated number is written (leading zeros, ",0" on whole numbers, trailing zeros)."""
    whole, _, decimals = text.partition(",")
    if (len(whole) > 1 and whole.startswith("0")) or (decimals and decimals.endswith("0")):
        return [f"writes the number '{text}', not the Dutch way (no leading zeros, whole numbers without decimals)"]
    return []


def stated_equals(text: str, value) -> bool:
    """True when the stated number is the value, rounded at the stated decimals but never coarser than one decimal.

    The spec fixes no rounding for fractional hours; a value of 12,04 may be written "12", 12,4 may not.
    """
    if value is None:
        return False
    decimals = len(text.partition(",")[2])
    return abs(parse_dutch(text) - float(value)) <= 0.5 * 10 ** -max(decimals, 1) + 1e-9


def plural_problems(number_text: str, word: str) -> list[str]:
    """Problems with the unit after a number: 1 maand / 2 maanden, 1 week / 2 weken, uur, keer and jaar unchanged."""
    singular, plural = UNIT_FORMS[UNIT_OF_WORD[word]]
    correct = singular if parse_dutch(number_text) == 1 else plural
    if word == correct:
        return []
    return [f"writes '{number_text} {word}', Dutch is '{number_text} {correct}'"]


def check_number(found: Findings, match: re.Match, group: str, feature: str, value) -> None:
    """Check one stated number and its unit against the feature its phrase names, and record the claim."""
    text, word = match.group(group), match.group(f"{group}_unit")
    found.problems.extend(number_format_problems(text) + plural_problems(text, word))
    found.claim(feature, parse_dutch(text))
    if not stated_equals(text, value):
        found.add(f"states {text} {word} for {feature}, the youth has {dutch(value)}")


def positive(value) -> bool:
    """True for a present value above 0 (missing counts as not positive)."""
    return value is not None and value > 0


def is_zero(value) -> bool:
    """True for a present value of exactly 0."""
    return value is not None and value == 0


# --- durations (months and weeks), exactly as the spec converts them -------------------------------------------


def months_phrase(months) -> str | None:
    """{duur} for M >= 1: 1 maand, {M} maanden up to 23, then {n} jaar / ruim {n} jaar with n = M div 12."""
    if months is None or months < 1:
        return None
    if months == 1:
        return "1 maand"
    if months <= 23:
        return f"{dutch(months)} maanden"
    years = dutch(months // 12)
    return f"{years} jaar" if months % 12 == 0 else f"ruim {years} jaar"


def weeks_phrase(weeks) -> str | None:
    """{kort geleden} for W <= 51 and {lang geleden} for W >= 52 (n = W div 52, "ruim" unless a multiple of 52)."""
    if weeks is None or weeks < 0:
        return None
    if weeks == 0:
        return "deze week"
    if weeks == 1:
        return "1 week geleden"
    if weeks <= 51:
        return f"{dutch(weeks)} weken geleden"
    years = dutch(weeks // 52)
    return f"{years} jaar geleden" if weeks % 52 == 0 else f"ruim {years} jaar geleden"


def corrected_phrase(ruim: str | None, number_text: str, word: str, suffix: str = "") -> str:
    """A stated duration with its unit put in the correct Dutch number, so a plural slip is reported only once."""
    singular, plural = UNIT_FORMS[UNIT_OF_WORD[word]]
    unit = singular if parse_dutch(number_text) == 1 else plural
    return f"{ruim or ''}{number_text} {unit}{suffix}"


def exact_duration(ruim: str | None, number_text: str, word: str, per_year: int) -> float | None:
    """The one value a duration phrase pins down (None for "ruim n jaar", which is a range)."""
    if UNIT_OF_WORD[word] != "jaar":
        return parse_dutch(number_text)
    return None if ruim else parse_dutch(number_text) * per_year


def check_duration(found: Findings, match: re.Match, prefix: str, feature: str, value, expected: str | None,
                   per_year: int) -> None:
    """Check a stated duration ("3 maanden", "ruim 2 jaar geleden", ...) against the spec's phrase for the value."""
    text, number_text, word = match.group(prefix), match.group(f"{prefix}_n"), match.group(f"{prefix}_n_unit")
    ruim = match.group(f"{prefix}_ruim")
    found.problems.extend(plural_problems(number_text, word))
    suffix = " geleden" if text.endswith(" geleden") else ""
    stated = corrected_phrase(ruim, number_text, word, suffix)
    exact = exact_duration(ruim, number_text, word, per_year)
    if exact is not None:
        found.claim(feature, exact)
    if stated != expected:
        spec = f"'{expected}'" if expected else "no such phrase"
        found.add(f"states '{text}' for {feature}, the youth has {dutch(value)} (the spec writes {spec})")


# --- enrolment ------------------------------------------------------------------------------------------------


def check_enrolment(found: Findings, says_enrolled: bool, words: str, enrolled) -> None:
    """What a sentence says about enrolment must match `enrolled`; the claim feeds the cross-sentence check."""
    found.claim("enrolled", int(says_enrolled))
    if enrolled != int(says_enrolled):
        state = "enrolled" if says_enrolled else "not enrolled"
        found.add(f"says the youth is {state} ('{words}'), but enrolled is {dutch(enrolled)}")


# --- schoolsituatie -------------------------------------------------------------------------------------------


def check_follows(found: Findings, match: re.Match, f: dict) -> None:
    """'Volgt nu {opleiding}{leerweg}.': enrolled, and the words are those of current_education and learning_path."""
    check_enrolment(found, True, "Volgt nu", f["enrolled"])
    education = next(k for k, v in EDUCATION_WORDS.items() if v == match.group("education"))
    found.claim("current_education", education)
    if education != f["current_education"]:
        found.add(f"states '{match.group('education')}' ({education}) for current_education, "
                  f"the youth has {dutch(f['current_education'])}")
    path_words = match.group("path")
    stated_path = next((k for k, v in LEARNING_PATH_WORDS.items() if v == path_words), None)
    expected_path = f["learning_path"] if f["learning_path"] in LEARNING_PATH_WORDS else None
    if stated_path is not None:
        found.claim("learning_path", stated_path)
    if stated_path != expected_path:
        said = f"'{path_words.lstrip(', ')}' ({stated_path})" if stated_path else "no learning path"
        found.add(f"states {said} for learning_path, the youth has {dutch(f['learning_path'])}")


def check_never_enrolled(found: Findings, match: re.Match, f: dict) -> None:
    """'niet ingeschreven ... ook nooit': not enrolled, and months_not_enrolled missing (never enrolled)."""
    check_enrolment(found, False, "niet ingeschreven", f["enrolled"])
    found.claim("months_not_enrolled", None)
    if f["months_not_enrolled"] is not None:
        found.add(f"says the youth was never enrolled, but months_not_enrolled is {dutch(f['months_not_enrolled'])}")


def check_left_recently(found: Findings, match: re.Match, f: dict) -> None:
    """'sinds minder dan een maand': not enrolled, and months_not_enrolled is exactly 0."""
    check_enrolment(found, False, "niet meer ingeschreven", f["enrolled"])
    found.claim("months_not_enrolled", 0.0)
    if not is_zero(f["months_not_enrolled"]):
        found.add(f"states 'minder dan een maand' for months_not_enrolled, "
                  f"the youth has {dutch(f['months_not_enrolled'])}")


def check_left_since(found: Findings, match: re.Match, f: dict) -> None:
    """'sinds {duur}': not enrolled, and {duur} is the spec's phrase for months_not_enrolled."""
    check_enrolment(found, False, "niet meer ingeschreven", f["enrolled"])
    months = f["months_not_enrolled"]
    expected = "minder dan een maand" if is_zero(months) else months_phrase(months)
    check_duration(found, match, "dur", "months_not_enrolled", months, expected, per_year=12)


# --- verzuim --------------------------------------------------------------------------------------------------


def check_never_reported(found: Findings, match: re.Match, f: dict) -> None:
    """'Er is nooit verzuim gemeld.' only when weeks_since_last_report is missing."""
    found.claim("weeks_since_last_report", None)
    if f["weeks_since_last_report"] is not None:
        found.add(f"says absence was never reported, but weeks_since_last_report is "
                  f"{dutch(f['weeks_since_last_report'])}")


def check_when(found: Findings, match: re.Match, f: dict) -> None:
    """The time since the last report, as the spec's phrase for weeks_since_last_report."""
    weeks = f["weeks_since_last_report"]
    if match.group("when") == "deze week":
        found.claim("weeks_since_last_report", 0.0)
        if not is_zero(weeks):
            found.add(f"states 'deze week' for weeks_since_last_report, the youth has {dutch(weeks)}")
        return
    check_duration(found, match, "when", "weeks_since_last_report", weeks, weeks_phrase(weeks), per_year=52)


def check_no_reports_this_year(found: Findings, f: dict, sentence: str) -> None:
    """A sentence for a youth without reports in the last year needs R = 0 and L = 0."""
    reports, late = f["absence_reports_52w"], f["late_reports_52w"]
    if not (is_zero(reports) and is_zero(late)):
        found.add(f"uses {sentence} (no report in the last year), but the youth has {dutch(reports)} "
                  f"absence_reports_52w and {dutch(late)} late_reports_52w")


def check_last_absence(found: Findings, match: re.Match, f: dict) -> None:
    """'Het laatste verzuim werd {lang geleden} gemeld.': R = 0, L = 0, W present (and W >= 52)."""
    check_no_reports_this_year(found, f, KIND_LABELS["last_absence"])
    check_when(found, match, f)


def check_hours(found: Findings, match: re.Match, f: dict) -> None:
    """{uren}: nothing when H52 = 0, else ', samen {H52} uur' and the one breakdown the spec gives for H13 and H4."""
    h4, h13, h52 = f["absence_hours_4w"], f["absence_hours_13w"], f["absence_hours_52w"]
    if match.group("hours") is None:
        if not is_zero(h52):
            found.add(f"states no hours, the youth has {dutch(h52)} absence_hours_52w")
        return
    check_number(found, match, "h52", "absence_hours_52w", h52)
    if match.group("h13") is not None:
        check_number(found, match, "h13", "absence_hours_13w", h13)
    if match.group("h4") is not None:
        check_number(found, match, "h4", "absence_hours_4w", h4)
    check_hours_breakdown(found, match, h4, h13)


def check_hours_breakdown(found: Findings, match: re.Match, h4, h13) -> None:
    """The parenthesis after ', samen {H52} uur' is the one the spec prescribes for H13 and H4.

    A wrong number is already reported by check_number; this reports a breakdown whose form is wrong.
    """
    stated_4w = match.group("h4")
    if match.group("no13") is not None:
        found.claim("absence_hours_13w", 0.0)
        if not is_zero(h13):
            found.add(f"states 'geen uren in de laatste 13 weken', the youth has {dutch(h13)} absence_hours_13w")
    elif match.group("h13") is None:
        found.add("states the hours of the year without the spec's breakdown of the last 13 and 4 weeks")
    elif stated_4w is None and positive(h4):
        found.add(f"leaves out the hours of the last 4 weeks, the youth has {dutch(h4)} absence_hours_4w")
    elif stated_4w is not None and is_zero(h4) and parse_dutch(stated_4w) == 0:
        found.add("states '0 uur in de laatste 4 weken', where the spec leaves the 4 weeks out")
    elif stated_4w is None and is_zero(h13) and parse_dutch(match.group("h13")) == 0:
        found.add("states '0 uur in de laatste 13 weken', where the spec writes 'geen uren in de laatste 13 weken'")


def check_absent(found: Findings, match: re.Match, f: dict) -> None:
    """'De school meldde ... {R} keer ... afwezig was{uren}.': R > 0 and the numbers are the youth's."""
    check_number(found, match, "r", "absence_reports_52w", f["absence_reports_52w"])
    if not positive(f["absence_reports_52w"]):
        found.add(f"uses {KIND_LABELS['absent']}, but absence_reports_52w is {dutch(f['absence_reports_52w'])}")
    check_hours(found, match, f)


def check_also_late(found: Findings, match: re.Match, f: dict) -> None:
    """'Ook meldde de school {L} keer ...': only after the absence sentence, so R > 0 and L > 0."""
    check_number(found, match, "l", "late_reports_52w", f["late_reports_52w"])
    if not positive(f["late_reports_52w"]):
        found.add(f"uses {KIND_LABELS['also_late']}, but late_reports_52w is {dutch(f['late_reports_52w'])}")
    if not positive(f["absence_reports_52w"]):
        found.add(f"uses {KIND_LABELS['also_late']}, but absence_reports_52w is {dutch(f['absence_reports_52w'])}")


def check_late(found: Findings, match: re.Match, f: dict) -> None:
    """'De school meldde ... {L} keer ... te laat kwam{uren}.': R = 0 and L > 0."""
    check_number(found, match, "l", "late_reports_52w", f["late_reports_52w"])
    if not is_zero(f["absence_reports_52w"]):
        found.add(f"uses {KIND_LABELS['late']} (lateness only), but absence_reports_52w is "
                  f"{dutch(f['absence_reports_52w'])}")
    if not positive(f["late_reports_52w"]):
        found.add(f"uses {KIND_LABELS['late']}, but late_reports_52w is {dutch(f['late_reports_52w'])}")
    check_hours(found, match, f)


def check_last_report(found: Findings, match: re.Match, f: dict) -> None:
    """'De laatste melding was {kort geleden}.': follows a report of the last year, W as the spec writes it."""
    if not (positive(f["absence_reports_52w"]) or positive(f["late_reports_52w"])):
        found.add(f"uses {KIND_LABELS['last_report']}, but the youth has no report in the last year")
    check_when(found, match, f)


def expected_absence_kinds(f: dict) -> list[str]:
    """The verzuim sentences the spec prescribes, in order, for W, R and L."""
    if f["weeks_since_last_report"] is None:
        return ["never"]
    reports, late = positive(f["absence_reports_52w"]), positive(f["late_reports_52w"])
    if reports:
        return ["absent", *(["also_late"] if late else []), "last_report"]
    return ["late", "last_report"] if late else ["last_absence"]


# --- schoolloopbaan -------------------------------------------------------------------------------------------


def check_zero_count(found: Findings, feature: str, value, words: str) -> None:
    """A 'nooit' sentence: the count it names is 0."""
    found.claim(feature, 0.0)
    if not is_zero(value):
        found.add(f"states '{words}' (0) for {feature}, the youth has {dutch(value)}")


def check_count_not_zero(found: Findings, match: re.Match, group: str, words: str) -> None:
    """A '{n} keer' phrase never states 0: the spec writes 'nooit' (or leaves the phrase out) instead."""
    if parse_dutch(match.group(group)) == 0:
        found.add(f"writes '0 keer' in '{words}', where the spec writes it differently for 0")


def check_never_dropped_out(found: Findings, match: re.Match, f: dict) -> None:
    """'Is nooit gestopt ...' only when dropout_episodes is 0."""
    check_zero_count(found, "dropout_episodes", f["dropout_episodes"], "nooit gestopt")


def check_dropped_out(found: Findings, match: re.Match, f: dict) -> None:
    """'Is {D} keer gestopt ...' with D the youth's dropout_episodes (>= 1)."""
    check_number(found, match, "d", "dropout_episodes", f["dropout_episodes"])
    check_count_not_zero(found, match, "d", "keer gestopt")


def check_never_switched(found: Findings, match: re.Match, f: dict) -> None:
    """'Is nooit van school gewisseld ...' only when school_switches is 0."""
    check_zero_count(found, "school_switches", f["school_switches"], "nooit van school gewisseld")


def check_switched(found: Findings, match: re.Match, f: dict) -> None:
    """'Is {S} keer ... gewisseld' with ', waarvan {S2} keer ...' exactly when S2 > 0."""
    check_number(found, match, "s", "school_switches", f["school_switches"])
    check_count_not_zero(found, match, "s", "keer van school gewisseld")
    recent = f["school_switches_2y"]
    if match.group("recent") is not None:
        check_number(found, match, "s2", "school_switches_2y", recent)
        check_count_not_zero(found, match, "s2", "waarvan keer in de afgelopen 2 jaar")
    elif not is_zero(recent):
        found.add(f"leaves out the switches of the last 2 years, the youth has {dutch(recent)} school_switches_2y")


def check_transition(found: Findings, match: re.Match, f: dict) -> None:
    """The vo-mbo sentence only when vo_mbo_transition_1y is 1."""
    found.claim("vo_mbo_transition_1y", 1)
    if f["vo_mbo_transition_1y"] != 1:
        found.add(f"says the youth went from vo to mbo in the last year, but vo_mbo_transition_1y is "
                  f"{dutch(f['vo_mbo_transition_1y'])}")


def expected_career_kinds(f: dict, sign: float) -> list[str]:
    """The schoolloopbaan sentences in order (dropping out, switches, the transition only when T = 1), keeping only
    those that point the reason's way: what happened (D > 0, S > 0, T = 1) when it raises the chance, what did not
    (D = 0, S = 0) when it lowers it; all of them when none does."""
    facts = [("dropout", f["dropout_episodes"] > 0), ("switches", f["school_switches"] > 0)]
    facts += [("transition", True)] if f["vo_mbo_transition_1y"] == 1 else []
    if math.isnan(sign):
        return [kind for kind, _ in facts]
    chosen = [kind for kind, happened in facts if happened == (sign > 0)]
    return chosen or [kind for kind, _ in facts]


# --- diploma, leeftijd, schoollocatie -------------------------------------------------------------------------


def check_diploma(found: Findings, match: re.Match, f: dict) -> None:
    """The diploma sentence is the one for last_diploma; 'maar nog geen ...' only after a diploma the youth has."""
    stated = DIPLOMA_SENTENCES[match.group("diploma")]
    found.claim("last_diploma", stated)
    if stated != f["last_diploma"]:
        found.add(f"states '{match.group('diploma')}.' ({stated}) for last_diploma, "
                  f"the youth has {dutch(f['last_diploma'])}")
    if stated == NONE and match.group("not_yet"):
        found.add("adds 'maar nog geen diploma ...' to 'Heeft nog geen diploma'")


def achievement_direction_problems(concept: str, sentences: list[str], sign: float) -> list[str]:
    """A diploma the youth has is never worded as raising the chance: when it raises, the sentence says what is
    still missing ('maar nog geen diploma van mbo-niveau 2 of hoger, havo of vwo'); when it lowers, it does not."""
    if concept != "diploma" or math.isnan(sign) or sign == 0:
        return []
    parsed = [match_form(concept, s) for s in sentences if s not in DIRECTIONS]
    problems = []
    for form_match in filter(None, parsed):
        match = form_match[1]
        if DIPLOMA_SENTENCES[match.group("diploma")] == NONE:
            continue
        if sign > 0 and not match.group("not_yet"):
            problems.append("words a diploma the youth has as raising the chance (the spec adds 'maar nog geen "
                            "diploma van mbo-niveau 2 of hoger, havo of vwo')")
        if sign < 0 and match.group("not_yet"):
            problems.append("adds 'maar nog geen diploma ...' to a diploma that lowers the chance")
    return problems


def check_age(found: Findings, match: re.Match, f: dict) -> None:
    """'Is {A} jaar.' with A the youth's age."""
    check_number(found, match, "a", "age", f["age"])


def check_location(found: Findings, stated: str, f: dict) -> None:
    """The place a location sentence names is school_municipality."""
    found.claim("school_municipality", stated)
    if stated != f["school_municipality"]:
        found.add(f"states {stated} for school_municipality, the youth has {dutch(f['school_municipality'])}")


def check_school_in(found: Findings, match: re.Match, f: dict) -> None:
    """'De school staat in {G}.': enrolled, at that municipality."""
    check_enrolment(found, True, "De school staat", f["enrolled"])
    check_location(found, match.group("g"), f)


def check_last_school_in(found: Findings, match: re.Match, f: dict) -> None:
    """'De laatste school stond in {G}.': not enrolled, last school at that municipality."""
    check_enrolment(found, False, "De laatste school stond", f["enrolled"])
    check_location(found, match.group("g"), f)


def check_school_outside(found: Findings, match: re.Match, f: dict) -> None:
    """'De school staat buiten de regio.': enrolled, outside the region."""
    check_enrolment(found, True, "De school staat", f["enrolled"])
    check_location(found, OUTSIDE_REGION, f)


def check_last_school_outside(found: Findings, match: re.Match, f: dict) -> None:
    """'De laatste school stond buiten de regio.': not enrolled, outside the region."""
    check_enrolment(found, False, "De laatste school stond", f["enrolled"])
    check_location(found, OUTSIDE_REGION, f)


def check_location_unknown(found: Findings, match: re.Match, f: dict) -> None:
    """'De plaats van de school is niet bekend.' only when school_municipality is onbekend."""
    check_location(found, UNKNOWN, f)


FORM_CHECKS: dict[str, Callable[[Findings, re.Match, dict], None]] = {
    "follows": check_follows, "never_enrolled": check_never_enrolled, "left_recently": check_left_recently,
    "left_since": check_left_since, "never_reported": check_never_reported, "last_absence": check_last_absence,
    "absent": check_absent, "also_late": check_also_late, "late": check_late, "last_report": check_last_report,
    "never_dropped_out": check_never_dropped_out, "dropped_out": check_dropped_out,
    "never_switched": check_never_switched, "switched": check_switched, "transition": check_transition,
    "diploma": check_diploma, "age": check_age, "school_in": check_school_in, "last_school_in": check_last_school_in,
    "school_outside": check_school_outside, "last_school_outside": check_last_school_outside,
    "location_unknown": check_location_unknown,
}


def expected_kinds(concept: str, f: dict, sign: float = math.nan) -> list[str]:
    """The kinds of fact sentence, in order, that the spec prescribes for this concept, youth and direction."""
    if concept == "verzuim":
        return expected_absence_kinds(f)
    if concept == "schoolloopbaan":
        return expected_career_kinds(f, sign)
    return [next(form.kind for form in FORMS_BY_CONCEPT[concept])]


# --- data quality and the "not shown" rule --------------------------------------------------------------------


def absence_warnings(f: dict) -> list[str]:
    """The verzuim data-quality warnings of the spec that hold for these values."""
    h4, h13, h52 = (f[n] or 0 for n in ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w"))
    weeks, age = f["weeks_since_last_report"], f["age"]
    reported = positive(f["absence_reports_52w"]) or positive(f["late_reports_52w"])
    warnings = []
    if h4 > 160 or h13 > 520 or h52 > 2080:
        warnings.append("absence_over_school_hours")
    if h4 > h13 or h13 > h52:
        warnings.append("absence_windows_not_nested")
    last_within_year = weeks is not None and weeks < 52
    if reported != last_within_year:
        warnings.append("report_dates_disagree")
    if weeks is not None and age is not None and before_fourth_birthday(weeks, age):
        warnings.append("report_before_school_age")
    return warnings


def before_fourth_birthday(weeks, age) -> bool:
    """Certainly before the 4th birthday: the youth may be nearly age + 1 (completed years), and the last report lies
    at least 7 W days back; age - 3 years hold at most 365 days each plus one 29 February in every 4 years begun."""
    years = age - 3
    return 7 * weeks >= 365 * years + math.ceil(max(years, 0) / 4)


def no_school_records(f: dict) -> bool:
    """Not enrolled and never enrolled (months_not_enrolled missing): no school record at all."""
    return f["enrolled"] == 0 and f["months_not_enrolled"] is None


def situation_warnings(f: dict) -> list[str]:
    """The schoolsituatie data-quality warnings of the spec that hold for these values."""
    enrolled, education, path = f["enrolled"], f["current_education"], f["learning_path"]
    months, age = f["months_not_enrolled"], f["age"]
    warnings = []
    if months is not None and age is not None and months > 12 * (age - 15):
        warnings.append("out_of_school_before_16")
    disagrees = (
        (enrolled == 1 and (positive(months) or education == NONE))
        or (enrolled == 0 and education not in (NONE, None))
        or (path in LEARNING_PATH_WORDS and education not in (*MBO_TYPES, UNKNOWN))
    )
    if disagrees:
        warnings.append("enrolment_disagrees")
    if no_school_records(f):
        warnings.append("no_school_records")
    return warnings


def career_warnings(f: dict) -> list[str]:
    """The schoolloopbaan data-quality warnings of the spec that hold for these values."""
    switches, recent = f["school_switches"] or 0, f["school_switches_2y"] or 0
    history = switches > 0 or recent > 0 or positive(f["dropout_episodes"]) or f["vo_mbo_transition_1y"] == 1
    warnings = []
    if f["months_not_enrolled"] is None and history:
        warnings.append("never_enrolled_with_history")
    if recent > switches:
        warnings.append("recent_switches_over_total")
    return warnings


def no_warnings(f: dict) -> list[str]:
    """Concepts without data-quality warnings (diploma, leeftijd, schoollocatie)."""
    return []


WARNINGS: dict[str, Callable[[dict], list[str]]] = {
    "verzuim": absence_warnings, "schoolsituatie": situation_warnings, "schoolloopbaan": career_warnings,
}


def out_of_school_long(f: dict) -> bool:
    """Out of school for 12 months or more, or never enrolled (months_not_enrolled missing)."""
    return f["months_not_enrolled"] is None or f["months_not_enrolled"] >= 12


def not_shown_problems(concept: str, sign: float, f: dict) -> list[str]:
    """Reasons the spec keeps out of the list: a data-quality warning, or lowering the chance for nothing done."""
    warnings = WARNINGS.get(concept, no_warnings)(f)
    problems = [f"shown although the data-quality warning {code} replaces it" for code in warnings]
    if concept == "verzuim" and sign < 0 and f["enrolled"] == 0:
        problems.append("lowers the chance of a youth who is not enrolled, so the spec does not show it as a reason")
    if concept == "schoolloopbaan" and sign < 0 and f["enrolled"] == 0 and out_of_school_long(f):
        problems.append("lowers the chance of a youth out of school for 12 months or more (or never enrolled), "
                        "so the spec does not show it as a reason")
    if concept in ("schoolloopbaan", "diploma", "schoollocatie") and no_school_records(f):
        problems.append(f"speaks of the {concept} of a youth with no school records, which the spec does not show")
    if concept == "diploma" and sign < 0 and f["last_diploma"] == NONE:
        problems.append("tells a youth without any diploma that this lowers the chance, which the spec does not show")
    return problems


# --- one reason -----------------------------------------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    """The sentences of a reason text: split after each '.' followed by one space (numbers use a comma)."""
    return re.split(r"(?<=\.) ", text.strip())


def direction_problems(sentences: list[str], sign: float) -> list[str]:
    """Exactly one direction sentence, last, agreeing with the sign; a contribution of 0 or none is never shown."""
    if math.isnan(sign):
        return ["shown without a contribution"]
    if sign == 0:
        return ["shown with a contribution of exactly 0, which is no reason"]
    positions = [i for i, s in enumerate(sentences) if s in DIRECTIONS]
    if not positions:
        return ["has no direction sentence ('Dit maakt de kans groter.' or 'Dit maakt de kans kleiner.')"]
    problems = []
    if len(positions) > 1:
        problems.append(f"has {len(positions)} direction sentences, the spec allows exactly one")
    elif positions[0] != len(sentences) - 1:
        problems.append("the direction sentence is not the last sentence")
    wanted = GREATER if sign > 0 else SMALLER
    wrong = [sentences[i] for i in positions if sentences[i] != wanted]
    if wrong:
        side = "positive" if sign > 0 else "negative"
        problems.append(f"says '{wrong[0]}' but the contribution is {side}")
    return problems


def match_form(concept: str, sentence: str) -> tuple[Form, re.Match] | None:
    """The spec form a sentence is written in, with its match; None when it is none of the concept's forms."""
    for form in FORMS_BY_CONCEPT[concept]:
        match = form.pattern.fullmatch(sentence)
        if match:
            return form, match
    return None


def structure_problems(kinds: list[str], expected: list[str]) -> list[str]:
    """Sentences the spec prescribes but the reason leaves out, states twice, or puts out of order."""
    problems = [f"leaves out {KIND_LABELS[k]}, which the spec prescribes for this youth"
                for k in expected if k not in kinds]
    problems += [f"states {KIND_LABELS[k]} {kinds.count(k)} times" for k in dict.fromkeys(kinds) if kinds.count(k) > 1]
    present = [k for k in dict.fromkeys(kinds) if k in expected]
    if present != [k for k in expected if k in present]:
        problems.append("its sentences are not in the order the spec gives")
    return problems


def check_facts(concept: str, facts: list[str], f: dict, sign: float = math.nan) -> Findings:
    """Parse every fact sentence with the concept's forms and check each against the youth's values."""
    found = Findings([], [])
    kinds = []
    for sentence in facts:
        parsed = match_form(concept, sentence)
        if parsed is None:
            found.add(f"unrecognised sentence: '{sentence}'")
            continue
        form, match = parsed
        kinds.append(form.kind)
        FORM_CHECKS[form.name](found, match, f)
    if len(kinds) == len(facts):  # an unrecognised sentence is reported once, not again as a missing one
        found.problems.extend(structure_problems(kinds, expected_kinds(concept, f, sign)))
    return found


@lru_cache(maxsize=500_000)
def check_reason(concept: str, sign: float, text: str | None, values: tuple) -> tuple[tuple[str, ...], tuple]:
    """Problems (prefixed with the concept) and claims of one shown reason; cached, as populations repeat cases.

    `values` are the concept's RELEVANT_FEATURES in order, so equal cases share one cache entry.
    """
    if concept not in RELEVANT_FEATURES:
        return (f"{concept}: unknown concept",), ()
    if not text:
        return (f"{concept}: shown without a sentence",), ()
    f = dict(zip(RELEVANT_FEATURES[concept], values))
    sentences = split_sentences(text)
    found = check_facts(concept, [s for s in sentences if s not in DIRECTIONS], f, sign)
    problems = direction_problems(sentences, sign) + found.problems + achievement_direction_problems(concept, sentences, sign)
    if not math.isnan(sign):
        problems += not_shown_problems(concept, sign, f)
    return tuple(f"{concept}: {p}" for p in problems), tuple(found.claims)


# --- across the reasons of one youth --------------------------------------------------------------------------


def duplicate_concept_problems(concepts: list[str]) -> list[str]:
    """A concept is shown at most once."""
    return [f"{c}: {CONTRADICTS} another reason: the concept is shown {concepts.count(c)} times"
            for c in dict.fromkeys(concepts) if concepts.count(c) > 1]


def claim_conflict_problems(claims: list[tuple[str, str, object]]) -> list[str]:
    """Two sentences of one youth that state different values for one feature (enrolment included)."""
    first: dict[str, tuple[str, object]] = {}
    problems, reported = [], set()
    for concept, feature, value in claims:
        if feature not in first:
            first[feature] = (concept, value)
            continue
        other, earlier = first[feature]
        if earlier != value and feature not in reported:
            reported.add(feature)
            problems.append(f"{concept}: {CONTRADICTS} {other}: states {feature} = {dutch(value)}, "
                            f"{other} states {dutch(earlier)}")
    return problems


def sign_of(contribution) -> float:
    """The sign of a contribution (1.0, -1.0, 0.0), NaN when it is missing: only the sign matters to the checks."""
    value = normalise_value(contribution)
    if value is None:
        return math.nan
    return float((value > 0) - (value < 0))


def check_case(values: tuple, reasons: tuple[tuple[str, float, str | None], ...]) -> list[str]:
    """All problems of one youth, the reasons' own and those across them.

    `values` are the 17 normalised features in FEATURE_NAMES order; each reason is (concept, sign, sentence).
    """
    problems: list[str] = []
    claims: list[tuple[str, str, object]] = []
    for concept, sign, text in reasons:
        relevant = tuple(map(values.__getitem__, RELEVANT_POSITIONS.get(concept, ())))
        found, stated = check_reason(concept, sign, text, relevant)
        problems += found
        claims += [(concept, feature, value) for feature, value in stated]
    problems += duplicate_concept_problems([r[0] for r in reasons])
    problems += claim_conflict_problems(claims)
    return problems


def check_youth(features: dict, reasons: list[dict]) -> list[str]:
    """One problem string per false statement in the reasons shown for one youth (empty: all true).

    `features` maps the 17 features to decoded values (None for missing); each reason is a dict with
    "concept", "contribution" and "sentence_nl".
    """
    f = normalise_features(features)
    case = tuple((r.get("concept"), sign_of(r.get("contribution")), normalise_value(r.get("sentence_nl")))
                 for r in reasons)
    return check_case(tuple(f[n] for n in FEATURE_NAMES), case)


# --- batches --------------------------------------------------------------------------------------------------


def column_values(frame: pd.DataFrame, column: str) -> list:
    """A column as a list of plain Python values with None for missing; an absent column is all None.

    Done per column with pandas (not per value), so 100,000 rows take a fraction of a second.
    """
    if column not in frame.columns:
        return [None] * len(frame)
    values = frame[column].astype(object)
    return values.where(values.notna(), None).tolist()


def column_signs(frame: pd.DataFrame, column: str) -> list[float]:
    """The signs of a contribution column (1.0, -1.0, 0.0, NaN where missing)."""
    if column not in frame.columns:
        return [math.nan] * len(frame)
    return np.sign(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)).tolist()


def reason_columns(frame: pd.DataFrame, k: int) -> tuple[list, list, list]:
    """Concepts, signs and sentences of the k-th reason of every row."""
    concepts = column_values(frame, f"reason_{k}_concept")
    signs = column_signs(frame, f"reason_{k}_contribution")
    sentences = column_values(frame, f"reason_{k}_sentence_nl")
    return concepts, signs, sentences


def row_cases(frame: pd.DataFrame) -> Iterable[tuple[object, tuple, tuple]]:
    """(youth_id, normalised feature values, shown reasons) per row; empty reason slots are left out."""
    columns = {n: column_values(frame, n) for n in FEATURE_NAMES}
    columns["enrolled"] = [None if v is None else int(bool(v)) for v in columns["enrolled"]]
    features = list(zip(*columns.values()))
    slots = [list(zip(*reason_columns(frame, k))) for k in range(1, MAX_REASONS + 1)]
    for i, youth_id in enumerate(frame["youth_id"].tolist()):
        reasons = tuple(slot[i] for slot in slots if slot[i][0] not in (None, ""))
        yield youth_id, features[i], reasons


def require_columns(frame: pd.DataFrame) -> None:
    """Refuse a frame without the columns the checks read, so a renamed column can never pass as "no problems"."""
    needed = ["youth_id", *FEATURE_NAMES,
              *(f"reason_1_{part}" for part in ("concept", "contribution", "sentence_nl"))]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks the column(s) {', '.join(missing)}")


def check_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Every problem of a batch-scoring output frame: columns youth_id, concept, problem (one row per problem).

    Identical cases (feature values and shown reasons, contributions by sign) are checked once.
    """
    require_columns(frame)
    cache: dict[tuple, list[str]] = {}
    rows = []
    for youth_id, values, reasons in row_cases(frame):
        key = (values, reasons)
        if key not in cache:
            cache[key] = check_case(values, reasons)
        rows += [(youth_id, problem.split(": ", 1)[0], problem) for problem in cache[key]]
    return pd.DataFrame(rows, columns=["youth_id", "concept", "problem"])


def summary(problems: pd.DataFrame) -> dict:
    """Counts for a report: false sentences (youth + concept), youths with problems, youths with contradictions."""
    if problems.empty:
        return {"false_sentences": 0, "youths_with_problems": 0, "contradictions": 0}
    contradicting = problems["problem"].str.contains(f": {CONTRADICTS} ", regex=False)
    return {
        "false_sentences": int(len(problems[["youth_id", "concept"]].drop_duplicates())),
        "youths_with_problems": int(problems["youth_id"].nunique()),
        "contradictions": int(problems.loc[contradicting, "youth_id"].nunique()),
    }


# --- against the raw records --------------------------------------------------------------------------------------
# The checks above compare each sentence with the feature values in the scoring output. These compare it with the
# values the contract gives from the raw tables (tests/data/contract_reference.py), so a feature builder that is
# wrong cannot make a false sentence look true.

# The kind of fact a problem is about, by the feature it names (longest names first, so "school_switches_2y" is not
# read as "school_switches"); a problem naming no feature (structure, direction, warnings) is "other".
FEATURE_KINDS = {
    "school_switches_2y": "switches", "school_switches": "switches", "dropout_episodes": "dropout",
    "vo_mbo_transition_1y": "transition", "months_not_enrolled": "months", "age": "age",
    "absence_hours_4w": "hours", "absence_hours_13w": "hours", "absence_hours_52w": "hours",
    "absence_reports_52w": "reports", "late_reports_52w": "reports", "weeks_since_last_report": "weeks",
    "enrolled": "enrolment", "current_education": "enrolment", "learning_path": "enrolment",
    "last_diploma": "diploma", "school_municipality": "location",
}


def with_reference_features(frame: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """The frame with every feature column replaced by the reference value of the same youth.

    `facts` is indexed by youth_id (as `contract_reference.reference_facts` returns it); a youth of the frame that it
    lacks is an error, never a silent pass.
    """
    ids = frame["youth_id"].astype(str)
    missing = ids[~ids.isin(facts.index)]
    if len(missing):
        raise KeyError(f"{len(missing)} youth(s) of the frame have no reference facts, e.g. {list(missing[:3])}")
    lacking = [n for n in FEATURE_NAMES if n not in facts.columns]
    if lacking:
        raise KeyError(f"the reference facts lack the column(s) {', '.join(lacking)}")
    rows = facts.loc[ids.to_numpy()]
    replaced = frame.copy()
    for name in FEATURE_NAMES:
        replaced[name] = pd.Series(rows[name].to_numpy(dtype=object), index=frame.index, dtype=object)
    return replaced


def check_rows_against_records(frame: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """`check_rows` with the youths' feature values taken from the raw records (the reference facts)."""
    return check_rows(with_reference_features(frame, facts))


def problem_kind(problem: str) -> str:
    """The kind of fact a problem is about: the feature it names, grouped (switches, dropout, months, age, hours...)."""
    for feature in sorted(FEATURE_KINDS, key=len, reverse=True):
        if re.search(rf"\b{feature}\b", problem):
            return FEATURE_KINDS[feature]
    return "other"


def false_sentences_by_kind(problems: pd.DataFrame) -> pd.DataFrame:
    """False sentences (youth + concept, as `summary` counts them) per concept and kind of fact; a sentence with
    problems of two kinds counts under each."""
    if problems.empty:
        return pd.DataFrame({"concept": [], "kind": [], "false_sentences": []}).astype({"false_sentences": int})
    kinds = problems.assign(kind=problems["problem"].map(problem_kind))
    counts = kinds.drop_duplicates(["youth_id", "concept", "kind"]).groupby(["concept", "kind"]).size()
    return counts.rename("false_sentences").reset_index()


def sentences_shown(frame: pd.DataFrame) -> int:
    """How many reasons (sentences of one concept) the frame shows, over every youth and reason slot."""
    return int(sum(frame[f"reason_{k}_concept"].fillna("").astype(str).ne("").sum()
                   for k in range(1, MAX_REASONS + 1) if f"reason_{k}_concept" in frame.columns))
