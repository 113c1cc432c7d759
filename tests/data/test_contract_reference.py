"""The contract computed twice: the reference (tests/data/contract_reference.py, written from the contract's wording
apart from `features/`) is pinned on hand-made records, then the vectorised builders must equal it on every youth
of a generated population, at two 1 Octobers, at a date that is not 1 October and at a random date per youth.

The reference date of the hand-made fixtures is 2019-10-01; its windows are 28 days: 2019-09-04 .., 364 days:
2018-10-03 .., 365 days: 2018-10-02 .., 730 days: 2017-10-02 .. ."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_table, compute_features, feature_frame
from features.events import events_from_dataset
from tests.builders import diploma, enrolment, report, youth
from tests.data.contract_reference import FACT_COLUMNS, facts_table, read_facts, youth_histories
from vsv_model.dates import day_of
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.reader import read_data_dir

AS_OF = dt.date(2019, 10, 1)


def facts(data_dir, as_of=AS_OF, **tables) -> pd.DataFrame:
    return read_facts(data_dir(**tables), as_of)


def column(frame: pd.DataFrame, name: str, ids) -> dict:
    return {i: frame.loc[i, name] for i in ids}


# --- the reference itself, on hand-made records ------------------------------------------------------------------


def test_the_reference_names_the_builders_features():
    assert sorted(FACT_COLUMNS) == sorted(FEATURE_NAMES)


def test_reference_switches(data_dir):
    ids = ("po_to_vmbo", "two_locations", "two_institutions", "diploma_between", "window_outside", "window_inside",
           "po_and_a_switch", "tie_new_last", "tie_old_last", "unknown_type")
    frame = facts(
        data_dir,
        youths=[youth(i) for i in ids],
        enrollments=[
            enrolment("2006-08-01", "2014-07-31", "po_to_vmbo", school_id="10AA00", education_type="po"),
            enrolment("2014-08-01", None, "po_to_vmbo", school_id="20BB00", education_type="vmbo-kb"),
            enrolment("2016-08-01", "2017-07-31", "two_locations", school_id="17HX01"),
            enrolment("2017-08-01", None, "two_locations", school_id="17HX00"),
            enrolment("2016-08-01", "2018-07-31", "two_institutions", school_id="17HX00"),
            enrolment("2018-08-01", None, "two_institutions", school_id="18AB00"),
            enrolment("2016-08-01", "2017-07-31", "diploma_between", school_id="17HX00"),
            enrolment("2017-08-01", None, "diploma_between", school_id="18AB00"),
            enrolment("2016-08-01", None, "window_outside", school_id="17HX00"),
            enrolment("2017-10-01", None, "window_outside", school_id="18AB00"),
            enrolment("2016-08-01", None, "window_inside", school_id="17HX00"),
            enrolment("2017-10-02", None, "window_inside", school_id="18AB00"),
            enrolment("2006-08-01", "2012-07-31", "po_and_a_switch", school_id="10AA00", education_type="po"),
            enrolment("2012-08-01", "2016-07-31", "po_and_a_switch", school_id="17HX00", education_type="vmbo-kb"),
            enrolment("2016-08-01", None, "po_and_a_switch", school_id="18AB00"),
            enrolment("2016-08-01", None, "tie_new_last", school_id="17HX00"),
            enrolment("2018-08-01", None, "tie_new_last", school_id="18AB00"),
            enrolment("2018-08-01", None, "tie_new_last", school_id="17HX01"),
            enrolment("2016-08-01", None, "tie_old_last", school_id="17HX00"),
            enrolment("2018-08-01", None, "tie_old_last", school_id="17HX01"),
            enrolment("2018-08-01", None, "tie_old_last", school_id="18AB00"),
            enrolment("2016-08-01", "2018-07-31", "unknown_type", school_id="17HX00"),
            enrolment("2018-08-01", None, "unknown_type", school_id="18AB00", education_type="mbo 9"),
        ],
        diplomas=[diploma("2017-08-01", "mbo-1", "diploma_between")],  # on the later start: still between
    )
    got = {i: (frame.loc[i, "school_switches"], frame.loc[i, "school_switches_2y"]) for i in ids}
    assert got == {
        "po_to_vmbo": (0, 0), "two_locations": (0, 0), "two_institutions": (1, 1), "diploma_between": (0, 0),
        "window_outside": (1, 0), "window_inside": (1, 1), "po_and_a_switch": (1, 0), "tie_new_last": (2, 2),
        "tie_old_last": (1, 1), "unknown_type": (1, 1),
    }


def test_reference_transition(data_dir):
    ids = ("gap_92", "gap_93", "open_previous", "previous_ends_after_as_of", "edge_outside", "edge_inside",
           "from_mbo", "from_vavo", "tie_secondary_last", "tie_secondary_first")
    frame = facts(
        data_dir,
        youths=[youth(i) for i in ids],
        enrollments=[
            enrolment("2015-08-01", "2019-05-15", "gap_92", education_type="vmbo-kb"),
            enrolment("2019-08-15", None, "gap_92", school_id="30AB00", education_type="mbo-2"),
            enrolment("2015-08-01", "2019-05-14", "gap_93", education_type="vmbo-kb"),
            enrolment("2019-08-15", None, "gap_93", school_id="30AB00", education_type="mbo-2"),
            enrolment("2015-08-01", None, "open_previous", education_type="havo"),
            enrolment("2019-08-15", None, "open_previous", school_id="30AB00", education_type="mbo-4"),
            enrolment("2015-08-01", "2019-12-31", "previous_ends_after_as_of", education_type="pro"),
            enrolment("2019-08-15", None, "previous_ends_after_as_of", school_id="30AB00", education_type="mbo-1"),
            enrolment("2014-08-01", None, "edge_outside", education_type="vso"),
            enrolment("2018-10-01", None, "edge_outside", school_id="30AB00", education_type="mbo-2"),
            enrolment("2014-08-01", None, "edge_inside", education_type="vso"),
            enrolment("2018-10-02", None, "edge_inside", school_id="30AB00", education_type="mbo-2"),
            enrolment("2018-08-01", "2019-07-31", "from_mbo", education_type="mbo-1"),
            enrolment("2019-08-15", None, "from_mbo", school_id="30AB00", education_type="mbo-2"),
            enrolment("2018-08-01", "2019-07-31", "from_vavo", education_type="vavo"),
            enrolment("2019-08-15", None, "from_vavo", school_id="30AB00", education_type="mbo-2"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_last", education_type="mbo-1"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_last", education_type="vmbo-bb"),
            enrolment("2019-08-15", None, "tie_secondary_last", school_id="30AB00", education_type="mbo-2"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_first", education_type="vmbo-bb"),
            enrolment("2014-08-01", "2019-07-31", "tie_secondary_first", education_type="mbo-1"),
            enrolment("2019-08-15", None, "tie_secondary_first", school_id="30AB00", education_type="mbo-2"),
        ],
    )
    assert column(frame, "vo_mbo_transition_1y", ids) == {
        "gap_92": 1, "gap_93": 0, "open_previous": 1, "previous_ends_after_as_of": 1, "edge_outside": 0,
        "edge_inside": 1, "from_mbo": 0, "from_vavo": 0, "tie_secondary_last": 1, "tie_secondary_first": 0,
    }


def test_reference_dropout(data_dir):
    ids = ("plain", "diploma_on_grace_end", "diploma_after_grace", "restart_on_grace_end", "restart_after_grace",
           "restart_on_end_day", "ends_after_as_of", "restart_after_as_of")
    frame = facts(
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
            enrolment("2016-08-01", "2019-10-02", "ends_after_as_of"),
            enrolment("2016-08-01", "2019-09-20", "restart_after_as_of"),
            enrolment("2019-10-05", None, "restart_after_as_of", school_id="S2"),
        ],
        diplomas=[diploma("2017-04-01", "mbo-1", "diploma_on_grace_end"),
                  diploma("2017-04-02", "mbo-1", "diploma_after_grace")],
    )
    assert column(frame, "dropout_episodes", ids) == {
        "plain": 1, "diploma_on_grace_end": 0, "diploma_after_grace": 1, "restart_on_grace_end": 0,
        "restart_after_grace": 1, "restart_on_end_day": 0, "ends_after_as_of": 0, "restart_after_as_of": 1,
    }


def test_reference_status_age_and_windows(data_dir):
    frame = facts(
        data_dir,
        as_of=dt.date(2019, 2, 28),
        youths=[youth("leap", "2000-02-29"), youth("left", "2000-03-01"), youth("never", "2000-03-01")],
        enrollments=[enrolment("2016-08-01", None, "leap", education_type="mbo-4", learning_path="BBL"),
                     enrolment("2016-08-01", "2018-07-31", "left", school_municipality="Leerdam")],
        diplomas=[diploma("2018-07-01", "vmbo-kb", "left"), diploma("2018-07-01", "mbo-1", "left")],
        absence_reports=[
            report("2019-01-31", "16uur", 16, "leap"),  # 28 days before 2019-02-28: outside the 4 weeks
            report("2019-02-01", "overig", None, "leap"),  # inside; missing hours count 0
            report("2019-02-02", "te_laat", 2.5, "leap"),
            report("2018-03-01", "luxe", 8, "leap"),  # 364 days before: outside the year
            report("2018-03-02", "spijbelen", 4, "leap"),  # an unknown kind counts as a report other than te_laat
        ],
    )
    assert frame.loc["leap"].to_dict() == {
        "age": 19, "school_municipality": "Dordrecht", "last_diploma": "geen", "school_switches": 0,
        "school_switches_2y": 0, "enrolled": 1, "current_education": "mbo-4", "learning_path": "BBL",
        "months_not_enrolled": 0.0, "absence_hours_4w": 2.5, "absence_hours_13w": 18.5, "absence_hours_52w": 22.5,
        "absence_reports_52w": 3, "late_reports_52w": 1, "weeks_since_last_report": 3.0, "dropout_episodes": 0,
        "vo_mbo_transition_1y": 0, "out_of_scope": None,
    }
    left = frame.loc["left"]
    assert (left["age"], left["enrolled"], left["current_education"], left["learning_path"]) == (18, 0, "geen", "geen")
    assert left["months_not_enrolled"] == 6.0  # 212 days / 30.44 = 6.96
    assert (left["school_municipality"], left["last_diploma"]) == ("buiten_regio", "mbo-1")  # tie: listed last
    assert left["weeks_since_last_report"] is None
    assert left["dropout_episodes"] == 0  # a diploma dated from the start to 31 days after the end
    never = frame.loc["never"]
    assert (never["months_not_enrolled"], never["school_municipality"], never["enrolled"]) == (None, "onbekend", 0)
    assert (never["age"], never["out_of_scope"]) == (18, None)


def test_reference_scope(data_dir):
    frame = facts(
        data_dir,
        youths=[youth("under", "2001-10-02"), youth("turns18", "2001-10-01"), youth("turns23", "1996-10-01"),
                youth("sq", "2000-01-01"), youth("sq_after", "2000-01-01"), youth("young_sq", "2002-01-01")],
        diplomas=[diploma("2019-10-01", "havo", "sq"), diploma("2019-10-02", "mbo-2", "sq_after"),
                  diploma("2019-06-01", "mbo-2", "young_sq")],
    )
    assert frame["out_of_scope"].to_dict() == {
        "under": "under_18", "turns18": None, "turns23": "over_age", "sq": "has_startkwalificatie", "sq_after": None,
        "young_sq": "under_18",  # the first reason that applies
    }


# --- the builders against the reference on a whole generated population ------------------------------------------


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Features as plain Python values (categories as text, missing as None), in the reference's column order."""
    out = frame[list(FACT_COLUMNS)].astype(object)
    return out.where(out.notna(), None)


def differences(built: pd.DataFrame, reference: pd.DataFrame) -> list[str]:
    """Every (youth, feature) where the builders and the reference disagree, as readable lines."""
    assert list(built.index) == list(reference.index)
    lines = []
    for name in FACT_COLUMNS:
        for youth_id, b, r in zip(built.index, built[name], reference[name], strict=True):
            if not (b == r or (b is None and r is None)):
                lines.append(f"{youth_id} {name}: builders {b!r}, reference {r!r}")
    return lines


@pytest.fixture(scope="module")
def population(population_dir):
    data = read_data_dir(population_dir)
    return data, youth_histories(data, set(data.youths["youth_id"]))


@pytest.mark.parametrize("as_of", [dt.date(2019, 10, 1), dt.date(2024, 10, 1), dt.date(2023, 3, 17)])
def test_builders_equal_the_reference_for_every_youth_in_scope(population, as_of):
    data, histories = population
    table = build_feature_table(data, as_of)
    built = plain(table.features.set_index(pd.Index(table.keys["youth_id"], name="youth_id")))
    reference = facts_table(histories, as_of)
    in_scope = reference.index[reference["out_of_scope"].isna()]
    assert len(in_scope) > 1500
    assert sorted(built.index) == sorted(in_scope)
    assert differences(built, plain(reference.loc[built.index])) == []
    out = reference["out_of_scope"].dropna().value_counts().to_dict()
    assert out == {k: v for k, v in table.quality.out_of_scope.items() if v}


def test_builders_equal_the_reference_at_a_random_day_per_youth(population):
    """Every youth of the population, in scope or not, each at its own day between 2012 and 2026."""
    data, histories = population
    events = events_from_dataset(data)
    rng = np.random.default_rng(17)
    days = rng.integers(day_of(dt.date(2012, 1, 1)), day_of(dt.date(2026, 10, 1)), size=events.n_youths)
    built = feature_frame(compute_features(events.as_of(days), days))
    built.index = pd.Index(events.youth_ids, name="youth_id")
    as_of = dict(zip(events.youth_ids, pd.to_datetime(days, unit="D").date, strict=True))
    reference = facts_table(histories, as_of, list(events.youth_ids))
    assert differences(plain(built), plain(reference)) == []
    assert (reference["school_switches"] > 0).sum() > 1000 and (reference["vo_mbo_transition_1y"] == 1).sum() > 50
