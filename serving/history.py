"""The history form of a request: a youth's own records to the model's feature matrix.

It goes through exactly the builders training used (`features.events`, `features.build.compute_features`,
`features.scope`), on small numpy arrays, and judges records by the contract's own rules: exact duplicates
count once (the reader's definition), unknown values become `onbekend` and are reported back as warnings
(in English for systems, in Dutch for the page),
negative hours and an end before its start are refused with the field named.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from features.build import compute_features
from features.events import Events, assemble_events
from features.scope import scope_reasons
from serving.errors import Problem
from serving.schemas import YouthInput
from vsv_model.contract import (
    ABSENCE_REPORTS,
    DIPLOMAS,
    ENROLLMENTS,
    UNKNOWN,
    normalise_columns,
    rows_with_end_before_start,
    rows_with_negative,
)
from vsv_model.dates import completed_years, to_days
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.plausibility import record_date_flags
from vsv_model.reader import repeated_rows
from vsv_model.target_group import TargetGroup

RECORD_TABLES = ("enrollments", "diplomas", "absence_reports")
UNKNOWN_CHECKED = {"enrollments": ("education_type", "learning_path"), "diplomas": ("level",), "absence_reports": ("kind",)}
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# The page's Dutch for the same warnings: the record by its number in the youth's list (from 1), the field, and
# how it counts; never the unknown value itself.
RECORD_NL = {"enrollments": "Inschrijving", "diplomas": "Diploma", "absence_reports": "Melding van verzuim"}
RECORDS_NL = {"enrollments": ("inschrijving", "inschrijvingen"), "diplomas": ("diploma", "diploma's"),
              "absence_reports": ("melding van verzuim", "meldingen van verzuim")}
UNKNOWN_NL = {
    "education_type": "het soort opleiding is onbekend; de inschrijving telt wel mee.",
    "learning_path": "de leerweg (BOL of BBL) is onbekend.",
    "level": "het niveau is onbekend; het diploma telt niet als diploma van mbo-niveau 2 of hoger, havo of vwo.",
    "kind": "de soort melding is onbekend en telt als gewone melding.",
}


def day_number(date: dt.date) -> int:
    return date.toordinal() - EPOCH_ORDINAL


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


def unknown_value_warnings(raw: dict, normalised: dict, flat, table: str, columns: tuple[str, ...]) -> dict[int, list[tuple[str, str]]]:
    """Per youth, (English, Dutch) for every unknown value of the table's checked columns."""
    warnings: dict[int, list[tuple[str, str]]] = {}
    for column in columns:
        unknown = np.flatnonzero((normalised[column] == UNKNOWN) & (raw[column] != None))  # noqa: E711 (elementwise)
        for row in unknown:
            k, j, _ = flat[row]
            warnings.setdefault(k, []).append((f"{table}[{j}].{column} is unknown (the value is not repeated here): "
                                               f"counted as '{UNKNOWN}'",
                                               f"{RECORD_NL[table]} {j + 1}: {UNKNOWN_NL[column]}"))
    return warnings


def duplicates_nl(table: str, count: int) -> str:
    one, many = RECORDS_NL[table]
    if count == 1:
        return f"Er stond 1 {one} dubbel in de gegevens; die telt één keer mee."
    return f"Er stonden {count} {many} dubbel in de gegevens; die tellen één keer mee."


def after_as_of_nl(count: int) -> str:
    if count == 1:
        return "Er is 1 inschrijving, diploma of melding van na de peildatum niet meegeteld."
    return f"Er zijn {count} inschrijvingen, diploma's of meldingen van na de peildatum niet meegeteld."


def out_of_scope_problems(positions, reasons, ages, as_of_days, group: TargetGroup) -> list[Problem]:
    """One problem per youth outside the model's target group, naming the reason, the age and the group."""
    return [Problem(f"youths[{i}]", f"out of scope ({r}): age {ages[k]} at "
                    f"{dt.date.fromordinal(int(as_of_days[k]) + EPOCH_ORDINAL)}; the model's target group is {group.describe()}", r)
            for k, (i, r) in enumerate(zip(positions, reasons)) if r is not None]


def history_rows(youths: list[YouthInput], positions: list[int], as_of_days: np.ndarray, group: TargetGroup):
    """Features of the history-form youths through the training builders: (matrix, problems, warnings, record
    flags: the data-quality checks on the records' dates); the matrix is None when a record breaks the contract."""
    flat = tuple(all_records(youths, positions, table) for table in RECORD_TABLES)
    start_end, *raw = history_columns(flat)
    problems = contract_problems(positions, flat, start_end, raw[2])
    if problems:
        return None, problems, [], None
    kept = [drop_repeated(records, columns, len(positions)) for records, columns in zip(flat, raw, strict=True)]
    flat, raw = tuple(k[0] for k in kept), [k[1] for k in kept]
    births, events, normalised = assembled(youths, positions, raw)
    cut = events.as_of(as_of_days)
    reasons = scope_reasons(cut, as_of_days, group)
    problems = out_of_scope_problems(positions, reasons, completed_years(births, as_of_days), as_of_days, group)
    arrays = compute_features(cut, as_of_days)
    matrix = np.column_stack([arrays[name] for name in FEATURE_NAMES]).astype(np.float64)
    dated = dict(zip(RECORD_TABLES, ((c["youth"], c["start"] if "start" in c else c["day"]) for c in raw), strict=True))
    return (matrix, problems, record_warnings(flat, raw, normalised, kept, events, as_of_days),
            record_date_flags(dated, births))


def assembled(youths: list[YouthInput], positions: list[int], raw: list[dict]):
    """(birth days, Events, normalised columns) of the history-form youths' records (`raw`: their columns)."""
    normalised = [normalise_columns(schema, cols) for schema, cols in zip((ENROLLMENTS, DIPLOMAS, ABSENCE_REPORTS), raw)]
    births = np.array([day_number(youths[i].history.birth_date) for i in positions], dtype=np.int64)
    events = assemble_events(np.array([youths[i].youth_id for i in positions], dtype=object), births, *normalised)
    return births, events, normalised


def history_events(youths: list[YouthInput]) -> Events:
    """The youths' histories as the builders' Events (one youth per request position, repeated records once): what
    the advice in force reads the youth's state on the event's day from (`serving.route_advice`)."""
    positions = list(range(len(youths)))
    flat = tuple(all_records(youths, positions, table) for table in RECORD_TABLES)
    _, *raw = history_columns(flat)
    raw = [drop_repeated(records, columns, len(positions))[1] for records, columns in zip(flat, raw, strict=True)]
    return assembled(youths, positions, raw)[1]


def record_warnings(flat, raw, normalised, kept, events, as_of_days) -> list[tuple[list[str], list[str]]]:
    """Per youth, in English (the API's `warnings`) and in Dutch (the page's `warnings_nl`): unknown values, exact
    duplicates counted once, and records after the reference date ignored."""
    warnings: list[list[tuple[str, str]]] = [[] for _ in range(len(as_of_days))]
    for table, records, columns, norm, (_, _, dropped) in zip(RECORD_TABLES, flat, raw, normalised, kept):
        for k, messages in unknown_value_warnings(columns, norm, records, table, UNKNOWN_CHECKED[table]).items():
            warnings[k].extend(messages)
        for k in np.flatnonzero(dropped):
            warnings[k].append((f"{dropped[k]} exact duplicate record(s) in {table} counted once", duplicates_nl(table, int(dropped[k]))))
    for k, count in enumerate(after_as_of_counts(events, as_of_days)):
        if count:
            warnings[k].append((f"{count} record(s) dated after the reference date were ignored", after_as_of_nl(int(count))))
    return [([english for english, _ in w], [dutch for _, dutch in w]) for w in warnings]


def after_as_of_counts(events, as_of_days: np.ndarray) -> np.ndarray:
    n = events.n_youths
    late = [np.bincount(y[d > as_of_days[y]], minlength=n) for y, d in
            ((events.enr_youth, events.enr_start), (events.dip_youth, events.dip_day), (events.rep_youth, events.rep_day))]
    return sum(late)
