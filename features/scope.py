"""Who is scored at a reference date, and why the others are not."""

from __future__ import annotations

import numpy as np

from features.diplomas import has_startkwalificatie
from features.events import Events, per_youth
from vsv_model.dates import completed_years

MIN_AGE = 18
DEFAULT_MAX_AGE = 23  # exclusive; a coming law change extends the target group to 27
SCOPE_REASONS = ("under_18", "over_age", "has_startkwalificatie")


def scope_reasons(ev_as_of: Events, as_of_day, max_age: int = DEFAULT_MAX_AGE) -> np.ndarray:
    """Per youth: None when in scope, else the first reason that applies, in SCOPE_REASONS order.

    `ev_as_of` must already be cut at the reference date (one day, or one per
    youth), so only diplomas dated on or before it count.
    """
    age = completed_years(ev_as_of.birth_day, per_youth(as_of_day, ev_as_of.n_youths))
    reasons = np.full(ev_as_of.n_youths, None, dtype=object)
    reasons[has_startkwalificatie(ev_as_of)] = "has_startkwalificatie"
    reasons[age >= max_age] = "over_age"
    reasons[age < MIN_AGE] = "under_18"
    return reasons
