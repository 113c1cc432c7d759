"""The office inside the synthetic world: it reacts to the month's events with a route, and the route's support
changes the youth's later hazards (`kernels.route_dropout_effect`, `route_return_effect`, `ROUTE_PASS_EFFECT`).

Each month, after its step and its reports (`simulate.run_month`):

1. Every running route ends with its fixed chance (`kernels.SUPPORT_END`; the office's own random stream).
2. The office meets the month's events: youths of 18 up to 23 (in months of age, 216 <= age < 276) without a
   startkwalificatie who were reported absent this month, or whose enrolment ended so that the new-leaver event
   (the end plus 31 days) falls in this month while they were not enrolled at the month's start, did not start a
   new enrolment by the event's day and were 18 up to 23 (completed years, by day) at the end: the events' own rule
   (`features.office_events`, `still_a_leaver`). It reacts ONCE
   per youth: a youth it has reacted to before keeps that case (later events are repeats of the open case, no new
   route). That is what makes the truth exact: after the reaction nothing but the chain decides the outcome.
3. The office's model scores each youth: the exact P(no startkwalificatie by 23 | the state at the month's start,
   no reaction) of the value tables (`truth.py`), plus normal noise of `score_noise` (sigma) in log-odds; of the
   world without its injected shifts (the model cannot see a shift coming; the calendar's own effects it knows).
4. The tier advice ranks the month's scores: the top `matchmakers_per_month` get the matchmaker, the next (the
   month's share of `conversations_per_week`) a conversation, the rest a letter; the cut-offs are the scores at
   those ranks.
5. The randomised share (`vsv_model.route_draws`, the same rule as casework): a borderline case (within the band of a
   cut-off) is drawn with chance `share`, among the routes whose place is certain (letters always; a conversation or
   matchmaker while fewer draw candidates came before it in the month's order than its capacity), each equally
   likely: the propensity is exact. The officer refuses a draw with chance `refuse` (a Dutch reason), then chooses.
6. Otherwise the officer follows the advice with chance `follow`, else picks one of the two other routes.
   Capacity holds, **conversations per week and matchmaker places per month**, as in the work queue: the month's
   events are met in the order of their days (each youth's first event of the month; ties in random order), and a
   week (Monday to Sunday) has `conversations_per_week` places, a week that runs across two months split between
   them by its days (whole places, spread so that every full week has its places). Accepted draws take their places
   first, then the officer's choices in the events' order; a matchmaker or conversation beyond its places steps
   down (matchmaker -> conversation -> letter).
7. The route's support is set in the state (it acts from the next month on).

Everything is vectorised per month. The cases are kept for office_cases.csv (`generate.office_cases_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from data_synthetic.kernels import ADULT, SUPPORT_END
from features.office_events import EventRules
from vsv_model.dates import completed_years
from vsv_model.policy import EVENT_CAPACITY
from vsv_model.route_draws import CONVERSATION, LETTER, MATCHMAKER, DrawRules, draw_routes, is_borderline

MONDAY_OFFSET = 3  # day 0 (1970-01-01) was a Thursday: (day + 3) // 7 numbers the weeks from Monday
LEAVER_DAYS = EventRules().restart_days  # a new leaver is known this many days after the enrolment's end
UNDER_23 = 23 * 12  # months of age: the office reacts below it
_SCORE_MEMO: dict = {}  # (dynamics, origin in state) -> ScoreTables
REFUSAL_REASONS_NL = ("De jongere heeft al hulp van een andere organisatie.",
                      "Deze route past niet bij wat ik van de jongere weet.",
                      "De jongere is voor deze route niet bereikbaar.")


@dataclass(frozen=True)
class OfficeSettings:
    """The world's office (`vsv data generate --office-*`); capacities are per month at 1:1, scaled to the world."""

    follow: float = 0.8  # the officer follows the advice
    score_noise: float = 1.0  # sigma of the office model's error in log-odds
    refuse: float = 0.1  # share of draws the officer refuses
    draws: DrawRules = field(default_factory=DrawRules)
    conversations_per_week: float = EVENT_CAPACITY["conversations_per_week"]
    matchmakers_per_month: float = EVENT_CAPACITY["matchmaker_places_per_month"]

    def __post_init__(self):
        for name in ("follow", "refuse"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"office {name} must lie between 0 and 1, got {getattr(self, name)}")
        if self.score_noise < 0:
            raise ValueError(f"office score_noise must be at least 0, got {self.score_noise}")


@dataclass
class ScoreTables:
    """P(no startkwalificatie by 23 | state, no reaction) per month for states without support, ages 216..276
    (deadline 23, birthday fraction 0), as float32: what the office's model is made from."""

    keys: np.ndarray  # sorted packed keys of the states without support
    at_month: dict  # month -> rows x ages


@dataclass
class OfficeLog:
    """The office's reactions so far (per reaction: arrays appended per month)."""

    parts: list = field(default_factory=list)

    def add(self, **columns) -> None:
        self.parts.append(columns)

    def arrays(self) -> dict[str, np.ndarray]:
        names = ("youth", "month", "day", "score", "advised", "route", "randomised", "propensity", "refused", "reason",
                 "medium_cutoff", "high_cutoff")
        if not self.parts:
            return {name: np.zeros(0) for name in names}
        return {name: np.concatenate([p[name] for p in self.parts]) for name in names}


@dataclass
class Office:
    """The office's settings, its model's tables, its scale, random stream, and what it did."""

    settings: OfficeSettings
    scores: ScoreTables
    scale: float  # the world's size relative to 1:1 (capacity scales with it)
    rng: np.random.Generator
    reacted: np.ndarray  # per youth: the office has reacted before (once per youth)
    log: OfficeLog = field(default_factory=OfficeLog)

    def capacity(self, month: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray, int]:
        """The month's places: the first day of each of its week parts (cut at every Monday; days since 1970-01-01,
        `first`..`last`), each part's conversation places, and the month's matchmaker places. Both are the scaled
        rates in whole places spread over time, so a full week has its `conversations_per_week` and a week across two
        months is split by its days."""
        mondays = np.arange(first + 1, last + 1)
        starts = np.r_[first, mondays[(mondays + MONDAY_OFFSET) % 7 == 0]]
        ends = np.r_[starts[1:], last + 1]
        rate = self.settings.conversations_per_week * self.scale
        conversations = (np.floor(rate * (ends + MONDAY_OFFSET) / 7) - np.floor(rate * (starts + MONDAY_OFFSET) / 7)).astype(np.int64)
        match = self.settings.matchmakers_per_month * self.scale
        return starts, conversations, int(np.floor(match * (month + 1)) - np.floor(match * month))


def end_support(state: dict, rng: np.random.Generator) -> None:
    """Every running route ends with its fixed chance (after the month's step)."""
    running = np.flatnonzero(state["support"] > 0)
    ends = rng.random(len(running)) < SUPPORT_END[state["support"][running]]
    state["support"][running[ends]] = 0


def met_this_month(office: Office, rows: np.ndarray, left_event: np.ndarray, reported: np.ndarray,
                   age: np.ndarray) -> np.ndarray:
    """Of the month's candidates: those with an event this month, of the ages, not reacted to before."""
    event = left_event | np.isin(rows, reported)
    return event & (age >= ADULT) & (age < UNDER_23) & ~office.reacted[rows]


def score(office: Office, month: int, keys: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The office's model: the exact no-reaction probability plus normal noise in log-odds."""
    table = office.scores.at_month[month]
    rows = np.searchsorted(office.scores.keys, keys)
    p = table[rows, age - ADULT].astype(float).clip(1e-4, 1 - 1e-4)
    logit = np.log(p / (1 - p)) + office.settings.score_noise * office.rng.standard_normal(len(p))
    return 1.0 / (1.0 + np.exp(-logit))


def cutoffs(scores: np.ndarray, conversations: int, matchmakers: int) -> tuple[float, float]:
    """The tier cut-offs of the month: the scores at the matchmakers' and the matchmakers' + conversations' ranks
    (1.0 when that rank gets no place: nobody is advised that tier)."""
    ordered = np.sort(scores)[::-1]
    def at(rank):
        return float(ordered[min(rank, len(ordered)) - 1]) if rank > 0 else 1.0 + 1e-9
    high = at(matchmakers)
    return min(at(matchmakers + conversations), high), high


def advise(scores: np.ndarray, medium: float, high: float) -> np.ndarray:
    return np.select([scores >= high, scores >= medium], [MATCHMAKER, CONVERSATION], LETTER)


def officer_choice(advised: np.ndarray, follow: float, u: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """The advice with chance `follow`, else one of the two other routes (equally likely)."""
    other = (advised + 1 + (pick < 0.5)) % 3
    return np.where(u < follow, advised, other)


def count_before(flag: np.ndarray, part: np.ndarray) -> np.ndarray:
    """Per item (in order, `part` non-decreasing): how many flagged items of its part come before it or are it,
    minus one (the item's rank among the flagged of its part)."""
    total = np.cumsum(flag)
    start = np.searchsorted(part, part, side="left")
    return total - np.r_[0, total][start] - 1


def within_capacity(wanted: np.ndarray, conversations: np.ndarray, matchmakers: int, part: np.ndarray) -> np.ndarray:
    """In order: a matchmaker beyond the month's places becomes a conversation, a conversation beyond its week
    part's places (`conversations[part]`) a letter."""
    route = wanted.copy()
    over = (route == MATCHMAKER) & (np.cumsum(route == MATCHMAKER) > matchmakers)
    route[over] = CONVERSATION
    talk = route == CONVERSATION
    route[talk & (count_before(talk, part) >= conversations[part])] = LETTER
    return route


def decide(office: Office, scores: np.ndarray, conversations, matchmakers: int, part: np.ndarray | None = None) -> dict:
    """The month's decisions for `scores` (already in the month's order of days; ties at random). `conversations`
    are the places of each week part, `part` each event's part (a number: one part, every event in it)."""
    s = office.settings
    n = len(scores)
    conversations = np.atleast_1d(np.asarray(conversations, dtype=np.int64))
    part = np.zeros(n, np.int64) if part is None else part
    medium, high = cutoffs(scores, int(conversations.sum()), matchmakers)
    advised = advise(scores, medium, high)
    u = office.rng.random((6, n))
    borderline = is_borderline(scores, medium, high, s.draws.band)
    candidate = borderline & (u[0] < s.draws.share)
    available = np.stack([np.ones(n, bool), count_before(candidate, part) < conversations[part],
                          np.cumsum(candidate) - 1 < matchmakers], 1)
    draws = draw_routes(u[0], u[1], borderline, available, s.draws.share)
    refused = draws.drawn & (u[2] < s.refuse)
    accepted = draws.drawn & ~refused
    left_conv = conversations - np.bincount(part[accepted & (draws.route == CONVERSATION)], minlength=len(conversations))
    left_match = matchmakers - int((draws.route[accepted] == MATCHMAKER).sum())
    own = within_capacity(officer_choice(advised, s.follow, u[3], u[4])[~accepted], left_conv, left_match, part[~accepted])
    route = draws.route.copy()
    route[~accepted] = own
    reason = np.where(refused, np.array(REFUSAL_REASONS_NL, dtype=object)[(u[5] * 3).astype(int)], "")
    return {"score": scores, "advised": advised, "route": route, "randomised": draws.drawn.astype(np.int8),
            "propensity": draws.propensity, "refused": refused.astype(np.int8), "reason": reason,
            "medium_cutoff": np.full(n, medium), "high_cutoff": np.full(n, high)}


def react(office: Office, state: dict, month: int, rows: np.ndarray, keys: np.ndarray, age: np.ndarray,
          days: np.ndarray, first: int, last: int) -> None:
    """The office's reactions to the youths `rows` met this month (their packed states at the month's start `keys`,
    ages `age` in months, the days of their first events this month `days`; the month runs `first`..`last`): in the
    order of their days, decide, record, and set the route's support."""
    if not len(rows):
        return
    order = np.lexsort((office.rng.random(len(rows)), days))
    rows, keys, age, days = rows[order], keys[order], age[order], days[order]
    starts, conversations, matchmakers = office.capacity(month, first, last)
    part = np.searchsorted(starts, days, side="right") - 1
    decided = decide(office, score(office, month, keys, age), conversations, matchmakers, part)
    office.reacted[rows] = True
    state["support"][rows] = decided["route"] + 1
    office.log.add(youth=rows, month=np.full(len(rows), month), day=days, **decided)


def still_a_leaver(current, rows: np.ndarray, left_event: np.ndarray, birth_days: np.ndarray) -> np.ndarray:
    """At the month's end, of the new leavers `month_start` found: those the events' rule (`features.office_events`)
    also counts: no enrolment started on or before the event day (the end plus 31 days; a youth back in school by
    then is no new leaver), and of the target group's ages (18 up to 23, in completed years by day) at the end."""
    event_day = current.last_end[rows] + LEAVER_DAYS
    restarted = (current.edu[rows] >= 0) & (current.start[rows] <= event_day)
    years = completed_years(birth_days, current.last_end[rows])
    return left_event & ~restarted & (years >= ADULT // 12) & (years < UNDER_23 // 12)


def month_start(office: Office, current, month: int, rows: np.ndarray, first_day_of) -> np.ndarray:
    """At the month's start, per candidate: a new-leaver event falls in this month (the end plus 31 days) while the
    youth is not enrolled."""
    event_day = current.last_end[rows] + LEAVER_DAYS
    return (event_day >= first_day_of(month)) & (event_day < first_day_of(month + 1)) & (current.edu[rows] < 0)


def score_tables(rules, origin_in_state: bool, months) -> ScoreTables:
    """The office model's tables for `months`: P(no startkwalificatie by 23 | state without support, no reaction).
    Without a reaction the support stays 0, so these states never reach the others: their values are those of the
    world without the office (the routes' effects are 0 without support), computed in one backward pass over that
    4 times smaller space (before the simulation: the office scores inside it), and memoised per dynamics. The model
    does not know the injected shifts (`--drift NAME=SIZE`): it is made before they happen, so a shift leaves every
    reaction before its start as it was."""
    from data_synthetic.truth import MonthReads, read_months

    plain = replace(rules, calendar=replace(rules.calendar, shifts=()), office=False, route_effects=0.0)
    key = (plain.key(), origin_in_state)
    months = frozenset(months)
    hit = _SCORE_MEMO.get(key)
    if hit is not None and months <= frozenset(hit.at_month):
        return ScoreTables(hit.keys, {m: hit.at_month[m] for m in months})
    ages = np.arange(ADULT, UNDER_23)
    kept = {}

    def read(month, tables):
        kept.setdefault("keys", tables.keys)
        return tables.at_month[month][:, tables.columns.of(23, 0, ages)].astype(np.float32)

    at_month = read_months(plain, origin_in_state, MonthReads(months, read))
    tables = ScoreTables(kept.get("keys", np.zeros(0, np.int64)), at_month)
    _SCORE_MEMO.clear()  # one world's dynamics at a time (about 135 MB at 1:1)
    _SCORE_MEMO[key] = tables
    return tables
