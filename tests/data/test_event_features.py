"""Features as of each event's own day (`features.build.build_event_table`), held point in time at random event days:

- `Events.take_rows` on a hand-made fixture: one copy of a youth's records per entry, in any order, repeats allowed;
- on a small generated world, random events (the office's own, drawn with repeats and shuffled, and made-up events
  at arbitrary days) give exactly (a) `build_feature_table` at that day for that youth and (b) the independent
  oracle `tests/data/contract_reference.py` at that day;
- records dated after an event's day (a report, an enrolment, a startkwalificatie, an enrolment's end moved later)
  never change its row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features.build import build_event_table, build_feature_table, compute_features, feature_frame
from features.events import events_from_dataset
from features.office_events import EVENT_KINDS, office_events
from tests.builders import diploma, enrolment, report, write_data_dir, youth
from tests.data.contract_reference import FACT_COLUMNS, facts_of, youth_histories
from vsv_model.dates import day_of
from vsv_model.reader import read_data_dir

# --- Events.take_rows ---------------------------------------------------------------------------------------------


@pytest.fixture
def three_youths(tmp_path):
    """A: two enrolments and a report; B: one enrolment; C: a diploma and two reports; records listed out of order."""
    directory = write_data_dir(
        tmp_path / "three",
        youths=[youth("A", "2000-01-01"), youth("B", "2001-01-01"), youth("C", "2002-01-01")],
        enrollments=[enrolment("2016-08-01", "2018-07-31", "A", school_id="10AA00"),
                     enrolment("2017-08-01", None, "B", school_id="20BB00"),
                     enrolment("2018-08-01", None, "A", school_id="30CC00")],
        diplomas=[diploma("2018-07-01", "vmbo-kb", "C")],
        absence_reports=[report("2019-03-01", hours=4, youth_id="C"), report("2019-01-10", hours=8, youth_id="A"),
                         report("2019-02-01", hours=2, youth_id="C")],
    )
    return events_from_dataset(read_data_dir(directory))


def days(*dates: str) -> list[int]:
    return [day_of(d) for d in dates]


def test_take_rows_gives_each_entry_a_copy_of_its_youths_records_in_any_order_with_repeats(three_youths):
    copies = three_youths.take_rows(np.array([2, 0, 2, 1, 0]))  # C, A, C, B, A
    assert list(copies.youth_ids) == ["C", "A", "C", "B", "A"]
    assert list(copies.birth_day) == days("2002-01-01", "2000-01-01", "2002-01-01", "2001-01-01", "2000-01-01")
    # records sorted by the new youth, then date: A's two enrolments twice (copies 1 and 4), B's once (copy 3)
    assert list(copies.enr_youth) == [1, 1, 3, 4, 4]
    assert list(copies.enr_start) == days("2016-08-01", "2018-08-01", "2017-08-01", "2016-08-01", "2018-08-01")
    assert list(copies.dip_youth) == [0, 2] and list(copies.dip_day) == days("2018-07-01", "2018-07-01")
    assert list(copies.rep_youth) == [0, 0, 1, 2, 2, 4]
    assert list(copies.rep_day) == days("2019-02-01", "2019-03-01", "2019-01-10", "2019-02-01", "2019-03-01", "2019-01-10")
    assert list(copies.rep_hours) == [2, 4, 8, 2, 4, 8]


def test_take_rows_of_nobody_and_of_one_youth(three_youths):
    nobody = three_youths.take_rows(np.array([], dtype=np.int64))
    assert (nobody.n_youths, len(nobody.enr_youth), len(nobody.dip_youth), len(nobody.rep_youth)) == (0, 0, 0, 0)
    b_twice = three_youths.take_rows(np.array([1, 1]))
    assert list(b_twice.youth_ids) == ["B", "B"] and list(b_twice.enr_youth) == [0, 1]
    assert (len(b_twice.dip_youth), len(b_twice.rep_youth)) == (0, 0)


def test_copies_cut_at_their_own_days_have_each_youths_features_at_that_day(three_youths):
    rows, on = np.array([0, 2, 0]), np.array(days("2019-01-31", "2019-02-15", "2019-03-31"))
    copies = three_youths.take_rows(rows)
    built = feature_frame(compute_features(copies.as_of(on), on))
    for k, (row, day) in enumerate(zip(rows, on, strict=True)):
        alone = three_youths.take_youths(np.array([row]))
        expected = feature_frame(compute_features(alone.as_of(day), day))
        pd.testing.assert_frame_equal(built.iloc[[k]].reset_index(drop=True), expected)
    assert list(built["absence_hours_4w"]) == [8.0, 2.0, 0.0]  # A's report of 10 January; C's of 1 February only


# --- random event days on a generated world -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(small_dir):
    data = read_data_dir(small_dir)
    return data, events_from_dataset(data)


def random_events(data, rng: np.random.Generator, drawn: int = 120, made_up: int = 60) -> pd.DataFrame:
    """The office's events of 2015-2026 drawn with repeats, plus made-up events of random youths at random days
    (many out of the group that day: they must be left out), shuffled."""
    office = office_events(data, dt.date(2015, 1, 1), dt.date(2026, 10, 1))
    assert set(office["kind"]) == set(EVENT_KINDS)
    picked = office.iloc[rng.integers(0, len(office), size=drawn)]
    youths = data.youths["youth_id"].to_numpy(dtype=object)[rng.integers(0, len(data.youths), size=made_up)]
    event_days = rng.integers(day_of("2012-01-01"), day_of("2026-10-01"), size=made_up)
    invented = pd.DataFrame({"youth_id": youths, "event_date": pd.to_datetime(event_days, unit="D").astype("datetime64[s]"),
                             "kind": rng.choice(EVENT_KINDS, size=made_up).astype(object), "report_id": None})
    events = pd.concat([picked, invented], ignore_index=True)
    return events.iloc[rng.permutation(len(events))].reset_index(drop=True)


def plain(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (categories as text, missing as None), in the oracle's column order."""
    values = frame[list(FACT_COLUMNS)].astype(object)
    return values.where(values.notna(), None).to_dict("records")


@pytest.fixture(scope="module")
def drawn(world):
    data, events = world
    office = random_events(data, np.random.default_rng(2311))
    return office, build_event_table(data, office, events=events)


def test_event_rows_keep_the_events_order_and_keys_and_leave_out_youths_outside_the_group(world, drawn):
    data, _ = world
    office, table = drawn
    histories = youth_histories(data, set(office["youth_id"]))
    on = pd.to_datetime(office["event_date"]).dt.date
    in_group = [facts_of(histories[y], d)["out_of_scope"] is None for y, d in zip(office["youth_id"], on, strict=True)]
    kept = office[in_group]
    assert 0 < len(kept) < len(office) and kept["youth_id"].duplicated().any()  # repeats, and some left out
    assert list(table.keys["youth_id"]) == list(kept["youth_id"])
    assert list(table.keys["as_of"]) == [d.isoformat() for d in on[in_group]]
    assert list(table.keys["kind"]) == list(kept["kind"])
    assert table.quality.out_of_scope == {"event_out_of_scope": len(office) - len(kept)}


def test_event_rows_equal_the_feature_table_at_each_events_day(world, drawn):
    data, events = world
    _, table = drawn
    for k, (youth_id, as_of) in enumerate(zip(table.keys["youth_id"], table.keys["as_of"], strict=True)):
        day_table = build_feature_table(data, dt.date.fromisoformat(as_of), events=events)
        row = day_table.features[(day_table.keys["youth_id"] == youth_id).to_numpy()]
        assert plain(table.features.iloc[[k]]) == plain(row), (youth_id, as_of)
        exit_row = day_table.group_exit[(day_table.keys["youth_id"] == youth_id).to_numpy()]
        assert table.group_exit.iloc[k].tolist() == exit_row.iloc[0].tolist(), (youth_id, as_of)


def test_event_rows_equal_the_contract_reference_at_each_events_day(world, drawn):
    data, _ = world
    _, table = drawn
    histories = youth_histories(data, set(table.keys["youth_id"]))
    expected = [{name: facts[name] for name in FACT_COLUMNS}
                for facts in (facts_of(histories[y], dt.date.fromisoformat(d))
                              for y, d in zip(table.keys["youth_id"], table.keys["as_of"], strict=True))]
    got = plain(table.features)
    assert [(i, g, e) for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e] == []
    assert len(got) > 100


def later_records(data, office: pd.DataFrame):
    """Per youth of `office`, records dated after its last event: a report, an enrolment, a startkwalificatie, and
    every enrolment still open then given an end after it. The data with them added (and changed)."""
    last = pd.to_datetime(office["event_date"]).groupby(office["youth_id"]).max()
    after = (last + pd.Timedelta(days=1)).astype("datetime64[s]")
    ids = after.index.to_numpy(dtype=object)
    reports = pd.DataFrame({"youth_id": ids, "report_date": after.to_numpy(), "school_id": "25LH00", "kind": "16uur",
                            "hours": 40.0, "report_id": [f"LATER{i}" for i in range(len(ids))]})
    enrolments = pd.DataFrame({"youth_id": ids, "school_id": "99ZZ00", "school_municipality": "Dordrecht",
                               "education_type": "mbo-2", "learning_path": "BOL", "start_date": after.to_numpy(),
                               "end_date": pd.NaT})
    diplomas = pd.DataFrame({"youth_id": ids, "diploma_date": after.to_numpy(), "level": "havo"})
    enr = data.enrollments.copy()
    still_open = enr["youth_id"].isin(ids) & enr["end_date"].isna()
    enr.loc[still_open, "end_date"] = after.reindex(enr.loc[still_open, "youth_id"]).to_numpy()
    return dataclasses.replace(
        data, enrollments=pd.concat([enr, enrolments.astype(enr.dtypes.to_dict())], ignore_index=True),
        diplomas=pd.concat([data.diplomas, diplomas.astype(data.diplomas.dtypes.to_dict())], ignore_index=True),
        absence_reports=pd.concat([data.absence_reports, reports.astype(data.absence_reports.dtypes.to_dict())],
                                  ignore_index=True))


def test_records_dated_after_the_events_day_never_change_its_row(world, drawn):
    data, _ = world
    office, table = drawn
    changed = later_records(data, office)
    assert len(changed.absence_reports) > len(data.absence_reports)
    again = build_event_table(changed, office)
    pd.testing.assert_frame_equal(again.keys, table.keys)
    pd.testing.assert_frame_equal(again.features, table.features)
    # on the day of the added records they do count: each youth then has a startkwalificatie, so no event is scored
    on_that_day = office.assign(event_date=office.groupby("youth_id")["event_date"].transform("max") + pd.Timedelta(days=1))
    assert len(build_event_table(changed, on_that_day)) == 0
