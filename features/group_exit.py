"""When each scored youth leaves the target group after the reference date, and why.

A list is scored at a reference date but read for weeks after it. In that time a youth can turn the group's
maximum age or obtain a startkwalificatie; from that day on the Doorstroompunt gives no advice. The batch file
carries the day (`leaves_group_on`) and the reason (`leaves_group_reason`) so the officers' page can compare them
with the day it is read. Features never see this: it looks past the reference date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.events import Events, per_youth
from vsv_model.dates import OPEN_END, birthday_days, date_of
from vsv_model.target_group import TargetGroup

REACHES_MAX_AGE = "max_age"
OBTAINS_STARTKWALIFICATIE = "startkwalificatie"
GROUP_EXIT_COLUMNS = ("leaves_group_on", "leaves_group_reason")


def first_startkwalificatie_after(events: Events, as_of_day) -> np.ndarray:
    """Per youth, the day of the first startkwalificatie diploma dated after `as_of_day` (one day, or one per youth;
    OPEN_END when none)."""
    later = events.dip_is_sq & (events.dip_day > per_youth(as_of_day, events.n_youths)[events.dip_youth])
    first = np.full(events.n_youths, OPEN_END, dtype=np.int64)
    np.minimum.at(first, events.dip_youth[later], events.dip_day[later])
    return first


def group_exit_frame(events: Events, rows: np.ndarray, as_of_day, group: TargetGroup) -> pd.DataFrame:
    """For the youths at `rows` (all events, not cut at the reference date; `as_of_day` one day, or one per youth of
    `events`): the first day they are out of the group (the `max_age`-th birthday, 29 February on 28 February in common years, or the first startkwalificatie
    after the reference date, whichever comes first) as an ISO date, and the reason."""
    birthday = birthday_days(events.birth_day[rows], group.max_age)
    diploma = first_startkwalificatie_after(events, as_of_day)[rows]
    by_diploma = diploma < birthday
    day = np.where(by_diploma, diploma, birthday)
    return pd.DataFrame({
        "leaves_group_on": pd.Series(np.datetime_as_string(date_of(day), unit="D"), dtype="string"),
        "leaves_group_reason": pd.Series(np.where(by_diploma, OBTAINS_STARTKWALIFICATIE, REACHES_MAX_AGE), dtype="string"),
    })
