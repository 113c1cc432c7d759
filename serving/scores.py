"""The latest batch-scored population (written by `vsv score`), for the officers' list.

Re-read when the file changes on disk; searched, filtered, sorted and paged with
pandas over a few thousand rows (a list, not the scoring hot path).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vsv_model.policy import RISK_CATEGORIES, RISK_CATEGORY_LABELS_NL, TIERS, RiskCategories

PAGE_SIZE = 50
# What the list can be sorted by (the officer's word) and the column behind it; missing values (never enrolled,
# never reported) always come last, whichever the direction.
SORT_COLUMNS = {"kans": "probability", "leeftijd": "age", "maanden": "months_not_enrolled", "melding": "weeks_since_last_report"}


@dataclass(frozen=True)
class ListFilter:
    tier: str | None = None  # a code of TIERS
    municipality: str | None = None
    enrolled: bool | None = None
    page: int = 1
    search: str | None = None  # a youth id or the start of one, any case
    sort: str = "kans"  # a key of SORT_COLUMNS
    descending: bool = True


@dataclass
class ListPage:
    rows: pd.DataFrame
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    as_of: str | None
    model_version: str | None
    model_run_id: str | None = None
    model_fingerprint: str | None = None
    category_counts: dict[str, int] | None = None  # youths per risk category (from the probability), beside `counts` per tier


def risk_column(frame: pd.DataFrame) -> str:
    """The risk the list filters on: `risk_category` when the file has it, else the tier (files from before it)."""
    return "risk_category" if "risk_category" in frame else "tier"


def matching(frame: pd.DataFrame, wanted: ListFilter) -> pd.Series:
    """Which rows pass the search and every filter (one vectorised mask)."""
    mask = pd.Series(True, index=frame.index)
    if wanted.search:
        mask &= frame["youth_id"].astype(str).str.upper().str.startswith(wanted.search.upper())
    if wanted.tier in TIERS:
        mask &= frame[risk_column(frame)].astype(str) == wanted.tier
    if wanted.municipality:
        mask &= frame["school_municipality"].astype(str) == wanted.municipality
    if wanted.enrolled is not None:
        mask &= frame["enrolled"] == int(wanted.enrolled)
    return mask


def sorted_rows(frame: pd.DataFrame, wanted: ListFilter) -> pd.DataFrame:
    """The rows in the asked order; ties keep the list's order (highest chance first), missing values last."""
    column = SORT_COLUMNS.get(wanted.sort, "probability")
    if column == "probability" and wanted.descending:
        return frame  # the list's own order
    return frame.sort_values(column, ascending=not wanted.descending, kind="stable", na_position="last")


class ScoresSource:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._frame: pd.DataFrame | None = None
        self._stamp: float | None = None

    def frame(self) -> pd.DataFrame | None:
        """The scores, or None when no batch has been scored yet."""
        if not self.path.exists():
            return None
        stamp = self.path.stat().st_mtime
        if stamp != self._stamp:
            frame = pd.read_parquet(self.path) if self.path.suffix == ".parquet" else pd.read_csv(self.path, dtype={"youth_id": str})
            frame = with_risk_category(frame)
            self._frame = frame.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)
            self._stamp = stamp
        return self._frame

    def page(self, wanted: ListFilter) -> ListPage | None:
        frame = self.frame()
        if frame is None:
            return None
        chosen = sorted_rows(frame[matching(frame, wanted)], wanted)
        pages = max(1, -(-len(chosen) // PAGE_SIZE))
        page = min(max(wanted.page, 1), pages)
        rows = chosen.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        counts = {t: int((frame["tier"] == t).sum()) for t in TIERS}
        categories = {c: int((frame["risk_category"] == c).sum()) for c in RISK_CATEGORIES}
        first = frame.iloc[0] if len(frame) else None
        identity = [None if first is None else str(first.get(name, "")) for name in ("as_of", "model_version", "model_run_id",
                                                                                     "model_fingerprint")]
        return ListPage(rows, len(chosen), page, pages, counts, *identity, category_counts=categories)

    def rescored(self, served) -> pd.DataFrame | None:
        """The listed youths scored again with `served` (same youths, reference dates and features), not yet written;
        None when no list was scored yet."""
        from features.group_exit import GROUP_EXIT_COLUMNS
        from serving.batch import KEY_COLUMNS, mark_capacity, places_for, score_features, with_group_exit
        from vsv_model.feature_spec import FEATURE_NAMES

        frame = self.frame()
        if frame is None:
            return None
        keys = frame[[name for name in KEY_COLUMNS if name in frame]]
        scored = score_features(served, keys, frame[list(FEATURE_NAMES)], explain=True)
        scored = mark_capacity(scored, places_for(served, keys))
        carried = [c for c in GROUP_EXIT_COLUMNS if c in frame]
        return with_group_exit(scored, frame[carried] if carried else None)

    def replace(self, scored: pd.DataFrame) -> None:
        """Make `scored` the list, atomically (readers see the old file or the new one, never half of one)."""
        from vsv_model.table_io import write_frame

        temporary = self.path.with_name(f".{self.path.stem}.rescoring{self.path.suffix}")
        write_frame(scored, temporary)
        temporary.replace(self.path)

    def exact_id(self, search: str) -> str | None:
        """The listed id equal to `search` in any case, or None."""
        frame = self.frame()
        if frame is None or not search:
            return None
        found = frame["youth_id"][frame["youth_id"].astype(str).str.upper() == search.upper()]
        return None if found.empty else str(found.iloc[0])

    def left_since(self, today) -> int:
        """How many listed youths have left the target group by `today` (0 for a file without the exit dates)."""
        frame = self.frame()
        if frame is None or "leaves_group_on" not in frame:
            return 0
        return int((pd.to_datetime(frame["leaves_group_on"], errors="coerce") <= pd.Timestamp(today)).sum())

    def row(self, youth_id: str) -> pd.Series | None:
        frame = self.frame()
        if frame is None:
            return None
        found = frame[frame["youth_id"] == youth_id]
        return None if found.empty else found.iloc[0]


def with_risk_category(frame: pd.DataFrame) -> pd.DataFrame:
    """A scores file written before risk categories existed gets them from its probabilities by the policy's default
    cut-offs (`vsv score` again, or "Lijst opnieuw berekenen", gives the served model's own)."""
    if "risk_category" in frame:
        return frame
    category = pd.Series(RiskCategories().assign(frame["probability"].to_numpy()), index=frame.index)
    return frame.assign(risk_category=category, risk_category_nl=category.map(RISK_CATEGORY_LABELS_NL))
