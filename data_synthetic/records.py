"""The records the simulation writes: enrolments, diplomas and absence reports, and each youth's current
enrolment (the one a report's school and a switch refer to).

Records are collected month by month as arrays and concatenated once. An enrolment is written when it
ends (or, still running, at the data's end); its end day and the next one's start day are the same day
when a youth moves on, so enrolments of one youth never overlap and a move is no dropout episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vsv_model.dates import MISSING_DAY

NO_ENROLMENT = -1


@dataclass
class Current:
    """Each youth's current enrolment (type -1: none): what it is, where, since when, and a serial number."""

    edu: np.ndarray
    path: np.ndarray
    school: np.ndarray
    start: np.ndarray
    serial: np.ndarray
    ended_on: np.ndarray  # the day the enrolment current at the month's start ended this month (else MISSING)
    last_end: np.ndarray  # the day the youth's latest enrolment ended (else MISSING): when a new leaver can be known

    @classmethod
    def empty(cls, n: int) -> Current:
        return cls(np.full(n, NO_ENROLMENT, np.int8), np.zeros(n, np.int8), np.zeros(n, np.int32),
                   np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, MISSING_DAY, np.int64),
                   np.full(n, MISSING_DAY, np.int64))


@dataclass
class Records:
    """The growing tables, as lists of per-month arrays."""

    enrolments: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("youth", "school", "edu", "path",
                                                                                   "start", "end")})
    diplomas: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("youth", "day", "level")})
    reports: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("youth", "day", "school", "kind",
                                                                                "hours")})
    serials: int = 0

    def add(self, table: str, **columns) -> None:
        target = getattr(self, table)
        for name, values in columns.items():
            target[name].append(np.asarray(values))

    def arrays(self, table: str) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in getattr(self, table).items()}


def open_enrolments(records: Records, current: Current, rows: np.ndarray, edu, path, school, day) -> None:
    """Start an enrolment for `rows` (their previous one must be closed)."""
    current.edu[rows] = edu
    current.path[rows] = path
    current.school[rows] = school
    current.start[rows] = day
    current.serial[rows] = records.serials + np.arange(1, len(rows) + 1)
    records.serials += len(rows)


def close_enrolments(records: Records, current: Current, rows: np.ndarray, day) -> None:
    """End the current enrolment of `rows` on `day` and write it."""
    day = np.broadcast_to(np.asarray(day, dtype=np.int64), rows.shape)
    enrolled = current.edu[rows] != NO_ENROLMENT
    rows, day = rows[enrolled], day[enrolled]
    records.add("enrolments", youth=rows, school=current.school[rows], edu=current.edu[rows],
                path=current.path[rows], start=current.start[rows], end=day)
    first = current.ended_on[rows] == MISSING_DAY  # the enrolment the month started with
    current.ended_on[rows[first]] = day[first]
    current.last_end[rows] = day
    current.edu[rows] = NO_ENROLMENT


def close_all(records: Records, current: Current) -> None:
    """At the data's end: write every running enrolment with an empty end date."""
    rows = np.flatnonzero(current.edu != NO_ENROLMENT)
    records.add("enrolments", youth=rows, school=current.school[rows], edu=current.edu[rows],
                path=current.path[rows], start=current.start[rows], end=np.full(len(rows), MISSING_DAY))
