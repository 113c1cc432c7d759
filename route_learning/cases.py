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
from features.route_outcomes import SCHOOL_365, event_outcomes
from vsv_model.office_cases import FILE_NAME as OFFICE_CASES_FILE
from vsv_model.office_cases import OfficeCasesError
from vsv_model.office_cases import read_office_cases as read_checked
from vsv_model.reader import DataSet
from vsv_model.route_draws import ROUTE_CODES

MIN_CASES, MIN_PER_ROUTE = 200, 20  # below these, cross-fitting and a policy tree's leaves have too little to learn from


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
    """office_cases.csv of a data directory, checked and typed (`vsv_model.office_cases`)."""
    path = Path(directory) / OFFICE_CASES_FILE
    if not path.is_file():
        raise CasesError(f"{path}: no {OFFICE_CASES_FILE} here. It is written by `vsv generate` with the office "
                         "(not with --no-office) or by `vsv cases export`.")
    try:
        return read_checked(path)
    except OfficeCasesError as error:
        raise CasesError(str(error)) from None


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
