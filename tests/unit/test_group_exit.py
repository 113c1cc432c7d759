"""When a scored youth leaves the target group after the reference date: the batch file's `leaves_group_on`."""

from __future__ import annotations

import numpy as np

from features.events import assemble_events
from features.group_exit import group_exit_frame
from vsv_model.dates import day_of
from vsv_model.target_group import CURRENT_LAW, EXTENDED_TO_27

AS_OF = day_of("2026-10-01")
NO_EVENTS = {"youth": np.array([], dtype=np.int64), "start": np.array([], dtype=np.int64),
             "end": np.array([], dtype=np.int64), "school_id": np.array([], dtype=object),
             "education_type": np.array([], dtype=object), "learning_path": np.array([], dtype=object),
             "school_municipality": np.array([], dtype=object)}
NO_REPORTS = {"youth": np.array([], dtype=np.int64), "day": np.array([], dtype=np.int64),
              "kind": np.array([], dtype=object), "hours": np.array([], dtype=float)}


def events():
    """A: born on 29 February; B: a startkwalificatie after the reference date (and a lower diploma before it);
    C: a startkwalificatie only after the 23rd birthday."""
    births = [day_of("2004-02-29"), day_of("2005-01-01"), day_of("2008-05-05")]
    diplomas = {"youth": np.array([1, 1, 2]), "day": np.array([day_of("2026-11-01"), day_of("2026-12-01"), day_of("2031-06-01")]),
                "level": np.array(["mbo-1", "mbo-2", "havo"], dtype=object)}
    return assemble_events(np.array(["A", "B", "C"], dtype=object), births, NO_EVENTS, diplomas, NO_REPORTS)


def test_the_first_of_the_max_age_birthday_and_a_later_startkwalificatie():
    frame = group_exit_frame(events(), np.array([0, 1, 2]), AS_OF, CURRENT_LAW)
    assert frame["leaves_group_on"].tolist() == ["2027-02-28", "2026-12-01", "2031-05-05"]
    assert frame["leaves_group_reason"].tolist() == ["max_age", "startkwalificatie", "max_age"]


def test_the_extended_group_leaves_at_27_and_only_the_rows_asked_for():
    frame = group_exit_frame(events(), np.array([0, 2]), AS_OF, EXTENDED_TO_27)
    assert frame["leaves_group_on"].tolist() == ["2031-02-28", "2031-06-01"]
    assert frame["leaves_group_reason"].tolist() == ["max_age", "startkwalificatie"]
