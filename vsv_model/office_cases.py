"""office_cases.csv: the office's recorded reactions to events, one row per event it reacted to. Defined once.

Written by the synthetic world's office (`data_synthetic/office.py`) and by `vsv cases export` from the case
database; read by `vsv routes evaluate`. The event columns are exactly those of `features.office_events` (join key:
youth_id + event_date + kind (+ report_id)).
"""

from __future__ import annotations

import pandas as pd

from vsv_model.policy import RISK_CATEGORIES
from vsv_model.route_draws import ROUTE_CODES

OFFICE_CASE_COLUMNS = ("youth_id", "event_date", "kind", "report_id", "score", "risk_category", "advised_route",
                       "route", "randomised", "draw_propensity", "refused", "refusal_reason", "policy",
                       "medium_cutoff", "high_cutoff")
POLICIES = ("tier", "benefit")
FILE_NAME = "office_cases.csv"


def check_office_cases(frame: pd.DataFrame) -> None:
    """A clear error naming the first thing wrong with an office_cases table (columns, codes, flags, propensities)."""
    missing = [c for c in OFFICE_CASE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"office_cases: missing columns {', '.join(missing)}")
    for column, allowed in (("route", ROUTE_CODES), ("advised_route", ROUTE_CODES), ("policy", POLICIES),
                            ("risk_category", RISK_CATEGORIES)):
        bad = ~frame[column].isin(allowed)
        if bad.any():
            raise ValueError(f"office_cases: unknown {column} {frame[column][bad].iloc[0]!r} "
                             f"(allowed: {', '.join(allowed)})")
    for column in ("randomised", "refused"):
        if not frame[column].isin((0, 1)).all():
            raise ValueError(f"office_cases: {column} must be 0 or 1")
    drawn = frame["randomised"] == 1
    propensity = pd.to_numeric(frame["draw_propensity"], errors="coerce")
    if propensity[drawn].isna().any() or not propensity[drawn].between(0, 1, inclusive="right").all():
        raise ValueError("office_cases: a randomised row needs a draw_propensity in (0, 1]")
    if propensity[~drawn].notna().any():
        raise ValueError("office_cases: draw_propensity must be empty on rows that were not randomised")
    if ((frame["refused"] == 1) & ~drawn).any():
        raise ValueError("office_cases: only a randomised row can be refused")
    if not frame["score"].between(0, 1).all():
        raise ValueError("office_cases: score must lie between 0 and 1")


def read_office_cases(path) -> pd.DataFrame:
    """office_cases.csv, checked."""
    frame = pd.read_csv(path, dtype={"youth_id": str, "report_id": str, "refusal_reason": str},
                        keep_default_na=False, na_values={"draw_propensity": [""]})
    check_office_cases(frame)
    return frame
