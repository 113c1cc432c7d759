"""The World API: determinism, the written files, size and settings, the calendar's closures, injected shifts,
planted harms, the data contract's mess, and the point-in-time property of the features."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_synthetic.calendar import KNOWN_SHIFTS
from data_synthetic.generate import WorldConfig, generate_world, parse_planted_bias, write_world
from data_synthetic.population import FIRST_BIRTH, LAST_BIRTH
from data_synthetic.region import build_schools
from features.build import build_feature_table
from features.events import events_from_dataset
from vsv_model.contract import MUNICIPALITY_MERGERS, REGION_MUNICIPALITIES, TABLES
from vsv_model.dates import day_of
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.target_group import EXTENDED_TO_27


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def written(tmp_path: Path, name: str, config: WorldConfig, fmt: str = "csv") -> Path:
    write_world(tmp_path / name, generate_world(config), fmt)
    return tmp_path / name


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_one_seed_gives_byte_identical_files(tmp_path, fmt):
    a = written(tmp_path, "a", WorldConfig(youths=1500, seed=3), fmt)
    b = written(tmp_path, "b", WorldConfig(youths=1500, seed=3), fmt)
    assert digest(a) == digest(b)
    assert set(digest(a)) == {f"{t.name}.{fmt}" for t in TABLES} | {"truth.csv", "truth_events.csv", "realism.csv",
                                                                    "generation_summary.json", "office_cases.csv"}


def test_another_seed_gives_another_world():
    a, b = (generate_world(WorldConfig(youths=1500, seed=s)) for s in (3, 4))
    assert not np.array_equal(a.tables["youths"]["birth_date"], b.tables["youths"]["birth_date"])


def test_the_written_files_pass_the_reader_with_exactly_the_asked_youths(small_world, small_dir):
    data = read_data_dir(small_dir)
    assert len(data.youths) == 8000
    assert data.end_date() <= dt.date(2026, 9, 30)  # nothing is dated on or after the data's end
    births = data.youths["birth_date"]
    assert births.min() >= pd.Timestamp(FIRST_BIRTH) and births.max() <= pd.Timestamp(LAST_BIRTH)
    truth = pd.read_csv(small_dir / "truth.csv", dtype={"youth_id": str})
    assert list(truth.columns) == ["youth_id", "as_of", "p_true", "no_sq_by_23", "p_true_27", "no_sq_by_27"]
    assert sorted(truth["as_of"].unique()) == [f"{y}-10-01" for y in range(2014, 2027)]
    assert set(truth["youth_id"]) <= set(data.youths["youth_id"])


def test_no_hidden_state_is_written(small_dir):
    """Only the contract's columns, the truth's and aggregates: no traits, life events or states per youth."""
    for schema in TABLES:
        assert list(pd.read_csv(small_dir / f"{schema.name}.csv", nrows=0).columns) == list(schema.column_names)
    summary = json.loads((small_dir / "generation_summary.json").read_text())
    assert set(summary) == {"rows", "youths", "seed", "data_end", "drift", "mess_rate", "shifts", "shift_start",
                            "planted_bias", "exemptions", "truth_method", "calendar_effects", "reference_dates", "cohorts_at",
                            "office", "route_effects", "office_settings", "office_reactions"}  # the office: aggregates
    assert set(summary["office_reactions"]) == {"cases", "randomised", "refused", "by_route", "without_event"}
    assert summary["calendar_effects"][3] == {"name": "school_closure_all", "start": "2020-03-16", "end": "2020-06-01",
                                              "changes": "absence reports", "size": 0.1, "in_force": True}
    assert summary["truth_method"] == "exact: backward induction over the simulator's own state"
    date = summary["reference_dates"]["2016-10-01"]
    assert date["capacity"] == 470 and date["capacity_share"] == round(470 / date["in_scope"], 4)
    assert 0.8 < date["by_23"]["auc_p_true"] < 1.0 and date["by_23"]["labelled"] == date["in_scope"]


def test_the_realism_figures_computed_from_the_files_are_the_world_s(small_world, small_dir):
    """World.realism is computed from the written tables: the files read back as written give the same."""
    from data_synthetic.realism import realism_table

    raw = {}
    for schema in TABLES:
        frame = pd.read_csv(small_dir / f"{schema.name}.csv", dtype=str, keep_default_na=False)
        for column in schema.columns_of_kind("date"):
            frame[column.name] = [day_of(v) if v else np.iinfo(np.int64).min // 2 for v in frame[column.name]]
        raw[schema.name] = {c: frame[c].to_numpy() for c in frame.columns}
    again = realism_table(raw, small_world.config.data_end)
    pd.testing.assert_frame_equal(again, small_world.realism, check_dtype=False)


def reports_in(tables: dict, first: str, last: str) -> int:
    days = tables["absence_reports"]["report_date"]
    return int(((days >= day_of(first)) & (days <= day_of(last))).sum())


@pytest.fixture(scope="module")
def no_drift_world():
    return generate_world(WorldConfig(youths=20000, seed=5, drift=False))


def closure_ratio(world) -> float:
    """Reports dated in the first closure's span (16 March - 1 June) of 2020 over the mean of 2017-2019's."""
    before = np.mean([reports_in(world.tables, f"{y}-03-16", f"{y}-06-01") for y in (2017, 2018, 2019)])
    return reports_in(world.tables, "2020-03-16", "2020-06-01") / before


def test_the_school_closures_show_as_a_dip_in_reports_that_is_gone_without_drift(default_world, no_drift_world):
    # at 1:1 (seed 1) about 0.28 with or without the office; at 8,000 youths the span holds some 50 reports a year,
    # so the ratio there moves by about 0.08 with any change of the random path (0.24 without the office, 0.40 with)
    assert closure_ratio(default_world) <= 0.35
    assert 0.7 <= closure_ratio(no_drift_world) <= 1.35


def test_without_drift_every_calendar_effect_is_listed_as_off(small_world, no_drift_world):
    assert small_world.calendar_effects["in_force"].all()
    assert not no_drift_world.calendar_effects["in_force"].any()
    assert list(small_world.calendar_effects["name"]) == list(no_drift_world.calendar_effects["name"])


@pytest.mark.parametrize("name", KNOWN_SHIFTS)
def test_a_shift_of_size_zero_gives_byte_identical_files(tmp_path, name):
    base = digest(written(tmp_path, "base", WorldConfig(youths=1500, seed=3)))
    shifted = digest(written(tmp_path, name, WorldConfig(youths=1500, seed=3, shifts=((name, 0.0),))))
    assert {k: v for k, v in shifted.items() if k != "generation_summary.json"} == \
        {k: v for k, v in base.items() if k != "generation_summary.json"}


SHIFT_SIZE = 15000


def shift_world(**settings):
    """15,000 youths without mess (mess is drawn over whole tables, so it would differ wherever a shift does)."""
    return generate_world(WorldConfig(youths=SHIFT_SIZE, seed=6, mess_rate=0.0, **settings))


@pytest.fixture(scope="module")
def shift_base():
    return shift_world()


def frame(world, table: str) -> pd.DataFrame:
    return pd.DataFrame(world.tables[table])


def before(world, table: str, column: str, day: str = "2025-10-01") -> pd.DataFrame:
    """The records dated before `day` (enrolments without their end date, which a later month may set)."""
    rows = frame(world, table)
    rows = rows[rows[column] < day_of(day)].reset_index(drop=True)
    return rows.drop(columns="end_date") if "end_date" in rows else rows


def test_the_absence_level_shift_raises_absence_from_its_start_and_changes_nothing_else(shift_base):
    """Size 1 doubles the rate of new absence; spells already running go on as they were, so a year's reports
    rise by less than double."""
    shifted = shift_world(shifts=(("absence_level", 1.0),))
    # with the office a report brings a reaction, which changes the chain: only what lies before the start is the same
    pd.testing.assert_frame_equal(before(shifted, "enrollments", "start_date"),
                                  before(shift_base, "enrollments", "start_date"))
    pd.testing.assert_frame_equal(before(shifted, "absence_reports", "report_date"),
                                  before(shift_base, "absence_reports", "report_date"))
    counts = [reports_in(w.tables, "2025-10-01", "2026-09-30") for w in (shift_base, shifted)]
    assert 1.3 <= counts[1] / counts[0] <= 2.2, counts
    assert shifted.hidden.rules.key() == shift_base.hidden.rules.key()  # an emission: the truth's dynamics are the same
    earlier = [w.truth[w.truth["as_of"] < "2025-10-01"].reset_index(drop=True) for w in (shifted, shift_base)]
    pd.testing.assert_frame_equal(*earlier)


def test_the_reporting_stop_silences_the_largest_mbo_location_from_its_start(shift_base):
    shifted = shift_world(shifts=(("reporting_stop", 1.0),))
    schools = build_schools()
    largest = schools.school_id[schools.largest("mbo")]
    assert largest == schools.school_id[(schools.municipality == "Dordrecht") & (schools.sector == "mbo")][0]
    for world, expect_reports in ((shift_base, True), (shifted, False)):
        reports = frame(world, "absence_reports")
        late = reports[(reports["school_id"] == largest) & (reports["report_date"] >= day_of("2025-11-01"))]
        assert (len(late) > 0) == expect_reports  # (October may still see September's late reports)
    pd.testing.assert_frame_equal(before(shifted, "absence_reports", "report_date"),
                                  before(shift_base, "absence_reports", "report_date"))


def test_the_dropout_hazard_shift_raises_leaving_and_the_truth_from_its_start(shift_base):
    shifted = shift_world(shifts=(("dropout_hazard", 1.0),))
    pd.testing.assert_frame_equal(before(shifted, "enrollments", "start_date"),
                                  before(shift_base, "enrollments", "start_date"))
    leavers = [w.realism.query("figure == 'new_early_school_leavers' and school_year == '2025/26'")["simulated"].item()
               for w in (shift_base, shifted)]
    assert leavers[1] > 1.5 * leavers[0], leavers
    p = [w.truth.query("as_of == '2025-10-01'")["p_true"].mean() for w in (shift_base, shifted)]
    assert p[1] > p[0] + 0.03
    earlier = [w.truth.query("as_of == '2017-10-01'")["p_true_27"].to_numpy() for w in (shift_base, shifted)]
    assert (earlier[1] >= earlier[0] - 1e-12).all() and (earlier[1] > earlier[0]).any()  # the truth sees it coming


def test_the_mbo_mix_shift_moves_new_mbo_enrolments_one_level_down_from_its_start(shift_base):
    shifted = shift_world(shifts=(("mbo_mix", 0.5),))

    def low_share(world) -> float:
        """mbo-1 and mbo-2 among the vo→mbo transitions of August 2026 (entries the kernels choose)."""
        rows = frame(world, "enrollments").sort_values(["youth_id", "start_date"], kind="stable")
        previous = rows.groupby("youth_id")["education_type"].shift()
        new = rows[(rows["start_date"] >= day_of("2026-08-01")) & rows["education_type"].str.startswith("mbo")
                   & previous.isin(["vmbo-bb", "vmbo-kb", "vmbo-gt"])]
        assert len(new) > 200
        return new["education_type"].isin(["mbo-1", "mbo-2"]).mean()

    assert low_share(shifted) > low_share(shift_base) + 0.08
    pd.testing.assert_frame_equal(before(shifted, "enrollments", "start_date", "2025-08-01"),
                                  before(shift_base, "enrollments", "start_date", "2025-08-01"))


def report_rate_by_origin(world) -> pd.Series:
    reports = frame(world, "absence_reports").merge(frame(world, "youths")[["youth_id", "origin"]], on="youth_id")
    counted = reports.groupby("origin").size()
    return counted / frame(world, "youths").groupby("origin").size()


def test_planted_under_reporting_cuts_the_reports_of_one_group_only(shift_base):
    harmed = shift_world(planted_bias=(("underreporting", 0.6),))
    ratio = report_rate_by_origin(harmed) / report_rate_by_origin(shift_base)
    assert 0.3 <= ratio["buiten_europa"] <= 0.5, ratio
    assert 0.9 <= ratio["nederland"] <= 1.1, ratio
    # reports are emissions: the truth's dynamics are the same (with the office, fewer reports bring fewer reactions,
    # so the youths' states, and truth.csv, differ where the office reacted otherwise)
    assert harmed.hidden.rules.key() == shift_base.hidden.rules.key()


def test_a_planted_hidden_gap_raises_one_group_s_risk_through_a_path_no_table_shows(shift_base):
    harmed = shift_world(planted_bias=(("hidden_gap", 1.0),))
    assert harmed.hidden.origin_in_state and not shift_base.hidden.origin_in_state

    def gap(world) -> float:
        truth = world.truth.merge(frame(world, "youths")[["youth_id", "origin"]].drop_duplicates("youth_id"),
                                  on="youth_id")
        rates = truth.dropna(subset=["no_sq_by_23"]).groupby(truth["origin"] == "buiten_europa")["p_true"].mean()
        return rates[True] - rates[False]

    assert gap(harmed) > gap(shift_base) + 0.03
    pd.testing.assert_frame_equal(before(harmed, "enrollments", "start_date", "2000-01-01"),
                                  before(shift_base, "enrollments", "start_date", "2000-01-01"))


def test_the_planted_bias_option_names_the_hidden_gap_s_group():
    assert parse_planted_bias(["hidden_gap=0.5@origin=europa"]) == ((("hidden_gap", 0.5),), ("origin", "europa"))
    assert parse_planted_bias(["hidden_gap=0.5@gender=V", "underreporting"]) == (
        (("hidden_gap", 0.5), ("underreporting", 0.6)), ("gender", "V"))
    assert parse_planted_bias(["hidden_gap=2"]) == ((("hidden_gap", 2.0),), ("origin", "buiten_europa"))
    with pytest.raises(ValueError, match="only hidden_gap takes a group"):
        parse_planted_bias(["underreporting=0.5@gender=V"])


def mean_truth_by(world, attribute: str) -> pd.Series:
    """Mean p_true over the labelled rows (outcome by 23), per group of an audit attribute."""
    youths = frame(world, "youths")[["youth_id", attribute]].drop_duplicates("youth_id")
    truth = world.truth.dropna(subset=["no_sq_by_23"]).merge(youths, on="youth_id")
    return truth.groupby(attribute)["p_true"].mean()


def test_a_hidden_gap_planted_in_a_named_group_raises_the_truth_of_that_group_only(shift_base):
    harmed = shift_world(planted_bias=(("hidden_gap", 1.0),), hidden_gap_group=("gender", "V"))
    rise = mean_truth_by(harmed, "gender") - mean_truth_by(shift_base, "gender")
    assert rise["V"] > 0.02, rise
    # the office's capacity is shared: V's higher scores move its reactions to M too, and p_true (no reaction from
    # the date on) reads the state a reaction changed, so M's truth stays as it was only without the office
    plain = [shift_world(office=False, **settings) for settings in
             ({}, {"planted_bias": (("hidden_gap", 1.0),), "hidden_gap_group": ("gender", "V")})]
    rise = mean_truth_by(plain[1], "gender") - mean_truth_by(plain[0], "gender")
    assert rise["V"] > 0.02 and abs(rise["M"]) < 0.002, rise
    assert harmed.summary()["hidden_gap_group"] == "gender=V"


# --- the data contract's mess ------------------------------------------------------------------------------

MESS_RATES = (0.0, 0.02, 0.10)
OUTSIDE_PLACES = sorted(set(build_schools().municipality) - set(REGION_MUNICIPALITIES))
TEXT_COLUMNS = [(schema.name, column.name, column.values) for schema in TABLES for column in schema.columns
                if column.kind == "enum" or column.municipality]


@pytest.fixture(scope="module")
def by_mess_rate(tmp_path_factory) -> dict[float, Path]:
    """The same world (3,000 youths, seed 3) written at each mess rate."""
    directories = {}
    for rate in MESS_RATES:
        directories[rate] = tmp_path_factory.mktemp(f"mess{rate}")
        write_world(directories[rate], generate_world(WorldConfig(youths=3000, seed=3, mess_rate=rate)))
    return directories


def read_raw(directory: Path, name: str) -> pd.DataFrame:
    """A CSV table exactly as written: every cell as text, blanks as '', spaces kept."""
    return pd.read_csv(directory / f"{name}.csv", dtype=str, keep_default_na=False)


def canonical_targets(values: tuple[str, ...]) -> dict[str, str]:
    if values:
        return {v: v for v in values}
    region = {m: m for m in REGION_MUNICIPALITIES}
    old = {name: (today if today in region else "buiten_regio") for name, today in MUNICIPALITY_MERGERS.items()}
    return region | old | {place: "buiten_regio" for place in OUTSIDE_PLACES}


def oddly_written(raw: pd.Series, targets: dict[str, str]) -> pd.Series:
    by_key = {name.casefold(): target for name, target in targets.items()}
    return raw.str.strip().str.casefold().map(by_key).where(~raw.isin(targets.keys()))


def count_mess(directory: Path) -> dict[str, int]:
    quality = read_data_dir(directory).quality
    reports = read_raw(directory, "absence_reports")
    odd = sum(int(oddly_written(read_raw(directory, t)[c], canonical_targets(v)).notna().sum())
              for t, c, v in TEXT_COLUMNS)
    return {
        "exact duplicates": sum(quality.duplicates_dropped.values()),
        "reports delivered again": sum(quality.redeliveries_dropped.values()),
        "records of unknown youths": sum(quality.unknown_youth_records.values()),
        "pre-2019 municipality names": sum(quality.municipality_names_mapped.values()),
        "unknown enum values": sum(quality.unknown_enum_values.values()),
        "missing hours (not te_laat)": int(((reports["kind"].str.strip().str.casefold() != "te_laat")
                                            & (reports["hours"] == "")).sum()),
        "odd case and spacing": odd,
    }


def test_mess_can_be_switched_off(by_mess_rate):
    directory = by_mess_rate[0.0]
    assert {kind: n for kind, n in count_mess(directory).items() if n} == {}
    for table, column, values in TEXT_COLUMNS:
        written_values = set(read_raw(directory, table)[column]) - {""}
        assert written_values <= set(values or [*REGION_MUNICIPALITIES, *OUTSIDE_PLACES]), (table, column)


def test_every_kind_of_mess_grows_with_the_rate(by_mess_rate):
    low, high = count_mess(by_mess_rate[0.02]), count_mess(by_mess_rate[0.10])
    for kind in low:
        assert 0 < low[kind] < high[kind], (kind, low[kind], high[kind])


def test_mess_never_hides_a_startkwalificatie(by_mess_rate):
    """An unknown level is no startkwalificatie: spoiling one would change who is in scope, and the truth."""
    raw = read_raw(by_mess_rate[0.10], "diplomas")
    clean = read_raw(by_mess_rate[0.0], "diplomas")
    known = raw["level"].str.strip().str.casefold().isin(["havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"])
    clean_sq = clean["level"].isin(["havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"])
    assert known.sum() >= clean_sq.sum()  # duplicates may add, nothing is lost


def test_lateness_reports_mostly_carry_no_hours_even_without_mess(by_mess_rate):
    reports = read_raw(by_mess_rate[0.0], "absence_reports")
    late = reports[reports["kind"] == "te_laat"]
    assert len(late) > 20 and 0.6 < (late["hours"] == "").mean() < 0.95


@pytest.mark.parametrize(("table", "column", "values"), TEXT_COLUMNS, ids=[f"{t}.{c}" for t, c, _ in TEXT_COLUMNS])
def test_odd_case_and_spacing_occur_and_the_reader_normalises_them(by_mess_rate, table, column, values):
    directory = by_mess_rate[0.10]
    expected = oddly_written(read_raw(directory, table)[column], canonical_targets(values)).dropna()
    assert len(expected) > 0
    read = read_data_dir(directory).table(table)[column]
    kept = expected.index.intersection(read.index)
    assert len(kept) > 0
    assert read.loc[kept].astype(str).tolist() == expected.loc[kept].tolist()


# --- point in time ------------------------------------------------------------------------------------------


def cut(data: DataSet, as_of: dt.date) -> DataSet:
    """The data set without every record dated after `as_of`."""
    day = pd.Timestamp(as_of)
    return DataSet(
        youths=data.youths,
        enrollments=data.enrollments[data.enrollments["start_date"] <= day],
        diplomas=data.diplomas[data.diplomas["diploma_date"] <= day],
        absence_reports=data.absence_reports[data.absence_reports["report_date"] <= day],
        quality=data.quality,
    )


def test_removing_every_record_after_a_yearly_date_changes_no_feature_at_it(small_dir):
    data = read_data_dir(small_dir)
    events = events_from_dataset(data)
    for year in range(2014, 2027):
        as_of = dt.date(year, 10, 1)
        full = build_feature_table(data, as_of, group=EXTENDED_TO_27, events=events)
        trimmed = build_feature_table(cut(data, as_of), as_of, group=EXTENDED_TO_27)
        assert len(full) > 200
        pd.testing.assert_frame_equal(full.to_frame(), trimmed.to_frame(), check_exact=True, obj=str(as_of))
