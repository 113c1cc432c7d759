"""The contract's feature table, scope and label rules, each pinned on hand-made data with exact values.

Every fixture is written as real files and read by the real reader, then run through the same
vectorised builders that training, batch scoring and the service use. The reference date is
2019-10-01 unless a test says otherwise; its windows are:
28 days: 2019-09-04 .. 2019-10-01, 91 days: 2019-07-03 .. 2019-10-01,
364 days: 2018-10-03 .. 2019-10-01, 365 days: 2018-10-02 .. , 730 days: 2017-10-02 .. .
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_feature_table, compute_features, feature_frame
from features.events import events_from_dataset
from features.labels import no_startkwalificatie_by
from tests.builders import AS_OF, diploma, enrolment, features_of_all, report, youth
from vsv_cli.app import app
from vsv_model.dates import day_of
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.target_group import CURRENT_LAW, EXTENDED_TO_27

AS_OF_TEXT = AS_OF.isoformat()


def features_at(data_dir, as_of: str = AS_OF_TEXT, **tables) -> pd.DataFrame:
    """Every feature for every youth of a hand-made data directory (in scope or not)."""
    return features_of_all(data_dir(**tables), as_of)


def value(frame: pd.DataFrame, youth_id: str, feature: str):
    """One feature value as a plain Python value (categories as text, missing as None)."""
    v = frame.loc[youth_id, feature]
    if isinstance(v, str):
        return v
    return None if pd.isna(v) else float(v)


# --- age, scope and the label -------------------------------------------------------------------


@pytest.mark.parametrize(("birth_date", "as_of", "age"), [
    ("2001-10-01", "2019-10-01", 18),  # turns 18 on the reference date
    ("2001-10-02", "2019-10-01", 17),  # turns 18 the day after
    ("1996-10-01", "2019-10-01", 23),  # turns 23 on the reference date
    ("1996-10-02", "2019-10-01", 22),
    ("2000-02-29", "2019-02-28", 19),  # born on 29 February: the birthday is 28 February in a common year
    ("2000-02-29", "2019-02-27", 18),
    ("2000-02-29", "2020-02-28", 19),  # ... and 29 February in a leap year
    ("2000-02-29", "2020-02-29", 20),
])
def test_age_is_completed_years(data_dir, birth_date, as_of, age):
    frame = features_at(data_dir, as_of, youths=[youth("A", birth_date)])
    assert value(frame, "A", "age") == age


def test_scope_reasons_at_the_edges(data_dir):
    directory = data_dir(
        youths=[
            youth("turns18", "2001-10-01"), youth("under18", "2001-10-02"),
            youth("turns23", "1996-10-01"), youth("aged22", "1996-10-02"),
            youth("sq_on_as_of", "2000-01-01"), youth("sq_after", "2000-01-01"),
            youth("mbo1_only", "2000-01-01"), youth("unknown_level", "2000-01-01"),
        ],
        diplomas=[
            diploma("2019-10-01", "mbo-2", "sq_on_as_of"), diploma("2019-10-02", "havo", "sq_after"),
            diploma("2019-06-01", "mbo-1", "mbo1_only"), diploma("2019-06-01", "mbo-9", "unknown_level"),
        ],
    )
    table = build_feature_table(read_data_dir(directory), AS_OF)
    assert sorted(table.keys["youth_id"]) == ["aged22", "mbo1_only", "sq_after", "turns18", "unknown_level"]
    assert table.quality.out_of_scope == {"under_18": 1, "over_age": 1, "has_startkwalificatie": 1}
    assert table.quality.in_scope == 5
    assert (table.keys["as_of"] == "2019-10-01").all()


def test_upper_age_bound_is_configurable(data_dir):
    directory = data_dir(youths=[youth("A", "1996-10-01"), youth("B", "1992-10-01"), youth("C", "1992-10-02")])
    assert build_feature_table(read_data_dir(directory), AS_OF).quality.out_of_scope["over_age"] == 3
    table = build_feature_table(read_data_dir(directory), AS_OF, group=EXTENDED_TO_27)
    assert sorted(table.keys["youth_id"]) == ["A", "C"]
    assert table.quality.out_of_scope["over_age"] == 1


def test_label_needs_a_startkwalificatie_dated_before_the_23rd_birthday(data_dir):
    directory = data_dir(
        youths=[youth(i, "1996-06-15") for i in ("before", "on_birthday", "mbo1", "none")]
        + [youth("leap_before", "1996-02-29"), youth("leap_on", "1996-02-29"), youth("unknown", "1997-01-01")],
        diplomas=[
            diploma("2019-06-14", "mbo-2", "before"), diploma("2019-06-15", "havo", "on_birthday"),
            diploma("2018-06-01", "mbo-1", "mbo1"),
            diploma("2019-02-27", "vwo", "leap_before"), diploma("2019-02-28", "vwo", "leap_on"),
        ],
    )
    data = read_data_dir(directory)
    events = events_from_dataset(data)
    labels = dict(zip(events.youth_ids, no_startkwalificatie_by(events, day_of("2019-12-31"), 23), strict=True))
    assert labels["before"] == 0.0
    assert labels["on_birthday"] == 1.0  # a diploma on the birthday itself is not "before 23"
    assert labels["mbo1"] == 1.0
    assert labels["none"] == 1.0
    assert labels["leap_before"] == 0.0  # the 23rd birthday of someone born on 29 February is 28 February
    assert labels["leap_on"] == 1.0
    assert np.isnan(labels["unknown"])  # turns 23 on 2020-01-01, after the data's end


def test_label_is_known_when_the_23rd_birthday_is_on_the_data_end(data_dir):
    data = read_data_dir(data_dir(youths=[youth("A", "1996-06-15")], diplomas=[diploma("2019-06-15", "mbo-1")]))
    events = events_from_dataset(data)
    assert no_startkwalificatie_by(events, day_of("2019-06-15"), 23)[0] == 1.0
    assert np.isnan(no_startkwalificatie_by(events, day_of("2019-06-14"), 23)[0])
    assert data.end_date() == dt.date(2019, 6, 15)  # the latest date in the event tables


def test_data_end_date_reads_every_event_table(data_dir):
    data = read_data_dir(data_dir(
        youths=[youth("A")],
        enrollments=[enrolment("2015-08-01", "2020-07-31")],
        diplomas=[diploma("2019-06-01")],
        absence_reports=[report("2020-03-01")],
    ))
    assert data.end_date() == dt.date(2020, 7, 31)


def test_labels_in_the_feature_table_follow_scope_rows(data_dir):
    directory = data_dir(
        youths=[youth("A", "1996-06-15"), youth("B", "1997-03-01"), youth("young", "2005-01-01")],
        diplomas=[diploma("2019-06-01", "mbo-2", "B")],
        enrollments=[enrolment("2016-08-01", "2021-01-01", "A")],
    )
    table = build_feature_table(read_data_dir(directory), dt.date(2018, 10, 1), with_label=True)
    frame = table.to_frame(with_label=True).set_index("youth_id")
    assert frame.loc["A", CURRENT_LAW.label] == 1.0
    assert frame.loc["B", CURRENT_LAW.label] == 0.0
    assert "young" not in frame.index


# --- school location and last diploma ------------------------------------------------------------


def test_school_municipality_of_the_latest_started_enrolment_normalised(data_dir):
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ("latest", "tie", "merged", "outside", "vijfheeren", "blank", "none", "future", "case")],
        enrollments=[
            enrolment("2016-08-01", "2017-07-31", "latest", school_municipality="Dordrecht"),
            enrolment("2017-08-01", None, "latest", school_municipality="Gorinchem"),
            enrolment("2017-08-01", None, "tie", school_municipality="Gorinchem"),
            enrolment("2017-08-01", None, "tie", school_municipality="Sliedrecht"),  # listed last: wins the tie
            enrolment("2017-08-01", None, "merged", school_municipality="Binnenmaas"),
            enrolment("2017-08-01", None, "outside", school_municipality="Rotterdam"),
            enrolment("2017-08-01", None, "vijfheeren", school_municipality="Leerdam"),
            enrolment("2017-08-01", None, "blank", school_municipality=""),
            enrolment("2017-08-01", None, "future", school_municipality="Papendrecht"),
            enrolment("2019-10-02", None, "future", school_municipality="Zwijndrecht"),  # after the reference date
            enrolment("2017-08-01", None, "case", school_municipality="  hendrik-ido-ambacht "),
        ],
    )
    expected = {
        "latest": "Gorinchem",
        "tie": "Sliedrecht",
        "merged": "Hoeksche Waard",
        "outside": "buiten_regio",
        "vijfheeren": "buiten_regio",
        "blank": "onbekend",
        "none": "onbekend",
        "future": "Papendrecht",
        "case": "Hendrik-Ido-Ambacht",
    }
    assert {i: value(frame, i, "school_municipality") for i in expected} == expected


def test_last_diploma_is_the_latest_dated_level(data_dir):
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ("two", "tie", "none", "on_as_of", "after", "unknown")],
        diplomas=[
            diploma("2016-07-01", "vmbo-gt", "two"), diploma("2018-07-01", "mbo-1", "two"),
            diploma("2018-07-01", "mbo-1", "tie"), diploma("2018-07-01", "vmbo-kb", "tie"),
            diploma("2019-10-01", "mbo-1", "on_as_of"),
            diploma("2017-07-01", "vmbo-bb", "after"), diploma("2019-10-02", "mbo-1", "after"),
            diploma("2018-07-01", "vmbo-xx", "unknown"),
        ],
    )
    expected = {
        "two": "mbo-1",
        "tie": "vmbo-kb",
        "none": "geen",
        "on_as_of": "mbo-1",
        "after": "vmbo-bb",
        "unknown": "onbekend",
    }
    assert {i: value(frame, i, "last_diploma") for i in expected} == expected


# --- school switches -----------------------------------------------------------------------------


def test_school_switches_count_changes_of_school_without_a_diploma_between_starts(data_dir):
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ("reentered", "diploma_between", "diploma_on_change", "diploma_on_first_start",
                                   "diploma_before", "no_enrolments", "window")],
        enrollments=[
            # S1 -> S2 (switch), S2 -> S2 (same school), S2 -> S1 (the same school re-entered: a switch)
            enrolment("2015-08-01", "2016-07-31", "reentered", school_id="S1"),
            enrolment("2016-08-01", "2016-12-31", "reentered", school_id="S2"),
            enrolment("2017-01-01", "2017-12-31", "reentered", school_id="S2"),
            enrolment("2018-01-01", None, "reentered", school_id="S1"),
            enrolment("2014-08-01", "2018-07-31", "diploma_between", school_id="S1", education_type="vmbo-kb"),
            enrolment("2018-08-15", None, "diploma_between", school_id="S2"),
            enrolment("2014-08-01", "2018-07-31", "diploma_on_change", school_id="S1", education_type="vmbo-kb"),
            enrolment("2018-08-15", None, "diploma_on_change", school_id="S2"),
            enrolment("2014-08-01", "2018-07-31", "diploma_on_first_start", school_id="S1", education_type="vmbo-kb"),
            enrolment("2018-08-15", None, "diploma_on_first_start", school_id="S2"),
            enrolment("2014-08-01", "2018-07-31", "diploma_before", school_id="S1", education_type="vmbo-kb"),
            enrolment("2018-08-15", None, "diploma_before", school_id="S2"),
            # later starts exactly 730 days before the reference date (outside) and 729 (inside)
            enrolment("2016-08-01", None, "window", school_id="S1"),
            enrolment("2017-10-01", None, "window", school_id="S2"),
            enrolment("2017-10-02", None, "window", school_id="S3"),
            enrolment("2019-10-02", None, "window", school_id="S4"),  # after the reference date: ignored
        ],
        diplomas=[
            diploma("2018-07-01", "vmbo-kb", "diploma_between"),
            diploma("2018-08-15", "vmbo-kb", "diploma_on_change"),
            diploma("2014-08-01", "vmbo-kb", "diploma_on_first_start"),
            diploma("2014-07-31", "vmbo-kb", "diploma_before"),
        ],
    )
    expected = {
        "reentered": (2, 1),  # the re-entry on 2018-01-01 is within 730 days
        "diploma_between": (0, 0),
        "diploma_on_change": (0, 0),
        "diploma_on_first_start": (0, 0),
        "diploma_before": (1, 1),  # the later start, 2018-08-15, is within 730 days
        "no_enrolments": (0, 0),
        "window": (2, 1),
    }
    for youth_id, (switches, recent) in expected.items():
        assert (value(frame, youth_id, "school_switches"), value(frame, youth_id, "school_switches_2y")) == (switches, recent), youth_id


def test_a_diploma_after_the_reference_date_does_not_undo_a_switch(data_dir):
    frame = features_at(
        data_dir,
        youths=[youth("A")],
        enrollments=[enrolment("2017-08-01", None, school_id="S1"), enrolment("2019-09-01", None, school_id="S2")],
        diplomas=[diploma("2019-10-02", "mbo-1")],
    )
    assert value(frame, "A", "school_switches") == 1


def test_school_switches_count_institutions_from_secondary_school_on(data_dir):
    ids = ("po_to_vmbo", "so_to_vso", "two_locations", "two_institutions", "diploma_between", "window_outside",
           "window_inside", "po_and_a_switch", "so_between_locations", "unknown_type", "location_in_lower_case",
           "tie_new_last", "tie_old_last")
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ids],
        enrollments=[
            enrolment("2006-08-01", "2014-07-31", "po_to_vmbo", school_id="10AA00", education_type="po"),
            enrolment("2014-08-01", None, "po_to_vmbo", school_id="20BB00", education_type="vmbo-kb"),
            enrolment("2006-08-01", "2014-07-31", "so_to_vso", school_id="10AA00", education_type="so"),
            enrolment("2014-08-01", None, "so_to_vso", school_id="20BB00", education_type="vso"),
            enrolment("2016-08-01", "2017-07-31", "two_locations", school_id="17HX01"),
            enrolment("2017-08-01", None, "two_locations", school_id="17HX00"),  # one institution: no switch
            enrolment("2016-08-01", "2018-07-31", "two_institutions", school_id="17HX00"),
            enrolment("2018-08-01", None, "two_institutions", school_id="18AB00"),
            enrolment("2016-08-01", "2017-07-31", "diploma_between", school_id="17HX00", education_type="vmbo-kb"),
            enrolment("2017-08-01", None, "diploma_between", school_id="18AB00"),
            # the later enrolment starts exactly 730 days before the reference date (outside) or 729 (inside)
            enrolment("2016-08-01", None, "window_outside", school_id="17HX00"),
            enrolment("2017-10-01", None, "window_outside", school_id="18AB00"),
            enrolment("2016-08-01", None, "window_inside", school_id="17HX00"),
            enrolment("2017-10-02", None, "window_inside", school_id="18AB00"),
            enrolment("2006-08-01", "2012-07-31", "po_and_a_switch", school_id="10AA00", education_type="po"),
            enrolment("2012-08-01", "2016-07-31", "po_and_a_switch", school_id="17HX00", education_type="vmbo-kb"),
            enrolment("2016-08-01", None, "po_and_a_switch", school_id="18AB00"),
            # so is left out, so the two locations of 17HX become consecutive: no switch at all
            enrolment("2012-08-01", "2014-07-31", "so_between_locations", school_id="17HX00", education_type="vmbo-kb"),
            enrolment("2014-08-01", "2015-07-31", "so_between_locations", school_id="30CC00", education_type="so"),
            enrolment("2015-08-01", None, "so_between_locations", school_id="17HX01", education_type="vmbo-kb"),
            enrolment("2016-08-01", "2018-07-31", "unknown_type", school_id="17HX00", education_type="vmbo-kb"),
            enrolment("2018-08-01", None, "unknown_type", school_id="18AB00", education_type="mbo 9"),  # still counts
            enrolment("2016-08-01", "2017-07-31", "location_in_lower_case", school_id="17hx01"),
            enrolment("2017-08-01", None, "location_in_lower_case", school_id="17HX00"),
            # two enrolments starting on one day follow file order: 17HX -> 18AB -> 17HX, or 17HX -> 17HX -> 18AB
            enrolment("2016-08-01", None, "tie_new_last", school_id="17HX00"),
            enrolment("2018-08-01", None, "tie_new_last", school_id="18AB00"),
            enrolment("2018-08-01", None, "tie_new_last", school_id="17HX01"),
            enrolment("2016-08-01", None, "tie_old_last", school_id="17HX00"),
            enrolment("2018-08-01", None, "tie_old_last", school_id="17HX01"),
            enrolment("2018-08-01", None, "tie_old_last", school_id="18AB00"),
        ],
        diplomas=[diploma("2017-06-30", "vmbo-kb", "diploma_between")],
    )
    expected = {
        "po_to_vmbo": (0, 0), "so_to_vso": (0, 0), "two_locations": (0, 0), "two_institutions": (1, 1),
        "diploma_between": (0, 0), "window_outside": (1, 0), "window_inside": (1, 1), "po_and_a_switch": (1, 0),
        "so_between_locations": (0, 0), "unknown_type": (1, 1), "location_in_lower_case": (0, 0),
        "tie_new_last": (2, 2), "tie_old_last": (1, 1),
    }
    got = {i: (value(frame, i, "school_switches"), value(frame, i, "school_switches_2y")) for i in ids}
    assert got == expected


# --- current enrolment ---------------------------------------------------------------------------


def test_enrolment_status_education_and_learning_path(data_dir):
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ("ends_on_as_of", "ends_after", "starts_on_as_of", "starts_after", "two_current",
                                   "bbl", "never", "open")],
        enrollments=[
            enrolment("2018-08-01", "2019-10-01", "ends_on_as_of"),
            enrolment("2018-08-01", "2019-10-02", "ends_after", education_type="mbo-3"),
            enrolment("2019-10-01", None, "starts_on_as_of", education_type="mbo-1"),
            enrolment("2019-10-02", None, "starts_after"),
            enrolment("2018-08-01", None, "two_current", education_type="mbo-2"),
            enrolment("2019-01-07", "2020-06-30", "two_current", education_type="vavo"),
            enrolment("2018-08-01", None, "bbl", education_type="mbo-4", learning_path="BBL"),
            enrolment("2016-08-01", None, "open", education_type="havo"),
        ],
    )
    expected = {
        "ends_on_as_of": (0, "geen", "geen"),  # an end date equal to the reference date is not "after" it
        "ends_after": (1, "mbo-3", "BOL"),
        "starts_on_as_of": (1, "mbo-1", "BOL"),
        "starts_after": (0, "geen", "geen"),
        "two_current": (1, "vavo", "geen"),  # the current enrolment started last; vavo has no learning path
        "bbl": (1, "mbo-4", "BBL"),
        "never": (0, "geen", "geen"),
        "open": (1, "havo", "geen"),
    }
    for youth_id, (enrolled, education, path) in expected.items():
        got = (value(frame, youth_id, "enrolled"), value(frame, youth_id, "current_education"), value(frame, youth_id, "learning_path"))
        assert got == (enrolled, education, path), youth_id


def test_months_not_enrolled(data_dir):
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ("enrolled", "never", "left", "left_twice", "ends_on_as_of", "only_future")],
        enrollments=[
            enrolment("2018-08-01", None, "enrolled"),
            enrolment("2017-08-01", "2019-03-01", "left"),  # 214 days: 7.03 months
            enrolment("2016-08-01", "2019-03-01", "left_twice"),
            enrolment("2016-09-01", "2018-01-01", "left_twice"),  # listed last but ended earlier
            enrolment("2018-08-01", "2019-10-01", "ends_on_as_of"),
            enrolment("2019-11-01", None, "only_future"),
        ],
    )
    assert value(frame, "enrolled", "months_not_enrolled") == 0
    assert value(frame, "never", "months_not_enrolled") is None
    assert value(frame, "left", "months_not_enrolled") == 7
    assert value(frame, "left_twice", "months_not_enrolled") == 7
    assert value(frame, "ends_on_as_of", "months_not_enrolled") == 0
    assert value(frame, "only_future", "months_not_enrolled") is None


def test_months_not_enrolled_floors_at_the_month_boundary(data_dir):
    # 30.44 days is one month: 30 days is 0 months, 31 days is 1; 61 days is 2 (2.004), 60 is 1 (1.97)
    ends = {"d30": "2019-09-01", "d31": "2019-08-31", "d60": "2019-08-02", "d61": "2019-08-01"}
    frame = features_at(data_dir, youths=[youth(i) for i in ends],
                        enrollments=[enrolment("2017-08-01", end, i) for i, end in ends.items()])
    assert [value(frame, i, "months_not_enrolled") for i in ends] == [0, 1, 1, 2]


# --- absence -------------------------------------------------------------------------------------


def absence_fixture(data_dir) -> pd.DataFrame:
    return features_at(
        data_dir,
        youths=[youth("A"), youth("late"), youth("none"), youth("after_only")],
        absence_reports=[
            report("2019-10-01", "16uur", 1, "A"),  # on the reference date: in every window
            report("2019-09-04", "16uur", 2, "A"),  # 27 days before: in the 4-week window
            report("2019-09-03", "overig", 4, "A"),  # exactly 28 days before: outside 4 weeks
            report("2019-07-03", "18plus", 8, "A"),  # 90 days before: in 13 weeks
            report("2019-07-02", "luxe", 16, "A"),  # exactly 91 days before: outside 13 weeks
            report("2018-10-03", "16uur", 32, "A"),  # 363 days before: in 52 weeks
            report("2018-10-02", "16uur", 64, "A"),  # exactly 364 days before: outside every window
            report("2019-10-02", "16uur", 128, "A"),  # after the reference date: ignored
            report("2019-08-01", "16uur", None, "A"),  # missing hours count 0
            report("2019-09-20", "spijbelen", 0, "A"),  # an unknown kind counts as a report other than te_laat
            report("2019-09-30", "te_laat", None, "late"),
            report("2018-10-03", "te_laat", None, "late"),
            report("2018-10-02", "te_laat", None, "late"),
            report("2019-08-15", "overig", 3, "late"),
            report("2019-10-05", "16uur", 16, "after_only"),
        ],
    )


def test_absence_hours_sum_over_half_open_windows(data_dir):
    frame = absence_fixture(data_dir)
    assert value(frame, "A", "absence_hours_4w") == 1 + 2
    assert value(frame, "A", "absence_hours_13w") == 1 + 2 + 4 + 8
    assert value(frame, "A", "absence_hours_52w") == 1 + 2 + 4 + 8 + 16 + 32
    assert [value(frame, "late", f) for f in ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w")] == [0, 3, 3]
    assert [value(frame, "none", f) for f in ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w")] == [0, 0, 0]
    assert value(frame, "after_only", "absence_hours_52w") == 0


def test_report_counts_split_lateness_from_other_kinds(data_dir):
    frame = absence_fixture(data_dir)
    # A: 1, 2, 4, 8, 16, 32 hours + missing hours + unknown kind = 8 reports in the 364 days; no te_laat
    assert value(frame, "A", "absence_reports_52w") == 8
    assert value(frame, "A", "late_reports_52w") == 0
    assert value(frame, "late", "absence_reports_52w") == 1
    assert value(frame, "late", "late_reports_52w") == 2  # the one exactly 364 days before is outside
    assert value(frame, "after_only", "absence_reports_52w") == 0


def test_weeks_since_last_report(data_dir):
    frame = absence_fixture(data_dir)
    assert value(frame, "A", "weeks_since_last_report") == 0  # a report on the reference date
    assert value(frame, "late", "weeks_since_last_report") == 0  # 1 day: lateness counts as a report
    assert value(frame, "none", "weeks_since_last_report") is None
    assert value(frame, "after_only", "weeks_since_last_report") is None
    weeks = features_at(data_dir, youths=[youth("d6"), youth("d7"), youth("d27")],
                        absence_reports=[report("2019-09-25", youth_id="d6"), report("2019-09-24", youth_id="d7"),
                                         report("2019-09-04", youth_id="d27")])
    assert [value(weeks, i, "weeks_since_last_report") for i in ("d6", "d7", "d27")] == [0, 1, 3]


# --- dropout episodes ----------------------------------------------------------------------------


def test_dropout_episodes(data_dir):
    ids = ("plain", "diploma_on_grace_end", "diploma_after_grace", "restart_on_grace_end", "restart_after_grace",
           "restart_on_end_day", "diploma_on_start", "diploma_before_start", "still_enrolled", "ends_on_as_of",
           "future_saves_nothing", "two_episodes")
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ids],
        enrollments=[
            enrolment("2016-08-01", "2017-03-01", "plain"),
            enrolment("2016-08-01", "2017-03-01", "diploma_on_grace_end"),
            enrolment("2016-08-01", "2017-03-01", "diploma_after_grace"),
            enrolment("2016-08-01", "2017-03-01", "restart_on_grace_end"),
            enrolment("2017-04-01", None, "restart_on_grace_end", school_id="S2"),
            enrolment("2016-08-01", "2017-03-01", "restart_after_grace"),
            enrolment("2017-04-02", None, "restart_after_grace", school_id="S2"),
            enrolment("2016-08-01", "2017-03-01", "restart_on_end_day"),
            enrolment("2017-03-01", None, "restart_on_end_day", school_id="S2"),
            enrolment("2016-08-01", "2017-03-01", "diploma_on_start"),
            enrolment("2016-08-01", "2017-03-01", "diploma_before_start"),
            enrolment("2016-08-01", "2019-10-02", "still_enrolled"),
            enrolment("2016-08-01", "2019-10-01", "ends_on_as_of"),
            enrolment("2016-08-01", "2019-09-20", "future_saves_nothing"),
            enrolment("2019-10-05", None, "future_saves_nothing", school_id="S2"),
            enrolment("2015-08-01", "2016-01-31", "two_episodes"),
            enrolment("2016-08-01", "2017-03-01", "two_episodes", school_id="S2"),
            enrolment("2018-08-01", None, "two_episodes", school_id="S3"),
        ],
        diplomas=[
            diploma("2017-04-01", "mbo-1", "diploma_on_grace_end"),  # end + 31 days: still in the grace period
            diploma("2017-04-02", "mbo-1", "diploma_after_grace"),
            diploma("2016-08-01", "vmbo-kb", "diploma_on_start"),
            diploma("2016-07-31", "vmbo-kb", "diploma_before_start"),
            diploma("2019-10-02", "mbo-1", "future_saves_nothing"),  # after the reference date: does not count
        ],
    )
    expected = {
        "plain": 1, "diploma_on_grace_end": 0, "diploma_after_grace": 1, "restart_on_grace_end": 0,
        "restart_after_grace": 1, "restart_on_end_day": 0, "diploma_on_start": 0, "diploma_before_start": 1,
        "still_enrolled": 0, "ends_on_as_of": 1, "future_saves_nothing": 1, "two_episodes": 2,
    }
    assert {i: value(frame, i, "dropout_episodes") for i in ids} == expected


# --- the vo -> mbo transition --------------------------------------------------------------------


def test_vo_mbo_transition_in_the_last_year(data_dir):
    ids = ("vmbo", "havo", "pro", "vso", "from_mbo1", "no_previous", "window_edge", "window_inside",
           "tie_secondary_last", "tie_secondary_first", "mbo_after_as_of", "same_day_as_mbo")
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ids],
        enrollments=[
            enrolment("2014-08-01", "2019-07-31", "vmbo", education_type="vmbo-kb"),
            enrolment("2019-08-15", None, "vmbo", school_id="S2", education_type="mbo-2"),
            enrolment("2014-08-01", "2019-07-31", "havo", education_type="havo"),
            enrolment("2019-08-15", None, "havo", school_id="S2", education_type="mbo-4"),
            enrolment("2014-08-01", "2019-07-31", "pro", education_type="pro"),
            enrolment("2019-08-15", None, "pro", school_id="S2", education_type="mbo-1"),
            enrolment("2014-08-01", "2019-07-31", "vso", education_type="vso"),
            enrolment("2019-08-15", None, "vso", school_id="S2", education_type="mbo-1"),
            enrolment("2018-08-01", "2019-07-31", "from_mbo1", education_type="mbo-1"),
            enrolment("2019-08-15", None, "from_mbo1", school_id="S2", education_type="mbo-2"),
            enrolment("2019-08-15", None, "no_previous", education_type="mbo-2"),
            enrolment("2014-08-01", "2018-07-31", "window_edge", education_type="vmbo-gt"),
            enrolment("2018-10-01", None, "window_edge", school_id="S2", education_type="mbo-2"),  # 365 days: outside
            enrolment("2014-08-01", "2018-07-31", "window_inside", education_type="vmbo-gt"),
            enrolment("2018-10-02", None, "window_inside", school_id="S2", education_type="mbo-2"),  # 364 days: inside
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_last", education_type="mbo-1"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_last", education_type="vmbo-bb"),
            enrolment("2019-08-15", None, "tie_secondary_last", school_id="S2", education_type="mbo-2"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_first", education_type="vmbo-bb"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_first", education_type="mbo-1"),
            enrolment("2019-08-15", None, "tie_secondary_first", school_id="S2", education_type="mbo-2"),
            enrolment("2014-08-01", "2019-07-31", "mbo_after_as_of", education_type="vmbo-kb"),
            enrolment("2019-10-02", None, "mbo_after_as_of", school_id="S2", education_type="mbo-2"),
            enrolment("2019-08-15", None, "same_day_as_mbo", education_type="vmbo-kb"),
            enrolment("2019-08-15", None, "same_day_as_mbo", school_id="S2", education_type="mbo-2"),
        ],
    )
    expected = {
        "vmbo": 1, "havo": 1, "pro": 1, "vso": 1, "from_mbo1": 0, "no_previous": 0, "window_edge": 0,
        "window_inside": 1, "tie_secondary_last": 1, "tie_secondary_first": 0, "mbo_after_as_of": 0,
        "same_day_as_mbo": 0,  # the preceding enrolment has an earlier start date; here there is none
    }
    assert {i: value(frame, i, "vo_mbo_transition_1y") for i in ids} == expected


def test_vo_mbo_transition_is_a_direct_step_of_at_most_92_days(data_dir):
    ids = ("gap_92", "gap_93", "gap_28_months", "open_previous", "previous_ends_after_as_of",
           "previous_ends_on_mbo_start", "previous_ends_after_mbo_start", "edge_outside", "edge_inside")
    frame = features_at(
        data_dir,
        youths=[youth(i) for i in ids],
        enrollments=[
            enrolment("2015-08-01", "2019-05-15", "gap_92", education_type="vmbo-kb"),
            enrolment("2019-08-15", None, "gap_92", school_id="30AB00", education_type="mbo-2"),
            enrolment("2015-08-01", "2019-05-14", "gap_93", education_type="vmbo-kb"),
            enrolment("2019-08-15", None, "gap_93", school_id="30AB00", education_type="mbo-2"),
            enrolment("2013-08-01", "2017-04-15", "gap_28_months", education_type="havo"),
            enrolment("2019-08-15", None, "gap_28_months", school_id="30AB00", education_type="mbo-4"),
            enrolment("2015-08-01", None, "open_previous", education_type="vmbo-gt"),
            enrolment("2019-08-15", None, "open_previous", school_id="30AB00", education_type="mbo-3"),
            enrolment("2015-08-01", "2019-12-31", "previous_ends_after_as_of", education_type="pro"),
            enrolment("2019-08-15", None, "previous_ends_after_as_of", school_id="30AB00", education_type="mbo-1"),
            enrolment("2015-08-01", "2019-08-15", "previous_ends_on_mbo_start", education_type="vso"),
            enrolment("2019-08-15", None, "previous_ends_on_mbo_start", school_id="30AB00", education_type="mbo-1"),
            enrolment("2015-08-01", "2019-09-01", "previous_ends_after_mbo_start", education_type="vwo"),
            enrolment("2019-08-15", None, "previous_ends_after_mbo_start", school_id="30AB00", education_type="mbo-4"),
            # the mbo start exactly 365 days before the reference date (outside) or 364 (inside); previous still open
            enrolment("2014-08-01", None, "edge_outside", education_type="vmbo-bb"),
            enrolment("2018-10-01", None, "edge_outside", school_id="30AB00", education_type="mbo-2"),
            enrolment("2014-08-01", None, "edge_inside", education_type="vmbo-bb"),
            enrolment("2018-10-02", None, "edge_inside", school_id="30AB00", education_type="mbo-2"),
        ],
    )
    expected = {
        "gap_92": 1, "gap_93": 0, "gap_28_months": 0, "open_previous": 1, "previous_ends_after_as_of": 1,
        "previous_ends_on_mbo_start": 1, "previous_ends_after_mbo_start": 1, "edge_outside": 0, "edge_inside": 1,
    }
    assert {i: value(frame, i, "vo_mbo_transition_1y") for i in ids} == expected


# --- point in time as a property -----------------------------------------------------------------


def add_future_records(data: DataSet, rng: np.random.Generator, as_of: dt.date) -> DataSet:
    """Random records dated after `as_of` for random known youths, and ends after `as_of` moved elsewhere after it."""
    ids = data.youths["youth_id"].to_numpy()
    after = pd.Timestamp(as_of) + pd.to_timedelta(rng.integers(1, 3000, size=3 * 400), unit="D")
    pick = rng.choice(ids, size=400)
    enrol = pd.DataFrame({
        "youth_id": pick, "school_id": rng.choice(["S1", "S2", "NEW"], 400),
        "school_municipality": rng.choice(["Dordrecht", "buiten_regio", "onbekend"], 400),
        "education_type": rng.choice(["mbo-2", "vmbo-kb", "havo", "onbekend"], 400),
        "learning_path": rng.choice(["BOL", "BBL", None], 400),
        "start_date": after[:400], "end_date": np.where(rng.random(400) < 0.5, after[:400] + pd.Timedelta(days=200), pd.NaT),
    }).astype({"end_date": "datetime64[s]", "start_date": "datetime64[s]"})
    dips = pd.DataFrame({"youth_id": rng.choice(ids, 400), "diploma_date": after[400:800],
                         "level": rng.choice(["mbo-2", "havo", "mbo-1", "vmbo-gt"], 400)}).astype({"diploma_date": "datetime64[s]"})
    reps = pd.DataFrame({"youth_id": rng.choice(ids, 400), "report_date": after[800:], "school_id": "S1",
                         "kind": rng.choice(["16uur", "te_laat", "overig"], 400), "hours": rng.integers(0, 40, 400).astype(float),
                         "report_id": None})
    enrollments = data.enrollments.copy()
    open_after = enrollments["end_date"].isna() | (enrollments["end_date"] > pd.Timestamp(as_of))
    moved = open_after & (rng.random(len(enrollments)) < 0.5)
    enrollments.loc[moved, "end_date"] = pd.Timestamp(as_of) + pd.Timedelta(days=int(rng.integers(1, 400)))
    def shuffled(frame, extra):  # future rows interleaved anywhere in the file order
        both = pd.concat([frame, extra.astype(frame.dtypes.to_dict())], ignore_index=True)
        return both.iloc[rng.permutation(len(both))].reset_index(drop=True)
    return DataSet(
        youths=data.youths,
        enrollments=shuffled(enrollments, enrol),
        diplomas=shuffled(data.diplomas, dips),
        absence_reports=shuffled(data.absence_reports, reps),
        quality=data.quality,
    )


def features_for(data: DataSet, as_of: dt.date) -> pd.DataFrame:
    events = events_from_dataset(data)
    day = day_of(as_of)
    return feature_frame(compute_features(events.as_of(day), day))


@pytest.fixture(scope="module")
def small_population(tmp_path_factory):
    from data_synthetic.generate import WorldConfig, generate_world
    from data_synthetic.writer import write_tables

    directory = tmp_path_factory.mktemp("pit")
    write_tables(directory, generate_world(WorldConfig(youths=1500, seed=5)).tables)
    return read_data_dir(directory)


@pytest.mark.parametrize("as_of", [dt.date(2019, 10, 1), dt.date(2022, 3, 15), dt.date(2026, 10, 1)])
def test_records_after_the_reference_date_never_change_a_feature(small_population, as_of):
    before = features_for(small_population, as_of)
    for seed in range(12):
        changed = add_future_records(small_population, np.random.default_rng(seed), as_of)
        pd.testing.assert_frame_equal(features_for(changed, as_of), before, check_exact=True, obj=f"features at {as_of}, seed {seed}")
    later = as_of + dt.timedelta(days=3000)  # the same records do count once the reference date has passed them
    assert not features_for(changed, later).equals(features_for(small_population, later))


# --- messy data ----------------------------------------------------------------------------------


def test_messy_data_is_counted_and_normalised(data_dir):
    directory = data_dir(
        youths=[youth("A"), youth("A"), youth("B"), youth("C")],
        enrollments=[
            enrolment("2017-08-01", None, "A", school_municipality="Oud-Beijerland", education_type="MBO-2", learning_path=" bol "),
            enrolment("2017-08-01", None, "A", school_municipality="Oud-Beijerland", education_type="MBO-2", learning_path=" bol "),
            enrolment("2018-08-01", None, "B", education_type="mbo-5"),
            enrolment("2018-08-01", None, "ghost"),
        ],
        diplomas=[diploma("2017-07-01", "vmbo-9", "C"), diploma("2017-07-01", "havo", "ghost")],
        absence_reports=[
            report("2019-09-10", "16uur", 16, "A"), report("2019-09-10", "16uur", 16, "A"),
            report("2019-09-11", "spijbelen", 5, "A"), report("2019-09-11", "16uur", 5, "nobody"),
        ],
    )
    table = build_feature_table(read_data_dir(directory), AS_OF)
    quality = table.quality
    assert quality.duplicates_dropped == {"youths": 1, "enrollments": 1, "diplomas": 0, "absence_reports": 1}
    assert quality.unknown_youth_records == {"enrollments": 1, "diplomas": 1, "absence_reports": 1}
    assert quality.municipality_names_mapped["enrollments.school_municipality"] == 1
    assert quality.unknown_enum_values["enrollments.education_type"] == 1
    assert quality.unknown_enum_values["diplomas.level"] == 1
    assert quality.unknown_enum_values["absence_reports.kind"] == 1
    assert quality.unknown_enum_values["enrollments.learning_path"] == 0  # " bol " is BOL
    frame = table.to_frame().set_index("youth_id")
    assert frame.loc["A", "school_municipality"] == "Hoeksche Waard"
    assert frame.loc["A", "current_education"] == "mbo-2"
    assert frame.loc["A", "learning_path"] == "BOL"
    assert frame.loc["A", "absence_hours_4w"] == 16 + 5  # the duplicate counted once; unknown kind kept
    assert frame.loc["A", "absence_reports_52w"] == 2
    assert frame.loc["B", "current_education"] == "onbekend"  # an enrolment of unknown type still counts
    assert frame.loc["B", "enrolled"] == 1
    assert frame.loc["C", "last_diploma"] == "onbekend"  # in scope: an unknown level is no startkwalificatie
    assert "ghost" not in frame.index


# --- the `vsv features` command ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_vsv_features_writes_rows_labels_and_the_quality_summary(data_dir, tmp_path, suffix):
    directory = data_dir(
        youths=[youth("A", "1996-06-15"), youth("B", "1999-01-01"), youth("kid", "2005-01-01"),
                youth("old", "1990-01-01"), youth("done", "1999-01-01")],
        enrollments=[enrolment("2018-08-01", "2019-06-30", "A"), enrolment("2018-08-01", None, "B")],
        diplomas=[diploma("2019-06-01", "mbo-2", "done"), diploma("2019-06-01", "mbo-2", "A"),
                  diploma("2018-06-01", "mbo-2", "ghost")],
        absence_reports=[report("2019-09-20", "16uur", 16, "B"), report("2020-01-01", "16uur", 8, "B")],
    )
    out = tmp_path / f"features{suffix}"
    result = CliRunner().invoke(app, ["features", "--data", str(directory), "--as-of", "2019-01-01",
                                      "--out", str(out), "--labels"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"youth_id": str}) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["youth_id", "as_of", *FEATURE_NAMES, CURRENT_LAW.label]
    assert list(frame["youth_id"]) == ["A", "B", "done"]
    labels = dict(zip(frame["youth_id"], frame[CURRENT_LAW.label], strict=True))
    assert labels["A"] == 0.0  # mbo-2 on 2019-06-01, before the 23rd birthday on 2019-06-15
    assert np.isnan(labels["B"]) and np.isnan(labels["done"])  # they turn 23 in 2022, after the data's end
    quality = json.loads((tmp_path / "features.quality.json").read_text())
    assert quality["out_of_scope"] == {"under_18": 1, "over_age": 1, "has_startkwalificatie": 0}
    assert quality["records_after_as_of"] == {"enrollments": 0, "diplomas": 2, "absence_reports": 2}
    assert quality["unknown_youth_records"]["diplomas"] == 1
    assert quality["in_scope"] == 3 and quality["as_of"] == "2019-01-01"
    assert "Data-quality summary at 2019-01-01" in result.output
    assert "records after as of: absence_reports=2, diplomas=2, enrollments=0" in result.output


def test_vsv_features_stops_on_a_contract_violation_with_file_row_and_column(data_dir, tmp_path):
    directory = data_dir(youths=[youth("A")], absence_reports=[report("2019-09-01", hours=-3)])
    result = CliRunner().invoke(app, ["features", "--data", str(directory), "--as-of", "2019-10-01",
                                      "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 2
    assert "absence_reports.csv, row 2, column 'hours': negative hours (-3.0)" in result.output
    assert not (tmp_path / "f.csv").exists()
