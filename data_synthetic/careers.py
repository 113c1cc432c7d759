"""School careers up to each youth's reference date: secondary school, then mbo episodes.

The simulation is vectorised over youths and steps through at most
`MAX_EPISODES` episodes (a loop over steps, never over youths). The latent risk
makes early leaving, failing, switching and long gaps more likely. Youths meant
to be in scope (no startkwalificatie at the reference date) fail the exam of
any qualification that would fall before it; their future is written later,
from the outcome drawn from `p_true`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data_synthetic.population import IN_SCOPE, OVER_AGE, QUALIFIED, UNDER_18, Youths, draw_categorical
from data_synthetic.region import (
    DEFAULT_NEIGHBOURS_OUTSIDE,
    DEFAULT_OUTSIDE_SCHOOL_SHARE,
    NEIGHBOURS_OUTSIDE,
    OUTSIDE_SCHOOL_SHARE,
    Schools,
)
from vsv_model.contract import DIPLOMA_LEVELS, EDUCATION_TYPES, REGION_MUNICIPALITIES, STARTKWALIFICATIE_LEVELS
from vsv_model.dates import date_of

YEAR = 365.2425
NEVER = np.iinfo(np.int64).max // 4
MAX_EPISODES = 8
T = {name: code for code, name in enumerate(EDUCATION_TYPES)}
L = {name: code for code, name in enumerate(DIPLOMA_LEVELS)}
NO_DIPLOMA = -1
VO_YEARS = {"vmbo-bb": 4, "vmbo-kb": 4, "vmbo-gt": 4, "havo": 5, "vwo": 6, "pro": 6, "vso": 6, "isk": 2}
CONTINUATION_YEARS = {"mbo-1": 1.0, "mbo-2": 2.0, "mbo-3": 3.0, "mbo-4": 3.5, "vavo": 1.5, "havo": 2.0}
SECTOR_OF = {**{t: "vo" for t in ("vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo")},
             **{t: "special" for t in ("pro", "vso", "isk")},
             **{t: "mbo" for t in ("mbo-1", "mbo-2", "mbo-3", "mbo-4")}, "vavo": "vavo"}
LEVEL_OF_TYPE = {"vmbo-bb": "vmbo-bb", "vmbo-kb": "vmbo-kb", "vmbo-gt": "vmbo-gt", "havo": "havo", "vwo": "vwo",
                 "mbo-1": "mbo-1", "mbo-2": "mbo-2", "mbo-3": "mbo-3", "mbo-4": "mbo-4", "vavo": "havo"}
LOWER = {"vwo": "havo", "havo": "vmbo-gt", "vmbo-gt": "vmbo-kb", "vmbo-kb": "vmbo-bb", "mbo-4": "mbo-3",
         "mbo-3": "mbo-2", "mbo-2": "mbo-1", "mbo-1": "mbo-1", "vavo": "mbo-3"}
SQ_LEVEL_CODES = np.array([L[level] for level in STARTKWALIFICATIE_LEVELS])
PATH_NONE, PATH_BOL, PATH_BBL = 0, 1, 2


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


VO_YEARS_BY_CODE = np.array([VO_YEARS.get(t, 0) for t in EDUCATION_TYPES], dtype=float)
CONTINUATION_YEARS_BY_CODE = np.array([CONTINUATION_YEARS.get(t, 1.0) for t in EDUCATION_TYPES])
LEVEL_BY_CODE = np.array([L[LEVEL_OF_TYPE[t]] if t in LEVEL_OF_TYPE else NO_DIPLOMA for t in EDUCATION_TYPES])
LOWER_BY_CODE = np.array([T[LOWER.get(t, t)] for t in EDUCATION_TYPES])


@dataclass
class Episodes:
    """Enrolment episodes (one row each) with their planned outcome."""

    youth: list = field(default_factory=list)
    edu: list = field(default_factory=list)
    school: list = field(default_factory=list)
    path: list = field(default_factory=list)
    start: list = field(default_factory=list)
    end: list = field(default_factory=list)
    diploma: list = field(default_factory=list)
    diploma_day: list = field(default_factory=list)

    def append(self, **columns) -> None:
        for name, values in columns.items():
            getattr(self, name).append(np.asarray(values))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) if parts else np.zeros(0, np.int64) for name, parts in vars(self).items()}


def year_of(days: np.ndarray) -> np.ndarray:
    return date_of(days).astype("datetime64[Y]").astype(np.int64) + 1970


def august_first(years: np.ndarray) -> np.ndarray:
    first = (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(7, "M")
    return (first.astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64)


def uniform_days(rng, low, high) -> np.ndarray:
    """Whole days uniformly in [low, high] (inclusive)."""
    low, high = np.asarray(low, dtype=np.int64), np.asarray(high, dtype=np.int64)
    return low + np.floor(rng.random(np.broadcast(low, high).shape) * (high - low + 1)).astype(np.int64)


def school_probabilities(schools: Schools, residence: str, sector: str) -> np.ndarray:
    """Where a youth from `residence` goes to a school of `sector`: mostly nearby, some outside the region."""
    in_region = np.isin(schools.municipality, REGION_MUNICIPALITIES) & (schools.sector == sector)
    weight = in_region * np.where(schools.municipality == residence, 6.0, 1.0)
    outside_places = NEIGHBOURS_OUTSIDE.get(residence, DEFAULT_NEIGHBOURS_OUTSIDE)
    outside = np.isin(schools.municipality, outside_places) & (schools.sector == sector)
    if weight.sum() == 0:
        weight = (schools.sector == sector).astype(float)
    probabilities = weight / weight.sum()
    if outside.any():
        share = OUTSIDE_SCHOOL_SHARE.get(residence, DEFAULT_OUTSIDE_SCHOOL_SHARE) * (1.3 if sector == "mbo" else 1.0)
        probabilities = (1 - share) * probabilities + share * outside / outside.sum()
    return probabilities


def draw_schools(rng, schools: Schools, residence: np.ndarray, edu: np.ndarray) -> np.ndarray:
    """A school per episode, drawn per (residence, sector) group: a loop over 40 groups, not youths."""
    sector = np.array([SECTOR_OF.get(t, "vo") for t in EDUCATION_TYPES], dtype=object)[edu]
    chosen = np.zeros(len(edu), dtype=np.int64)
    for m, place in enumerate(REGION_MUNICIPALITIES):
        for sec in ("vo", "special", "mbo", "vavo"):
            rows = np.flatnonzero((residence == m) & (sector == sec))
            if len(rows):
                chosen[rows] = rng.choice(len(schools.school_id), size=len(rows), p=school_probabilities(schools, place, sec))
    return chosen


def draw_paths(rng, edu: np.ndarray, age_years: np.ndarray) -> np.ndarray:
    """BOL or BBL for mbo enrolments (BBL more common from 19); no learning path otherwise."""
    is_mbo = np.isin(edu, [T["mbo-1"], T["mbo-2"], T["mbo-3"], T["mbo-4"]])
    p_bbl = np.where(edu == T["mbo-1"], 0.04, 0.12) + 0.10 * (age_years >= 19)
    return np.where(is_mbo, np.where(rng.random(len(edu)) < p_bbl, PATH_BBL, PATH_BOL), PATH_NONE)


def first_types(rng, youths: Youths) -> np.ndarray:
    """The first secondary-school type, by intended role and latent risk (and isk for some newcomers)."""
    names = ("vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "pro", "vso")
    base = {
        IN_SCOPE: [0.21, 0.21, 0.23, 0.14, 0.05, 0.09, 0.07],
        OVER_AGE: [0.21, 0.21, 0.23, 0.14, 0.05, 0.09, 0.07],
        QUALIFIED: [0.04, 0.08, 0.30, 0.35, 0.23, 0.0, 0.0],
        UNDER_18: [0.10, 0.12, 0.25, 0.25, 0.20, 0.04, 0.04],
    }
    tilt = np.array([0.4, 0.2, 0.0, -0.3, -0.5, 0.5, 0.4])
    probabilities = np.array([base[r] for r in range(4)])[youths.role] * np.exp(np.outer(youths.risk, tilt))
    edu = np.array([T[n] for n in names])[draw_categorical(rng, probabilities)]
    newcomer = (youths.origin == "buiten_europa") & (rng.random(len(youths)) < 0.12) & (youths.role != QUALIFIED)
    return np.where(newcomer, T["isk"], edu)


@dataclass
class Pending:
    """The next episode each youth will start (NEVER when the career stops)."""

    start: np.ndarray
    edu: np.ndarray
    school: np.ndarray  # -1: draw a new school; -2: stay at the previous school
    vo_years_done: np.ndarray
    secondary: np.ndarray  # still in secondary school (first episode or after an afstroom switch)


def first_episodes(rng, youths: Youths) -> Pending:
    n = len(youths)
    edu = first_types(rng, youths)
    at_twelve = august_first(year_of(youths.birth_day + np.int64(11.8 * YEAR)))
    newcomer_start = youths.birth_day + (YEAR * rng.uniform(12.5, 16.0, n)).astype(np.int64)
    start = np.where(edu == T["isk"], newcomer_start, at_twelve)
    no_records = (rng.random(n) < 0.02) & np.isin(youths.role, (IN_SCOPE, OVER_AGE))  # moved in, never enrolled here
    start = np.where(no_records, NEVER, start)
    return Pending(start, edu, np.full(n, -1), np.zeros(n), np.ones(n, bool))


def next_after_secondary(rng, edu: np.ndarray, diploma: np.ndarray) -> np.ndarray:
    """The type after secondary school, by its type and whether a diploma was obtained (-1: none)."""
    u = rng.random(len(edu))
    passed = diploma != NO_DIPLOMA
    nxt = np.full(len(edu), -1)
    rules = [
        (edu == T["vmbo-bb"]) & passed, [("mbo-2", 0.75), ("mbo-1", 0.25)],
        (edu == T["vmbo-kb"]) & passed, [("mbo-2", 0.55), ("mbo-3", 0.45)],
        (edu == T["vmbo-gt"]) & passed, [("mbo-3", 0.35), ("mbo-4", 0.58), ("havo", 0.07)],
        np.isin(edu, [T["havo"], T["vwo"]]) & ~passed, [("mbo-4", 0.6), ("vavo", 0.4)],
        np.isin(edu, [T["vmbo-bb"], T["vmbo-kb"], T["vmbo-gt"]]) & ~passed, [("mbo-1", 0.65), ("mbo-2", 0.35)],
        edu == T["pro"], [("mbo-1", 0.35), ("none", 0.65)],
        edu == T["vso"], [("mbo-1", 0.30), ("none", 0.70)],
        edu == T["isk"], [("mbo-1", 0.5), ("mbo-2", 0.3), ("none", 0.2)],
    ]
    for mask, options in zip(rules[::2], rules[1::2]):
        cumulative = np.cumsum([p for _, p in options])
        pick = np.searchsorted(cumulative, u * cumulative[-1], side="right").clip(max=len(options) - 1)
        codes = np.array([T.get(name, -1) for name, _ in options])[pick]
        nxt = np.where(mask, codes, nxt)
    return nxt


def take(pending: Pending, rows: np.ndarray) -> Pending:
    return Pending(pending.start[rows], pending.edu[rows], pending.school[rows], pending.vo_years_done[rows], pending.secondary[rows])


def strip_early_qualifications(youths: Youths, who: np.ndarray, level: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Youths meant to be in scope fail any startkwalificatie that would fall on or before their reference date."""
    meant_in_scope = np.isin(youths.role[who], (IN_SCOPE, OVER_AGE))
    return meant_in_scope & np.isin(level, SQ_LEVEL_CODES) & (day <= youths.as_of_day[who])


def secondary_episode(rng, youths: Youths, who: np.ndarray, p: Pending, first: bool):
    """One secondary-school episode: an afstroom switch (first episode only), early leaving, or the final exam."""
    n = len(who)
    risk = youths.risk[who]
    years_left = VO_YEARS_BY_CODE[p.edu] - p.vo_years_done
    can_descend = first & np.isin(p.edu, [T["vwo"], T["havo"], T["vmbo-gt"], T["vmbo-kb"]])
    descend = can_descend & (rng.random(n) < sigmoid(-1.6 + 0.7 * risk))
    descend_years = rng.integers(1, 4, n)
    leave = ~descend & (rng.random(n) < sigmoid(-2.6 + 0.9 * risk))
    regular_end = august_first(year_of(p.start) + np.ceil(years_left).astype(np.int64)) - 1
    end = np.where(descend, august_first(year_of(p.start) + descend_years) - 1, regular_end)
    leave_end = p.start + (years_left * YEAR * rng.uniform(0.3, 0.95, n)).astype(np.int64)
    end = np.where(leave, leave_end, end)
    sits_exam = ~descend & ~leave & np.isin(p.edu, [T[t] for t in ("vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo")])
    pass_exam = sits_exam & (rng.random(n) < sigmoid(np.where(np.isin(p.edu, [T["havo"], T["vwo"]]), 1.5, 2.2) - 0.8 * risk))
    diploma_day = end - rng.integers(15, 31, n)
    diploma = np.where(pass_exam, LEVEL_BY_CODE[p.edu], NO_DIPLOMA)
    diploma = np.where(strip_early_qualifications(youths, who, diploma, diploma_day), NO_DIPLOMA, diploma)
    after = next_after_secondary(rng, p.edu, diploma)
    after = np.where(np.isin(diploma, SQ_LEVEL_CODES), -1, after)  # qualified: the followed career ends here
    gap = np.where(leave | ((rng.random(n) < sigmoid(-2.2 + 0.8 * risk)) & ~descend), rng.integers(45, 420, n), rng.integers(1, 32, n))
    next_start = np.where(descend, end + 1, np.where(after >= 0, end + gap, NEVER))
    next_edu = np.where(descend, LOWER_BY_CODE[p.edu], after)
    same_school = descend & (rng.random(n) < 0.4)
    nxt = Pending(next_start, next_edu, np.where(same_school, -2, -1), np.where(descend, descend_years, 0.0), descend)
    return end, diploma, diploma_day, nxt


def continuation_episode(rng, youths: Youths, who: np.ndarray, p: Pending, k: np.ndarray):
    """An mbo / vavo / havo-continuation episode: qualify, switch school, or drop out and maybe come back."""
    n = len(who)
    risk = youths.risk[who]
    years = CONTINUATION_YEARS_BY_CODE[p.edu] * rng.uniform(0.9, 1.1, n)
    level_adjust = np.select([p.edu == T["mbo-1"], p.edu == T["mbo-4"], p.edu == T["vavo"]], [0.3, -0.2, -0.3], 0.0)
    complete = rng.random(n) < sigmoid(1.2 - 0.9 * risk - 0.35 * k + level_adjust)
    diploma_day = p.start + (years * YEAR).astype(np.int64)
    diploma = np.where(complete, LEVEL_BY_CODE[p.edu], NO_DIPLOMA)
    failed_exam = strip_early_qualifications(youths, who, diploma, diploma_day)
    diploma = np.where(failed_exam, NO_DIPLOMA, diploma)
    completed = diploma != NO_DIPLOMA
    end = np.where(completed, diploma_day + rng.integers(0, 21, n),
                   np.where(failed_exam, diploma_day, p.start + (years * YEAR * rng.uniform(0.1, 0.95, n)).astype(np.int64)))
    switch = ~completed & (rng.random(n) < 0.45)
    come_back = ~completed & ~switch & (rng.random(n) < sigmoid(0.5 - 0.5 * risk - 0.25 * k))
    step_up = completed & (diploma == L["mbo-1"]) & (rng.random(n) < 0.7)
    lower = rng.random(n) < 0.4
    return_type = np.array([T["mbo-1"], T["mbo-2"]])[rng.integers(0, 2, n)]
    next_edu = np.select([step_up, switch & lower, switch, come_back], [T["mbo-2"], LOWER_BY_CODE[p.edu], p.edu, return_type], -1)
    gap = np.select([step_up | switch, come_back], [rng.integers(1, 29, n), 32 + rng.exponential(250, n).astype(np.int64)], 0)
    next_start = np.where(next_edu >= 0, end + gap, NEVER)
    return end, diploma, diploma_day, Pending(next_start, next_edu, np.full(n, -1), np.zeros(n), np.zeros(n, bool))


def simulate_careers(rng, youths: Youths, schools: Schools) -> dict[str, np.ndarray]:
    """Every episode that starts on or before each youth's reference date, with its planned end and diploma.

    An episode's planned end may lie after the reference date; callers decide what the
    records show (an open enrolment before the outcome is known).
    """
    episodes = Episodes()
    who = np.arange(len(youths))
    pending = first_episodes(rng, youths)
    previous_school = np.full(len(youths), -1)
    for k in range(MAX_EPISODES):
        starts = pending.start <= youths.as_of_day[who]
        who, pending = who[starts], take(pending, np.flatnonzero(starts))
        if len(who) == 0:
            break
        end, diploma, diploma_day, nxt = _run_step(rng, youths, who, pending, k)
        age = (pending.start - youths.birth_day[who]) / YEAR
        school = draw_schools(rng, schools, youths.residence[who], pending.edu)
        school = np.where(pending.school == -2, previous_school[who], school)
        episodes.append(youth=who, edu=pending.edu, school=school, path=draw_paths(rng, pending.edu, age),
                        start=pending.start, end=end, diploma=diploma, diploma_day=diploma_day)
        previous_school[who] = school
        pending = nxt
    return episodes.arrays()


def _run_step(rng, youths, who, pending, k):
    """Run the secondary and continuation rules on their rows and merge the results."""
    n = len(who)
    end, diploma, diploma_day = np.zeros(n, np.int64), np.full(n, NO_DIPLOMA), np.zeros(n, np.int64)
    nxt = Pending(np.full(n, NEVER), np.full(n, -1), np.full(n, -1), np.zeros(n), np.zeros(n, bool))
    secondary = pending.secondary
    for mask, run in ((secondary, lambda r, p: secondary_episode(rng, youths, who[r], p, first=k == 0)),
                      (~secondary, lambda r, p: continuation_episode(rng, youths, who[r], p, np.full(len(r), k)))):
        rows = np.flatnonzero(mask)
        if len(rows):
            e, d, dd, nx = run(rows, take(pending, rows))
            end[rows], diploma[rows], diploma_day[rows] = e, d, dd
            for name in vars(nxt):
                getattr(nxt, name)[rows] = getattr(nx, name)
    return end, diploma, diploma_day, nxt
