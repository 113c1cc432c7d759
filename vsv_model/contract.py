"""The data contract (v1) in code: the four tables, their enums and the rules on values.

This module is the single owner of what a valid record is. The file reader
(`vsv_model.reader`), the feature builders and the service's history form all
use these definitions and the array-level rules below, so a record is judged
the same way everywhere. See ../shared/data-contract.md for the prose version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from vsv_model.columns import to_arrow_strings

UNKNOWN = "onbekend"
NONE = "geen"
OUTSIDE_REGION = "buiten_regio"

EDUCATION_TYPES = (
    "po", "so", "vso", "pro", "isk", "vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo",
    "vavo", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo",
)
PRIMARY_TYPES = ("po", "so")  # primary school: school switches count only the enrolments of other types
MBO_TYPES = ("mbo-1", "mbo-2", "mbo-3", "mbo-4")
SECONDARY_TYPES = ("vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "pro", "vso")
LEARNING_PATHS = ("BOL", "BBL")
DIPLOMA_LEVELS = (
    "vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo",
)
STARTKWALIFICATIE_LEVELS = frozenset({"havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"})
ABSENCE_KINDS = ("16uur", "overig", "te_laat", "luxe", "18plus")
LATE_KIND = "te_laat"
GENDERS = ("M", "V", "X")
ORIGINS = ("nederland", "europa", "buiten_europa")

REGION_MUNICIPALITIES = (
    "Alblasserdam", "Dordrecht", "Gorinchem", "Hardinxveld-Giessendam", "Hendrik-Ido-Ambacht",
    "Hoeksche Waard", "Molenlanden", "Papendrecht", "Sliedrecht", "Zwijndrecht",
)
MUNICIPALITY_MERGERS = {
    "Binnenmaas": "Hoeksche Waard",
    "Cromstrijen": "Hoeksche Waard",
    "Korendijk": "Hoeksche Waard",
    "Oud-Beijerland": "Hoeksche Waard",
    "Strijen": "Hoeksche Waard",
    "Giessenlanden": "Molenlanden",
    "Molenwaard": "Molenlanden",
    "Leerdam": "Vijfheerenlanden",
    "Zederik": "Vijfheerenlanden",
}
MUNICIPALITY_CATEGORIES = (*REGION_MUNICIPALITIES, OUTSIDE_REGION, UNKNOWN)

ColumnKind = Literal["id", "string", "date", "enum", "number"]

# A youth_id is a pseudonymous key: letters, digits, '-' and '_', 1 to 64 characters. Never a BSN: a value of 9
# digits that passes the 11-test is refused wherever it enters (files, API, page), without repeating it.
YOUTH_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
NOT_PSEUDONYMOUS = ("is not a pseudonymous id: only letters, digits, '-' and '_' (1 to 64 characters) are allowed "
                    "(the value is not repeated here)")
LOOKS_LIKE_BSN = ("looks like a BSN (9 digits that pass the 11-test): only pseudonymous ids are allowed, never a "
                  "citizen service number (the value is not repeated here)")
_ID = re.compile(YOUTH_ID_PATTERN)
# Digits in free text, in groups joined by one space, dot or hyphen ("123 456 782", "12.34.56.782"): a BSN may be
# written either way.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]+(?:[ .-][0-9]+)*(?![0-9])")
_DIGIT_GROUP = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool
    values: tuple[str, ...] = ()
    audit_only: bool = False
    municipality: bool = False


@dataclass(frozen=True)
class TableSchema:
    """One table of the contract. `event_date` places a record in time (None for youths)."""

    name: str
    columns: tuple[Column, ...]
    event_date: str | None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def columns_of_kind(self, kind: ColumnKind) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind == kind)


YOUTHS = TableSchema(
    "youths",
    (
        Column("youth_id", "id", True),
        Column("birth_date", "date", True),
        Column("residence_municipality", "string", False, municipality=True),
        Column("gender", "enum", False, GENDERS, audit_only=True),
        Column("origin", "enum", False, ORIGINS, audit_only=True),
    ),
    event_date=None,
)
ENROLLMENTS = TableSchema(
    "enrollments",
    (
        Column("youth_id", "id", True),
        Column("school_id", "string", True),
        Column("school_municipality", "string", False, municipality=True),
        Column("education_type", "enum", True, EDUCATION_TYPES),
        Column("learning_path", "enum", False, LEARNING_PATHS),
        Column("start_date", "date", True),
        Column("end_date", "date", False),
    ),
    event_date="start_date",
)
DIPLOMAS = TableSchema(
    "diplomas",
    (
        Column("youth_id", "id", True),
        Column("diploma_date", "date", True),
        Column("level", "enum", True, DIPLOMA_LEVELS),
    ),
    event_date="diploma_date",
)
ABSENCE_REPORTS = TableSchema(
    "absence_reports",
    (
        Column("youth_id", "id", True),
        Column("report_date", "date", True),
        Column("school_id", "string", False),
        Column("kind", "enum", True, ABSENCE_KINDS),
        Column("hours", "number", False),
        Column("report_id", "id", False),  # DUO's meldingsnummer: the same on every delivery of one report
    ),
    event_date="report_date",
)
TABLES = (YOUTHS, ENROLLMENTS, DIPLOMAS, ABSENCE_REPORTS)
EVENT_TABLES = (ENROLLMENTS, DIPLOMAS, ABSENCE_REPORTS)
AUDIT_ONLY_COLUMNS = tuple(c.name for c in YOUTHS.columns if c.audit_only)


class ContractError(ValueError):
    """A hard error: the data breaks the contract and the run stops.

    `where` names the source (a file, or a field path in a request), `row` is
    1-based (None for a whole-column problem) and `column` the offending column.
    """

    def __init__(self, where: str, row: int | None, column: str | None, problem: str):
        self.where, self.row, self.column, self.problem = where, row, column, problem
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = [self.where]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts) + f": {self.problem}"


def is_bsn(value) -> bool:
    """9 digits passing the 11-test: 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11 (and not all zeros)."""
    text = str(value)
    if len(text) != 9 or not text.isascii() or not text.isdigit() or text == "000000000":
        return False
    digits = [int(c) for c in text]
    return (sum(w * d for w, d in zip(range(9, 1, -1), digits[:8])) - digits[8]) % 11 == 0


# Nine digits in free text, alone or as a BSN is written in groups ("123456782", "1234.56.782", "123 456 782",
# "12.34.56.782"),
# never part of a longer number (a phone number has ten digits, "0.123456782" is a fraction) nor of a word: an
# identifier such as "J123456782" is judged whole, by `is_bsn`, wherever it is an identifier.
NINE_DIGITS_IN_TEXT = re.compile(r"(?<![0-9A-Za-z_-])(?<![0-9][.,])(?:[0-9]{9}|[0-9]{4}([ .-])[0-9]{2}\1[0-9]{3}"
                                 r"|[0-9]{3}([ .-])[0-9]{3}\2[0-9]{3}|[0-9]{2}([ .-])[0-9]{2}\3[0-9]{2}\3[0-9]{3})"
                                 r"(?![0-9A-Za-z_-])(?![.,][0-9])")


def contains_bsn(text) -> bool:
    """Whether free text holds a number that passes the 11-test (`is_bsn`), alone or written in groups. For notes,
    reasons, search boxes and any value that is not an identifier: the caller refuses it without repeating it."""
    if not isinstance(text, str):
        return False
    return any(is_bsn(re.sub(r"[ .-]", "", found.group(0))) for found in NINE_DIGITS_IN_TEXT.finditer(text))


def youth_id_problem(value) -> str | None:
    """Why a youth_id is refused (never repeating it), or None when it is a pseudonymous key."""
    if not isinstance(value, str) or not _ID.match(value):
        return NOT_PSEUDONYMOUS
    return LOOKS_LIKE_BSN if is_bsn(value) else None


def rows_with_bad_ids(values) -> tuple[np.ndarray, str | None]:
    """Positions of ids that are not pseudonymous keys, and the first one's problem. The pattern runs in Arrow over
    the whole column; only 9-digit values get the 11-test, once per distinct value."""
    ids = to_arrow_strings(values)
    pattern_ok = pc.fill_null(pc.match_substring_regex(ids, YOUTH_ID_PATTERN), False).to_numpy(zero_copy_only=False)
    nine_digits = np.flatnonzero(pc.fill_null(pc.match_substring_regex(ids, "^[0-9]{9}$"), False).to_numpy(zero_copy_only=False))
    bsn = {value for value in set(ids.take(nine_digits).to_pylist()) if is_bsn(value)}
    looks_like_bsn = np.zeros(len(ids), dtype=bool)
    looks_like_bsn[nine_digits] = [value in bsn for value in ids.take(nine_digits).to_pylist()]
    rows = np.flatnonzero(~pattern_ok | looks_like_bsn)
    if len(rows) == 0:
        return rows, None
    return rows, (LOOKS_LIKE_BSN if looks_like_bsn[rows[0]] else NOT_PSEUDONYMOUS)


def is_startkwalificatie(levels: np.ndarray | pd.Series) -> np.ndarray:
    """True where a diploma level is a startkwalificatie (unknown levels are not)."""
    return np.isin(np.asarray(levels, dtype=object), tuple(STARTKWALIFICATIE_LEVELS))


def _map_distinct(values: np.ndarray, mapping) -> np.ndarray:
    """Apply `mapping` to each distinct value once: fast for millions of rows and for one."""
    if len(values) < 256:  # a request's few records: a dict beats pandas' fixed cost per call
        seen: dict = {}
        return np.array([seen[v] if v in seen else seen.setdefault(v, mapping(v)) for v in _hashable(values)], dtype=object)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    mapped = np.array([mapping(u) for u in uniques] + [mapping(None)], dtype=object)
    return mapped[codes]


def _hashable(values) -> list:
    """Missing values of any flavour (None, NaN, pd.NA) as None, so they hash alike."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values]


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def normalise_enum(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """Trim and match case-insensitively; unknown values become `onbekend`, blanks stay None.

    A blank optional value is missing (None); a blank required value is caught
    earlier as a hard error, so it never reaches this function.
    """
    canonical = {a.casefold(): a for a in allowed}

    def normalise(value):
        if _blank(value):
            return None
        return canonical.get(str(value).strip().casefold(), UNKNOWN)

    return _map_distinct(values, normalise)


_REGION_BY_KEY = {m.casefold(): m for m in REGION_MUNICIPALITIES}
_MERGED_BY_KEY = {old.casefold(): new for old, new in MUNICIPALITY_MERGERS.items()}


def normalise_municipality_name(value) -> str:
    """One municipality name to a region municipality, `buiten_regio` or `onbekend`."""
    if _blank(value):
        return UNKNOWN
    key = str(value).strip().casefold()
    name = _MERGED_BY_KEY.get(key, key)
    return _REGION_BY_KEY.get(name.casefold(), OUTSIDE_REGION)


def normalise_municipalities(values: np.ndarray) -> np.ndarray:
    """Trim, ignore case, map pre-2019 names to today's; others `buiten_regio`, blanks `onbekend`."""
    return _map_distinct(values, normalise_municipality_name)


def count_merged_names(values: np.ndarray) -> int:
    """How many values are pre-2019 municipality names (mapped to today's municipality)."""
    merged = _map_distinct(values, lambda v: (not _blank(v)) and str(v).strip().casefold() in _MERGED_BY_KEY)
    return int(merged.astype(bool).sum())


def rows_with_negative(values: np.ndarray) -> np.ndarray:
    """Indices of values below zero (missing values are not negative)."""
    with np.errstate(invalid="ignore"):
        return np.flatnonzero(np.asarray(values, dtype=float) < 0)


def rows_with_end_before_start(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Indices of enrolments whose end date lies before their start date."""
    start, end = np.asarray(start, dtype="datetime64[D]"), np.asarray(end, dtype="datetime64[D]")
    return np.flatnonzero(~np.isnat(end) & (end < start))


REPORT_FOR_TWO_YOUTHS = "report_id {value!r} is given for another youth as well: one report belongs to one youth"


def superseded_deliveries(reports: np.ndarray, youths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The contract's rule for a report delivered more than once: rows with the same report_id are one report, and
    the delivery listed last wins (the tie rule: a later delivery is the newer one). `reports` holds a code per row
    (-1: no report_id), `youths` a youth code per row. Returns per row whether a later row delivers the same
    report (so this one is dropped), and the rows, in file order, whose youth is not the youth of the report's
    first delivery (a hard error)."""
    numbered = np.flatnonzero(np.asarray(reports) >= 0)
    order = numbered[np.argsort(np.asarray(reports)[numbered], kind="stable")]  # by report, then file order
    codes = np.asarray(reports)[order]
    starts = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, dtype=bool)
    ends = np.r_[starts[1:], True] if len(codes) else starts
    superseded = np.zeros(len(reports), dtype=bool)
    superseded[order[~ends]] = True
    first = order[np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))]
    other_youth = np.sort(order[np.asarray(youths)[first] != np.asarray(youths)[order]])
    return superseded, other_youth


def normalise_columns(schema: TableSchema, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Enum columns to canonical values (`onbekend` when unknown), municipality columns to today's
    names; other columns unchanged. Works on a million rows or on one youth's few records."""
    out = dict(columns)
    for column in schema.columns:
        if column.name not in columns:
            continue
        if column.kind == "enum":
            out[column.name] = normalise_enum(columns[column.name], column.values)
        elif column.municipality:
            out[column.name] = normalise_municipalities(columns[column.name])
    return out
