"""truth.csv: one row per youth per yearly reference date at which the youth is in the extended target group
(completed age 18–26, no startkwalificatie dated on or before the date).

Columns: `youth_id, as_of, p_true, no_sq_by_23, p_true_27, no_sq_by_27`. `p_true` and `no_sq_by_23` are
given for ages 18–22 only (for 23–26 the outcome by 23 is already decided); `p_true_27` and `no_sq_by_27`
for every row. A label is empty where its birthday (the 23rd, the 27th; 29 February → 28 February) lies
after the data's end. Labels come from the simulated diplomas, which are written as they are, so they
equal what the features derive from the files. The same truth at every office event is truth_events.csv
(`truth_events.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_synthetic.simulate import Capture
from data_synthetic.truth import ValueTables, birthday_fraction, lookup
from vsv_model.dates import MISSING_DAY, birthday_days, completed_years, date_of
from vsv_model.target_group import CURRENT_LAW, EXTENDED_TO_27

TODAY, LAW_CHANGE = CURRENT_LAW, EXTENDED_TO_27
TRUTH_COLUMNS = ("youth_id", "as_of", "p_true", TODAY.label, f"p_true_{LAW_CHANGE.outcome_age}", LAW_CHANGE.label)


def label(sq_day: np.ndarray, birth_days: np.ndarray, age: int, data_end: int) -> np.ndarray:
    """1.0 without a startkwalificatie dated before the `age`-th birthday, 0.0 with one, NaN when unknown."""
    birthday = birthday_days(birth_days, age)
    outcome = ((sq_day == MISSING_DAY) | (sq_day >= birthday)).astype(float)
    return np.where(birthday <= data_end, outcome, np.nan)


def truth_rows(month: int, capture: Capture, tables: ValueTables, youth_ids: np.ndarray, birth_days: np.ndarray,
               sq_day: np.ndarray, data_end: int, as_of_day: int) -> pd.DataFrame:
    """The truth at one reference month for the youths captured there."""
    rows = capture.rows
    births = birth_days[rows]
    today, later = TODAY.outcome_age, LAW_CHANGE.outcome_age
    open_today = completed_years(births, as_of_day) < today
    p_today = np.full(len(rows), np.nan)
    p_today[open_today] = lookup(tables, month, {k: v[open_today] for k, v in capture.state.items()}, capture.age[open_today],
                                 birthday_fraction(births[open_today], today), today)
    p_later = lookup(tables, month, capture.state, capture.age, birthday_fraction(births, later), later)
    return pd.DataFrame({
        "youth_id": youth_ids[rows], "as_of": str(date_of(as_of_day)), "p_true": p_today,
        TODAY.label: np.where(open_today, label(sq_day[rows], births, today, data_end), np.nan),
        f"p_true_{later}": p_later, LAW_CHANGE.label: label(sq_day[rows], births, later, data_end),
    })


def truth_frame(captures: dict[int, Capture], tables: ValueTables, youth_ids: np.ndarray, birth_days: np.ndarray,
                sq_day: np.ndarray, data_end: int, month_days: dict[int, int]) -> pd.DataFrame:
    """Every reference date's rows, sorted by date and youth id."""
    frames = [truth_rows(m, c, tables, youth_ids, birth_days, sq_day, data_end, month_days[m])
              for m, c in sorted(captures.items())]
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["as_of", "youth_id"], kind="stable", ignore_index=True)[list(TRUTH_COLUMNS)]
