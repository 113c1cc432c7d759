"""The known truth: P(no startkwalificatie before 23) as a function of the contract's features.

The generator draws every in-scope youth's outcome from `p_true`, computed
from that youth's features at the reference date and from nothing else (no
gender, no origin, no latent variable). A model can therefore at best
reproduce `p_true`; its gap to it is measurable.

The function, in log-odds (x = the feature row; `out` = not enrolled):

    logit = -3.65
      + 0.30 * (age - 18) * (1 + 0.9 * out)         every year counts, more out of school
      + 0.50 / max(23 - age, 1) * (1 + 0.5 * out)   convex: each year weighs more as 23 nears
      - 0.85 * enrolled
      + EDUCATION_EFFECT[current_education]          only when enrolled
      - 0.35 * [learning_path == BBL]
      + DIPLOMA_EFFECT[last_diploma]
      + (0.40 + 0.50 * out) * log1p(absence_hours_13w / 8)   absence weighs more out of school
      + 0.25 * log1p(absence_hours_52w / 24)
      + 0.35 * [absence_hours_13w >= 16]             the 16-hours reporting threshold
      + 0.12 * min(absence_reports_52w, 6) + 0.08 * min(late_reports_52w, 4)
      + 0.30 * exp(-weeks_since_last_report / 26)    0 when never reported
      + 0.22 * min(school_switches, 5) + 0.18 * min(school_switches_2y, 3)
      + 0.50 * log1p(dropout_episodes) * (1 + 0.5 * [months_not_enrolled > 6])
      + out * 0.55 * log1p(months_not_enrolled / 4)  0.60 when never enrolled
      + vo_mbo_transition_1y * (0.30 + 0.30 * [absence_hours_4w > 0])
      + MUNICIPALITY_EFFECT[school_municipality]
    p_true = 1 / (1 + exp(-logit))

Every term is non-decreasing in the features the model constrains to be
monotone (absence, reports, switches, dropout episodes, months out), and both
age terms are non-decreasing in age. The second age term makes the age effect
convex: with everything else fixed, the step in log-odds from 18 to 19 is
0.30 + 0.025 (enrolled) and from 21 to 22 it is 0.30 + 0.25, because the time
left to 23 shrinks from 5 years towards 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INTERCEPT = -3.65  # keeps the outcome rate of the in-scope historical youths near a third
AGE_LINEAR = 0.30
AGE_TIME_LEFT = 0.50
EDUCATION_EFFECT = {
    "mbo-1": 0.50, "mbo-2": 0.0, "mbo-3": -0.35, "mbo-4": -0.55, "vavo": 0.10, "havo": -0.30,
    "vwo": -0.50, "pro": 0.70, "vso": 0.80, "isk": 0.60, "vmbo-bb": 0.30, "vmbo-kb": 0.25,
    "vmbo-gt": 0.10, "onbekend": 0.20,
}
DIPLOMA_EFFECT = {
    "geen": 0.45, "vmbo-bb": 0.20, "vmbo-kb": 0.05, "vmbo-gt": -0.25, "mbo-1": -0.15, "onbekend": 0.10,
}
MUNICIPALITY_EFFECT = {"buiten_regio": 0.15, "onbekend": 0.25}


def _lookup(values: pd.Series, table: dict[str, float]) -> np.ndarray:
    return values.astype(str).map(table).fillna(0.0).to_numpy(dtype=float)


def age_effect(age: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Linear in age plus a term in 1 / (years left to 23): the less time left, the more a year weighs."""
    linear = AGE_LINEAR * (age - 18) * (1 + 0.9 * out)
    time_left = AGE_TIME_LEFT / np.maximum(23 - age, 1) * (1 + 0.5 * out)
    return linear + time_left


def true_logit(x: pd.DataFrame) -> np.ndarray:
    """The documented log-odds above, vectorised over a feature frame."""
    out = (x["enrolled"].to_numpy() == 0).astype(float)
    enrolled = 1.0 - out
    h4, h13, h52 = (x[c].to_numpy(dtype=float) for c in ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w"))
    weeks = x["weeks_since_last_report"].to_numpy(dtype=float)
    months = x["months_not_enrolled"].to_numpy(dtype=float)
    never_enrolled = np.isnan(months)
    months0 = np.nan_to_num(months, nan=0.0)
    dropouts = x["dropout_episodes"].to_numpy(dtype=float)
    transition = x["vo_mbo_transition_1y"].to_numpy(dtype=float)
    logit = INTERCEPT + age_effect(x["age"].to_numpy(dtype=float), out)
    logit += -0.85 * enrolled + enrolled * _lookup(x["current_education"], EDUCATION_EFFECT)
    logit += -0.35 * (x["learning_path"].astype(str).to_numpy() == "BBL")
    logit += _lookup(x["last_diploma"], DIPLOMA_EFFECT)
    logit += (0.40 + 0.50 * out) * np.log1p(h13 / 8) + 0.25 * np.log1p(h52 / 24) + 0.35 * (h13 >= 16)
    logit += 0.12 * np.minimum(x["absence_reports_52w"].to_numpy(), 6) + 0.08 * np.minimum(x["late_reports_52w"].to_numpy(), 4)
    logit += 0.30 * np.where(np.isnan(weeks), 0.0, np.exp(-np.nan_to_num(weeks) / 26))
    logit += 0.22 * np.minimum(x["school_switches"].to_numpy(), 5) + 0.18 * np.minimum(x["school_switches_2y"].to_numpy(), 3)
    logit += 0.50 * np.log1p(dropouts) * (1 + 0.5 * (months0 > 6))
    logit += out * np.where(never_enrolled, 0.60, 0.55 * np.log1p(months0 / 4))
    logit += transition * (0.30 + 0.30 * (h4 > 0))
    logit += _lookup(x["school_municipality"], MUNICIPALITY_EFFECT)
    return logit


def p_true(x: pd.DataFrame) -> np.ndarray:
    """The true probability of no startkwalificatie before 23, given the features."""
    return 1.0 / (1.0 + np.exp(-true_logit(x)))
