"""The contract's features computed a second time, apart from the builders: a test oracle.

Written from the wording of the data contract (/work/shared/data-contract.md, "Reference date, scope and label" and
"Features") alone. It imports and copies nothing from `features/`: it reads a data directory with the contract's
own reader (`vsv_model.reader.read_data_dir`, which drops duplicates and unknown youths and normalises enums and
municipality names as the contract's "Messy data" says) and then walks each youth's records one by one, in plain
Python, with dates as `datetime.date`. It is slow on purpose: obviously right beats fast here.

Public functions:

- `reference_facts(data, as_of, youth_ids=None)` -> one row per youth (index `youth_id`) with the contract's features
  (`FACT_COLUMNS`; categories as text such as `geen`, `mbo-2`, `onbekend`; missing as None) and `out_of_scope`
  (None when the youth is in the target group, else `under_18`, `over_age` or `has_startkwalificatie`);
- `read_facts(directory, as_of, youth_ids=None)` -> the same from a data directory;
- `youth_histories(data, youth_ids)` and `facts_table(histories, as_of)` -> the same in two steps, so the records
  are grouped once for several reference dates.

`as_of` is one date for everyone or a mapping youth_id -> date (one reference date per youth).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vsv_model.reader import DataSet, read_data_dir

# The contract's words, written out here rather than imported, so a slip in a shared constant shows up as a difference.
PRIMARY = ("po", "so")
SECONDARY = ("vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "pro", "vso")
STARTKWALIFICATIE = ("havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo")
LATE = "te_laat"
NONE = "geen"
UNKNOWN = "onbekend"
MIN_AGE, MAX_AGE = 18, 23

FACT_COLUMNS = (
    "age", "school_municipality", "last_diploma", "school_switches", "school_switches_2y", "enrolled",
    "current_education", "learning_path", "months_not_enrolled", "absence_hours_4w", "absence_hours_13w",
    "absence_hours_52w", "absence_reports_52w", "late_reports_52w", "weeks_since_last_report", "dropout_episodes",
    "vo_mbo_transition_1y",
)


@dataclass(frozen=True)
class Enrolment:
    school_id: str
    municipality: str | None
    education_type: str
    learning_path: str | None
    start: dt.date
    end: dt.date | None  # None: no end date


@dataclass(frozen=True)
class Diploma:
    day: dt.date
    level: str


@dataclass(frozen=True)
class Report:
    day: dt.date
    kind: str
    hours: float | None


@dataclass(frozen=True)
class History:
    """One youth's records as the file lists them (file order is kept: ties go to the one listed last)."""

    birth: dt.date
    enrolments: list[Enrolment]
    diplomas: list[Diploma]
    reports: list[Report]


# --- reading ---------------------------------------------------------------------------------------------------


def read_facts(directory: str | Path, as_of, youth_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """`reference_facts` of a data directory read by the contract's reader."""
    return reference_facts(read_data_dir(directory), as_of, youth_ids)


def reference_facts(data: DataSet, as_of, youth_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The contract's features (and scope) of every youth, or of `youth_ids`, at `as_of` (a date, or one per youth)."""
    wanted = list(data.youths["youth_id"]) if youth_ids is None else list(youth_ids)
    return facts_table(youth_histories(data, set(wanted)), as_of, wanted)


def facts_table(histories: dict[str, History], as_of, youth_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """`reference_facts` from histories already grouped (to reuse them across reference dates)."""
    wanted = list(histories) if youth_ids is None else list(youth_ids)
    missing = [y for y in wanted if y not in histories]
    if missing:
        raise KeyError(f"{len(missing)} youth(s) not in the youths table, e.g. {missing[:3]}")
    rows = [facts_of(histories[y], reference_date(as_of, y)) for y in wanted]
    frame = pd.DataFrame(rows, index=pd.Index(wanted, name="youth_id"), columns=[*FACT_COLUMNS, "out_of_scope"])
    return frame.astype(object).where(frame.notna(), None)


def reference_date(as_of, youth_id: str) -> dt.date:
    """The youth's reference date: the one date, or the youth's own from a mapping."""
    day = as_of[youth_id] if isinstance(as_of, Mapping | pd.Series) else as_of
    return pd.Timestamp(day).date()


def dates(column: pd.Series) -> list[dt.date | None]:
    """A date column as `datetime.date` values, None where empty."""
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in column]


def texts(column: pd.Series) -> list[str | None]:
    """A text column as str values, None where empty."""
    return [None if pd.isna(v) else str(v) for v in column]


def youth_histories(data: DataSet, wanted: set[str]) -> dict[str, History]:
    """Each wanted youth's records, in file order."""
    youths = data.youths[data.youths["youth_id"].isin(wanted)]
    births = dict(zip(texts(youths["youth_id"]), dates(youths["birth_date"]), strict=True))
    records: dict[str, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
    enr = data.enrollments[data.enrollments["youth_id"].isin(wanted)]
    for y, school, place, kind, path, start, end in zip(
            texts(enr["youth_id"]), texts(enr["school_id"]), texts(enr["school_municipality"]),
            texts(enr["education_type"]), texts(enr["learning_path"]), dates(enr["start_date"]), dates(enr["end_date"]),
            strict=True):
        records[y][0].append(Enrolment(school, place, kind, path, start, end))
    dip = data.diplomas[data.diplomas["youth_id"].isin(wanted)]
    for y, day, level in zip(texts(dip["youth_id"]), dates(dip["diploma_date"]), texts(dip["level"]), strict=True):
        records[y][1].append(Diploma(day, level))
    rep = data.absence_reports[data.absence_reports["youth_id"].isin(wanted)]
    hours = [None if pd.isna(h) else float(h) for h in rep["hours"]]
    for y, day, kind, h in zip(texts(rep["youth_id"]), dates(rep["report_date"]), texts(rep["kind"]), hours, strict=True):
        records[y][2].append(Report(day, kind, h))
    return {y: History(birth, *records[y]) for y, birth in births.items()}


# --- one youth at one reference date ---------------------------------------------------------------------------


def facts_of(history: History, as_of: dt.date) -> dict:
    """Every feature of one youth at `as_of`, plus the scope reason."""
    known = History(
        history.birth,
        [e for e in history.enrolments if e.start <= as_of],
        [d for d in history.diplomas if d.day <= as_of],
        [r for r in history.reports if r.day <= as_of],
    )
    ends = [e.end if e.end is not None and e.end <= as_of else None for e in known.enrolments]
    enrolments = [Enrolment(e.school_id, e.municipality, e.education_type, e.learning_path, e.start, end)
                  for e, end in zip(known.enrolments, ends, strict=True)]  # an end after as_of: still enrolled
    age = completed_years(history.birth, as_of)
    facts = {"age": age}
    facts |= location(enrolments)
    facts |= diploma(known.diplomas)
    facts |= switches(enrolments, known.diplomas, as_of)
    facts |= enrolment_status(enrolments, as_of)
    facts |= absence(known.reports, as_of)
    facts["dropout_episodes"] = dropout_episodes(enrolments, known.diplomas)
    facts["vo_mbo_transition_1y"] = transition(enrolments, as_of)
    facts["out_of_scope"] = scope(age, known.diplomas)
    return facts


def birthday_in(year: int, birth: dt.date) -> dt.date:
    """The birthday in `year`; someone born on 29 February has it on 28 February in a common year."""
    if birth.month == 2 and birth.day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return dt.date(year, 2, 28)
    return dt.date(year, birth.month, birth.day)


def completed_years(birth: dt.date, as_of: dt.date) -> int:
    years = as_of.year - birth.year
    return years - 1 if as_of < birthday_in(as_of.year, birth) else years


def in_window(day: dt.date, as_of: dt.date, days: int) -> bool:
    """A window of N days: as_of - N days < day <= as_of."""
    return as_of - dt.timedelta(days=days) < day <= as_of


def latest(items: list, key) -> object | None:
    """The item with the latest date; on a tie the one listed last (so `>=` while walking in file order)."""
    best = None
    for item in items:
        if best is None or key(item) >= key(best):
            best = item
    return best


def scope(age: int, diplomas: list[Diploma]) -> str | None:
    """None when in the target group, else the first reason that applies."""
    if age < MIN_AGE:
        return "under_18"
    if age >= MAX_AGE:
        return "over_age"
    if any(d.level in STARTKWALIFICATIE for d in diplomas):
        return "has_startkwalificatie"
    return None


def location(enrolments: list[Enrolment]) -> dict:
    """school_municipality of the enrolment with the latest start date; onbekend if none or empty."""
    last = latest(enrolments, lambda e: e.start)
    place = last.municipality if last is not None else None
    return {"school_municipality": place or UNKNOWN}


def diploma(diplomas: list[Diploma]) -> dict:
    last = latest(diplomas, lambda d: d.day)
    return {"last_diploma": last.level if last is not None else NONE}


def brin(school_id: str) -> str:
    """The institution: the first four characters of school_id (a BRIN number, written in capitals)."""
    return school_id.strip().upper()[:4]


def switches(enrolments: list[Enrolment], diplomas: list[Diploma], as_of: dt.date) -> dict:
    """Consecutive enrolments of types other than po and so, sorted by start date (ties in file order), at different
    institutions with no diploma dated from the earlier one's start to the later one's start."""
    later_ones = sorted((e for e in enrolments if e.education_type not in PRIMARY), key=lambda e: e.start)
    total = recent = 0
    for earlier, later in zip(later_ones, later_ones[1:]):
        if brin(earlier.school_id) == brin(later.school_id):
            continue
        if any(earlier.start <= d.day <= later.start for d in diplomas):
            continue
        total += 1
        recent += in_window(later.start, as_of, 730)
    return {"school_switches": total, "school_switches_2y": recent}


def enrolment_status(enrolments: list[Enrolment], as_of: dt.date) -> dict:
    """enrolled, current_education, learning_path and months_not_enrolled."""
    current = [e for e in enrolments if e.end is None]
    now = latest(current, lambda e: e.start)
    if now is not None:
        months = 0.0
    elif enrolments:
        months = float(math.floor((as_of - max(e.end for e in enrolments)).days / 30.44))
    else:
        months = None
    return {
        "enrolled": int(now is not None),
        "current_education": now.education_type if now is not None else NONE,
        "learning_path": (now.learning_path or NONE) if now is not None else NONE,
        "months_not_enrolled": months,
    }


def absence(reports: list[Report], as_of: dt.date) -> dict:
    """Hours in the 28/91/364-day windows (missing hours count 0), report counts of the year, weeks since the last."""
    def hours(days: int) -> float:
        return float(sum(r.hours or 0.0 for r in reports if in_window(r.day, as_of, days)))

    year = [r for r in reports if in_window(r.day, as_of, 364)]
    last = max((r.day for r in reports), default=None)
    return {
        "absence_hours_4w": hours(28), "absence_hours_13w": hours(91), "absence_hours_52w": hours(364),
        "absence_reports_52w": sum(r.kind != LATE for r in year),
        "late_reports_52w": sum(r.kind == LATE for r in year),
        "weeks_since_last_report": None if last is None else float(math.floor((as_of - last).days / 7)),
    }


def dropout_episodes(enrolments: list[Enrolment], diplomas: list[Diploma]) -> int:
    """Ended enrolments with no diploma from their start to 31 days after their end, and no other enrolment
    starting from their end to 31 days after it."""
    count = 0
    for i, e in enumerate(enrolments):
        if e.end is None:
            continue
        grace = e.end + dt.timedelta(days=31)
        diploma_in_time = any(e.start <= d.day <= grace for d in diplomas)
        restarted = any(e.end <= o.start <= grace for j, o in enumerate(enrolments) if j != i)
        count += not diploma_in_time and not restarted
    return count


def transition(enrolments: list[Enrolment], as_of: dt.date) -> int:
    """1 when an mbo enrolment started in the 365-day window and its preceding enrolment (latest earlier start date,
    on a tie the last listed) was in secondary school and open or ended at most 92 days before the mbo start."""
    for e in enrolments:
        if not (e.education_type.startswith("mbo-") and in_window(e.start, as_of, 365)):
            continue
        before = latest([o for o in enrolments if o.start < e.start], lambda o: o.start)
        if before is None or before.education_type not in SECONDARY:
            continue
        if before.end is None or (e.start - before.end).days <= 92:
            return 1
    return 0
