"""The synthetic population: determinism, realism within documented ranges, injected mess, known truth."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

from data_synthetic.generate import GeneratorConfig, generate_population
from data_synthetic.truth import p_true
from data_synthetic.writer import write_tables, write_truth
from features.build import build_feature_table
from features.events import events_from_dataset
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


def test_mess_can_be_switched_off(tmp_path):
    population = generate_population(GeneratorConfig(youths=1500, seed=3, mess_rate=0.0))
    write_tables(tmp_path, population.tables)
    quality = read_data_dir(tmp_path).quality
    assert sum(quality.duplicates_dropped.values()) == 0
    assert sum(quality.unknown_youth_records.values()) == 0
    assert sum(quality.unknown_enum_values.values()) == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"youths": 0}, "youths must be at least 1"),
    ({"mess_rate": 0.9}, "mess_rate must lie between 0 and 0.5"),
    ({"current_as_of": dt.date(2021, 1, 1)}, "at least 5 years after"),
])
def test_bad_configuration_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**kwargs)
