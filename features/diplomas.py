"""Diploma features and the startkwalificatie facts that scope and labels need."""

from __future__ import annotations

import numpy as np

from features import grouping as g
from features.events import Events
from vsv_model.feature_spec import LAST_DIPLOMA_CATEGORIES


def last_diploma(ev: Events) -> dict[str, np.ndarray]:
    """The level of the diploma with the latest date; `geen` when there is none."""
    none = LAST_DIPLOMA_CATEGORIES.index("geen")
    return {"last_diploma": g.last_value(ev.dip_youth, ev.dip_level, ev.n_youths, none)}


def has_startkwalificatie(ev: Events) -> np.ndarray:
    """Per youth: holds a startkwalificatie among the diplomas in `ev`."""
    return g.any_(ev.dip_youth, ev.dip_is_sq, ev.n_youths)
