"""The label: no startkwalificatie before the target group's outcome birthday (23 today, 27 after the law
change), known only once that birthday has passed."""

from __future__ import annotations

import numpy as np

from features import grouping as g
from features.events import Events
from vsv_model.dates import birthday_days


def no_startkwalificatie_by(ev: Events, end_day: int, outcome_age: int) -> np.ndarray:
    """1.0 without an SQ diploma dated before the `outcome_age`-th birthday, 0.0 with one, NaN when unknown.

    `ev` holds all diplomas (not cut at a reference date): the label looks
    forward. It is known when the birthday is on or before the data's end.
    """
    birthday = birthday_days(ev.birth_day, outcome_age)
    qualified_in_time = ev.dip_is_sq & (ev.dip_day < birthday[ev.dip_youth])
    label = (~g.any_(ev.dip_youth, qualified_in_time, ev.n_youths)).astype(float)
    label[birthday > end_day] = np.nan
    return label
