"""What the records look like: the reporting rules, schools, levels and learning paths, the histories the
features read, and the audit attributes' link to place (a small world)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_table
from vsv_model.contract import EDUCATION_TYPES, MBO_TYPES
from vsv_model.reader import read_data_dir


@pytest.fixture(scope="module")
def data(small_dir):
    return read_data_dir(small_dir)


def with_age(reports: pd.DataFrame, youths: pd.DataFrame) -> pd.DataFrame:
    """Reports with the youth's age, and whether the report may concern a minor's absence: reports count a pupil
    as 18 from the month after the 18th birthday's month, and a late report comes a month after the absence."""
    merged = reports.merge(youths[["youth_id", "birth_date", "gender"]], on="youth_id")
    eighteen = merged["birth_date"] + pd.DateOffset(years=18)
    after_month = eighteen.dt.to_period("M").dt.to_timestamp() + pd.DateOffset(months=2)
    return merged.assign(age=(merged["report_date"] - merged["birth_date"]).dt.days / 365.2425,
                         minor=merged["report_date"] < after_month, adult=merged["report_date"] >= eighteen)


def test_reports_follow_the_reporting_rules(data):
    reports = with_age(data.absence_reports, data.youths)
    kind = reports["kind"]
    assert {"16uur", "overig", "te_laat", "luxe", "18plus"} <= set(kind)
    assert (reports.loc[kind == "16uur", "hours"].dropna() >= 16).all()
    assert reports.loc[kind.isin(["16uur", "luxe"]), "minor"].all()
    assert reports.loc[kind == "18plus", "adult"].all()
    minors_overig = reports[(kind == "overig") & ~reports["adult"]]
    assert (minors_overig["hours"].dropna() < 16).all()  # less than 16 hours, reported with concern
    schools = data.enrollments.drop_duplicates("school_id").set_index("school_id")["education_type"]
    at_mbo = schools.reindex(reports.loc[kind == "18plus", "school_id"]).isin([*MBO_TYPES, "vavo", "onbekend"])
    assert at_mbo.all()  # 18plus: a report by an mbo school (vavo is taught at the ROC)


@pytest.mark.slow
def test_boys_are_a_little_over_half_of_the_absence_cases(default_dir):
    data = read_data_dir(default_dir)
    reports = with_age(data.absence_reports, data.youths)
    cases = reports[(reports["age"] >= 12) & (reports["age"] < 18) & (reports["kind"] == "16uur")]
    share = (cases.drop_duplicates("youth_id")["gender"] == "M").mean()
    assert len(cases) > 1000
    assert 0.52 <= share <= 0.60, share  # 56% in the national sample of case files


def test_schools_types_and_learning_paths_are_realistic(data):
    enrollments = data.enrollments
    assert set(EDUCATION_TYPES) <= set(enrollments["education_type"])
    mbo = enrollments[enrollments["education_type"].isin(MBO_TYPES)]
    assert 0.05 < (mbo["learning_path"] == "BBL").mean() < 0.35
    known_other = ~enrollments["education_type"].isin([*MBO_TYPES, "onbekend"])
    assert enrollments.loc[known_other, "learning_path"].isna().all()
    outside = (enrollments["school_municipality"] == "buiten_regio").mean()
    assert 0.03 < outside < 0.30
    primary = enrollments[enrollments["education_type"] == "po"]
    assert primary["school_id"].nunique() > 150  # 195 primary schools in the region


def test_histories_hold_switches_transitions_dropout_and_every_scope_reason(data):
    table = build_feature_table(data, dt.date(2019, 10, 1))
    features = table.features
    assert (features["school_switches"] > 0).mean() > 0.05
    assert (features["dropout_episodes"] > 0).mean() > 0.05
    assert features["vo_mbo_transition_1y"].sum() > 0
    assert 0.4 < features["enrolled"].mean() < 0.95
    assert features["months_not_enrolled"].isna().any()  # newcomers who never enrolled
    assert all(table.quality.out_of_scope[reason] > 0 for reason in ("under_18", "over_age", "has_startkwalificatie"))


def test_origin_is_linked_to_place_and_the_region_s_sizes_hold(data):
    youths = data.youths
    shares = youths["residence_municipality"].value_counts(normalize=True)
    assert list(shares.index[:2]) == ["Dordrecht", "Hoeksche Waard"]
    outside_europe = youths.assign(o=youths["origin"] == "buiten_europa").groupby("residence_municipality")["o"].mean()
    assert outside_europe["Dordrecht"] > 3 * outside_europe["Hoeksche Waard"]


def test_diplomas_come_from_exams_and_the_startkwalificatie_levels_dominate(data):
    levels = data.diplomas["level"].value_counts(normalize=True)
    assert {"vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"} <= set(
        levels.index)
    assert (pd.to_datetime(data.diplomas["diploma_date"]).dt.month == 6).all()
    assert np.isclose(levels.sum(), 1.0)
