"""Request and response models of the service (pydantic), with plain bounds on every value.

The feature-form model is generated from `vsv_model.feature_spec`, so its names,
categories and kinds are never written twice. History records use the contract's
column names; enum values are normalised by the contract's rules (unknown values
become `onbekend` and are reported back as warnings), while the contract's value
rules (negative hours, an end date before its start) are checked by the scorer
with the contract's own functions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from features.office_events import EVENT_KINDS
from vsv_model.contract import YOUTH_ID_PATTERN
from vsv_model.feature_spec import FEATURES, FeatureSpec
from vsv_model.risk_model import STOCK_KIND

MAX_YOUTHS = 1000


CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def printable(value: str | None) -> str | None:
    """Identifiers and names are shown on the page and written to the audit log: no control characters."""
    if value is not None and CONTROL_CHARACTER.search(value):
        raise ValueError("contains a control character (such as a tab, a line break or NUL)")
    return value


Text = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(printable)]
OptionalText = Annotated[str | None, Field(default=None, max_length=64), AfterValidator(printable)]
Hours = Annotated[float | None, Field(default=None, allow_inf_nan=False, le=10_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnrollmentRecord(Strict):
    school_id: Text
    school_municipality: OptionalText = None
    education_type: Text
    learning_path: OptionalText = None
    start_date: dt.date
    end_date: dt.date | None = None


class DiplomaRecord(Strict):
    diploma_date: dt.date
    level: Text


ReportId = Annotated[str | None, Field(default=None, pattern=YOUTH_ID_PATTERN,
                                       description="DUO's report number (meldingsnummer), a pseudonymous key like a "
                                                   "youth_id; never a BSN")]


class AbsenceRecord(Strict):
    report_date: dt.date
    school_id: OptionalText = None
    kind: Text
    hours: Hours = None
    report_id: ReportId = None


class History(Strict):
    birth_date: dt.date
    enrollments: Annotated[list[EnrollmentRecord], Field(max_length=200)] = []
    diplomas: Annotated[list[DiplomaRecord], Field(max_length=100)] = []
    absence_reports: Annotated[list[AbsenceRecord], Field(max_length=2000)] = []


FEATURE_BOUNDS = {"age": 150, "months_not_enrolled": 1200, "weeks_since_last_report": 10_000}


def feature_field(spec: FeatureSpec) -> tuple[Any, Any]:
    """The pydantic type of one feature in the feature form."""
    if spec.is_categorical:
        return Literal[spec.categories], Field(description=spec.label_nl)
    if spec.kind == "flag":
        return Annotated[int, Field(ge=0, le=1)], Field(description=spec.label_nl)
    upper = FEATURE_BOUNDS.get(spec.name, 100_000)
    kind = Annotated[int, Field(ge=0, le=upper)] if spec.kind == "count" else Annotated[float, Field(ge=0, le=upper, allow_inf_nan=False)]
    if spec.nullable:
        return kind | None, Field(description=f"{spec.label_nl} (null: never)")
    return kind, Field(description=spec.label_nl)


FeatureValues = create_model("FeatureValues", __config__=ConfigDict(extra="forbid"),
                             **{spec.name: feature_field(spec) for spec in FEATURES})


YouthId = Annotated[str, Field(pattern=YOUTH_ID_PATTERN, description="A pseudonymous key (letters, digits, '-' and '_', "
                                                                   "1 to 64 characters); never a BSN")]


# The moment a youth is scored at: the yearly list (`stock`) or an office event (features/office_events.py).
KINDS = (STOCK_KIND, *EVENT_KINDS)
Kind = Literal[KINDS]  # type: ignore[valid-type]
KIND_DESCRIPTION = ("The moment the youth is scored at: 'stock' (the yearly list, the default) or the office's event: "
                    "'report_first' (the first 18+ absence report of a period), 'report_repeat' (a repeat report), "
                    "'new_leaver' (left school without a startkwalificatie). The chance, the risk category's meaning and "
                    "the advised approach are the kind's own (its calibration and cut-offs)")


class YouthInput(Strict):
    youth_id: YouthId
    as_of: dt.date | None = Field(default=None, description="Reference date (peildatum); default today. For an event: "
                                                            "the event's day")
    kind: Kind = Field(default=STOCK_KIND, description=KIND_DESCRIPTION)
    history: History | None = None
    features: FeatureValues | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def one_form(self) -> YouthInput:
        if (self.history is None) == (self.features is None):
            raise ValueError("give either 'history' or 'features' for each youth, not both and not neither")
        return self


class Reason(BaseModel):
    concept: str = Field(description="schoolsituatie, verzuim, schoolloopbaan, diploma, leeftijd or schoollocatie")
    label_nl: str
    contribution: float = Field(description="The sum of the concept's features' SHAP values, in calibrated log-odds")
    direction: Literal["raises", "lowers"]
    changeable: bool
    sentence_nl: str
    features: dict[str, str | float | int | None] = Field(description="The youth's values the sentence is written from")


class DataQualityWarning(BaseModel):
    code: str = Field(description="A stable code, the same as in the batch file's data_quality column")
    concept: str = Field(description="The concept whose reason this warning replaces")
    message_nl: str = Field(description="What the officer reads, for this youth: the record, its dates and what to check")
    about_nl: str = Field("", description="The record and dates the warning is about, e.g. 'de laatste melding van "
                                          "verzuim, in de week van 3 tot en met 9 maart 2010'")


class ScoredYouth(BaseModel):
    youth_id: str
    as_of: dt.date
    kind: str = Field(STOCK_KIND, description="The moment the youth was scored at, as asked (its calibration and "
                                              "cut-offs were used)")
    probability: float
    risk_category: Literal["low", "medium", "high"] = Field(
        description="The risk category, from the probability alone by fixed cut-offs (the model's `risk_categories`), "
                    "never from a rank: a youth at 0.78 is high whatever the others score")
    risk_category_nl: str = Field(description="The risk category in Dutch: laag, midden or hoog")
    risk_category_meaning_nl: str = Field(
        description="What the category meant when the model was tested, in plain Dutch numbers (how many of 10 tested "
                    "youths in it got no diploma by the outcome age); says so when it was not measured for this model")
    tier: Literal["low", "medium", "high"] = Field(
        description="The advised approach's place in the capacity ranking (low: letter, medium: conversation, high: "
                    "matchmaker); kept for compatibility: it is the advice, not the risk")
    tier_nl: str = Field(description="The tier in Dutch (kept for compatibility); officers read the route, not this")
    route: str = Field(description="The advised approach: waarschuwingsbrief, gesprek or matchmaker")
    route_nl: str
    intensity_nl: str
    approach_note_nl: str = Field(
        description="One plain Dutch sentence when the advised approach is lighter or heavier than the risk category "
                    "(for example: the risk is high but the matchmakers have no place left); empty when they match")
    risk_nl: str = Field(description="Which risk the probability is of, in plain Dutch")
    probability_nl: str
    reasons: list[Reason] = Field(description="What raises the chance and what helps, largest first (not background)")
    background: list[Reason] = Field(description="Age and school location: shown apart, not reasons to discuss")
    data_quality: list[DataQualityWarning] = Field(description="Values that cannot all be true: flagged, never explained")
    warnings: list[str] = Field([], description="Unknown values, duplicates and later records, in English (for systems)")
    warnings_nl: list[str] = Field([], description="The same warnings in Dutch, naming the record, as the page shows them")
    model_version: str
    model_run_id: str
    model_fingerprint: str = Field(description="The first 8 characters of the run id and of the booster's SHA-256")


class ScoreResponse(BaseModel):
    model_version: str
    model_run_id: str
    model_fingerprint: str
    results: list[ScoredYouth]


class Explanation(ScoredYouth):
    log_odds: float
    base_value: float
    concept_contributions: dict[str, float] = Field(description="Per concept; base_value + their sum = log_odds")
    contributions: dict[str, float] = Field(description="Per feature (TreeSHAP); base_value + their sum = log_odds")
    features: dict[str, str | float | int | None]


class FeatureInfo(BaseModel):
    name: str
    label_nl: str
    changeable: bool
    justification: str


class ModelInfo(BaseModel):
    name: str
    version: str
    run_id: str
    booster_sha256: str
    fingerprint: str
    target_group: dict[str, int] = Field(description="min_age, max_age (exclusive) and outcome_age of the youths it scores")
    trained_at: str
    as_of_dates: list[str]
    metrics: dict[str, float]
    tier_cutoffs: dict[str, float] = Field(description="The advised approach's cut-offs (sized by capacity)")
    tier_sizing: dict[str, Any]
    kinds: dict[str, dict[str, Any]] = Field(
        {}, description="Per kind of moment the model scores besides the yearly list (an 18+ report, a repeat, a new "
                        "leaver): its calibration and tier cut-offs and sizing; empty for a model from before events")
    risk_categories: dict[str, Any] = Field(
        description="The risk categories' probability cut-offs (medium, high) and, per category, what it meant on the "
                    "test cohort (rows, observed_rate, mean_predicted); empty `measured` when not measured")
    features: list[FeatureInfo]


# --- POST /events: deliveries of DUO's link, one event each --------------------------------------------------------

MAX_DELIVERIES = 100
DELIVERY_STATUSES = ("opened", "attached", "known", "not_yet", "no_event")


class DeliveredReport(AbsenceRecord):
    report_id: Annotated[str, Field(pattern=YOUTH_ID_PATTERN, description="DUO's report number (meldingsnummer): the "
                                    "same on every delivery of the report, so a report delivered twice is one case; "
                                    "never a BSN")]


class DeliveredDeregistration(EnrollmentRecord):
    end_date: dt.date = Field(description="The day the enrolment ended (the deregistration)")


class Delivery(Strict):
    youth_id: YouthId
    history: History = Field(description="The youth's records as /score's history form (the delivered record may be "
                                         "in it or not: a report with the same report_id, or the same enrolment, is "
                                         "replaced by the delivered one)")
    report: DeliveredReport | None = Field(None, description="An absence report (the contract's absence_reports row)")
    deregistration: DeliveredDeregistration | None = Field(None, description="An enrolment with its end (the "
                                                                             "contract's enrollments row)")

    @model_validator(mode="after")
    def one_record(self) -> Delivery:
        if (self.report is None) == (self.deregistration is None):
            raise ValueError("give either 'report' or 'deregistration' for each delivery, not both and not neither")
        return self


class DeliveryAnswer(BaseModel):
    youth_id: str
    status: Literal[DELIVERY_STATUSES] = Field(  # type: ignore[valid-type]
        description="opened (a new case), attached (to the youth's open case: a repeat), known (delivered before: "
                    "the same case), not_yet (a deregistration becomes a new leaver only when no new enrolment "
                    "starts within the month after it: deliver it again from `event_date`), no_event (not an event "
                    "of the office: see `message`)")
    case_id: int | None = None
    kind: str | None = Field(None, description="report_first, report_repeat or new_leaver")
    event_date: dt.date | None = Field(None, description="The event's day (a new leaver: the end plus the month)")
    advised_route: str | None = Field(None, description="The case's advice after this event (for a known event: now)")
    deadline: dt.date | None = None
    message: str = Field("", description="Why there is no case (not_yet, no_event), in English for systems")


class EventsResponse(BaseModel):
    model_version: str
    model_run_id: str
    model_fingerprint: str
    results: list[DeliveryAnswer]
