"""Columnar event arrays: what every feature builder reads.

A whole population (from `vsv_model.reader.DataSet`) and one youth's history
(from a service request) are both turned into the same `Events`, so training
and serving run exactly the same builders. Within each table the rows are
sorted by youth, then date, then file order: "the last row of a youth" is the
latest record, and on a tie the one listed last in the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from features.grouping import combined_keys
from vsv_model.columns import SMALL, factorize_strings, missing_mask, positions_in, to_arrow_strings
from vsv_model.contract import (
    ABSENCE_REPORTS,
    DIPLOMAS,
    ENROLLMENTS,
    LATE_KIND,
    MBO_TYPES,
    PRIMARY_TYPES,
    SECONDARY_TYPES,
    STARTKWALIFICATIE_LEVELS,
    UNKNOWN,
    normalise_columns,
)
from vsv_model.dates import MISSING_DAY, OPEN_END, to_days
from vsv_model.feature_spec import (
    CURRENT_EDUCATION_CATEGORIES,
    LAST_DIPLOMA_CATEGORIES,
    LEARNING_PATH_CATEGORIES,
    SCHOOL_MUNICIPALITY_CATEGORIES,
)
from vsv_model.reader import DataSet


def code_lookup(categories: tuple[str, ...], members) -> np.ndarray:
    """A boolean table indexed by category code: `table[codes]` tests membership without np.isin."""
    return np.array([c in members for c in categories], dtype=bool)


IS_SQ_LEVEL = code_lookup(LAST_DIPLOMA_CATEGORIES, STARTKWALIFICATIE_LEVELS)
IS_MBO = code_lookup(CURRENT_EDUCATION_CATEGORIES, MBO_TYPES)
IS_SECONDARY = code_lookup(CURRENT_EDUCATION_CATEGORIES, SECONDARY_TYPES)
IS_PRIMARY = code_lookup(CURRENT_EDUCATION_CATEGORIES, PRIMARY_TYPES)
BRIN_LENGTH = 4  # the institution's BRIN number: the first four characters of a school_id (`25LH00`: `25LH`)


@dataclass(frozen=True)
class Events:
    """Sorted event arrays keyed by youth position (0..n-1 in `youth_ids`)."""

    youth_ids: np.ndarray
    birth_day: np.ndarray
    enr_youth: np.ndarray
    enr_start: np.ndarray
    enr_end: np.ndarray  # OPEN_END when still enrolled
    enr_brin: np.ndarray  # codes of the institution (BRIN number) of school_id
    enr_type: np.ndarray  # codes into CURRENT_EDUCATION_CATEGORIES
    enr_path: np.ndarray  # codes into LEARNING_PATH_CATEGORIES (missing → geen)
    enr_municipality: np.ndarray  # codes into SCHOOL_MUNICIPALITY_CATEGORIES
    dip_youth: np.ndarray
    dip_day: np.ndarray
    dip_level: np.ndarray  # codes into LAST_DIPLOMA_CATEGORIES
    dip_is_sq: np.ndarray
    rep_youth: np.ndarray
    rep_day: np.ndarray
    rep_is_late: np.ndarray
    rep_hours: np.ndarray  # missing hours count 0

    @property
    def n_youths(self) -> int:
        return len(self.youth_ids)

    def take_enrolments(self, mask: np.ndarray) -> Events:
        return _replace_prefix(self, "enr_", mask)

    def take_diplomas(self, mask: np.ndarray) -> Events:
        return _replace_prefix(self, "dip_", mask)

    def take_reports(self, mask: np.ndarray) -> Events:
        return _replace_prefix(self, "rep_", mask)

    def take_youths(self, rows: np.ndarray) -> Events:
        """Only the youths at `rows` (positions, ascending), renumbered 0..len(rows)-1, with their own events: every
        feature of a youth reads that youth's events only, so features of the few equal those of the many."""
        new_position = np.full(self.n_youths, -1, dtype=np.int64)
        new_position[rows] = np.arange(len(rows))
        fields = dict(vars(self), youth_ids=self.youth_ids[rows], birth_day=self.birth_day[rows])
        for prefix in ("enr_", "dip_", "rep_"):
            youth = new_position[fields[f"{prefix}youth"]]
            kept = youth >= 0
            fields.update({k: v[kept] for k, v in fields.items() if k.startswith(prefix)})
            fields[f"{prefix}youth"] = youth[kept]
        return Events(**fields)

    def take_rows(self, rows: np.ndarray) -> Events:
        """One youth per entry of `rows` (positions, in any order, repeats allowed), numbered 0..len(rows)-1, each
        with a copy of its youth's records: a youth with three events becomes three youths, each cut at its own
        day by `as_of`. Records stay sorted by (new) youth, then date, then file order."""
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        fields = dict(vars(self), youth_ids=self.youth_ids[rows], birth_day=self.birth_day[rows])
        for prefix in ("enr_", "dip_", "rep_"):
            youth = fields[f"{prefix}youth"]
            first = np.searchsorted(ordered, youth, side="left")
            copies = np.searchsorted(ordered, youth, side="right") - first
            record = np.repeat(np.arange(len(youth)), copies)
            offset = np.arange(len(record)) - np.repeat(np.cumsum(copies) - copies, copies)
            new_youth = order[first[record] + offset]
            by_youth = np.argsort(new_youth, kind="stable")
            fields.update({k: v[record[by_youth]] for k, v in fields.items() if k.startswith(prefix)})
            fields[f"{prefix}youth"] = new_youth[by_youth]
        return Events(**fields)

    def as_of(self, as_of_day) -> Events:
        """Only the records dated on or before each youth's reference date (a day, or one per youth)."""
        days = per_youth(as_of_day, self.n_youths)
        return (
            self.take_enrolments(self.enr_start <= days[self.enr_youth])
            .take_diplomas(self.dip_day <= days[self.dip_youth])
            .take_reports(self.rep_day <= days[self.rep_youth])
        )


def per_youth(as_of_day, n: int) -> np.ndarray:
    """A reference day for every youth: one shared day, or already one per youth."""
    days = np.asarray(as_of_day, dtype=np.int64)
    return np.full(n, int(days)) if days.ndim == 0 else days


def _replace_prefix(events: Events, prefix: str, mask: np.ndarray) -> Events:
    fields = {k: v for k, v in vars(events).items()}
    fields.update({k: v[mask] for k, v in fields.items() if k.startswith(prefix)})
    return Events(**fields)


def codes_of(values, categories: tuple[str, ...], missing: str) -> np.ndarray:
    """Normalised strings to category codes; missing values take the code of `missing`."""
    codes = positions_in(values, categories)
    codes[missing_mask(values)] = categories.index(missing)
    codes[codes < 0] = categories.index(UNKNOWN)
    return codes.astype(np.int16)


def brin_codes(school_ids) -> np.ndarray:
    """One code per institution: equal for school ids whose BRIN numbers (first four characters, after trimming, in
    capitals as DUO writes them) are equal, so two locations of one institution share a code."""
    if len(school_ids) < SMALL:  # a request's few records: plain strings beat Arrow's fixed cost per call
        return factorize_strings([None if missing else str(v).strip().upper()[:BRIN_LENGTH]
                                  for v, missing in zip(school_ids, missing_mask(school_ids), strict=True)])
    trimmed = pc.utf8_upper(pc.utf8_trim_whitespace(to_arrow_strings(school_ids)))
    return factorize_strings(pc.utf8_slice_codeunits(trimmed, 0, BRIN_LENGTH))


def sort_order(youth: np.ndarray, day: np.ndarray) -> np.ndarray | slice:
    """Rows by youth, then date; equal dates keep their input (file) order (a stable sort). A file already in that
    order (as most exports are) is not sorted again."""
    keys = combined_keys(np.asarray(youth), np.asarray(day))
    if len(keys) < 2 or bool((keys[1:] >= keys[:-1]).all()):
        return slice(None)
    return np.argsort(keys, kind="stable")


def assemble_events(youth_ids, birth_days, enrollments: dict, diplomas: dict, reports: dict) -> Events:
    """Build sorted `Events` from normalised columns (dicts of equal-length arrays, file order).

    Event dicts carry `youth` as positions into `youth_ids`; dates as day numbers.
    """
    e = sort_order(enrollments["youth"], enrollments["start"])
    d = sort_order(diplomas["youth"], diplomas["day"])
    r = sort_order(reports["youth"], reports["day"])
    levels, kinds = diplomas["level"], reports["kind"]
    hours = np.asarray(reports["hours"], dtype=float)
    return Events(
        youth_ids=np.asarray(youth_ids, dtype=object),
        birth_day=np.asarray(birth_days, dtype=np.int64),
        enr_youth=np.asarray(enrollments["youth"], dtype=np.int64)[e],
        enr_start=np.asarray(enrollments["start"], dtype=np.int64)[e],
        enr_end=np.where(enrollments["end"] == MISSING_DAY, OPEN_END, enrollments["end"]).astype(np.int64)[e],
        enr_brin=brin_codes(enrollments["school_id"])[e],
        enr_type=codes_of(enrollments["education_type"], CURRENT_EDUCATION_CATEGORIES, UNKNOWN)[e],
        enr_path=codes_of(enrollments["learning_path"], LEARNING_PATH_CATEGORIES, "geen")[e],
        enr_municipality=codes_of(enrollments["school_municipality"], SCHOOL_MUNICIPALITY_CATEGORIES, UNKNOWN)[e],
        dip_youth=np.asarray(diplomas["youth"], dtype=np.int64)[d],
        dip_day=np.asarray(diplomas["day"], dtype=np.int64)[d],
        dip_level=codes_of(levels, LAST_DIPLOMA_CATEGORIES, UNKNOWN)[d],
        dip_is_sq=IS_SQ_LEVEL[codes_of(levels, LAST_DIPLOMA_CATEGORIES, UNKNOWN)][d],
        rep_youth=np.asarray(reports["youth"], dtype=np.int64)[r],
        rep_day=np.asarray(reports["day"], dtype=np.int64)[r],
        rep_is_late=(positions_in(kinds, (LATE_KIND,)) == 0)[r],
        rep_hours=np.nan_to_num(hours, nan=0.0)[r],
    )


def youth_positions(data: DataSet, table: str) -> np.ndarray:
    """Each record's youth's position in the youths table: as the reader found it, or looked up here."""
    found = data.youth_positions(table)
    return found if found is not None else positions_in(data.table(table)["youth_id"], data.youths["youth_id"])


def events_from_dataset(data: DataSet) -> Events:
    """The whole population's events, in the order of the youths table."""
    ids = data.youths["youth_id"]
    enr, dip, rep = data.enrollments, data.diplomas, data.absence_reports
    return assemble_events(
        ids.to_numpy(dtype=object),
        to_days(data.youths["birth_date"].to_numpy()),
        {
            "youth": youth_positions(data, "enrollments"),
            "start": to_days(enr["start_date"].to_numpy()),
            "end": to_days(enr["end_date"].to_numpy()),
            "school_id": enr["school_id"],
            "education_type": enr["education_type"],
            "learning_path": enr["learning_path"],
            "school_municipality": enr["school_municipality"],
        },
        {
            "youth": youth_positions(data, "diplomas"),
            "day": to_days(dip["diploma_date"].to_numpy()),
            "level": dip["level"],
        },
        {
            "youth": youth_positions(data, "absence_reports"),
            "day": to_days(rep["report_date"].to_numpy()),
            "kind": rep["kind"],
            "hours": rep["hours"].to_numpy(dtype=float),
        },
    )


def events_from_columns(youth_ids, birth_days, enrollments: dict, diplomas: dict, reports: dict) -> Events:
    """Events from raw columns as a file or a request holds them, normalised by the contract's rules.

    Same column keys as `assemble_events`; enum and municipality values may be raw.
    """
    return assemble_events(
        youth_ids,
        birth_days,
        normalise_columns(ENROLLMENTS, enrollments),
        normalise_columns(DIPLOMAS, diplomas),
        normalise_columns(ABSENCE_REPORTS, reports),
    )
