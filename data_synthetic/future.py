"""After the reference date: records consistent with each in-scope youth's drawn outcome.

Outcome 0 (a startkwalificatie before the 23rd birthday): the current enrolment
ends in an SQ diploma, or the youth (re-)enrols and qualifies, on a day after
the reference date and before the 23rd birthday. Outcome 1: the current
enrolment ends without one, some come back and drop out again, and some
qualify only after turning 23. Nothing here is dated on or before the
reference date, so no feature can see it.
"""

from __future__ import annotations

import numpy as np

from data_synthetic.careers import LEVEL_BY_CODE, NO_DIPLOMA, YEAR, L, T, draw_paths, draw_schools
from data_synthetic.population import Youths
from data_synthetic.region import Schools
from vsv_model.dates import birthday_days

CODE_COLUMNS = ("youth", "edu", "school", "path", "start", "end", "diploma", "diploma_day")
SQ_CAPABLE = np.array([T[t] for t in ("mbo-2", "mbo-3", "mbo-4", "vavo", "havo", "vwo")])


def open_episode(episodes: dict, n_youths: int, as_of_day: np.ndarray) -> np.ndarray:
    """Per youth, the index of the episode running at the reference date (-1 if none)."""
    running = (episodes["start"] <= as_of_day[episodes["youth"]]) & (episodes["end"] > as_of_day[episodes["youth"]])
    current = np.full(n_youths, -1)
    current[episodes["youth"][running]] = np.flatnonzero(running)
    return current


def _days(rng, low, span) -> np.ndarray:
    """low + a uniform whole number of days in [0, span]."""
    return low + np.floor(rng.random(len(low)) * (np.maximum(span, 0) + 1)).astype(np.int64)


def write_future(rng, youths: Youths, schools: Schools, episodes: dict, who: np.ndarray, outcome: np.ndarray) -> dict:
    """Close running episodes and add future episodes and diplomas for youths `who` with `outcome`.

    Returns the episodes' code columns (the input with updated ends and diplomas, plus new
    rows at the end) and the indices of the rows this changed or added.
    """
    episodes = {k: episodes[k].copy() for k in CODE_COLUMNS}
    as_of = youths.as_of_day[who]
    birthday23 = birthday_days(youths.birth_day[who], 23)
    current = open_episode(episodes, len(youths), youths.as_of_day)[who]
    safe = np.maximum(current, 0)
    already_awarded = (current >= 0) & (episodes["diploma"][safe] != NO_DIPLOMA) & (episodes["diploma_day"][safe] <= as_of)
    running = (current >= 0) & ~already_awarded  # an enrolment whose diploma is already on record keeps its end
    edu = np.where(running, episodes["edu"][np.maximum(current, 0)], -1)
    qualifies = outcome == 0
    sq_day = _days(rng, as_of + 1, np.minimum(birthday23 - as_of - 2, 1100))
    in_place = qualifies & running & np.isin(edu, SQ_CAPABLE)
    close_day = np.where(qualifies, _days(rng, as_of + 1, (sq_day - as_of - 1) // 2),
                         as_of + 1 + rng.exponential(300, len(who)).astype(np.int64))
    close_day = np.where(in_place, sq_day, close_day)
    entree_diploma = running & ~in_place & (edu == T["mbo-1"]) & (rng.random(len(who)) < 0.4)
    close_diploma = np.select([in_place, entree_diploma], [LEVEL_BY_CODE[np.maximum(edu, 0)], L["mbo-1"]], NO_DIPLOMA)
    idx = current[running]
    episodes["end"][idx] = close_day[running]
    episodes["diploma"][idx] = close_diploma[running]
    episodes["diploma_day"][idx] = close_day[running]
    after_close = np.select([running, already_awarded], [close_day, episodes["end"][safe]], as_of)
    new_rows = _new_episodes(rng, youths, schools, who, outcome, in_place, after_close, sq_day, birthday23)
    touched = np.r_[idx, len(episodes["youth"]) + np.arange(len(new_rows["youth"]))]
    merged = {k: np.concatenate([episodes[k], new_rows[k]]) for k in episodes}
    return {"episodes": merged, "future_rows": touched}


def _new_episodes(rng, youths, schools, who, outcome, in_place, after_close, sq_day, birthday23) -> dict:
    """New enrolments: the qualifying one (outcome 0), a failed return, and a qualification after 23."""
    n = len(who)
    u = rng.random((3, n))
    qualify_new = (outcome == 0) & ~in_place
    qualify_start = np.minimum(_days(rng, after_close + 1, (sq_day - after_close - 1) // 2), sq_day)
    qualify_edu = np.where(u[0] < 0.7, T["mbo-2"], T["mbo-3"])
    failed_return = (outcome == 1) & (u[1] < 0.35)
    return_start = after_close + 30 + rng.exponential(200, n).astype(np.int64)
    return_end = return_start + 30 + rng.exponential(250, n).astype(np.int64)
    late = (outcome == 1) & (u[2] < 0.15)
    late_day = birthday23 + 1 + rng.integers(0, 600, n)
    late_start = np.minimum(np.maximum.reduce([after_close + 1, late_day - 500, np.where(failed_return, return_end + 1, 0)]), late_day)
    parts = [
        (qualify_new, qualify_edu, qualify_start, sq_day, LEVEL_BY_CODE[qualify_edu]),
        (failed_return, np.where(u[0] < 0.5, T["mbo-1"], T["mbo-2"]), return_start, return_end, np.full(n, NO_DIPLOMA)),
        (late, np.full(n, T["mbo-2"]), late_start, late_day, np.full(n, L["mbo-2"])),
    ]
    rows = {k: [] for k in ("youth", "edu", "start", "end", "diploma", "diploma_day")}
    for mask, edu, start, end, diploma in parts:
        rows["youth"].append(who[mask]), rows["edu"].append(edu[mask]), rows["start"].append(start[mask])
        rows["end"].append(end[mask]), rows["diploma"].append(diploma[mask]), rows["diploma_day"].append(end[mask])
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out["school"] = draw_schools(rng, schools, youths.residence[out["youth"]], out["edu"])
    out["path"] = draw_paths(rng, out["edu"], (out["start"] - youths.birth_day[out["youth"]]) / YEAR)
    return out
