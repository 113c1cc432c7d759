"""The synthetic region with time: the Python API the `vsv generate` command wires to.

    world = generate_world(WorldConfig())          # the region at 1:1, data up to 2026-10-01
    write_world(Path("data/synthetic"), world, "csv")

A forward, month-by-month simulation of every youth of the ten municipalities (`simulate.py`), driven by
outcome kernels (`kernels.py`) with hidden causes, dated calendar effects (`calendar.py`) and the region's
real size (`population.py`); absence and its reports are emissions (`absence.py`). The truth is exact:
backward induction over the simulator's own state (`truth.py`), on each 1 October for every youth in scope
(truth.csv, `truth_table.py`) and at every office event of the written tables (truth_events.csv,
`truth_events.py`: report_first, report_repeat and new_leaver as `features.office_events` derives them, each with
p_true given the full state on the 1st of its month). The realism table compares the written tables with the
region's published figures (`realism.py`).

What the registrations cannot explain: `p_true` conditions on the hidden burden (home situation, health,
motivation), the life event, the months-out bucket and the work flag of youths out of school, the year
within a programme, and, with `hidden_gap`, the origin group; the features see none of these directly,
and the mess hides more. At 1:1 (seed 1), on the labelled youths of 18–22 (outcome by 23), the AUC of
`p_true` against that of a LightGBM fitted on the contract's features (two folds by youth, pooled over
the dates; `python -m data_synthetic.explained`):

    as_of       labelled  outcome  AUC p_true  AUC LightGBM   gap
    2014-10-01    11,061   0.378      0.922       0.876      0.046
    2015-10-01    10,820   0.377      0.924       0.880      0.044
    2016-10-01    10,717   0.375      0.920       0.875      0.045
    2017-10-01    10,515   0.377      0.921       0.878      0.044
    2018-10-01    10,391   0.381      0.922       0.870      0.051
    2019-10-01    10,337   0.386      0.918       0.868      0.050
    2020-10-01    10,366   0.393      0.916       0.867      0.049
    2021-10-01    10,431   0.392      0.925       0.874      0.051

(Later dates are labelled only for their older youths: 2022–2025 hold 6,592 … 894 rows, gaps 0.045–0.12.)
The gap of about 0.045–0.05 is what no model of the registrations can close.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data_synthetic.absence import ABSENCE_FACTOR, youth_factors
from data_synthetic.calendar import KNOWN_SHIFTS, Calendar, effects_table, first_day, month_of_date, months_of_days
from data_synthetic.kernels import Rules
from data_synthetic.office import Office, OfficeSettings, score_tables
from data_synthetic.population import (
    FIRST_BIRTH,
    GENDERS,
    LAST_BIRTH,
    ORIGINS,
    Youths,
    born_in_target_group,
    cohort_sizes,
    draw_youths,
)
from data_synthetic.realism import CAPACITY, realism_table
from data_synthetic.region import (
    SchoolChoice,
    absence_multiplier,
    build_schools,
)
from data_synthetic.school_365 import HORIZON_DAYS, school_365
from data_synthetic.simulate import Emitters, Simulation, simulate
from data_synthetic.state import burden_of
from data_synthetic.tables import contract_tables
from data_synthetic.truth import read_months, value_tables_and_reads
from data_synthetic.truth_events import (
    StateTruth,
    event_ages,
    event_truth_frame,
    events_of,
    positions,
    state_reads,
    state_truth,
    tables_as_read,
)
from data_synthetic.truth_table import truth_frame
from data_synthetic.writer import write_tables, write_truth, write_truth_events
from vsv_model.dates import to_days
from vsv_model.office_cases import FILE_NAME as OFFICE_CASES_FILE
from vsv_model.office_cases import OFFICE_CASE_COLUMNS, check_office_cases
from vsv_model.policy import RISK_CUTOFFS
from vsv_model.route_draws import ROUTE_CODES
from vsv_model.target_group import CURRENT_LAW

HARM_DEFAULTS = {"underreporting": 0.6, "hidden_gap": 1.5}
KNOWN_HARMS = tuple(sorted(HARM_DEFAULTS))
DEFAULT_GAP_GROUP = ("origin", "buiten_europa")  # the group `hidden_gap` harms unless `@ATTRIBUTE=VALUE` names another
GAP_GROUPS = {"origin": tuple(ORIGINS), "gender": tuple(GENDERS)}
FIRST_REFERENCE = dt.date(2014, 10, 1)


@dataclass(frozen=True)
class WorldConfig:
    """How to generate a world. `youths=None`: the region at 1:1; `drift=False`: every calendar effect off;
    `shifts`: (name, size) injected from `shift_start`; `planted_bias`: (kind, size) documented harms;
    `hidden_gap_group`: (attribute, value), the group the `hidden_gap` harm raises (origin or gender).
    `cohorts_at`: simulate only the birth cohorts aged 18-22 on that date (the youths the target group can hold
    then), each as large as in the whole world of the same scale, with `youths` counting only them: a scale
    benchmark's population of a million youths in scope without simulating the twenty other birth years."""

    youths: int | None = None
    seed: int = 1
    mess_rate: float = 0.02
    data_end: dt.date = dt.date(2026, 10, 1)
    drift: bool = True
    shifts: tuple[tuple[str, float], ...] = ()
    planted_bias: tuple[tuple[str, float], ...] = ()
    shift_start: dt.date = dt.date(2025, 10, 1)
    cohorts_at: dt.date | None = None
    hidden_gap_group: tuple[str, str] = DEFAULT_GAP_GROUP
    office: bool = True  # the office reacts inside the world (`data_synthetic/office.py`); False: today's world
    route_effects: float = 1.0  # the size of every route's effect (0: routes do nothing)
    office_settings: OfficeSettings = field(default_factory=OfficeSettings)

    def __post_init__(self):
        if self.youths is not None and self.youths < 1:
            raise ValueError("youths must be at least 1 (or None for the region at 1:1)")
        if not 0.0 <= self.mess_rate <= 0.5:
            raise ValueError(f"mess_rate must lie between 0 and 0.5, got {self.mess_rate}")
        for name, date in (("data_end", self.data_end), ("shift_start", self.shift_start)):
            if date.day != 1:
                raise ValueError(f"{name} must be the 1st of a month (the state is known at a month's start), "
                                 f"got {date}")
        if not FIRST_REFERENCE <= self.data_end <= dt.date(2035, 10, 1):
            raise ValueError(f"data_end must lie between {FIRST_REFERENCE} and 2035-10-01, got {self.data_end}")
        check_named_sizes(self.shifts, KNOWN_SHIFTS, "shift")
        check_named_sizes(self.planted_bias, KNOWN_HARMS, "planted bias")
        check_ranges(dict(self.shifts), {"reporting_stop": (0, 1), "mbo_mix": (0, 1), "absence_level": (-1, math.inf)})
        check_ranges(dict(self.planted_bias), {"underreporting": (0, 1)})
        check_gap_group(self.hidden_gap_group)
        if not math.isfinite(self.route_effects) or self.route_effects < 0:
            raise ValueError(f"route_effects must be a finite size of at least 0, got {self.route_effects}")


def check_gap_group(group: tuple[str, str]) -> None:
    attribute, value = group
    if attribute not in GAP_GROUPS:
        raise ValueError(f"hidden_gap can harm a group of {', '.join(GAP_GROUPS)}, not {attribute!r}")
    if value not in GAP_GROUPS[attribute]:
        raise ValueError(f"unknown {attribute} {value!r}; known: {', '.join(GAP_GROUPS[attribute])}")


def check_named_sizes(pairs: tuple[tuple[str, float], ...], known: tuple[str, ...], what: str) -> None:
    for name, size in pairs:
        if name not in known:
            raise ValueError(f"unknown {what} {name!r}; known: {', '.join(known)}")
        if not math.isfinite(size):
            raise ValueError(f"{what} {name} needs a finite size, got {size}")
    names = [name for name, _ in pairs]
    if len(set(names)) < len(names):
        raise ValueError(f"each {what} may be given once, got {', '.join(names)}")


def check_ranges(sizes: dict[str, float], ranges: dict[str, tuple[float, float]]) -> None:
    for name, (low, high) in ranges.items():
        if name in sizes and not low <= sizes[name] <= high:
            raise ValueError(f"{name} size must lie between {low} and {high}, got {sizes[name]}")


def parse_named_size(text: str, defaults: dict[str, float] | None = None) -> tuple[str, float]:
    """'NAME=SIZE' (or 'NAME' when `defaults` has it) to (name, size), for the command line."""
    name, _, size = text.partition("=")
    if not size:
        if defaults is None or name not in defaults:
            raise ValueError(f"{text!r} needs a size: NAME=SIZE")
        return name, defaults[name]
    return name, float(size)


def parse_planted_bias(texts: list[str]) -> tuple[tuple[tuple[str, float], ...], tuple[str, str]]:
    """'KIND[=SIZE]' for each harm, and for hidden_gap optionally '@ATTRIBUTE=VALUE' (hidden_gap=0.5@gender=V): the
    (kind, size) pairs and the hidden gap's group (the default group without '@')."""
    pairs, group = [], DEFAULT_GAP_GROUP
    for text in texts:
        harm, at, target = text.partition("@")
        pairs.append(parse_named_size(harm, HARM_DEFAULTS))
        if at:
            attribute, _, value = target.partition("=")
            if pairs[-1][0] != "hidden_gap" or not value:
                raise ValueError(f"{text!r}: only hidden_gap takes a group, as hidden_gap=SIZE@ATTRIBUTE=VALUE")
            group = (attribute, value)
    return tuple(pairs), group


def gap_members(youths: Youths, config: WorldConfig) -> np.ndarray | None:
    """Per youth: in the group the planted hidden gap raises; None without that harm (the group then stays out of
    the simulated state, and out of the truth's state space)."""
    if "hidden_gap" not in dict(config.planted_bias):
        return None
    attribute, value = config.hidden_gap_group
    return getattr(youths, attribute) == value


@dataclass
class Hidden:
    """The simulation's hidden state (never written): what tests may read, and what the truth at the events reads."""

    simulation: Simulation
    rules: Rules
    origin_in_state: bool
    reference_months: tuple[int, ...]
    state_truth: StateTruth | None = None  # at the kept event states; None until needed when the induction was memoised

    def truth_at_event_states(self) -> StateTruth:
        """p_true at every kept event state: read in generation's own pass of the induction, or else (its tables
        were memoised) in a pass of its own, once."""
        if self.state_truth is None:
            reads = state_reads(self.simulation.event_states, self.simulation.youths, self.rules)
            read = read_months(self.rules, self.origin_in_state, reads)
            self.state_truth = state_truth(self.simulation.event_states, self.simulation.youths, read)
        return self.state_truth


@dataclass
class World:
    """The written tables, the known truth, the realism figures, the office events of the written tables, and
    aggregates for the summary."""

    config: WorldConfig
    tables: dict[str, dict[str, np.ndarray]]
    truth: pd.DataFrame
    realism: pd.DataFrame
    calendar_effects: pd.DataFrame
    events: pd.DataFrame  # `features.office_events` on the tables as the reader gives them back
    aggregates: dict = field(default_factory=dict)
    hidden: Hidden | None = field(default=None, repr=False)

    def truth_events(self) -> pd.DataFrame:
        """truth_events.csv's rows: the exact truth at every office event (`truth_events.py`); with the office, the
        route taken (`office_cases`) and each route's truth."""
        sim = self.hidden.simulation
        frame = event_truth_frame(self.events, sim.youths.youth_id, sim.youths.birth_day,
                                  self.hidden.truth_at_event_states(), sim.sq_day,
                                  int(first_day(month_of_date(self.config.data_end))))
        if sim.office is None:
            return frame
        frame.insert(4, "route", routes_of_events(sim.office.log.arrays(), frame, sim.youths.youth_id))
        return frame.join(self.school_365_columns(frame))

    def school_365_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        """p_school_365_<r> at each event of `frame` (`school_365.py`), from its youth's kept state at the 1st of its
        month; its own random stream (the seed's), so the rest of the world does not depend on it."""
        sim = self.hidden.simulation
        youth = pd.Index(sim.youths.youth_id).get_indexer(frame["youth_id"].to_numpy())
        day = to_days(pd.to_datetime(frame["event_date"]).to_numpy())
        month = months_of_days(day)
        keys = kept_keys(sim.event_states, month, youth, len(sim.youths))
        age = month - sim.youths.birth_month[youth]
        rng = np.random.default_rng(np.random.SeedSequence([self.config.seed, HORIZON_DAYS]))
        p = school_365(keys, month, age, day, self.hidden.rules, rng)
        return pd.DataFrame({f"p_school_365_{code}": p[:, r] for r, code in enumerate(ROUTE_CODES)}, index=frame.index)

    def office_cases(self) -> pd.DataFrame:
        """office_cases.csv's rows (`vsv_model.office_cases`): each reaction of the world's office joined to the
        office event it reacted to, by youth and the event's month (`office_cases_frame`)."""
        if "office_cases" not in self.aggregates.get("_cache", {}):
            sim = self.hidden.simulation
            frame, unmatched = office_cases_frame(sim.office.log.arrays(), self.events, sim.youths.youth_id)
            self.aggregates.setdefault("_cache", {})["office_cases"] = frame
            self.aggregates["office_reactions"]["without_event"] = unmatched
        return self.aggregates["_cache"]["office_cases"]

    def summary(self) -> dict:
        """generation_summary.json: rows per table, settings, and per reference date the group and the truth."""
        rows = {name: len(table["youth_id"]) for name, table in self.tables.items()}
        if self.hidden is not None and self.hidden.simulation.office is not None:
            self.office_cases()
        aggregates = {k: v for k, v in self.aggregates.items() if k != "_cache"}
        return {"rows": rows, **aggregates, "reference_dates": describe_dates(self.truth)}


def world_rules(config: WorldConfig) -> tuple[Rules, bool]:
    """The dynamics' settings; origin enters the state only when a harm makes a hazard depend on it."""
    calendar = Calendar(config.drift, tuple(config.shifts), month_of_date(config.shift_start),
                        month_of_date(config.data_end) - 1)
    harms = dict(config.planted_bias)
    effects = config.route_effects if config.office else 0.0
    return Rules(calendar, harms.get("hidden_gap", 0.0), effects, config.office), "hidden_gap" in harms


def build_emitters(youths: Youths, config: WorldConfig) -> Emitters:
    """Schools (how they report and how much absence they have), places, and the planted under-reporting."""
    schools = build_schools()
    harm = dict(config.planted_bias).get("underreporting", 0.0)
    report_factor = np.where(youths.origin == "buiten_europa", 1.0 - harm, 1.0)
    factors = youth_factors(youths.traits, youths.proneness, absence_multiplier(youths.residence, ABSENCE_FACTOR))
    return Emitters(schools, SchoolChoice.build(schools), schools.propensity, schools.climate, factors,
                    burden_of(youths.traits), report_factor, schools.largest("mbo"))


def reference_months(data_end: dt.date) -> tuple[int, ...]:
    """The yearly reference dates (1 October) from 2014 up to the data's end, as months."""
    return tuple(month_of_date(dt.date(y, 10, 1)) for y in range(2014, data_end.year + 1)
                 if dt.date(y, 10, 1) <= data_end)


def born_within(config: WorldConfig) -> tuple[dt.date, dt.date]:
    """The birth days simulated: every cohort, or those aged 18-22 on `cohorts_at`."""
    if config.cohorts_at is None:
        return FIRST_BIRTH, LAST_BIRTH
    return born_in_target_group(config.cohorts_at, CURRENT_LAW.min_age, CURRENT_LAW.max_age)


def generate_world(config: WorldConfig) -> World:
    """Simulate the region, write its tables, derive their office events, and compute the exact truth and the
    realism figures (the truth at the events in the same pass of the induction, or when first needed)."""
    population_seed, simulation_seed, mess_seed = np.random.SeedSequence(config.seed).spawn(3)
    rules, origin_in_state = world_rules(config)
    youths = draw_youths(np.random.default_rng(population_seed), config.youths, rules.calendar, born_within(config))
    emitters = build_emitters(youths, config)
    months = reference_months(config.data_end)
    office = make_office(config, rules, origin_in_state, youths)
    sim = simulate(youths, rules, emitters, gap_members(youths, config), rules.calendar.last_month, months, simulation_seed,
                   event_ages(), office)
    records = {name: sim.records.arrays(name) for name in ("enrolments", "diplomas", "reports")}
    end_day = int(first_day(month_of_date(config.data_end)))
    tables, keyed = contract_tables(np.random.default_rng(mess_seed), youths, emitters.schools, records, end_day,
                                    config.mess_rate)
    values, at_states = value_tables_and_reads(rules, origin_in_state, months,
                                               state_reads(sim.event_states, youths, rules))
    truth = truth_frame(sim.captures, values, youths.youth_id, youths.birth_day, sim.sq_day, end_day,
                        {m: int(first_day(m)) for m in months})
    effects = pd.DataFrame(effects_table(rules.calendar))
    aggregates = describe_settings(config, youths, sim) | {"calendar_effects": describe_effects(effects)}
    hidden = Hidden(sim, rules, origin_in_state, months,
                    None if at_states is None else state_truth(sim.event_states, youths, at_states))
    events = events_of(tables_as_read(keyed, youths.youth_id))
    return World(config, tables, truth, realism_table(keyed, config.data_end), effects, events, aggregates, hidden)



def routes_of_events(log: dict, frame: pd.DataFrame, youth_ids: np.ndarray) -> np.ndarray:
    """The route the office took at each event's youth and month ("" where it did not react then): the office reacts
    to a youth's events of a month at the month's end, so every event of that youth-month carries the route
    (office_cases.csv holds one row per reaction, at the month's first event)."""
    n = np.int64(len(youth_ids))
    reacted = log["month"].astype(np.int64) * n + log["youth"].astype(np.int64)
    order = np.argsort(reacted)
    day = to_days(pd.to_datetime(frame["event_date"]).to_numpy())
    wanted = months_of_days(day) * n + pd.Index(youth_ids).get_indexer(frame["youth_id"].to_numpy())
    at = np.searchsorted(reacted[order], wanted).clip(max=max(len(order) - 1, 0))
    found = reacted[order][at] == wanted if len(order) else np.zeros(len(wanted), bool)
    codes = np.array(ROUTE_CODES, dtype=object)[log["route"].astype(int)[order][at]] if len(order) else ""
    return np.where(found, codes, "")


def kept_keys(event_states: dict, month: np.ndarray, youth: np.ndarray, n: int) -> np.ndarray:
    """The packed state kept (`simulate.EventStates`) for each (month, youth); an error when one was not kept."""
    months = sorted(event_states)
    index = np.concatenate([m * np.int64(n) + event_states[m].rows for m in months])
    keys = np.concatenate([event_states[m].keys for m in months]).astype(np.int64)
    return keys[positions(StateTruth(index, keys, keys), month, youth, n)]


def make_office(config: WorldConfig, rules: Rules, origin_in_state: bool, youths: Youths) -> Office | None:
    """The world's office: its model's tables (one backward pass before the simulation), its capacity scaled to the
    world's size, and its own random stream (so `--no-office` leaves every other draw as it was)."""
    if not config.office:
        return None
    first, last = int(youths.birth_month.min()) + event_ages()[0], rules.calendar.last_month
    scores = score_tables(rules, origin_in_state, range(max(first, 0), last + 1))
    expected = cohort_sizes(rules.calendar, born_within(config)).sum()
    scale = 1.0 if config.youths is None else config.youths / expected
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(4)[3])
    return Office(config.office_settings, scores, scale, rng, np.zeros(len(youths), bool))


def describe_settings(config: WorldConfig, youths: Youths, sim: Simulation) -> dict:
    return {
        "youths": len(youths), "seed": config.seed, "data_end": config.data_end.isoformat(), "drift": config.drift,
        "mess_rate": config.mess_rate, "shifts": dict(config.shifts), "shift_start": config.shift_start.isoformat(),
        "planted_bias": dict(config.planted_bias),
        **({"hidden_gap_group": "=".join(config.hidden_gap_group)} if "hidden_gap" in dict(config.planted_bias) else {}),
        "cohorts_at": config.cohorts_at.isoformat() if config.cohorts_at else None, "exemptions": int(sim.exempted.sum()),
        "truth_method": "exact: backward induction over the simulator's own state",
        **describe_office(config, sim),
    }


def office_cases_frame(log: dict, events: pd.DataFrame, youth_ids: np.ndarray) -> tuple[pd.DataFrame, int]:
    """The reactions joined to the office events (`features.office_events` on the written tables). The world's office
    reacts at most once per youth and month, to a report of that month or a new leaver dated in it; the event it
    answers is the youth's first event of that month (by date, then the events' order). A reaction without such an
    event (its report lost to the mess, a leaver back in school before day 31, an age the events count otherwise)
    is not written: it changed the youth's future, but the office's data do not show it. Returns the rows and how
    many reactions found no event."""
    month = (pd.DatetimeIndex(events["event_date"]).year - 1970) * 12 + pd.DatetimeIndex(events["event_date"]).month - 1
    first = events.assign(_month=month.to_numpy()).drop_duplicates(["youth_id", "_month"], keep="first")
    reactions = pd.DataFrame({"youth_id": youth_ids[log["youth"].astype(np.int64)], "_month": log["month"].astype(np.int64)})
    joined = reactions.reset_index().merge(first, on=["youth_id", "_month"], how="inner").sort_values("index")
    at = joined["index"].to_numpy()
    score = log["score"][at].astype(float)
    frame = pd.DataFrame({
        "youth_id": joined["youth_id"].to_numpy(),
        "event_date": pd.DatetimeIndex(joined["event_date"]).strftime("%Y-%m-%d"),
        "kind": joined["kind"].to_numpy(), "report_id": joined["report_id"].to_numpy(),
        "score": score, "risk_category": np.select([score >= RISK_CUTOFFS["high"], score >= RISK_CUTOFFS["medium"]],
                                                   ["high", "medium"], "low"),
        "advised_route": np.array(ROUTE_CODES)[log["advised"][at].astype(int)],
        "route": np.array(ROUTE_CODES)[log["route"][at].astype(int)],
        "randomised": log["randomised"][at].astype(int), "draw_propensity": log["propensity"][at].astype(float),
        "refused": log["refused"][at].astype(int), "refusal_reason": log["reason"][at].astype(str),
        "policy": "tier", "medium_cutoff": log["medium_cutoff"][at].astype(float),
        "high_cutoff": log["high_cutoff"][at].astype(float)})
    frame = frame.sort_values(["event_date", "youth_id"], kind="stable").reset_index(drop=True)
    return frame[list(OFFICE_CASE_COLUMNS)], int(len(reactions) - len(frame))


def describe_office(config: WorldConfig, sim: Simulation) -> dict:
    """The office's settings and what it did (aggregates only)."""
    if not config.office:
        return {"office": False}
    s = config.office_settings
    cases = sim.office.log.arrays()
    return {"office": True, "route_effects": config.route_effects, "office_settings": {
        "follow": s.follow, "score_noise_sigma_logit": s.score_noise, "refuse": s.refuse, "random_share": s.draws.share,
        "random_band": s.draws.band, "conversations_per_week": round(s.conversations_per_week * sim.office.scale, 3),
        "matchmakers_per_month": round(s.matchmakers_per_month * sim.office.scale, 3)},
        "office_reactions": {"cases": len(cases["route"]), "randomised": int(cases["randomised"].sum()),
                             "refused": int(cases["refused"].sum()),
                             "by_route": {code: int((cases["route"] == r).sum()) for r, code in enumerate(ROUTE_CODES)}}}


def describe_effects(effects: pd.DataFrame) -> list[dict]:
    """The calendar effects (and injected shifts) as JSON-ready rows: name, dates, what changes, size, in force."""
    return [{"name": row.name, "start": row.start.isoformat(), "end": row.end.isoformat() if row.end else None,
             "changes": row.changes, "size": row.size, "in_force": bool(row.in_force)}
            for row in effects.itertuples(index=False)]


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """The area under the ROC curve (ties count half); None without both classes."""
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        return None
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * (len(y) - positives)))


def describe_outcome(p: np.ndarray, y: np.ndarray) -> dict:
    known = ~np.isnan(y)
    p, y = p[known], y[known]
    if not len(y):
        return {"labelled": 0}
    top = y[np.argsort(-p, kind="stable")[:CAPACITY]]
    return {"labelled": int(known.sum()), "outcome_rate": _round(y.mean()), "mean_p_true": _round(p.mean()),
            "auc_p_true": _round(auc(y, p)), "brier_p_true": _round(np.mean((p - y) ** 2)),
            "outcome_rate_top_470": _round(top.mean())}


def _round(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def describe_dates(truth: pd.DataFrame) -> dict:
    """Per reference date: the group (18–22 and 18–26), the outcome, mean p_true, AUC and Brier on labelled rows."""
    out = {}
    for as_of, rows in truth.groupby("as_of", sort=True):
        young = rows[rows["p_true"].notna()]
        out[as_of] = {
            "in_scope": len(young), "in_scope_27": len(rows), "capacity": CAPACITY,
            "capacity_share": _round(CAPACITY / max(len(young), 1)),
            "by_23": describe_outcome(young["p_true"].to_numpy(), young["no_sq_by_23"].to_numpy()),
            "by_27": describe_outcome(rows["p_true_27"].to_numpy(), rows["no_sq_by_27"].to_numpy()),
        }
    return out


def write_world(directory: Path, world: World, fmt: str = "csv") -> list[Path]:
    """The four tables (csv or parquet), truth.csv, truth_events.csv, realism.csv and generation_summary.json."""
    directory = Path(directory)
    paths = write_tables(directory, world.tables, fmt)
    paths.append(write_truth(directory, world.truth))
    paths.append(write_truth_events(directory, world.truth_events()))
    if world.hidden is not None and world.hidden.simulation.office is not None:
        cases = world.office_cases()
        check_office_cases(cases)
        paths.append(directory / OFFICE_CASES_FILE)
        cases.to_csv(paths[-1], index=False, lineterminator="\n")
    realism = directory / "realism.csv"
    world.realism.to_csv(realism, index=False, lineterminator="\n")
    summary = directory / "generation_summary.json"
    summary.write_text(json.dumps(world.summary(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*paths, realism, summary]
