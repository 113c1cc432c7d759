"""The youth's state on each case's event day, from the registrations: what the route policy and the outcome models
see besides the score, the risk category and the kind (`vsv_model.route_policy.EVENT_FEATURES`).

Each case is one copy of its youth's records cut at the event's day (`Events.take_rows` then `as_of`, as
`features.build.build_event_table` does), so a value never reads a record dated after the event. Only the few
feature builders needed run (not the model's whole snapshot), vectorised over all cases at once. Never gender or
origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import absence, diplomas, enrolment
from features.events import Events, events_from_dataset
from vsv_model.columns import positions_in
from vsv_model.dates import to_days
from vsv_model.feature_spec import LAST_DIPLOMA_CATEGORIES
from vsv_model.reader import DataSet
from vsv_model.route_policy import DIPLOMA_RANKS, EVENT_FEATURES, MONTHS_OUT_CAP

DAYS_PER_YEAR = 365.25
RANK_OF_CODE = np.array([DIPLOMA_RANKS[c] for c in LAST_DIPLOMA_CATEGORIES], dtype=float)


def event_features(data: DataSet | None, cases: pd.DataFrame, events: Events | None = None) -> pd.DataFrame:
    """EVENT_FEATURES of every case (`youth_id`, `event_date`), one row per case in the cases' order (the index
    kept), from `data` or from its `events` already assembled (a request's histories). A case of a youth missing
    from the youths is an error, named."""
    events = events if events is not None else events_from_dataset(data)
    if events is not None and data is None and len(events.youth_ids) == len(cases):
        rows = np.arange(len(cases))  # a request's histories: one per case, in the cases' order (a youth may repeat)
        if not (events.youth_ids == cases["youth_id"].to_numpy(dtype=object)).all():
            raise ValueError("the histories are not in the cases' order")
    else:
        rows = positions_in(cases["youth_id"].to_numpy(dtype=object), events.youth_ids)
    if (rows < 0).any():
        missing = cases["youth_id"].to_numpy(dtype=object)[rows < 0]
        raise ValueError(f"{len(missing)} case(s) of youths not in youths.csv, e.g. {missing[0]!r}")
    days = to_days(pd.to_datetime(cases["event_date"]).to_numpy())
    cut = events.take_rows(rows).as_of(days)
    return pd.DataFrame(state_on(cut, days), index=cases.index)[list(EVENT_FEATURES)]


def state_on(cut: Events, days: np.ndarray) -> dict[str, np.ndarray]:
    """The features of youths already cut at their own day (one youth per case)."""
    current = enrolment.current_enrolment(cut, days)
    months = np.minimum(np.nan_to_num(current["months_not_enrolled"], nan=MONTHS_OUT_CAP), MONTHS_OUT_CAP)
    return {"age_years": (days - cut.birth_day) / DAYS_PER_YEAR,
            "enrolled": current["enrolled"].astype(float),
            "months_not_enrolled": months,
            "dropout_episodes": enrolment.dropout_episodes(cut, days)["dropout_episodes"].astype(float),
            "diploma_level": RANK_OF_CODE[diplomas.last_diploma(cut)["last_diploma"]],
            "absence_hours_13w": absence.absence_hours(cut, days)["absence_hours_13w"].astype(float)}
