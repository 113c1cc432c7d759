"""Every model feature as an officer reads it: the value in words and units, and its effect without numbers.

One place maps a feature value to plain Dutch (B1) for the "Alle factoren" table of the youth page. The
Dutch names of education types and learning paths are the reason sentences' own (`vsv_model.wording`), imported,
so a level reads the same in a reason and in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vsv_model.concepts import CONCEPTS
from vsv_model.contract import NONE, OUTSIDE_REGION, UNKNOWN
from vsv_model.feature_spec import FEATURES, FEATURES_BY_NAME
from vsv_model.wording import EDUCATION_NL, PATH_NL, WEEKS_PER_YEAR, counted, in_years, recent_weeks

STRONG, MODERATE = 0.5, 0.2  # shares of the largest effect of the youth


def yes_no(value) -> str:
    return "ja" if value else "nee"


def count_of(one: str, many: str, zero: str = "geen") -> Callable[[float], str]:
    return lambda value: zero if value == 0 else counted(value, one, many)


def municipality(value: str) -> str:
    return {OUTSIDE_REGION: "buiten de regio", UNKNOWN: "onbekend"}.get(value, value)


def diploma(value: str) -> str:
    return {NONE: "geen diploma", UNKNOWN: "onbekend"}.get(value) or EDUCATION_NL.get(value, value)


def education(value: str) -> str:
    return {NONE: "geen opleiding", UNKNOWN: "onbekend"}.get(value) or EDUCATION_NL.get(value, value)


def learning_path(value: str) -> str:
    return {NONE: "geen", UNKNOWN: "onbekend"}.get(value) or PATH_NL.get(value, value).removeprefix(", ")


VALUE_WORDS: dict[str, Callable] = {
    "age": lambda value: counted(value, "jaar", "jaar"),
    "school_municipality": municipality,
    "last_diploma": diploma,
    "school_switches": count_of("keer", "keer"),
    "school_switches_2y": count_of("keer", "keer"),
    "enrolled": yes_no,
    "current_education": education,
    "learning_path": learning_path,
    "months_not_enrolled": count_of("maand", "maanden", zero="0 maanden"),
    "absence_hours_4w": count_of("uur", "uur", zero="0 uur"),
    "absence_hours_13w": count_of("uur", "uur", zero="0 uur"),
    "absence_hours_52w": count_of("uur", "uur", zero="0 uur"),
    "absence_reports_52w": count_of("melding", "meldingen"),
    "late_reports_52w": count_of("melding", "meldingen"),
    "weeks_since_last_report": count_of("week", "weken", zero="deze week"),
    "dropout_episodes": count_of("keer", "keer"),
    "vo_mbo_transition_1y": yes_no,
}
MISSING_WORDS = {"months_not_enrolled": "nooit ingeschreven", "weeks_since_last_report": "nooit gemeld"}


def value_nl(name: str, value) -> str:
    """A feature's value in words and units; a missing value says what missing means for that feature."""
    if value is None or value != value:  # None or NaN
        return MISSING_WORDS.get(name, "onbekend")
    return VALUE_WORDS[name](value)


def last_report_nl(weeks) -> str:
    """The list's column: 'deze week', '3 weken geleden', 'ruim 11 jaar geleden' (from two years on, as the reasons
    say long periods) or 'nooit gemeld'."""
    if weeks is None or weeks != weeks:
        return MISSING_WORDS["weeks_since_last_report"]
    weeks = int(weeks)
    return recent_weeks(weeks) if weeks < 2 * WEEKS_PER_YEAR else f"{in_years(weeks, WEEKS_PER_YEAR)} geleden"


@dataclass(frozen=True)
class Factor:
    """One row of "Alle factoren": label, value in words, direction and size in words, and a bar width (0-100)."""

    label: str
    value: str
    direction: str  # "groter", "kleiner" or "geen"
    effect: str
    size: str
    width: int
    changeable: bool


def size_nl(share: float) -> str:
    return "sterk" if share >= STRONG else "matig" if share >= MODERATE else "weinig"


def effect(label: str, value: str, contribution: float, largest: float, changeable: bool) -> Factor:
    """An effect relative to the youth's largest one: direction and size, never log-odds. Only an exact 0 is "geen
    invloed", the rule the reasons follow (a reason is shown for any contribution that is not 0), so the table and
    the reasons never disagree about a direction."""
    if contribution == 0:
        return Factor(label, value, "geen", "geen invloed", "", 0, changeable)
    share = abs(contribution) / largest
    direction = "groter" if contribution > 0 else "kleiner"
    return Factor(label, value, direction, f"maakt de kans {direction}", size_nl(share), max(1, round(100 * share)),
                  changeable)


def factor(name: str, value, contribution: float, largest: float) -> Factor:
    spec = FEATURES_BY_NAME[name]
    return effect(spec.label_nl, value_nl(name, value), contribution, largest, spec.changeable)


def factors(values: dict, contributions: dict[str, float]) -> list[Factor]:
    """Every feature of the model, the largest effect first."""
    largest = max((abs(c) for c in contributions.values()), default=0.0) or 1.0
    names = sorted((f.name for f in FEATURES), key=lambda name: -abs(contributions.get(name, 0.0)))
    return [factor(name, values.get(name), contributions.get(name, 0.0), largest) for name in names]


@dataclass(frozen=True)
class ConceptFactors:
    """One concept of "Alle factoren": its effect together (what its reason's direction follows), then its features."""

    total: Factor
    features: list[Factor]


def factors_by_concept(values: dict, contributions: dict[str, float]) -> list[ConceptFactors]:
    """The features grouped as the reasons group them, the concept with the largest effect first: a reason says what
    a concept does together, and a feature inside it may pull the other way ("samen" against "dit gegeven alleen")."""
    totals = {c.name: sum(contributions.get(f, 0.0) for f in c.features) for c in CONCEPTS}
    largest = max((abs(t) for t in totals.values()), default=0.0) or 1.0
    ordered = sorted(CONCEPTS, key=lambda c: -abs(totals[c.name]))
    return [ConceptFactors(effect(c.label_nl, "", totals[c.name], largest, c.changeable),
                           [factor(f, values.get(f), contributions.get(f, 0.0), largest)
                            for f in sorted(c.features, key=lambda f: -abs(contributions.get(f, 0.0)))])
            for c in ordered]
