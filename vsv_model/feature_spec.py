"""The model's features, defined once: name and order, Dutch label, kind, whether an
officer's approach can change it, the monotone direction the model must respect,
and why each one is there. Training, the model signature, the service and the
officer page all import this list; nobody redefines it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from vsv_model.contract import (
    DIPLOMA_LEVELS,
    EDUCATION_TYPES,
    LEARNING_PATHS,
    MUNICIPALITY_CATEGORIES,
    NONE,
    UNKNOWN,
)

FeatureKind = Literal["count", "number", "flag", "category"]


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    label_nl: str
    kind: FeatureKind
    changeable: bool
    justification: str
    monotone: int = 0  # +1: more never lowers the risk; 0: unconstrained
    categories: tuple[str, ...] = ()
    nullable: bool = False  # missing has a meaning (e.g. "never enrolled")

    @property
    def is_categorical(self) -> bool:
        return self.kind == "category"


SCHOOL_MUNICIPALITY_CATEGORIES = MUNICIPALITY_CATEGORIES
LAST_DIPLOMA_CATEGORIES = (NONE, *DIPLOMA_LEVELS, UNKNOWN)
CURRENT_EDUCATION_CATEGORIES = (NONE, *EDUCATION_TYPES, UNKNOWN)
LEARNING_PATH_CATEGORIES = (NONE, *LEARNING_PATHS, UNKNOWN)

FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("age", "Leeftijd", "count", False,
                "The closer to 23, the less time is left to obtain a startkwalificatie; age is a fact, not a judgement."),
    FeatureSpec("school_municipality", "Schoollocatie", "category", False,
                "Where the latest school is says something about travel and the local offer; it describes the school, not the youth's origin.",
                categories=SCHOOL_MUNICIPALITY_CATEGORIES),
    FeatureSpec("last_diploma", "Laatst behaalde diploma", "category", False,
                "The highest step already taken sets how far the next qualification is; it is an achievement, not a background.",
                categories=LAST_DIPLOMA_CATEGORIES),
    FeatureSpec("school_switches", "Schoolwisselingen zonder diploma, na de basisschool", "count", False,
                "Switching schools without a diploma in between signals a search that has not settled. Counted from secondary "
                "school on and between institutions (BRIN), as officers mean a switch: the step from primary school and a "
                "move between two locations of one school are none.", monotone=1),
    FeatureSpec("school_switches_2y", "Schoolwisselingen zonder diploma, afgelopen 2 jaar", "count", False,
                "Recent switches weigh more than old ones: the search is still going on.", monotone=1),
    FeatureSpec("enrolled", "Staat ingeschreven", "flag", True,
                "A youth who is enrolled is on a route to a qualification; enrolment is what the approach aims for."),
    FeatureSpec("current_education", "Huidige opleiding", "category", True,
                "The level being followed now sets how close the next startkwalificatie is.",
                categories=CURRENT_EDUCATION_CATEGORIES),
    FeatureSpec("learning_path", "Leerweg", "category", True,
                "Work-based (BBL) and school-based (BOL) learning keep youths at school differently.",
                categories=LEARNING_PATH_CATEGORIES),
    FeatureSpec("months_not_enrolled", "Maanden niet ingeschreven", "number", True,
                "The longer out of school, the harder the way back; missing means never enrolled.",
                monotone=1, nullable=True),
    FeatureSpec("absence_hours_4w", "Verzuimuren afgelopen 4 weken", "number", True,
                "Unauthorised absence right now is the most direct signal of disengagement.", monotone=1),
    FeatureSpec("absence_hours_13w", "Verzuimuren afgelopen 13 weken", "number", True,
                "Absence over a term shows whether a slip has become a pattern.", monotone=1),
    FeatureSpec("absence_hours_52w", "Verzuimuren afgelopen 52 weken", "number", True,
                "Absence over a year shows a lasting pattern.", monotone=1),
    FeatureSpec("absence_reports_52w", "Verzuimmeldingen afgelopen jaar", "count", True,
                "Each report is a school's documented concern; more reports, more concern.", monotone=1),
    FeatureSpec("late_reports_52w", "Te-laat-meldingen afgelopen jaar", "count", True,
                "Repeated lateness often comes before absence.", monotone=1),
    FeatureSpec("weeks_since_last_report", "Weken sinds laatste verzuimmelding", "number", True,
                "A recent report weighs more than an old one; missing means never reported.", nullable=True),
    FeatureSpec("dropout_episodes", "Gestopt zonder diploma en niet binnen een maand opnieuw begonnen", "count", False,
                "Earlier dropping out without a diploma is the strongest known predictor of dropping out again.",
                monotone=1),
    FeatureSpec("vo_mbo_transition_1y", "Direct van vo naar mbo, afgelopen jaar", "flag", False,
                "The first year after the move from secondary school to mbo is the known risk moment."),
)

# The contract's windows and periods (in days), defined once: the builders count with them and the data-quality
# warnings turn them into dates an officer can check.
DAYS_PER_MONTH = 30.44  # months_not_enrolled: days / 30.44, floored
HOUR_WINDOWS = {"absence_hours_4w": 28, "absence_hours_13w": 91, "absence_hours_52w": 364}
REPORT_WINDOW_DAYS = 364  # absence_reports_52w, late_reports_52w
SWITCH_WINDOW_DAYS = 730  # school_switches_2y
TRANSITION_WINDOW_DAYS = 365  # vo_mbo_transition_1y: the mbo start lies in this window
TRANSITION_GAP_DAYS = 92  # the longest gap between secondary school and mbo that is still a direct step
DROPOUT_GRACE_DAYS = 31  # dropout_episodes: a diploma or a new start within this many days after the end


@dataclass(frozen=True)
class OpenLookback:
    """A feature without a window: the time since the latest record of `table` (dated by `date_column`), in whole
    units of `unit_days`, however long ago. The feature itself is exact (an officer reads the true time since the
    last report), but at a reference date it can see back only to the data's first record of that table: a report
    from before the registrations began reads as none. So the earlier a date lies after that first record, the more
    of the feature's long values are cut off, and a comparison of dates (the reference profile against the
    monitored year) sees the data's start move away, not the youths change."""

    table: str
    date_column: str
    unit_days: float

    def seen_in_full(self, earliest: dt.date, first_record: dt.date) -> int:
        """The values below which the feature is the same at every reference date from `earliest` on as with an
        unlimited history: floor((earliest - first record) / unit). A value v < that span means the latest record
        lies less than (v + 1) units, so at most the span, before the date: after the first record at every such date.
        A longer one is compared as none (`vsv_model.drift.seen_below`)."""
        return max(int((earliest - first_record).days // self.unit_days), 0)


# The features with an open look-back, compared over what every compared date can see (training/profile.py, vsv
# monitor). The windowed features above (4 weeks to 2 years) see their whole window once the data is that old.
OPEN_LOOKBACK: dict[str, OpenLookback] = {"weeks_since_last_report": OpenLookback("absence_reports", "report_date", 7)}

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURES_BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.is_categorical)
LABEL = "no_sq_by_23"
KEY_COLUMNS = ("youth_id", "as_of")
AUDIT_COLUMNS = ("gender", "origin", "residence_municipality")
