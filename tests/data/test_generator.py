"""The synthetic population: determinism, realism within documented ranges, injected mess, known truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from data_synthetic.generate import GeneratorConfig, generate_population
from data_synthetic.region import build_schools
from data_synthetic.truth import p_true, true_logit
from data_synthetic.writer import write_tables, write_truth
from features.build import build_feature_table
from features.events import events_from_dataset
from vsv_cli.app import app
from vsv_model.contract import MUNICIPALITY_MERGERS, REGION_MUNICIPALITIES, TABLES
from vsv_model.feature_spec import AUDIT_COLUMNS, FEATURE_NAMES
from vsv_model.reader import read_data_dir

N = 8000


@pytest.fixture(scope="module")
def population():
    return generate_population(GeneratorConfig(youths=N, seed=7))


@pytest.fixture(scope="module")
def written(population, tmp_path_factory):
    directory = tmp_path_factory.mktemp("population")
    write_tables(directory, population.tables)
    write_truth(directory, population.truth)
    return directory


@pytest.fixture(scope="module")
def dataset(written):
    return read_data_dir(written)


def digest(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_files(tmp_path, fmt):
    for run in ("a", "b"):
        population = generate_population(GeneratorConfig(youths=1500, seed=3))
        write_tables(tmp_path / run, population.tables, fmt)
        write_truth(tmp_path / run, population.truth)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_another_seed_gives_another_population(tmp_path):
    a = generate_population(GeneratorConfig(youths=1500, seed=3)).truth
    b = generate_population(GeneratorConfig(youths=1500, seed=4)).truth
    assert not a["youth_id"].equals(b["youth_id"])


def test_written_files_pass_the_contract_reader(dataset, population):
    assert dataset.quality.rows_read["youths"] == len(population.tables["youths"]["youth_id"])
    assert len(dataset.youths) == N
    assert dataset.end_date() <= dt.date(2026, 10, 1)


def test_truth_is_reproduced_from_the_feature_builders(dataset, written):
    """The generator's p_true is a function of the features the project's builders compute from the files."""
    truth = pd.read_csv(written / "truth.csv", dtype={"youth_id": str})
    events = events_from_dataset(dataset)
    for as_of, expected in truth.groupby("as_of"):
        table = build_feature_table(dataset, dt.date.fromisoformat(as_of), with_label=True, events=events)
        got = pd.DataFrame({"youth_id": table.keys["youth_id"], "p": p_true(table.features)})
        merged = expected.merge(got, on="youth_id", how="outer", indicator=True)
        assert (merged["_merge"] == "both").all(), "the generator's in-scope youths are exactly the builders' in-scope youths"
        np.testing.assert_allclose(merged["p"], merged["p_true"], rtol=0, atol=1e-9)
        if as_of == "2019-10-01":
            labels = expected.merge(table.to_frame(True)[["youth_id", "no_sq_by_23"]], on="youth_id")
            np.testing.assert_array_equal(labels["no_sq_by_23_x"], labels["no_sq_by_23_y"])


def test_historical_labels_are_all_known_and_current_ones_are_not(dataset):
    historical = build_feature_table(dataset, dt.date(2019, 10, 1), with_label=True)
    current = build_feature_table(dataset, dt.date(2026, 10, 1), with_label=True)
    assert historical.label.notna().all()
    assert current.label.isna().all()


def test_outcome_rate_within_documented_range_and_matches_mean_p_true(population):
    historical = population.truth[population.truth["as_of"] == "2019-10-01"]
    rate, p = historical["no_sq_by_23"].mean(), historical["p_true"]
    assert 0.20 <= rate <= 0.40
    sampling_sd = np.sqrt((p * (1 - p)).sum()) / len(p)
    assert abs(rate - p.mean()) < 4 * sampling_sd


def test_truth_reads_no_audit_attribute(population):
    features = population.truth_features
    assert not set(AUDIT_COLUMNS) & set(features.columns)
    np.testing.assert_array_equal(p_true(features[list(FEATURE_NAMES)]), population.truth["p_true"].to_numpy())


def test_scope_reasons_are_all_exercised(dataset):
    quality = build_feature_table(dataset, dt.date(2019, 10, 1)).quality
    assert all(quality.out_of_scope[reason] > 0 for reason in ("under_18", "over_age", "has_startkwalificatie"))


def test_municipality_sizes_and_origin_follow_the_region(dataset):
    youths = dataset.youths
    shares = youths["residence_municipality"].value_counts(normalize=True)
    assert shares.index[0] == "Dordrecht" and shares.index[1] == "Hoeksche Waard"
    assert 0.18 < shares["Dordrecht"] < 0.27
    outside_europe = youths.assign(o=youths["origin"] == "buiten_europa").groupby("residence_municipality")["o"].mean()
    assert outside_europe["Dordrecht"] > 3 * outside_europe["Hoeksche Waard"], "origin is linked to place"


def test_absence_is_higher_where_the_region_reports_more(dataset):
    reports = dataset.absence_reports.merge(dataset.youths[["youth_id", "residence_municipality"]], on="youth_id")
    per_youth = reports.groupby("residence_municipality").size() / dataset.youths.groupby("residence_municipality").size()
    assert per_youth["Dordrecht"] > per_youth["Hardinxveld-Giessendam"]


def test_reporting_rules_shape_the_reports(dataset):
    reports = dataset.absence_reports
    assert reports.loc[reports["kind"] == "16uur", "hours"].dropna().min() >= 16
    assert reports.loc[reports["kind"] == "overig", "hours"].dropna().max() < 16
    kinds = set(reports["kind"])
    assert {"16uur", "overig", "te_laat", "luxe", "18plus"} <= kinds
    adults = reports.merge(dataset.youths[["youth_id", "birth_date"]], on="youth_id")
    age = (adults["report_date"] - adults["birth_date"]).dt.days / 365.25
    assert (age[adults["kind"] == "18plus"] >= 18).all() and (age[adults["kind"] == "16uur"] < 18).all()


def test_schools_levels_and_learning_paths_are_realistic(dataset):
    enrollments = dataset.enrollments
    mbo = enrollments[enrollments["education_type"].str.startswith("mbo")]
    bbl_share = (mbo["learning_path"] == "BBL").mean()
    assert 0.05 < bbl_share < 0.35
    known_non_mbo = ~enrollments["education_type"].str.startswith("mbo") & (enrollments["education_type"] != "onbekend")
    assert enrollments.loc[known_non_mbo, "learning_path"].isna().all()
    outside = (enrollments["school_municipality"] == "buiten_regio").mean()
    assert 0.03 < outside < 0.30
    assert {"vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "pro", "vso", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "vavo"} <= set(enrollments["education_type"])


def test_histories_contain_switches_transitions_and_dropout(dataset):
    features = build_feature_table(dataset, dt.date(2019, 10, 1)).features
    assert (features["school_switches"] > 0).mean() > 0.2
    assert (features["dropout_episodes"] > 0).mean() > 0.2
    assert features["vo_mbo_transition_1y"].sum() > 0
    assert 0.25 < features["enrolled"].mean() < 0.75


def test_every_kind_of_mess_is_present(dataset):
    quality = dataset.quality
    assert all(quality.duplicates_dropped[t] > 0 for t in ("youths", "enrollments", "diplomas", "absence_reports"))
    assert all(quality.unknown_youth_records[t] > 0 for t in ("enrollments", "diplomas", "absence_reports"))
    assert quality.municipality_names_mapped["enrollments.school_municipality"] > 0
    assert quality.municipality_names_mapped["youths.residence_municipality"] > 0
    for key in ("enrollments.education_type", "enrollments.learning_path", "diplomas.level", "absence_reports.kind"):
        assert quality.unknown_enum_values[key] > 0, key
    non_late = dataset.absence_reports[dataset.absence_reports["kind"] != "te_laat"]
    assert non_late["hours"].isna().sum() > 0


MESS_RATES = (0.0, 0.02, 0.10)
OUTSIDE_PLACES = sorted(set(build_schools().municipality) - set(REGION_MUNICIPALITIES))
TEXT_COLUMNS = [(schema.name, column.name, column.values) for schema in TABLES for column in schema.columns
                if column.kind == "enum" or column.municipality]


@pytest.fixture(scope="module")
def by_mess_rate(tmp_path_factory) -> dict[float, Path]:
    """The same population (3,000 youths, seed 3) written at each mess rate."""
    directories = {}
    for rate in MESS_RATES:
        directories[rate] = tmp_path_factory.mktemp(f"mess{rate}")
        write_tables(directories[rate], generate_population(GeneratorConfig(youths=3000, seed=3, mess_rate=rate)).tables)
    return directories


def read_raw(directory: Path, name: str) -> pd.DataFrame:
    """A CSV table exactly as written: every cell as text, blanks as '', spaces kept."""
    return pd.read_csv(directory / f"{name}.csv", dtype=str, keep_default_na=False)


def canonical_targets(values: tuple[str, ...]) -> dict[str, str]:
    """Each value written the contract's way -> what the reader must make of it (`values`: an enum's; none
    for a municipality column)."""
    if values:
        return {v: v for v in values}
    region = {m: m for m in REGION_MUNICIPALITIES}
    old = {name: (today if today in region else "buiten_regio") for name, today in MUNICIPALITY_MERGERS.items()}
    return region | old | {place: "buiten_regio" for place in OUTSIDE_PLACES}


def oddly_written(raw: pd.Series, targets: dict[str, str]) -> pd.Series:
    """A known value only after trimming and ignoring case, or NaN where the cell is not odd."""
    by_key = {name.casefold(): target for name, target in targets.items()}
    target = raw.str.strip().str.casefold().map(by_key)
    return target.where(~raw.isin(targets.keys()))


def count_odd_writing(directory: Path) -> int:
    return sum(int(oddly_written(read_raw(directory, t)[c], canonical_targets(v)).notna().sum()) for t, c, v in TEXT_COLUMNS)


def count_mess(directory: Path) -> dict[str, int]:
    quality = read_data_dir(directory).quality
    reports = read_raw(directory, "absence_reports")
    return {
        "exact duplicates": sum(quality.duplicates_dropped.values()),
        "records of unknown youths": sum(quality.unknown_youth_records.values()),
        "pre-2019 municipality names": sum(quality.municipality_names_mapped.values()),
        "unknown enum values": sum(quality.unknown_enum_values.values()),
        "missing hours (not te_laat)": int(((reports["kind"].str.strip().str.casefold() != "te_laat") & (reports["hours"] == "")).sum()),
        "odd case and spacing": count_odd_writing(directory),
    }


def test_mess_can_be_switched_off(by_mess_rate):
    directory = by_mess_rate[0.0]
    assert {kind: n for kind, n in count_mess(directory).items() if n} == {}
    for table, column, values in TEXT_COLUMNS:
        written = set(read_raw(directory, table)[column]) - {""}
        assert written <= set(values or [*REGION_MUNICIPALITIES, *OUTSIDE_PLACES]), (table, column)


def test_lateness_reports_mostly_carry_no_hours_even_without_mess(by_mess_rate):
    """Realism by design, not mess: lateness is reported in times late, rarely in hours."""
    reports = read_raw(by_mess_rate[0.0], "absence_reports")
    late = reports[reports["kind"] == "te_laat"]
    assert 0.6 < (late["hours"] == "").mean() < 0.95


def test_every_kind_of_mess_grows_with_the_rate(by_mess_rate):
    low, high = count_mess(by_mess_rate[0.02]), count_mess(by_mess_rate[0.10])
    for kind in low:
        assert 0 < low[kind] < high[kind], (kind, low[kind], high[kind])


@pytest.mark.parametrize(("table", "column", "values"), TEXT_COLUMNS, ids=[f"{t}.{c}" for t, c, _ in TEXT_COLUMNS])
def test_odd_case_and_spacing_occur_and_the_reader_normalises_them(by_mess_rate, table, column, values):
    directory = by_mess_rate[0.10]
    expected = oddly_written(read_raw(directory, table)[column], canonical_targets(values)).dropna()
    assert len(expected) > 0
    read = read_data_dir(directory).table(table)[column]
    kept = expected.index.intersection(read.index)  # duplicates and unknown youths' rows are dropped
    assert len(kept) > 0
    assert read.loc[kept].astype(str).tolist() == expected.loc[kept].tolist()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"youths": 0}, "youths must be at least 1"),
    ({"mess_rate": 0.9}, "mess_rate must lie between 0 and 0.5"),
    ({"current_as_of": dt.date(2021, 1, 1)}, "at least 5 years after"),
])
def test_bad_configuration_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**kwargs)


def test_a_config_dated_29_february_is_checked_not_crashed():
    with pytest.raises(ValueError, match="at least 5 years after"):
        GeneratorConfig(historical_as_of=dt.date(2020, 2, 29), current_as_of=dt.date(2025, 2, 28))
    assert GeneratorConfig(historical_as_of=dt.date(2020, 2, 29), current_as_of=dt.date(2025, 3, 1)).youths == 20_000


def one_youth_at_ages(ages: list[int], enrolled: int) -> pd.DataFrame:
    """The same hand-made youth at several ages, every other feature fixed."""
    row = {
        "school_municipality": "Dordrecht", "last_diploma": "vmbo-kb", "school_switches": 1, "school_switches_2y": 0,
        "enrolled": enrolled, "current_education": "mbo-2" if enrolled else "geen", "learning_path": "BOL" if enrolled else "geen",
        "months_not_enrolled": 0.0 if enrolled else 8.0, "absence_hours_4w": 0.0, "absence_hours_13w": 12.0,
        "absence_hours_52w": 30.0, "absence_reports_52w": 2, "late_reports_52w": 1, "weeks_since_last_report": 5.0,
        "dropout_episodes": 0 if enrolled else 1, "vo_mbo_transition_1y": 0,
    }
    return pd.DataFrame([{"age": age, **row} for age in ages])[list(FEATURE_NAMES)]


@pytest.mark.parametrize(("enrolled", "early_step", "late_step"), [
    (1, 0.30 + 0.50 * (1 / 4 - 1 / 5), 0.30 + 0.50 * (1 / 1 - 1 / 2)),
    (0, 0.57 + 0.75 * (1 / 4 - 1 / 5), 0.57 + 0.75 * (1 / 1 - 1 / 2)),
])
def test_age_weighs_more_when_little_time_to_23_is_left(enrolled, early_step, late_step):
    """The age effect is convex: 21 -> 22 adds more log-odds than 18 -> 19 (values from the documented formula)."""
    at_18, at_19, at_21, at_22 = true_logit(one_youth_at_ages([18, 19, 21, 22], enrolled))
    assert at_19 - at_18 == pytest.approx(early_step, abs=1e-12)
    assert at_22 - at_21 == pytest.approx(late_step, abs=1e-12)
    assert at_22 - at_21 > at_19 - at_18


def run_vsv_generate(out: Path) -> None:
    command = [sys.executable, "-m", "vsv_cli", "generate", "--out", str(out), "--youths", "2000", "--seed", "1"]
    subprocess.run(command, check=True, capture_output=True, cwd=Path(__file__).resolve().parents[2])


def test_vsv_generate_twice_with_one_seed_writes_identical_files_the_reader_accepts(tmp_path):
    run_vsv_generate(tmp_path / "a")
    run_vsv_generate(tmp_path / "b")
    files = digest(tmp_path / "a")
    assert set(files) == {"youths.csv", "enrollments.csv", "diplomas.csv", "absence_reports.csv", "truth.csv", "generation_summary.json"}
    assert files == digest(tmp_path / "b")
    dataset = read_data_dir(tmp_path / "a")
    assert len(dataset.youths) == 2000
    assert dataset.quality.rows_read["youths"] > 2000  # the default mess (exact duplicates) was read and dropped


def test_vsv_generate_refuses_a_bad_configuration_with_a_message_and_code_2(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["generate", "--out", str(out), "--youths", "100",
                                      "--historical-as-of", "2019-10-01", "--current-as-of", "2021-01-01"])
    assert result.exit_code == 2
    assert result.stderr == "error: current_as_of must be at least 5 years after historical_as_of, so every historical label is known\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()
