"""Scoring requests: from validated youths to probability, tier, route and reasons.

Framework-free (the BentoML service and the page are thin shells around it). The feature form is encoded
straight into the booster's matrix; the history form goes through `serving.history` (the training builders).
One booster call (TreeSHAP contributions) gives both the explanation and the probability. Who may be
scored is the served model's target group, never a setting of its own.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import numpy as np

from serving.errors import Problem, RequestError
from serving.history import RECORD_TABLES, day_number, history_rows
from serving.responses import scored_youths
from serving.schemas import YouthInput
from vsv_model.contract import LOOKS_LIKE_BSN, STARTKWALIFICATIE_LEVELS, is_bsn
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.plausibility import CHECKS
from vsv_model.risk_model import RiskModel, encode_records, sigmoid
from vsv_model.target_group import TargetGroup

LARGE_REQUEST = 200  # from this many youths a request uses every core for TreeSHAP; single youths stay on one


@dataclass
class ServedModel:
    """The model the service serves, with where it came from: its registry version, and what identifies it
    (the training run and the booster's checksum; a version number alone is not unique across registries)."""

    model: RiskModel
    name: str
    version: str
    run_id: str

    @property
    def group(self) -> TargetGroup:
        return self.model.target_group

    @property
    def booster_sha256(self) -> str:
        return self.model.booster_sha256

    @property
    def fingerprint(self) -> str:
        return model_fingerprint(self.run_id, self.booster_sha256)

    def for_kind(self, kind: str | None) -> ServedModel:
        """The same version with the calibration, cut-offs and risk categories' meaning of `kind` (the moment a
        youth is scored at: `stock` or None for the yearly list, or an event kind); ValueError naming the kinds
        the model knows when it has none for `kind` (`RiskModel.for_kind`)."""
        _ = self.booster_sha256  # computed once on the shared booster; every kind's model takes it over
        model = self.model.for_kind(kind)
        return self if model is self.model else ServedModel(model, self.name, self.version, self.run_id)


def model_fingerprint(run_id: str, booster_sha256: str) -> str:
    """A short, readable identity: the run id's and the checksum's first 8 characters ('1f3a9c2e-8d0b4e11')."""
    return f"{run_id[:8]}-{booster_sha256[:8]}"


@dataclass
class Prepared:
    """The booster matrix for a request, in request order, with each youth's reference date and warnings."""

    matrix: np.ndarray
    as_of: list[dt.date]
    warnings: list[list[str]] = field(default_factory=list)
    warnings_nl: list[list[str]] = field(default_factory=list)
    record_flags: np.ndarray | None = None  # rows x CHECKS: the checks on the history form's records (None: none)

    def take(self, positions: list[int]) -> Prepared:
        """The youths at `positions` only (in that order)."""
        return Prepared(self.matrix[positions], [self.as_of[i] for i in positions],
                        [self.warnings[i] for i in positions], [self.warnings_nl[i] for i in positions],
                        None if self.record_flags is None else self.record_flags[positions])


def feature_rows(youths: list[YouthInput], positions: list[int], group: TargetGroup) -> tuple[np.ndarray, list[Problem]]:
    records = [youths[i].features.model_dump() for i in positions]
    problems = []
    for i, record in zip(positions, records):
        reason = feature_scope_reason(record, group)
        if reason:
            problems.append(Problem(f"youths[{i}]", reason[1], reason[0]))
    return encode_records(records), problems


def feature_scope_reason(record: dict, group: TargetGroup) -> tuple[str, str] | None:
    if record["age"] < group.min_age:
        return "under_18", f"out of scope (under_18): age {record['age']}, the model's target group is {group.describe()}"
    if record["age"] >= group.max_age:
        return "over_age", f"out of scope (over_age): age {record['age']}, the model's target group is {group.describe()}"
    if record["last_diploma"] in STARTKWALIFICATIE_LEVELS:
        return "has_startkwalificatie", f"out of scope (has_startkwalificatie): last diploma {record['last_diploma']}"
    return None


def refuse_citizen_numbers(youths: list[YouthInput]) -> None:
    """A youth_id, or any identifier or code of a record (school, report number, education type, level, kind ...), that
    is a valid BSN is refused before anything is scored, stored or logged, naming the field without repeating it."""
    problems = [Problem(f"youths[{i}].youth_id", LOOKS_LIKE_BSN, "bsn") for i, y in enumerate(youths) if is_bsn(y.youth_id)]
    problems += [Problem(f"youths[{i}].history.{table}[{j}].{name}", LOOKS_LIKE_BSN, "bsn")
                 for i, y in enumerate(youths) if y.history is not None
                 for table in RECORD_TABLES for j, record in enumerate(getattr(y.history, table))
                 for name, value in record if isinstance(value, str) and is_bsn(value)]
    if problems:
        raise RequestError(422, problems)


def refuse_repeated_youths(youths: list[YouthInput]) -> None:
    """A youth_id given twice in one request is refused (400), naming both positions: two answers for one youth
    (from two differing records) would leave the audit log and the caller to guess which one holds."""
    first: dict[str, int] = {}
    problems = []
    for i, youth in enumerate(youths):
        seen = first.setdefault(youth.youth_id, i)
        if seen != i:
            problems.append(Problem(f"youths[{i}].youth_id", f"the same youth_id as youths[{seen}]: give each youth once "
                                                             "per request (the value is not repeated here)", "repeated_youth"))
    if problems:
        raise RequestError(400, problems)


def refuse_unknown_kinds(youths: list[YouthInput], served: ServedModel) -> None:
    """A kind of event the served model has no calibration for is refused (422), naming the kinds it knows: another
    kind's calibration would misstate the chance."""
    problems = []
    for i, youth in enumerate(youths):
        try:
            served.for_kind(youth.kind)
        except ValueError as exc:
            problems.append(Problem(f"youths[{i}].kind", str(exc), "unknown_kind"))
    if problems:
        raise RequestError(422, problems)


def prepare(youths: list[YouthInput], today: dt.date, group: TargetGroup) -> Prepared:
    """Validate and turn a request's youths into the booster matrix (request order)."""
    refuse_citizen_numbers(youths)
    as_of = [y.as_of or today for y in youths]
    matrix = np.empty((len(youths), len(FEATURE_NAMES)))
    warnings: list[list[str]] = [[] for _ in youths]
    warnings_nl: list[list[str]] = [[] for _ in youths]
    problems: list[Problem] = []
    record_flags = np.zeros((len(youths), len(CHECKS)), dtype=bool)
    feature_form = [i for i, y in enumerate(youths) if y.features is not None]
    history_form = [i for i, y in enumerate(youths) if y.history is not None]
    if feature_form:
        rows, found = feature_rows(youths, feature_form, group)
        matrix[feature_form], problems = rows, problems + found
    if history_form:
        days = np.array([day_number(as_of[i]) for i in history_form], dtype=np.int64)
        rows, found, notes, flags = history_rows(youths, history_form, days, group)
        if rows is None:
            raise RequestError(400, found)
        matrix[history_form], problems = rows, problems + found
        record_flags[history_form] = flags
        for k, i in enumerate(history_form):
            warnings[i], warnings_nl[i] = notes[k]
    if problems:
        raise RequestError(422, sorted(problems, key=lambda p: p.loc))
    return Prepared(matrix, as_of, warnings, warnings_nl, record_flags)


def explain_matrix(model: RiskModel, matrix: np.ndarray, num_threads: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contributions, base values and calibrated log-odds from one booster call."""
    contributions, base = model.contributions(matrix, num_threads)
    return contributions, base, base + contributions.sum(axis=1)


def threads_for(rows: int) -> int:
    return (os.cpu_count() or 1) if rows >= LARGE_REQUEST else 1


def score_prepared(served: ServedModel, youths: list[YouthInput], prepared: Prepared, explain: bool = False):
    """The scored youths in request order, each kind of moment with its own calibration, cut-offs and categories'
    meaning (one booster call per kind in the request; one for the usual request of one kind)."""
    kinds = list(dict.fromkeys(y.kind for y in youths))
    if len(kinds) == 1:
        return score_kind(served.for_kind(kinds[0]), youths, prepared, explain)
    results: list = [None] * len(youths)
    for kind in kinds:
        positions = [i for i, y in enumerate(youths) if y.kind == kind]
        scored = score_kind(served.for_kind(kind), [youths[i] for i in positions], prepared.take(positions), explain)
        for i, result in zip(positions, scored, strict=True):
            results[i] = result
    return results


def score_kind(served: ServedModel, youths: list[YouthInput], prepared: Prepared, explain: bool):
    contributions, base, log_odds = explain_matrix(served.model, prepared.matrix, threads_for(len(youths)))
    return scored_youths(youths, served, prepared, contributions, base, log_odds, sigmoid(log_odds), explain)


def score(served: ServedModel, youths: list[YouthInput], today: dt.date, explain: bool = False):
    refuse_unknown_kinds(youths, served)
    return score_prepared(served, youths, prepare(youths, today, served.group), explain)
