"""A known-effect set of office cases (numpy), in `office_cases.csv`'s layout plus the observed outcome: for
testing route learning apart from the synthetic world.

Each case: a score (Beta), its risk category (cut-offs 0.3 and 0.6), a kind, the tier advice by category; a share
`randomised` gets a route drawn uniformly (chance 1/3); the others follow the advice with chance `follow`, else one
of the other two routes at random. The outcome (in school or SQ after 365 days) is Bernoulli with chance
`base - 0.4 * score + effect(route, case)`; `effects` gives per route code the planted gain over the letter, either a
number or a function of the frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.office_events import EVENT_KINDS
from route_learning.cases import Cases
from vsv_model.office_cases import OFFICE_CASE_COLUMNS
from vsv_model.policy import RISK_CATEGORIES
from vsv_model.route_draws import ROUTE_CODES

MEDIUM, HIGH = 0.3, 0.6


def planted(frame: pd.DataFrame, effect) -> np.ndarray:
    return np.broadcast_to(np.asarray(effect(frame) if callable(effect) else effect, float), (len(frame),))


def case_frame(n: int, seed: int, randomised: float = 0.3, follow: float = 0.7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.beta(2, 3, n)
    category = (score >= MEDIUM).astype(int) + (score >= HIGH).astype(int)
    drawn = rng.random(n) < randomised
    other = (category + rng.integers(1, 3, n)) % 3
    follows = rng.random(n) < follow
    t = np.where(drawn, rng.integers(0, 3, n), np.where(follows, category, other))
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 730, n)), unit="D")
    kinds = np.array(EVENT_KINDS, dtype=object)[rng.integers(0, 3, n)]
    return pd.DataFrame({
        "youth_id": [f"Y{i:05d}" for i in range(n)], "event_date": dates,
        "kind": kinds, "report_id": "",
        "score": score, "risk_category": np.array(RISK_CATEGORIES, dtype=object)[category],
        "advised_route": np.array(ROUTE_CODES, dtype=object)[category],
        "route": np.array(ROUTE_CODES, dtype=object)[t], "randomised": drawn.astype(int),
        "draw_propensity": np.where(drawn, 1 / 3, np.nan), "refused": 0, "refusal_reason": "", "policy": "tier",
        "medium_cutoff": MEDIUM, "high_cutoff": HIGH, "t": t,
        "known_propensity": np.where(drawn, 1 / 3, np.nan)} | event_state(kinds, rng))


def event_state(kinds: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Plausible EVENT_FEATURES (`vsv_model.route_policy`) of the cases: a report's youth is in school, a new
    leaver out for a month or more."""
    n = len(kinds)
    enrolled = (kinds != "new_leaver").astype(float)
    return {"age_years": rng.uniform(18, 23, n), "enrolled": enrolled,
            "months_not_enrolled": np.where(enrolled == 1, 0.0, rng.integers(1, 24, n)),
            "dropout_episodes": rng.integers(0, 3, n).astype(float), "diploma_level": rng.integers(0, 5, n).astype(float),
            "absence_hours_13w": enrolled * rng.integers(0, 80, n)}


def true_chances(frame: pd.DataFrame, effects: dict, base: float = 0.7) -> np.ndarray:
    """P(outcome | case, route) per route (cases x 3)."""
    plain = base - 0.4 * frame["score"].to_numpy()
    return np.clip(np.column_stack([plain + planted(frame, effects.get(r, 0.0)) for r in range(3)]), 0.01, 0.99)


def known_effect_cases(n: int, seed: int, effects: dict, **options) -> tuple[Cases, np.ndarray]:
    """The cases with an outcome drawn from the planted chances, and those chances (the truth)."""
    frame = case_frame(n, seed, **options)
    chances = true_chances(frame, effects)
    rng = np.random.default_rng(seed + 10_000)
    t = frame["t"].to_numpy()
    frame["outcome"] = (rng.random(n) < chances[np.arange(n), t]).astype(float)
    return Cases(frame, 0), chances


def write_office_dir(directory, cases: Cases, chances: np.ndarray, truth: bool = True):
    """A data directory whose registrations give each case its outcome (an open enrolment from 30 days after the
    event when 1, none when 0; the data end two years after the last case), with office_cases.csv and, when
    `truth`, truth_events.csv's `p_school_365_<route>` columns."""
    from tests.builders import enrolment, write_data_dir, youth

    frame = cases.frame
    rng = np.random.default_rng(7)
    days = frame["event_date"].dt.strftime("%Y-%m-%d")
    starts = (frame["event_date"] + pd.Timedelta(days=30)).dt.strftime("%Y-%m-%d")
    youths = [youth(i, "2002-01-01", gender=g) for i, g in zip(frame["youth_id"], rng.choice(["M", "V"], len(frame)),
                                                                 strict=True)]
    enrolled = [enrolment(s, None, youth_id=i) for i, s, o in zip(frame["youth_id"], starts, frame["outcome"],
                                                                   strict=True) if o == 1]
    end = (frame["event_date"].max() + pd.Timedelta(days=730)).strftime("%Y-%m-%d")
    write_data_dir(directory, youths=youths + [youth("END", "2002-01-01")],
                   enrollments=enrolled + [enrolment(end, None, youth_id="END")])
    recorded = frame[list(OFFICE_CASE_COLUMNS)].assign(event_date=days)  # the recorded columns only
    recorded.to_csv(directory / "office_cases.csv", index=False)
    if truth:
        table = frame[["youth_id", "kind", "report_id"]].assign(event_date=days, route=frame["route"])
        for r, route in enumerate(ROUTE_CODES):
            table[f"p_school_365_{route}"] = chances[:, r]
        table.to_csv(directory / "truth_events.csv", index=False)
    return directory
