"""Absence reports, following the reporting rules: 16 hours in 4 weeks (`16uur`), less with
concern (`overig`), lateness reported at 9 times (`te_laat`), unauthorised holidays (`luxe`) and,
from 18, the school's own `18plus` reports. Schools report unevenly, and more where the
municipality's absence level is higher; a latent risk raises the rate, most of all in
the months before leaving school and, for those still enrolled, just before the reference date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_synthetic.careers import YEAR, T
from data_synthetic.population import Youths
from data_synthetic.region import absence_multiplier
from vsv_model.contract import ABSENCE_KINDS

K = {name: code for code, name in enumerate(ABSENCE_KINDS)}
BASE_RATE_PER_YEAR = {"vo": 0.12, "mbo": 0.30, "other": 0.20}
LATE_RATE_PER_YEAR = 0.10
RISK_CLIP = 3.0  # keeps the heaviest tail of reports within what schools actually send


def _window_counts(rng, rate_per_year: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    years = np.maximum(hi - lo + 1, 0) / YEAR
    return rng.poisson(rate_per_year * years)


def _spread(rng, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (repeated per report) and report days uniform in each [lo, hi]."""
    rows = np.repeat(np.arange(len(counts)), counts)
    span = np.maximum(hi - lo + 1, 1)[rows]
    return rows, lo[rows] + np.floor(rng.random(len(rows)) * span).astype(np.int64)


def _kinds_and_hours(rng, age_years: np.ndarray, late: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(age_years)
    u = rng.random(n)
    minor_kind = np.select([u < 0.60, u < 0.88], [K["16uur"], K["overig"]], K["luxe"])
    adult_kind = np.where(u < 0.8, K["18plus"], K["overig"])
    kind = np.where(late, K["te_laat"], np.where(age_years < 18, minor_kind, adult_kind))
    hours = np.select(
        [kind == K["16uur"], kind == K["overig"], kind == K["luxe"], kind == K["18plus"]],
        [16 + np.round(rng.gamma(2.0, 5.0, n)), rng.integers(4, 16, n), rng.integers(8, 41, n), rng.integers(8, 61, n)],
        np.where(rng.random(n) < 0.2, rng.integers(1, 4, n), np.nan),
    ).astype(float)
    return kind, hours


def _rate_base(edu: np.ndarray) -> np.ndarray:
    is_vo = np.isin(edu, [T[t] for t in ("vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo")])
    is_mbo = np.isin(edu, [T[t] for t in ("mbo-1", "mbo-2", "mbo-3", "mbo-4")])
    return np.select([is_vo, is_mbo], [BASE_RATE_PER_YEAR["vo"], BASE_RATE_PER_YEAR["mbo"]], BASE_RATE_PER_YEAR["other"])


def simulate_reports(rng, youths: Youths, episodes: dict, limit: np.ndarray, school_propensity: np.ndarray,
                     since: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Reports during each episode, dated in (since, limit] per episode (limit: the reference or end date).

    `episodes` holds youth, edu, school, start and `end` (the planned end; may lie after `limit`),
    and `left_without_diploma` (the episode ends in leaving school).
    """
    y = episodes["youth"]
    risk = np.clip(youths.risk[y], -RISK_CLIP, RISK_CLIP)
    lo = episodes["start"] if since is None else np.maximum(episodes["start"], since + 1)
    hi = np.minimum(episodes["end"], limit)
    level = absence_multiplier(youths.residence[y]) * school_propensity[episodes["school"]] * np.exp(0.7 * risk)
    ongoing = episodes["end"] > limit
    leaving = episodes["left_without_diploma"] & ~ongoing
    parts = [
        (_window_counts(rng, _rate_base(episodes["edu"]) * level, lo, hi), lo, hi, False),
        (_window_counts(rng, LATE_RATE_PER_YEAR * np.exp(0.5 * risk), lo, hi), lo, hi, True),
        (rng.poisson(1.0 * np.exp(0.4 * risk)) * leaving, np.maximum(lo, hi - 100), hi, False),
        (rng.poisson(0.35 * np.exp(0.8 * risk) * level) * ongoing, np.maximum(lo, hi - 120), hi, False),
    ]
    youth, day, school, late = [], [], [], []
    for counts, part_lo, part_hi, is_late in parts:
        counts = np.where(part_hi >= part_lo, counts, 0)
        rows, days = _spread(rng, counts, part_lo, part_hi)
        youth.append(y[rows]), day.append(days), school.append(episodes["school"][rows])
        late.append(np.full(len(rows), is_late))
    youth, day = np.concatenate(youth), np.concatenate(day)
    kind, hours = _kinds_and_hours(rng, (day - youths.birth_day[youth]) / YEAR, np.concatenate(late))
    return {"youth": youth, "day": day, "school": np.concatenate(school), "kind": kind, "hours": hours}


def drop_repeated_reports(reports: dict, columns: tuple[str, ...]) -> dict:
    """Two draws can make the same report twice (same youth, day, school, kind, hours); a school
    sends it once, and the reader would count it once, so keep one."""
    repeated = pd.DataFrame({c: reports[c] for c in columns}).duplicated(keep="first").to_numpy()
    return {k: v[~repeated] for k, v in reports.items()}
