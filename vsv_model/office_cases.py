"""office_cases.csv: the office's recorded reactions to events, one row per event it reacted to. Defined once.

Written by the synthetic world's office (`data_synthetic/office.py`) and by `vsv cases export` from the case
database; read by `vsv routes evaluate`. The event columns are exactly those of `features.office_events` (join key:
youth_id + event_date + kind (+ report_id)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vsv_model.policy import RISK_CATEGORIES
from vsv_model.route_draws import ROUTE_CODES

OFFICE_CASE_COLUMNS = ("youth_id", "event_date", "kind", "report_id", "score", "risk_category", "advised_route",
                       "route", "randomised", "draw_propensity", "refused", "refusal_reason", "policy",
                       "medium_cutoff", "high_cutoff")
POLICIES = ("tier", "benefit")
FILE_NAME = "office_cases.csv"


KINDS = ("report_first", "report_repeat", "new_leaver")  # features.office_events.EVENT_KINDS (no import upward)
CODED = {"kind": KINDS, "risk_category": RISK_CATEGORIES, "advised_route": ROUTE_CODES, "route": ROUTE_CODES,
         "policy": POLICIES}


class OfficeCasesError(ValueError):
    """An office_cases table that breaks its layout; the message names the column and the file's line."""


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns as their types (from text as read, or as written): dates, numbers, 0/1 flags."""
    out = frame.copy()
    out["event_date"] = pd.to_datetime(frame["event_date"], format="%Y-%m-%d", errors="coerce")
    for column in ("score", "medium_cutoff", "high_cutoff"):
        out[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in ("randomised", "refused"):
        out[column] = pd.to_numeric(frame[column].replace("", "0"), errors="coerce")
    out["draw_propensity"] = pd.to_numeric(frame["draw_propensity"].replace("", np.nan), errors="coerce")
    return out


def check_office_cases(frame: pd.DataFrame, name: str = FILE_NAME) -> pd.DataFrame:
    """The table typed, or OfficeCasesError naming the first thing wrong: a missing column, an unknown code, a
    date, a score, a flag, a draw's chance, a refusal of a row that was not drawn."""
    missing = [c for c in OFFICE_CASE_COLUMNS if c not in frame.columns]
    if missing:
        raise OfficeCasesError(f"{name} lacks the column(s) {', '.join(missing)}")
    for column, codes in CODED.items():
        wrong = ~frame[column].isin(codes)
        if wrong.any():
            raise OfficeCasesError(f"{name}: {column} {frame[column][wrong].iloc[0]!r} on row {row_of(wrong)} is none "
                                   f"of {', '.join(codes)}")
    out = typed(frame)
    drawn = out["randomised"] == 1
    problems = {"event_date is not a date YYYY-MM-DD": out["event_date"].isna(),
                "score is not a probability": ~out["score"].between(0, 1),
                "randomised is not 0 or 1": ~out["randomised"].isin([0, 1]),
                "refused is not 0 or 1": ~out["refused"].isin([0, 1]),
                "a randomised row's draw_propensity is not in (0, 1]":
                    drawn & ~((out["draw_propensity"] > 0) & (out["draw_propensity"] <= 1)),
                "a row that was not randomised has a draw_propensity": ~drawn & out["draw_propensity"].notna(),
                "a row that was not randomised is refused": ~drawn & (out["refused"] == 1)}
    for problem, wrong in problems.items():
        if wrong.any():
            raise OfficeCasesError(f"{name}: {problem} on row {row_of(wrong)}")
    return out


def row_of(wrong: pd.Series) -> int:
    """The file's line of the first wrong row (the header is line 1)."""
    return int(np.flatnonzero(wrong.to_numpy())[0]) + 2


def read_office_cases(path) -> pd.DataFrame:
    """office_cases.csv, checked and typed."""
    path = Path(path)
    return check_office_cases(pd.read_csv(path, dtype=str, keep_default_na=False), path.name)
