"""The office's recorded cases (`office_cases.csv`), checked, cut to a period and joined to the youth's state on
the event's day (`event_features`) and their observed outcome.

The layout is the lead's interface (issue 26; its owner is `vsv_model/office_cases.py`, written by the office's
world): one row per office event the office reacted to. Only these recorded columns and the registrations are read
here, never the world's truth files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.event_state import event_features
from features.office_events import EVENT_KINDS
from features.route_outcomes import SCHOOL_365, event_outcomes
from vsv_model.office_cases import OFFICE_CASE_COLUMNS
from vsv_model.policy import RISK_CATEGORIES
from vsv_model.reader import DataSet
from vsv_model.route_draws import ROUTE_CODES

OFFICE_CASES_FILE = "office_cases.csv"
MIN_CASES, MIN_PER_ROUTE = 200, 20  # below these, cross-fitting and a policy tree's leaves have too little to learn from
CODED = {"kind": EVENT_KINDS, "risk_category": RISK_CATEGORIES, "advised_route": ROUTE_CODES, "route": ROUTE_CODES}


class CasesError(ValueError):
    """office_cases.csv is missing or does not hold what the interface promises; the message names what."""


@dataclass(frozen=True)
class Cases:
    """The cases of a period with a known outcome, as arrays (one entry per case, in date order)."""

    frame: pd.DataFrame  # the recorded columns plus `outcome`, `t` (route code), `known_propensity`
    dropped_unknown: int  # cases of the period whose outcome is not known yet

    @property
    def n(self) -> int:
        return len(self.frame)


def read_office_cases(directory: Path) -> pd.DataFrame:
    """office_cases.csv of a data directory, checked: every column there, known codes, scores in [0, 1], a draw's
    chance in (0, 1] on every randomised row."""
    path = Path(directory) / OFFICE_CASES_FILE
    if not path.is_file():
        raise CasesError(f"{path}: no {OFFICE_CASES_FILE} here. It is written by `vsv generate` with the office "
                         "(not with --no-office) or by `vsv cases export`.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in OFFICE_CASE_COLUMNS if c not in frame.columns]
    if missing:
        raise CasesError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    return check_values(frame, path.name)


def check_values(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    for column, codes in CODED.items():
        wrong = ~frame[column].isin(codes)
        if wrong.any():
            raise CasesError(f"{name}: {column} {frame[column][wrong].iloc[0]!r} on row {row_of(wrong)} is none of "
                             f"{', '.join(codes)}")
    out = frame.copy()
    out["event_date"] = pd.to_datetime(frame["event_date"], format="%Y-%m-%d", errors="coerce")
    out["score"] = pd.to_numeric(frame["score"], errors="coerce")
    for column in ("randomised", "refused"):
        out[column] = pd.to_numeric(frame[column].replace("", "0"), errors="coerce")
    out["draw_propensity"] = pd.to_numeric(frame["draw_propensity"].replace("", np.nan), errors="coerce")
    problems = {"event_date is not a date YYYY-MM-DD": out["event_date"].isna(),
                "score is not a probability": ~out["score"].between(0, 1),
                "randomised is not 0 or 1": ~out["randomised"].isin([0, 1]),
                "refused is not 0 or 1": ~out["refused"].isin([0, 1]),
                "a randomised row's draw_propensity is not in (0, 1]":
                    (out["randomised"] == 1) & ~((out["draw_propensity"] > 0) & (out["draw_propensity"] <= 1))}
    for problem, wrong in problems.items():
        if wrong.any():
            raise CasesError(f"{name}: {problem} on row {row_of(wrong)}")
    return out


def row_of(wrong: pd.Series) -> int:
    """The file's line of the first wrong row (the header is line 1)."""
    return int(np.flatnonzero(wrong.to_numpy())[0]) + 2


def cases_of_period(recorded: pd.DataFrame, data: DataSet, start: dt.date, end: dt.date,
                    outcome: str = SCHOOL_365) -> Cases:
    """The recorded cases dated from `start` to `end` (both included) whose outcome the registrations know."""
    if start > end:
        raise CasesError(f"--from {start} lies after --to {end}")
    period = recorded[(recorded["event_date"] >= pd.Timestamp(start)) & (recorded["event_date"] <= pd.Timestamp(end))]
    period = period.sort_values("event_date", kind="stable").reset_index(drop=True)
    if period.empty:
        raise CasesError(f"{OFFICE_CASES_FILE} has no case dated from {start} to {end}")
    state = event_features(data, period)  # the youth's state on each event's day, from the registrations
    period = pd.concat([period.drop(columns=list(state.columns), errors="ignore"), state], axis=1)
    period = period.assign(outcome=event_outcomes(data, period, outcome),
                           t=pd.Index(ROUTE_CODES).get_indexer(period["route"]))
    known = period["outcome"].notna()
    exact = (period["randomised"] == 1) & (period["refused"] == 0)
    period = period.assign(known_propensity=np.where(exact, period["draw_propensity"], np.nan))
    return require_enough(Cases(period[known].reset_index(drop=True), int((~known).sum())))


def require_enough(cases: Cases) -> Cases:
    """Refuse, naming the counts, a set too small to learn routes from."""
    counts = cases.frame["route"].value_counts().reindex(list(ROUTE_CODES), fill_value=0)
    if cases.n < MIN_CASES or (counts < MIN_PER_ROUTE).any():
        taken = ", ".join(f"{route} {count}" for route, count in counts.items())
        raise CasesError(f"too few cases with a known outcome to learn routes from: {cases.n} ({taken}; "
                         f"{cases.dropped_unknown} more not known yet). Needed: at least {MIN_CASES}, and "
                         f"{MIN_PER_ROUTE} per route; take a longer period.")
    return cases
