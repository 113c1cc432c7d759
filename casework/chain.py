"""How new events become cases, planned on whole frames before anything is written (`CaseStore.ingest` writes the
plan in one transaction).

Per youth, the new events in date order form a chain. A report attaches to the youth's open case when that case's
last event lies within `repeat_days` (the youth's latest open case, from the database, for the first new event;
the case of the previous new event after that); every other event opens a case. Within a case the advice climbs
the ladder letter -> conversation -> matchmaker one step per attached report, never below the model's own route for
that event: `advice_k = min(top, max(advice_{k-1} + 1, model_k))`, which is `min(top, k + cummax(model_j - j))` for
a case's events j = 0..k (a cumulative maximum per case, no loop). The case's deadline is the earliest of its
events' own terms (a repeat's term counts when it is earlier).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from casework.draws import with_draws
from casework.model import BENEFIT_POLICY, ESCALATION, POLICIES, TIER_POLICY, CaseworkRules, add_working_days
from casework.wording import benefit_opened_why, drawn_why, escalated_why, opened_why, repeat_prefix
from features.office_events import EVENT_KINDS, NEW_LEAVER

INGEST_COLUMNS = ("youth_id", "event_date", "kind", "report_id", "probability", "risk_category", "tier", "route",
                  "reasons", "model_version", "model_fingerprint", "municipality", "leaves_group_on")
# Optional columns and their value when absent: the kind's tier cut-offs that day (without them an event is never
# drawn: `casework.draws`) and the policy whose advice `route` is.
OPTIONAL_COLUMNS = {"medium_cutoff": np.nan, "high_cutoff": np.nan, "policy": TIER_POLICY}
LADDER = {route: step for step, route in enumerate(ESCALATION)}
TOP = len(ESCALATION) - 1
CASE = ["youth_id", "segment"]  # a case of the plan: the youth and the chain's segment (0: the open case found)


@dataclass
class Plan:
    events: pd.DataFrame  # the new events in date order, each with its case (segment), advice, why and deadline
    cases: pd.DataFrame   # per case touched: its state after the new events (`case_id` set for open cases found)


def event_keys(youth_id: pd.Series, event_date: pd.Series, kind: pd.Series, report_id: pd.Series) -> pd.Series:
    """Each event's unique key: "report:<report_id>" for a report ("report:<youth_id>:<day>" when the report has no
    number; a number cannot hold ':'), "leaver:<youth_id>:<day>" for a new leaver."""
    day = pd.to_datetime(event_date).dt.strftime("%Y-%m-%d")
    youth_day = youth_id.astype(str) + ":" + day
    numbered = report_id.notna().to_numpy()
    report = np.where(numbered, "report:" + report_id.astype(object).fillna("").astype(str), "report:" + youth_day)
    return pd.Series(np.where(kind.to_numpy(dtype=object) == NEW_LEAVER, "leaver:" + youth_day, report),
                     index=youth_id.index, dtype=object)


def prepared_events(scored: pd.DataFrame) -> pd.DataFrame:
    """The scored events checked (columns, kinds, routes, dates) and keyed, in the given order (`pos`)."""
    missing = [c for c in INGEST_COLUMNS if c not in scored]
    if missing:
        raise ValueError(f"the scored events lack the column(s) {', '.join(missing)}")
    frame = scored.loc[:, list(INGEST_COLUMNS)].reset_index(drop=True).copy()
    for column, absent in OPTIONAL_COLUMNS.items():
        frame[column] = scored[column].to_numpy() if column in scored else absent
    frame["policy"] = frame["policy"].fillna(TIER_POLICY)
    frame["event_date"] = pd.to_datetime(frame["event_date"], errors="coerce").astype("datetime64[s]").dt.normalize()
    frame["leaves_group_on"] = pd.to_datetime(frame["leaves_group_on"], errors="coerce").astype("datetime64[s]")
    for column, allowed in (("kind", EVENT_KINDS), ("route", ESCALATION), ("policy", POLICIES)):
        unknown = sorted(set(frame[column].astype(str)) - set(allowed))
        if unknown:
            raise ValueError(f"unknown {column}(s) {', '.join(unknown)} in the scored events; known: {', '.join(allowed)}")
    if frame["event_date"].isna().any():
        raise ValueError("an event without a date in the scored events")
    frame["report_id"] = frame["report_id"].astype(object).where(frame["report_id"].notna(), None)
    frame["reasons"] = [r if isinstance(r, str) else json.dumps(list(r), ensure_ascii=False) for r in frame["reasons"]]
    frame["event_key"] = event_keys(frame["youth_id"], frame["event_date"], frame["kind"], frame["report_id"])
    frame["pos"] = np.arange(len(frame))
    return frame


def plan_ingest(new: pd.DataFrame, open_cases: pd.DataFrame, rules: CaseworkRules,
                places: Callable[[], np.ndarray] | None = None) -> Plan:
    """The cases the new events make or extend. `open_cases`: per youth at most one open case (case_id, youth_id,
    last_event_on, advised_route, deadline, events, first_kind): the one with the latest event. `places()`: the
    routes with places left (letter, conversation, matchmaker) for the randomised share; None: nothing is drawn."""
    places = read_once(places)
    events = chained(new, open_cases.set_index("youth_id"), rules.repeat_days)
    events = with_advice(with_draws(within_places(events, places), rules, places))
    events["own_deadline"] = own_deadlines(events, rules)
    events["case_deadline"] = case_deadlines(events)
    events["advice_why"] = advice_sentences(events, rules.repeat_days)
    events["model_advised_route"] = events["model_route"].where(events["randomised"], events["advice"])
    return Plan(events.sort_values(["event_date", "pos"], kind="stable").reset_index(drop=True), case_states(events))


def read_once(places: Callable[[], np.ndarray] | None) -> Callable[[], np.ndarray] | None:
    """`places()` asked at most once per ingest (the step-down and the draws read the same figures)."""
    if places is None:
        return None
    seen: list[np.ndarray] = []

    def once() -> np.ndarray:
        if not seen:
            seen.append(np.asarray(places(), dtype=bool))
        return seen[0]
    return once


def within_places(events: pd.DataFrame, places: Callable[[], np.ndarray] | None) -> pd.DataFrame:
    """The benefit policy's route within the places left, as the tier advice is within its capacity: a route whose
    places are taken steps down to the next lighter one with a place (the letter always has). `wanted_route` keeps
    the policy's own route for the sentence why. Tier rows are left as they are (their capacity is in the cut-offs)."""
    events = events.assign(wanted_route=events["route"])
    benefit = (events["policy"] == BENEFIT_POLICY).to_numpy()
    if places is None or not benefit.any():
        return events
    available = np.asarray(places(), dtype=bool)
    heaviest = np.maximum.accumulate(np.where(available, np.arange(len(ESCALATION)), 0))  # per route: best with a place
    wanted = events["route"].map(LADDER).to_numpy(np.int64)
    stepped = np.where(benefit, heaviest[wanted], wanted)
    return events.assign(route=np.array(ESCALATION, dtype=object)[stepped])


def chained(new: pd.DataFrame, found: pd.DataFrame, repeat_days: int) -> pd.DataFrame:
    """Per youth in date order: whether each event attaches to the case before it, its segment (a case of the
    youth; 0 is the open case found) and its step in that case (0 = the event that opens a new case)."""
    events = new.sort_values(["youth_id", "event_date", "pos"], kind="stable").reset_index(drop=True)
    for column in ("case_id", "last_event_on", "advised_route", "deadline", "events", "first_kind"):
        events[f"open_{column}"] = events["youth_id"].map(found[column]) if len(found) else None
    first = ~events["youth_id"].duplicated()
    previous = events.groupby("youth_id", sort=False)["event_date"].shift()
    previous = previous.where(~first, pd.to_datetime(events["open_last_event_on"]).astype("datetime64[s]"))
    close = (events["event_date"] - previous).abs() < pd.Timedelta(days=repeat_days)
    attached = (events["kind"] != NEW_LEAVER) & previous.notna() & close.fillna(False)
    events["attached"] = attached.to_numpy(dtype=bool)
    events["segment"] = (~events["attached"]).astype(np.int64).groupby(events["youth_id"], sort=False).cumsum()
    events["on_open"] = (events["segment"] == 0).to_numpy()
    events["step"] = events.groupby(CASE, sort=False).cumcount() + events["on_open"].astype(np.int64)
    return events


def with_advice(events: pd.DataFrame) -> pd.DataFrame:
    """The advice after each event (`advice`), the one before it (`advice_before`, empty for an opening event),
    the steps above the model's own route (`escalation`) and whether the advice got heavier (`escalated`)."""
    own = events["route"].map(LADDER).to_numpy(np.int64)
    step = events["step"].to_numpy(np.int64)
    on_open = events["on_open"].to_numpy()
    start = events["open_advised_route"].map(LADDER).fillna(-1).to_numpy(np.int64)
    reach = pd.Series(own - step).groupby([events["youth_id"], events["segment"]], sort=False).cummax().to_numpy()
    advice = np.minimum(TOP, step + np.where(on_open, np.maximum(reach, start), reach))
    before = pd.Series(advice).groupby([events["youth_id"], events["segment"]], sort=False).shift().to_numpy()
    first_in_case = ~events.duplicated(CASE).to_numpy()
    before = np.where(first_in_case, np.where(on_open, start, -1), np.nan_to_num(before, nan=-1)).astype(np.int64)
    routes = np.array([*ESCALATION, ""], dtype=object)  # -1: no advice before (a new case)
    events["advice"] = routes[advice]
    events["advice_before"] = routes[before]
    events["escalation"] = advice - own
    events["escalated"] = events["attached"].to_numpy() & (before < advice)
    return events


def own_deadlines(events: pd.DataFrame, rules: CaseworkRules) -> pd.Series:
    """Each event's own term: the kind's working days after its day (computed once per distinct day and kind)."""
    return per_distinct(events, ["event_date", "kind"], lambda day, kind: pd.Timestamp(
        add_working_days(day.date(), rules.deadline_working_days[kind]))).astype("datetime64[s]")


def case_deadlines(events: pd.DataFrame) -> pd.Series:
    """The case's deadline after each event: the earliest term so far (the open case's own deadline included)."""
    earliest = events.groupby(CASE, sort=False)["own_deadline"].cummin()
    stored = pd.to_datetime(events["open_deadline"]).astype("datetime64[s]")
    return earliest.where(~events["on_open"] | stored.isna() | (earliest <= stored), stored)


def advice_sentences(events: pd.DataFrame, repeat_days: int) -> pd.Series:
    """The one sentence that says why the case has its advice after each event."""
    opening_kind = events.groupby(CASE, sort=False)["kind"].transform("first")
    events = events.assign(
        first_kind=events["open_first_kind"].where(events["on_open"], opening_kind).fillna(""),
        reports=np.where(events["on_open"], events["open_events"].fillna(0).to_numpy(np.int64) + events["step"],
                         events["step"] + 1))

    def sentence(attached, kind, advice, before, route, reports, first_kind, randomised, model_route, policy,
                 wanted) -> str:
        if randomised:
            return drawn_why(kind, advice, model_route)
        if not attached and policy == BENEFIT_POLICY:
            return benefit_opened_why(kind, advice, wanted)
        if not attached:
            return opened_why(kind, advice)
        return escalated_why(repeat_prefix(int(reports), first_kind, repeat_days), before, advice, route)

    return per_distinct(events, ["attached", "kind", "advice", "advice_before", "route", "reports", "first_kind",
                                 "randomised", "model_route", "policy", "wanted_route"], sentence)


def case_states(events: pd.DataFrame) -> pd.DataFrame:
    """Per case touched: its state after its last new event; open cases found keep their count, last day and
    report number where the new events add none."""
    grouped = events.groupby(CASE, sort=False)
    first, last = grouped.head(1).set_index(CASE), grouped.tail(1).set_index(CASE)
    numbered = events[events["report_id"].notna()].groupby(CASE, sort=False)["report_id"].last()
    cases = pd.DataFrame({
        "case_id": last["open_case_id"].where(last["on_open"]), "opening_pos": first["pos"],
        "opened_on": first["event_date"], "first_kind": first["kind"], "last_kind": last["kind"],
        "last_event_on": grouped["event_date"].max(), "last_report_id": numbered.reindex(last.index),
        "events": grouped.size() + pd.to_numeric(last["open_events"].where(last["on_open"])).fillna(0).astype(np.int64),
        "deadline": last["case_deadline"], "probability": last["probability"], "risk_category": last["risk_category"],
        "tier": last["tier"], "advised_route": last["advice"], "advice_why": last["advice_why"],
        "escalation": last["escalation"], "model_version": last["model_version"],
        "model_fingerprint": last["model_fingerprint"], "policy": last["policy"],
        "randomised": first["randomised"], "draw_propensity": first["draw_propensity"],
        "model_advised_route": first["model_advised_route"],
        "municipality": events[events["municipality"].notna()].groupby(CASE, sort=False)["municipality"].last()
        .reindex(last.index), "leaves_group_on": last["leaves_group_on"], "open_last_event_on": last["open_last_event_on"],
    })
    stored_last = pd.to_datetime(cases["open_last_event_on"]).astype("datetime64[s]")
    cases["last_event_on"] = cases["last_event_on"].where(stored_last.isna() | (cases["last_event_on"] >= stored_last),
                                                          stored_last)
    cases = cases.drop(columns="open_last_event_on").reset_index()
    return cases.sort_values(["opened_on", "opening_pos"], kind="stable").reset_index(drop=True)


def per_distinct(frame: pd.DataFrame, columns: list[str], compute: Callable) -> pd.Series:
    """`compute(*values)` once per distinct combination of `columns`, spread over the rows (rows keep `frame`'s
    index)."""
    keys = frame[columns].reset_index(drop=True)
    distinct = keys.drop_duplicates().reset_index(drop=True)
    distinct["__value"] = [compute(*row) for row in distinct.itertuples(index=False, name=None)]
    values = keys.merge(distinct, on=columns, how="left", sort=False)["__value"]
    return pd.Series(values.to_numpy(), index=frame.index)
