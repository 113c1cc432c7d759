"""The label: no startkwalificatie before the 23rd birthday, known only once that birthday has passed."""

from __future__ import annotations

import numpy as np

from features import grouping as g
from features.events import Events
from vsv_model.dates import birthday_days

LABEL_AGE = 23


def no_sq_by_23(ev: Events, end_day: int) -> np.ndarray:
    """1.0 without an SQ diploma dated before the 23rd birthday, 0.0 with one, NaN when unknown.

    `ev` holds all diplomas (not cut at a reference date): the label looks
    forward. It is known when the 23rd birthday is on or before the data's end.
    """
    birthday = birthday_days(ev.birth_day, LABEL_AGE)
    qualified_in_time = ev.dip_is_sq & (ev.dip_day < birthday[ev.dip_youth])
    label = (~g.any_(ev.dip_youth, qualified_in_time, ev.n_youths)).astype(float)
    label[birthday > end_day] = np.nan
    return label
