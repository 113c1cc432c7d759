"""The outcomes a route is judged by, observed in the registrations at each office event (never from the truth).

- `school_or_sq_365`: 1 when, on the event's day + 365, the youth holds a startkwalificatie (an SQ diploma dated on
  or before that day) or has an enrolment running that day (started on or before it, ending on or after it, or
  still open); 0 otherwise; NaN when that day lies after the data's end (not known yet).
- `sq_by_outcome_age`: 1 minus the label `no_sq_by_23` (`features.labels`) at each event's youth, so that for both
  outcomes higher is better; NaN while the birthday is after the data's end.

Both are vectorised over events: one copy of a youth's records per event (`Events.take_rows`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import grouping as g
from features.events import events_from_dataset
from features.labels import no_startkwalificatie_by
from vsv_model.columns import positions_in
from vsv_model.dates import day_of, to_days
from vsv_model.reader import DataSet
from vsv_model.target_group import CURRENT_LAW

HORIZON_DAYS = 365
SCHOOL_365, NO_SQ_BY_23 = "school_365", "no_sq_by_23"
OUTCOMES = (SCHOOL_365, NO_SQ_BY_23)


def school_or_sq_365(ev, rows: np.ndarray, event_days: np.ndarray, end_day: int) -> np.ndarray:
    """Per event (its youth's position in `ev` and its day): the 365-day outcome (1.0, 0.0 or NaN)."""
    per_event = ev.take_rows(np.asarray(rows, dtype=np.int64))
    target = np.asarray(event_days, dtype=np.int64) + HORIZON_DAYS
    n = per_event.n_youths
    qualified = per_event.dip_is_sq & (per_event.dip_day <= target[per_event.dip_youth])
    day = target[per_event.enr_youth]
    enrolled = (per_event.enr_start <= day) & (per_event.enr_end >= day)
    outcome = (g.any_(per_event.dip_youth, qualified, n) | g.any_(per_event.enr_youth, enrolled, n)).astype(float)
    outcome[target > end_day] = np.nan
    return outcome


def event_outcomes(data: DataSet, events: pd.DataFrame, outcome: str = SCHOOL_365,
                   outcome_age: int = CURRENT_LAW.outcome_age) -> np.ndarray:
    """The observed outcome of each event (`youth_id`, `event_date` columns), higher is better; NaN when not known
    by the data's end. An event of a youth missing from `data` is an error, named."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}: choose one of {', '.join(OUTCOMES)}")
    ev = events_from_dataset(data)
    rows = positions_in(events["youth_id"].to_numpy(dtype=object), ev.youth_ids)
    if (rows < 0).any():
        missing = events["youth_id"].to_numpy(dtype=object)[rows < 0]
        raise ValueError(f"{len(missing)} event(s) of youths not in youths.csv, e.g. {missing[0]!r}")
    end_day = day_of(data.end_date())
    if outcome == SCHOOL_365:
        return school_or_sq_365(ev, rows, to_days(pd.to_datetime(events["event_date"]).to_numpy()), end_day)
    return 1.0 - no_startkwalificatie_by(ev.take_rows(rows), end_day, outcome_age)
