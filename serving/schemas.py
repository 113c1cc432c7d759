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

from vsv_model.feature_spec import FEATURES, FeatureSpec

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


class AbsenceRecord(Strict):
    report_date: dt.date
    school_id: OptionalText = None
    kind: Text
    hours: Hours = None


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


class YouthInput(Strict):
    youth_id: Text
    as_of: dt.date | None = Field(default=None, description="Reference date (peildatum); default today")
    history: History | None = None
    features: FeatureValues | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def one_form(self) -> YouthInput:
        if (self.history is None) == (self.features is None):
            raise ValueError("give either 'history' or 'features' for each youth, not both and not neither")
        return self


class Reason(BaseModel):
    feature: str
    label_nl: str
    value: str | float | int | None
    contribution: float = Field(description="In calibrated log-odds")
    direction: Literal["raises", "lowers"]
    changeable: bool
    sentence_nl: str


class ScoredYouth(BaseModel):
    youth_id: str
    as_of: dt.date
    probability: float
    tier: Literal["low", "medium", "high"]
    tier_nl: str
    route: str
    route_nl: str
    intensity_nl: str
    probability_nl: str
    reasons: list[Reason]
    warnings: list[str] = []
    model_version: str


class ScoreResponse(BaseModel):
    model_version: str
    results: list[ScoredYouth]


class Explanation(ScoredYouth):
    log_odds: float
    base_value: float
    contributions: dict[str, float]
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
    target_group: dict[str, int] = Field(description="min_age, max_age (exclusive) and outcome_age of the youths it scores")
    trained_at: str
    as_of_dates: list[str]
    metrics: dict[str, float]
    tier_cutoffs: dict[str, float]
    tier_sizing: dict[str, Any]
    features: list[FeatureInfo]
