"""Scoring requests: from validated youths to probability, tier, route and reasons.

Framework-free (the BentoML service is a thin shell around it). The history form
goes through exactly the builders training used (`features.events`,
`features.build.compute_features`, `features.scope`), on small numpy arrays; the
feature form is encoded straight into the booster's matrix. One booster call
(TreeSHAP contributions) gives both the explanation and the probability.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.build import compute_features
from features.events import assemble_events
from features.scope import DEFAULT_MAX_AGE, MIN_AGE, scope_reasons
from serving.schemas import Explanation, Reason, ScoredYouth, YouthInput
from vsv_model.columns import SMALL
from vsv_model.contract import (
    ABSENCE_REPORTS,
    DIPLOMAS,
    ENROLLMENTS,
    STARTKWALIFICATIE_LEVELS,
    UNKNOWN,
    normalise_columns,
    rows_with_end_before_start,
    rows_with_negative,
)
from vsv_model.dates import completed_years, to_days
from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.policy import TIER_LABELS_NL, route_for
from vsv_model.reader import repeated_rows
from vsv_model.risk_model import RiskModel, decode_value, encode_records, sigmoid
from vsv_model.wording import probability_in_words, reason_sentence

TOP_REASONS = 5
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Problem:
    loc: str
    msg: str
    code: str = ""  # what went wrong, for readers in other languages (the officer page)


class RequestError(Exception):
    """Bad input, named field by field; `status` is 400 (malformed) or 422 (out of scope)."""

    def __init__(self, status: int, problems: list[Problem]):
        self.status, self.problems = status, problems
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = "; ".join(f"{p.loc}: {p.msg}" for p in self.problems[:10])
        more = len(self.problems) - 10
        return shown + (f" (and {more} more)" if more > 0 else "")

    def body(self) -> dict:
        return {"error": self.message, "detail": [{"loc": p.loc, "msg": p.msg} for p in self.problems]}


@dataclass
class ServedModel:
    """The model the service serves, with where it came from."""

    model: RiskModel
    name: str
    version: str
    run_id: str
    max_age: int = DEFAULT_MAX_AGE


@dataclass
class Prepared:
    """The booster matrix for a request, in request order, with each youth's reference date and warnings."""

    matrix: np.ndarray
    as_of: list[dt.date]
    warnings: list[list[str]] = field(default_factory=list)


def day_number(date: dt.date) -> int:
    return date.toordinal() - EPOCH_ORDINAL


# --- the feature form ------------------------------------------------------------------

def feature_rows(youths: list[YouthInput], positions: list[int], max_age: int) -> tuple[np.ndarray, list[Problem]]:
    records = [youths[i].features.model_dump() for i in positions]
    problems = []
    for i, record in zip(positions, records):
        reason = feature_scope_reason(record, max_age)
        if reason:
            problems.append(Problem(f"youths[{i}]", reason[1], reason[0]))
    return encode_records(records), problems


def feature_scope_reason(record: dict, max_age: int) -> tuple[str, str] | None:
    if record["age"] < MIN_AGE:
        return "under_18", f"out of scope (under_18): age {record['age']}"
    if record["age"] >= max_age:
        return "over_age", f"out of scope (over_age): age {record['age']}, the target group ends before {max_age}"
    if record["last_diploma"] in STARTKWALIFICATIE_LEVELS:
        return "has_startkwalificatie", f"out of scope (has_startkwalificatie): last diploma {record['last_diploma']}"
    return None


# --- the history form ------------------------------------------------------------------

RECORD_TABLES = ("enrollments", "diplomas", "absence_reports")
UNKNOWN_CHECKED = {"enrollments": ("education_type", "learning_path"), "diplomas": ("level",), "absence_reports": ("kind",)}


def all_records(youths: list[YouthInput], positions: list[int], table: str) -> list[tuple[int, int, object]]:
    """One table's records of the history-form youths as (k, j, record): `k` the position among `positions`,
    `j` in the youth's list."""
    return [(k, j, record) for k, i in enumerate(positions) for j, record in enumerate(getattr(youths[i].history, table))]


def drop_repeated(records: list, columns: dict[str, np.ndarray], youths: int) -> tuple[list, dict[str, np.ndarray], np.ndarray]:
    """Exact duplicate records (every field and the youth equal, as the reader judges a file's rows) kept once;
    returns the kept records and columns, and how many were dropped per youth."""
    repeated = repeated_rows(columns)
    if not repeated.any():
        return records, columns, np.zeros(youths, dtype=np.int64)
    kept = ~repeated
    dropped = np.bincount(columns["youth"][repeated], minlength=youths)
    return [r for r, keep in zip(records, kept.tolist()) if keep], {k: v[kept] for k, v in columns.items()}, dropped


def _dates(values) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def history_columns(flat):
    """Raw columns of the request's (deduplicated) records; `youth` is the position among the history-form youths."""
    enr, dip, rep = flat
    start = _dates([r.start_date for _, _, r in enr])
    end = _dates([r.end_date for _, _, r in enr])
    enrollments = {
        "youth": np.array([k for k, _, _ in enr], dtype=np.int64), "start": to_days(start), "end": to_days(end),
        "school_id": np.array([r.school_id for _, _, r in enr], dtype=object),
        "education_type": np.array([r.education_type for _, _, r in enr], dtype=object),
        "learning_path": np.array([r.learning_path for _, _, r in enr], dtype=object),
        "school_municipality": np.array([r.school_municipality for _, _, r in enr], dtype=object),
    }
    diplomas = {"youth": np.array([k for k, _, _ in dip], dtype=np.int64),
                "day": np.array([day_number(r.diploma_date) for _, _, r in dip], dtype=np.int64),
                "level": np.array([r.level for _, _, r in dip], dtype=object)}
    reports = {"youth": np.array([k for k, _, _ in rep], dtype=np.int64),
               "day": np.array([day_number(r.report_date) for _, _, r in rep], dtype=np.int64),
               "school_id": np.array([r.school_id for _, _, r in rep], dtype=object),
               "kind": np.array([r.kind for _, _, r in rep], dtype=object),
               "hours": np.array([np.nan if r.hours is None else r.hours for _, _, r in rep], dtype=float)}
    return (start, end), enrollments, diplomas, reports


def contract_problems(positions, flat, start_end, reports) -> list[Problem]:
    """The contract's value rules, checked by the contract's own functions, located in the request."""
    enr, _, rep = flat
    problems = []
    for row in rows_with_negative(reports["hours"]):
        k, j, record = rep[row]
        problems.append(Problem(f"youths[{positions[k]}].history.absence_reports[{j}].hours", f"negative hours ({record.hours:g})",
                                "negative_hours"))
    for row in rows_with_end_before_start(*start_end):
        k, j, record = enr[row]
        problems.append(Problem(f"youths[{positions[k]}].history.enrollments[{j}].end_date",
                                f"end_date {record.end_date} lies before start_date {record.start_date}", "end_before_start"))
    return problems


def unknown_value_warnings(raw: dict, normalised: dict, flat, table: str, columns: tuple[str, ...]) -> dict[int, list[str]]:
    warnings: dict[int, list[str]] = {}
    for column in columns:
        unknown = np.flatnonzero((normalised[column] == UNKNOWN) & (raw[column] != None))  # noqa: E711 (elementwise)
        for row in unknown:
            k, j, _ = flat[row]
            warnings.setdefault(k, []).append(f"{table}[{j}].{column} {raw[column][row]!r} is unknown: counted as '{UNKNOWN}'")
    return warnings


def history_rows(youths: list[YouthInput], positions: list[int], as_of_days: np.ndarray, max_age: int):
    """Features of the history-form youths through the training builders."""
    flat = tuple(all_records(youths, positions, table) for table in RECORD_TABLES)
    start_end, *raw = history_columns(flat)
    problems = contract_problems(positions, flat, start_end, raw[2])
    if problems:
        return None, problems, []
    kept = [drop_repeated(records, columns, len(positions)) for records, columns in zip(flat, raw, strict=True)]
    flat, raw = tuple(k[0] for k in kept), [k[1] for k in kept]
    normalised = [normalise_columns(schema, cols) for schema, cols in zip((ENROLLMENTS, DIPLOMAS, ABSENCE_REPORTS), raw)]
    births = np.array([day_number(youths[i].history.birth_date) for i in positions], dtype=np.int64)
    events = assemble_events(np.array([youths[i].youth_id for i in positions], dtype=object), births, *normalised)
    cut = events.as_of(as_of_days)
    reasons = scope_reasons(cut, as_of_days, max_age)
    ages = completed_years(births, as_of_days)
    problems = [Problem(f"youths[{i}]", f"out of scope ({r}): age {ages[k]} at {dt.date.fromordinal(int(as_of_days[k]) + EPOCH_ORDINAL)}", r)
                for k, (i, r) in enumerate(zip(positions, reasons)) if r is not None]
    arrays = compute_features(cut, as_of_days)
    matrix = np.column_stack([arrays[name] for name in FEATURE_NAMES]).astype(np.float64)
    warnings = [[] for _ in positions]
    for table, records, columns, norm, (_, _, dropped) in zip(RECORD_TABLES, flat, raw, normalised, kept):
        for k, messages in unknown_value_warnings(columns, norm, records, table, UNKNOWN_CHECKED[table]).items():
            warnings[k].extend(messages)
        for k in np.flatnonzero(dropped):
            warnings[k].append(f"{dropped[k]} exact duplicate record(s) in {table} counted once")
    for k, count in enumerate(after_as_of_counts(events, as_of_days)):
        if count:
            warnings[k].append(f"{count} record(s) dated after the reference date were ignored")
    return matrix, problems, warnings


def after_as_of_counts(events, as_of_days: np.ndarray) -> np.ndarray:
    n = events.n_youths
    late = [np.bincount(y[d > as_of_days[y]], minlength=n) for y, d in
            ((events.enr_youth, events.enr_start), (events.dip_youth, events.dip_day), (events.rep_youth, events.rep_day))]
    return sum(late)


# --- the whole request -----------------------------------------------------------------

def prepare(youths: list[YouthInput], today: dt.date, max_age: int = DEFAULT_MAX_AGE) -> Prepared:
    """Validate and turn a request's youths into the booster matrix (request order)."""
    as_of = [y.as_of or today for y in youths]
    matrix = np.empty((len(youths), len(FEATURE_NAMES)))
    warnings: list[list[str]] = [[] for _ in youths]
    problems: list[Problem] = []
    feature_form = [i for i, y in enumerate(youths) if y.features is not None]
    history_form = [i for i, y in enumerate(youths) if y.history is not None]
    if feature_form:
        rows, found = feature_rows(youths, feature_form, max_age)
        matrix[feature_form], problems = rows, problems + found
    if history_form:
        days = np.array([day_number(as_of[i]) for i in history_form], dtype=np.int64)
        rows, found, notes = history_rows(youths, history_form, days, max_age)
        if rows is None:
            raise RequestError(400, found)
        matrix[history_form], problems = rows, problems + found
        for k, i in enumerate(history_form):
            warnings[i] = notes[k]
    if problems:
        raise RequestError(422, sorted(problems, key=lambda p: p.loc))
    return Prepared(matrix, as_of, warnings)


LARGE_REQUEST = 200  # from this many youths a request uses every core for TreeSHAP; single youths stay on one


def explain_matrix(model: RiskModel, matrix: np.ndarray, num_threads: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contributions, base values and calibrated log-odds from one booster call."""
    contributions, base = model.contributions(matrix, num_threads)
    return contributions, base, base + contributions.sum(axis=1)


def threads_for(rows: int) -> int:
    return (os.cpu_count() or 1) if rows >= LARGE_REQUEST else 1


def top_reason_indices(contributions: np.ndarray, k: int = TOP_REASONS) -> np.ndarray:
    """Per row, the features with the largest absolute contribution, largest first."""
    return np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :k]


def sentences_for(features: np.ndarray, values: np.ndarray, raises: np.ndarray) -> np.ndarray:
    """Dutch reason sentences, one per row, built once per distinct (feature, value, direction)."""
    return described(features, values, raises)[0]


def described(features: np.ndarray, values: np.ndarray, raises: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the Dutch sentence and the decoded value, each computed once per distinct (feature, value, direction)."""
    plain = np.nan_to_num(values, nan=-1.0)
    if len(features) < SMALL:  # a request: a dict, not pandas' fixed cost of a millisecond
        seen: dict = {}
        codes = np.array([seen.setdefault(key, len(seen)) for key in zip(features.tolist(), plain.tolist(), raises.tolist())],
                         dtype=np.int64)
        uniques = list(seen)
    else:
        codes, uniques = pd.MultiIndex.from_arrays([features, plain, raises]).factorize()
    decoded = [decode_value(FEATURE_NAMES[j], np.nan if v == -1.0 else v) for j, v, _ in uniques]
    sentences = [reason_sentence(FEATURE_NAMES[j], value, bool(r)) for (j, _, r), value in zip(uniques, decoded, strict=True)]
    return np.array(sentences, dtype=object)[codes], np.array(decoded, dtype=object)[codes]


def reasons_of(matrix: np.ndarray, contributions: np.ndarray, k: int = TOP_REASONS) -> list[list[Reason]]:
    """The top-k reasons of every row, each value decoded and each sentence built once per distinct case."""
    top = top_reason_indices(contributions, k)
    rows = np.arange(len(matrix))[:, None]
    chosen, values = contributions[rows, top], matrix[rows, top]
    sentences, decoded = (a.reshape(top.shape).tolist() for a in described(top.ravel(), values.ravel(), chosen.ravel() > 0))
    chosen = chosen.tolist()  # Python lists: element access in the loop below costs a tenth of numpy's
    return [[Reason.model_construct(
        feature=FEATURES[j].name, label_nl=FEATURES[j].label_nl, value=decoded[r][c],
        contribution=chosen[r][c], direction="raises" if chosen[r][c] > 0 else "lowers",
        changeable=FEATURES[j].changeable, sentence_nl=sentences[r][c]) for c, j in enumerate(row)]
        for r, row in enumerate(top.tolist())]


def score_prepared(served: ServedModel, youths: list[YouthInput], prepared: Prepared, explain: bool = False):
    contributions, base, log_odds = explain_matrix(served.model, prepared.matrix, threads_for(len(youths)))
    probability = sigmoid(log_odds)
    tiers = served.model.tiers(probability)
    reasons = reasons_of(prepared.matrix, contributions)
    results = []
    for r, youth in enumerate(youths):
        route = route_for(tiers[r])
        common = dict(
            youth_id=youth.youth_id, as_of=prepared.as_of[r], probability=float(probability[r]), tier=tiers[r],
            tier_nl=TIER_LABELS_NL[tiers[r]], route=route.code, route_nl=route.label_nl, intensity_nl=route.intensity_nl,
            probability_nl=probability_in_words(float(probability[r])), reasons=reasons[r],
            warnings=prepared.warnings[r], model_version=served.version)
        if explain:
            values = [decode_value(name, prepared.matrix[r, j]) for j, name in enumerate(FEATURE_NAMES)]
            results.append(Explanation.model_construct(
                **common, log_odds=float(log_odds[r]), base_value=float(base[r]),
                contributions={n: float(c) for n, c in zip(FEATURE_NAMES, contributions[r])},
                features=dict(zip(FEATURE_NAMES, values))))
        else:
            results.append(ScoredYouth.model_construct(**common))
    return results


def score(served: ServedModel, youths: list[YouthInput], today: dt.date, explain: bool = False):
    return score_prepared(served, youths, prepare(youths, today, served.max_age), explain)
