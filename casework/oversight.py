"""Human oversight: how often officers follow the advice, per officer and per risk category; and how often they
refuse a route drawn by lot, and why (`draw_report`).

A check on automation bias (AI Act art. 14), not a target: a share near 100% may mean the advice is rubber-stamped,
a share near 0% that the advice is not trusted or not fit. Analysts read it; it is never a ranking of officers.

A decision that was corrected counts as corrected: the newest correction that names it (directly) gives its
`follows_advice`. Groups with fewer than `MIN_DECISIONS` decisions are shown with their count but without a share.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.projection import local_day
from casework.tables import case_events_table, case_records_table, cases_table
from vsv_model.route_draws import ROUTE_CODES

MIN_DECISIONS = 10


def effective_decisions(engine: Engine) -> pd.DataFrame:
    """Per decision record: the officer who decided, the case's risk category, and whether it follows the advice
    after corrections."""
    records = case_records_table
    query = (sa.select(records.c.id, records.c.action, records.c.officer, records.c.follows_advice, records.c.corrects,
                       cases_table.c.risk_category)
             .join(cases_table, cases_table.c.id == records.c.case_id)
             .where(records.c.action.in_(("decision", "correction"))).order_by(records.c.id))
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all(),
                             columns=["id", "action", "officer", "follows_advice", "corrects", "risk_category"])
    decisions = frame[frame["action"] == "decision"].set_index("id")
    corrections = frame[(frame["action"] == "correction") & frame["corrects"].isin(decisions.index)
                        & frame["follows_advice"].notna()]
    newest = corrections.drop_duplicates("corrects", keep="last").set_index("corrects")["follows_advice"]
    decisions.loc[newest.index, "follows_advice"] = newest
    return decisions.reset_index()[["id", "officer", "risk_category", "follows_advice"]]


def follow_shares(engine: Engine) -> dict[str, pd.DataFrame]:
    """The share of decisions that follow the advice, per officer and per risk category: columns `decisions`,
    `follows`, `share` (missing below `MIN_DECISIONS`)."""
    decisions = effective_decisions(engine)
    return {by: share_by(decisions, by) for by in ("officer", "risk_category")}


def share_by(decisions: pd.DataFrame, column: str) -> pd.DataFrame:
    grouped = decisions.assign(follows=decisions["follows_advice"].astype(bool)).groupby(column, sort=True)
    table = grouped.agg(decisions=("follows", "size"), follows=("follows", "sum")).reset_index()
    table["share"] = (table["follows"] / table["decisions"]).where(table["decisions"] >= MIN_DECISIONS)
    return table


MAX_REASONS = 50  # the newest refusal reasons shown


@dataclass
class DrawReport:
    """The randomised share as the office lived it: draws, refusals and their reasons (no youth, no case)."""

    draws: int
    refused: int
    by_route: pd.DataFrame      # per drawn route: draws, refused
    reasons: list[tuple]        # (day, reason) of the newest refusals, newest first

    @property
    def share_refused(self) -> float | None:
        return self.refused / self.draws if self.draws else None


def draw_report(engine: Engine) -> DrawReport:
    """How many cases were drawn by lot, how many draws the officers refused, per drawn route, and why."""
    e, c, r = case_events_table.c, cases_table.c, case_records_table.c
    drawn = (sa.select(e.advised_route.label("route"), c.draw_refused).join(cases_table, c.id == e.case_id)
             .where(e.randomised.is_(True)))
    refusals = sa.select(r.recorded_at, r.why).where(r.action == "refusal").order_by(r.id.desc()).limit(MAX_REASONS)
    with engine.connect() as connection:
        events = pd.DataFrame(connection.execute(drawn).mappings().all(), columns=["route", "draw_refused"])
        reasons = [(local_day(row.recorded_at), row.why) for row in connection.execute(refusals)]
    events["refused"] = events["draw_refused"].fillna(False).astype(bool)
    by_route = (events.groupby("route", sort=False).agg(draws=("refused", "size"), refused=("refused", "sum"))
                .reindex(list(ROUTE_CODES), fill_value=0).rename_axis("route").reset_index())
    return DrawReport(len(events), int(events["refused"].sum()), by_route, reasons)
