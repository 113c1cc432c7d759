"""Enrolment-history features: school location, current education, switches, time out of school,
earlier dropout and the vo→mbo transition. All read `Events` already cut at the reference date; `as_of` holds each youth's reference day."""

from __future__ import annotations

import numpy as np

from features import grouping as g
from features.events import IS_MBO, IS_PRIMARY, IS_SECONDARY, Events
from vsv_model.contract import UNKNOWN
from vsv_model.dates import MISSING_DAY
from vsv_model.feature_spec import (
    CURRENT_EDUCATION_CATEGORIES,
    DAYS_PER_MONTH,
    DROPOUT_GRACE_DAYS,
    LEARNING_PATH_CATEGORIES,
    SCHOOL_MUNICIPALITY_CATEGORIES,
    SWITCH_WINDOW_DAYS,
    TRANSITION_GAP_DAYS,
    TRANSITION_WINDOW_DAYS,
)


def school_location(ev: Events) -> dict[str, np.ndarray]:
    """The school municipality of the enrolment with the latest start date."""
    unknown = SCHOOL_MUNICIPALITY_CATEGORIES.index(UNKNOWN)
    return {"school_municipality": g.last_value(ev.enr_youth, ev.enr_municipality, ev.n_youths, unknown)}


def current_enrolment(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """Enrolled or not; type and learning path of the current enrolment started last; months out."""
    n = ev.n_youths
    current = ev.enr_end > as_of[ev.enr_youth]
    enrolled = g.any_(ev.enr_youth, current, n)
    none_type = CURRENT_EDUCATION_CATEGORIES.index("geen")
    none_path = LEARNING_PATH_CATEGORIES.index("geen")
    youth = ev.enr_youth[current]
    latest_end = g.maximum(ev.enr_youth, ev.enr_end, n, MISSING_DAY)
    ever = g.any_(ev.enr_youth, np.ones(len(ev.enr_youth), bool), n)
    months = np.floor((as_of - latest_end) / DAYS_PER_MONTH)
    return {
        "enrolled": enrolled.astype(np.int64),
        "current_education": g.last_value(youth, ev.enr_type[current], n, none_type),
        "learning_path": g.last_value(youth, ev.enr_path[current], n, none_path),
        "months_not_enrolled": np.where(enrolled, 0.0, np.where(ever, months, np.nan)),
    }


def school_switches(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """Consecutive enrolments in secondary school or later at different institutions (BRIN numbers), with no
    diploma dated from the earlier one's start to the later one's start. Primary school (po, so) is left out, so the
    step into secondary school is no switch, and neither is a move between locations of one institution."""
    kept = np.flatnonzero(~IS_PRIMARY[ev.enr_type])
    youth, start, brin = ev.enr_youth[kept], ev.enr_start[kept], ev.enr_brin[kept]
    later = np.flatnonzero((youth[1:] == youth[:-1]) & (brin[1:] != brin[:-1])) + 1
    diploma_keys = g.combined_keys(ev.dip_youth, ev.dip_day)
    diplomas_between = g.count_between(diploma_keys, youth[later], start[later - 1], start[later])
    switch_at = later[diplomas_between == 0]
    recent = start[switch_at] > as_of[youth[switch_at]] - SWITCH_WINDOW_DAYS
    n = ev.n_youths
    return {
        "school_switches": np.bincount(youth[switch_at], minlength=n).astype(np.int64),
        "school_switches_2y": np.bincount(youth[switch_at][recent], minlength=n).astype(np.int64),
    }


def dropout_episodes(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """Ended enrolments with no diploma from their start to 31 days after their end,
    and no other enrolment starting within 31 days of their end."""
    ended = np.flatnonzero(ev.enr_end <= as_of[ev.enr_youth])
    youth, start, end = ev.enr_youth[ended], ev.enr_start[ended], ev.enr_end[ended]
    diplomas = g.count_between(g.combined_keys(ev.dip_youth, ev.dip_day), youth, start, end + DROPOUT_GRACE_DAYS)
    starts = g.count_between(g.combined_keys(ev.enr_youth, ev.enr_start), youth, end, end + DROPOUT_GRACE_DAYS)
    others = starts - (start == end)  # an enrolment starting on its own end day is not "another"
    episode = (diplomas == 0) & (others == 0)
    return {"dropout_episodes": np.bincount(youth[episode], minlength=ev.n_youths).astype(np.int64)}


def vo_mbo_transition(ev: Events, as_of: np.ndarray) -> dict[str, np.ndarray]:
    """An mbo enrolment started in the last 365 days whose preceding enrolment was in secondary school and ran
    until at most 92 days before the mbo start (or had not ended by the reference date): a direct step."""
    youth, start = ev.enr_youth, ev.enr_start
    previous = preceding_enrolments(youth, start)
    has_previous = previous >= 0
    before = np.maximum(previous, 0)
    was_secondary = has_previous & IS_SECONDARY[ev.enr_type[before]]
    # An open end (OPEN_END) or one after the reference date (>= the mbo start) gives a gap below zero.
    direct = start - ev.enr_end[before] <= TRANSITION_GAP_DAYS
    recent = start > as_of[youth] - TRANSITION_WINDOW_DAYS
    is_transition = IS_MBO[ev.enr_type] & recent & was_secondary & direct
    return {"vo_mbo_transition_1y": g.any_(youth, is_transition, ev.n_youths).astype(np.int64)}


def preceding_enrolments(youth: np.ndarray, start: np.ndarray) -> np.ndarray:
    """For each enrolment, the row of the same youth's enrolment with the latest earlier start date (on a tie the
    last listed); -1 when there is none."""
    idx = np.arange(len(youth))
    new_date = np.r_[True, (youth[1:] != youth[:-1]) | (start[1:] != start[:-1])]
    previous = np.maximum.accumulate(np.where(new_date, idx, 0)) - 1
    same_youth = (previous >= 0) & (youth[np.maximum(previous, 0)] == youth)
    return np.where(same_youth, previous, -1)
