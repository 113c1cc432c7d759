"""Who is scored at a reference date, and why the others are not."""

from __future__ import annotations

import numpy as np

from features.diplomas import has_startkwalificatie
from features.events import Events, per_youth
from vsv_model.dates import completed_years
from vsv_model.target_group import TargetGroup

SCOPE_REASONS = ("under_18", "over_age", "has_startkwalificatie")


def scope_reasons(ev_as_of: Events, as_of_day, group: TargetGroup) -> np.ndarray:
    """Per youth: None when in the target group, else the first reason that applies, in SCOPE_REASONS order.

    `ev_as_of` must already be cut at the reference date (one day, or one per
    youth), so only diplomas dated on or before it count.
    """
    age = completed_years(ev_as_of.birth_day, per_youth(as_of_day, ev_as_of.n_youths))
    reasons = np.full(ev_as_of.n_youths, None, dtype=object)
    reasons[has_startkwalificatie(ev_as_of)] = "has_startkwalificatie"
    reasons[age >= group.max_age] = "over_age"
    reasons[age < group.min_age] = "under_18"
    return reasons
