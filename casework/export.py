"""`vsv cases export`: the office's recorded cases in the layout of `office_cases.csv` (`vsv_model.office_cases`),
from the case database, so `vsv routes evaluate` reads the office's own records the way it reads the world's.

One row per event of a case with a decided route among the three routes (the office reacted): the event as
`features.office_events` gives it, its score and risk category, the advice of the policy in force without a draw
(`advised_route`), the route the officer chose (after corrections), and the draw: `randomised`, the drawn route's
chance, whether the officer refused it and why. Events of undecided cases and of cases with another route ("anders")
or none ("geen") are counted, not written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.model import TIER_POLICY
from casework.tables import case_events_table, case_records_table, cases_table
from vsv_model.office_cases import OFFICE_CASE_COLUMNS
from vsv_model.route_draws import ROUTE_CODES

READ = ("youth_id", "event_date", "kind", "report_id", "score", "risk_category", "advised_route", "model_advised_route",
        "randomised", "draw_propensity", "policy", "medium_cutoff", "high_cutoff", "chosen_route", "draw_refused",
        "refusal_reason")


@dataclass
class OfficeCases:
    frame: pd.DataFrame   # OFFICE_CASE_COLUMNS, by event day
    undecided: int        # events of the period whose case has no decision yet: not written
    other_route: int      # events whose case's route is "anders" or "geen": not written


def read_events(engine: Engine, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
    """The period's events with their case's chosen route and the reason of a refused draw (one query)."""
    e, c, r = case_events_table.c, cases_table.c, case_records_table.c
    refusals = sa.select(r.case_id, sa.func.max(r.why).label("why")).where(r.action == "refusal").group_by(r.case_id).subquery()
    query = (sa.select(e.youth_id, e.event_date, e.kind, e.report_id, e.probability.label("score"), e.risk_category,
                       e.advised_route, e.model_advised_route, e.randomised, e.draw_propensity, e.policy,
                       e.medium_cutoff, e.high_cutoff, c.chosen_route, c.draw_refused,
                       refusals.c.why.label("refusal_reason"))
             .join(cases_table, c.id == e.case_id).join(refusals, refusals.c.case_id == e.case_id, isouter=True)
             .order_by(e.event_date, e.youth_id, e.id))
    if since is not None:
        query = query.where(e.event_date >= since)
    if until is not None:
        query = query.where(e.event_date <= until)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=list(READ))


def office_cases(engine: Engine, since: dt.date | None = None, until: dt.date | None = None) -> OfficeCases:
    """The recorded cases of events from `since` to `until` (both included; None: no bound) in the spec's layout."""
    events = read_events(engine, since, until)
    decided = events["chosen_route"].notna().to_numpy()
    reacted = events["chosen_route"].isin(ROUTE_CODES).to_numpy()
    rows = events[reacted].reset_index(drop=True)
    randomised = rows["randomised"].fillna(False).astype(bool).to_numpy()
    refused = randomised & rows["draw_refused"].fillna(False).astype(bool).to_numpy()
    frame = pd.DataFrame({
        "youth_id": rows["youth_id"].astype(str),
        "event_date": pd.to_datetime(rows["event_date"]).dt.strftime("%Y-%m-%d"),
        "kind": rows["kind"].astype(str), "report_id": rows["report_id"].astype(object),
        "score": rows["score"].astype(float), "risk_category": rows["risk_category"].astype(str),
        "advised_route": rows["model_advised_route"].fillna(rows["advised_route"]).astype(str),
        "route": rows["chosen_route"].astype(str),
        "randomised": randomised.astype(np.int64),
        "draw_propensity": pd.to_numeric(rows["draw_propensity"]).where(randomised).astype(float),
        "refused": refused.astype(np.int64),
        "refusal_reason": rows["refusal_reason"].where(refused, "").fillna("").astype(object),
        "policy": rows["policy"].fillna(TIER_POLICY).astype(str),
        "medium_cutoff": pd.to_numeric(rows["medium_cutoff"]).astype(float),
        "high_cutoff": pd.to_numeric(rows["high_cutoff"]).astype(float),
    })
    return OfficeCases(frame[list(OFFICE_CASE_COLUMNS)], int((~decided).sum()), int((decided & ~reacted).sum()))
