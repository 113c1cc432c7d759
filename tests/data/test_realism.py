"""The region's figures: their definitions on hand-made tables, and the world at 1:1 against the published
values within the stated tolerances (slow: the default size)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from data_synthetic import realism
from data_synthetic.region import ABSENCE_PER_1000
from vsv_model.dates import MISSING_DAY, day_of


def keyed(youths: list[str], enrolments: list[tuple], diplomas: list[tuple] = (), reports: list[tuple] = ()) -> dict:
    """Tables keyed by youth position: youths are birth dates; enrolments (youth, type, start, end or None);
    diplomas (youth, level, day); reports (youth, day)."""
    days = lambda values: np.array([MISSING_DAY if v is None else day_of(v) for v in values], np.int64)  # noqa: E731
    return {
        "youths": {"youth_id": np.arange(len(youths)), "birth_date": days(youths),
                   "residence_municipality": np.array(["Dordrecht"] * len(youths), dtype=object)},
        "enrollments": {"youth_id": np.array([e[0] for e in enrolments]),
                        "education_type": np.array([e[1] for e in enrolments], dtype=object),
                        "start_date": days([e[2] for e in enrolments]), "end_date": days([e[3] for e in enrolments])},
        "diplomas": {"youth_id": np.array([d[0] for d in diplomas], np.int64),
                     "level": np.array([d[1] for d in diplomas], dtype=object),
                     "diploma_date": days([d[2] for d in diplomas])},
        "absence_reports": {"youth_id": np.array([r[0] for r in reports], np.int64),
                            "report_date": days([r[1] for r in reports])},
    }


def test_new_early_school_leavers_follow_duo_s_definition():
    tables = keyed(
        ["2000-01-01"] * 5 + ["1990-01-01", "2003-03-03"],
        [(0, "mbo-2", "2014-08-20", "2015-03-10"),  # left and still out a year later: a leaver
         (1, "mbo-2", "2014-08-20", None),  # still enrolled
         (2, "mbo-2", "2014-08-20", "2015-07-10"),  # left with a startkwalificatie
         (3, "vmbo-kb", "2012-08-20", "2015-03-10"), (3, "mbo-1", "2015-09-01", None),  # left and came back
         (4, "mbo-3", "2014-08-20", "2015-03-10"), (4, "hbo", "2015-09-01", "2016-01-10"),  # in hbo a year later
         (5, "mbo-2", "2014-08-20", "2015-03-10"),  # 24: too old to count
         (6, "po", "2007-08-20", None)],  # primary school: not followed
        diplomas=[(2, "mbo-2", "2015-06-15"), (0, "vmbo-kb", "2014-06-15")],
    )
    reg = realism.read_registry(tables)
    assert realism.leavers(reg, 2014) == (1, 100 * 1 / 5)


def test_vo_mbo_transitions_count_mbo_starts_after_a_secondary_enrolment():
    tables = keyed(
        ["2000-01-01"] * 4,
        [(0, "vmbo-kb", "2012-08-20", "2016-08-20"), (0, "mbo-3", "2016-08-20", None),
         (1, "havo", "2012-08-20", "2016-08-20"), (1, "vavo", "2016-08-20", "2017-01-10"),
         (1, "mbo-4", "2017-01-10", None),  # after vavo: not from secondary school
         (2, "pro", "2012-08-20", "2016-03-10"), (2, "mbo-1", "2017-02-01", None),  # a gap, still from secondary
         (3, "vmbo-gt", "2012-08-20", "2017-08-25"), (3, "mbo-4", "2017-08-25", None)],  # the next school year
    )
    reg = realism.read_registry(tables)
    assert [realism.transitions(reg, year) for year in (2015, 2016, 2017)] == [0, 2, 1]


def test_relative_absence_counts_pupils_of_5_to_17_with_a_report_in_the_school_year():
    tables = keyed(
        ["2008-05-05", "2008-05-05", "2001-05-05", "2008-05-05"],
        [(0, "po", "2012-08-20", None), (1, "vmbo-bb", "2016-08-20", None), (2, "mbo-2", "2016-08-20", None),
         (3, "po", "2012-08-20", "2017-09-01")],  # not enrolled on 1 October: no pupil
        reports=[(0, "2017-08-01"), (0, "2018-07-31"), (1, "2018-08-01"), (2, "2017-11-11")],
    )
    pupils, reported, shares = realism.absence(realism.read_registry(tables), 2017)
    assert pupils["region"] == pupils["Dordrecht"] == 3  # not the one who left before 1 October
    assert reported["region"] == 2  # a report on 1 August 2018 belongs to the next school year
    assert shares == {"secondary": 0.0, "vocational": 0.5}


def municipal_absence(table):
    return (table["figure"] == "absence_per_1000") & (table["place"] != "region")


@pytest.mark.slow
def test_every_published_figure_is_within_its_tolerance_at_1_to_1(default_world):
    """All but one school year's relative absence of single municipalities (see the next test)."""
    checked = default_world.realism[default_world.realism["within"].notna()]
    assert len(checked) == 35  # leavers and rate 3 years each, transitions 5, youths 11, absence 11 + 2 shares
    assert set(checked["figure"]) == {"new_early_school_leavers", "early_school_leaver_rate_percent",
                                      "vo_mbo_transitions", "youths_5_17", "absence_per_1000",
                                      "absence_share_secondary_percent", "absence_share_vocational_percent"}
    checked = checked[~municipal_absence(checked)]
    outside = checked[~checked["within"].astype(bool)]
    assert outside.empty, outside[["school_year", "figure", "place", "simulated", "low", "high"]].to_string()


@pytest.mark.slow
def test_one_school_year_s_relative_absence_per_municipality_is_near_the_published_one(default_world):
    """One school year of a municipality counts a few dozen (Hardinxveld-Giessendam, ~45) to a few hundred
    (Dordrecht) reporting pupils: a sampling error of about 4-15%. So in the published year at most one of the ten
    may lie outside ±20%, and none outside ±30%."""
    rows = default_world.realism[municipal_absence(default_world.realism) & (default_world.realism["school_year"]
                                                                             == "2017/18")]
    ratio = rows["simulated"].to_numpy() / rows["published"].astype(float).to_numpy()
    assert len(rows) == 10
    assert (np.abs(ratio - 1) > 0.2).sum() <= 1, dict(zip(rows["place"], ratio.round(3)))
    assert (np.abs(ratio - 1) <= 0.3).all(), dict(zip(rows["place"], ratio.round(3)))


@pytest.mark.slow
def test_relative_absence_per_municipality_holds_over_the_years_before_the_closures(default_world):
    """The mean over 2014/15–2018/19 shows the calibration itself: each municipality within ±20%, the region ±10%."""
    table = default_world.realism
    rows = table[(table["figure"] == "absence_per_1000")
                 & table["school_year"].isin(["2014/15", "2015/16", "2016/17", "2017/18", "2018/19"])]
    mean = rows.groupby("place")["simulated"].mean()
    for place, published in ABSENCE_PER_1000.items():
        assert 0.8 * published <= mean[place] <= 1.2 * published, (place, mean[place])
    assert 0.9 * 27.3 <= mean["region"] <= 1.1 * 27.3


@pytest.mark.slow
def test_the_target_group_and_the_matchmakers_capacity_at_1_to_1(default_world):
    table = default_world.realism.set_index(["school_year", "figure"])["simulated"]
    for year in range(2014, 2027):
        school_year = f"{year}/{str(year + 1)[2:]}"
        group = table[(school_year, "in_scope_18_22")]
        assert 8000 <= group <= 13000  # about 1.5 birth cohorts without a startkwalificatie
        assert table[(school_year, "capacity_share_percent")] == pytest.approx(100 * 470 / group, abs=0.01)
        assert table[(school_year, "in_scope_18_26")] > group


@pytest.mark.slow
def test_the_closures_and_the_labour_market_pull_show_in_the_leavers(default_world):
    leavers = default_world.realism.query("figure == 'early_school_leaver_rate_percent'").set_index("school_year")
    rate = leavers["simulated"]
    before = rate[["2014/15", "2015/16", "2016/17", "2017/18", "2018/19"]].mean()
    assert rate["2020/21"] > before + 0.2  # more dropout after the closures
    assert rate[["2022/23", "2023/24"]].mean() > before + 0.2  # the labour market pulls
    assert abs(rate[["2024/25", "2025/26"]].mean() - before) < 0.25  # and lets go
    assert dt.date(2026, 10, 1) == default_world.config.data_end


@pytest.mark.slow
def test_vsv_generate_prints_each_published_figure_and_the_target_group_per_year(default_world):
    lines = realism.realism_lines(default_world.realism)
    table = default_world.realism.set_index(["school_year", "place", "figure"])["simulated"]
    leavers = next(line for line in lines if line.startswith("new early school leavers:"))
    assert f"2016/17 {table[('2016/17', 'region', 'new_early_school_leavers')]:,.0f}" in leavers
    assert leavers.endswith("3 of 3 within")
    assert any(line.startswith("relative absence per 1,000 per municipality (2017/18, tolerance ±20%): ") for line in lines)
    group = next(line for line in lines if line.startswith("target group 18-22 on 1 October"))
    for year in (2014, 2020, 2026):
        size = table[(f"{year}/{str(year + 1)[2:]}", "region", "in_scope_18_22")]
        assert f"{year} {size:,.0f} ({100 * 470 / size:.1f}%)" in group
