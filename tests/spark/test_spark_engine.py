"""The Spark engine (`--engine spark`, local[2]) gives the in-process output and the in-process contract errors.

One Spark session for the whole module (the jobs use a running session as it is); the session's small synthetic
world (`population_dir`, about 2,100 youths in scope) and champion (`champion_store`). The input is given to
Spark as partitioned Parquet datasets, so reading part files is covered too.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.builders import enrolment, youth
from vsv_cli.app import app
from vsv_model.contract import TABLES

pytestmark = pytest.mark.slow
AS_OF = "2026-10-01"


@pytest.fixture(scope="module")
def spark():
    from spark_jobs.session import LOCAL, spark_session

    with spark_session(LOCAL) as session:
        yield session
        session.stop()


def run_vsv(*args: str):
    return CliRunner().invoke(app, list(args))


def as_parquet_datasets(source, target, parts: int = 3):
    """The data directory's four tables as Parquet datasets of `parts` part files each (text columns as in CSV)."""
    target.mkdir()
    for schema in TABLES:
        table = pa_csv.read_csv(source / f"{schema.name}.csv", convert_options=pa_csv.ConvertOptions(
            column_types={name: "string" for name in schema.column_names}))
        folder = target / f"{schema.name}.parquet"
        folder.mkdir()
        size = -(-table.num_rows // parts)
        for number in range(parts):
            pq.write_table(table.slice(number * size, size), folder / f"part-{number:05d}.parquet")
    return target


def test_spark_scores_are_the_in_process_scores(spark, champion_store, population_dir, tmp_path):
    from serving.batch import score_population

    expected = score_population(champion_store["served"], population_dir, dt.date.fromisoformat(AS_OF), explain=True).frame
    data = as_parquet_datasets(population_dir, tmp_path / "data")
    out = tmp_path / "scores.parquet"
    result = run_vsv("score", "--data", str(data), "--as-of", AS_OF, "--out", str(out), "--explain", "--engine", "spark")
    assert result.exit_code == 0, result.output
    actual = pd.read_parquet(out)
    assert list(actual["youth_id"]) == list(expected["youth_id"]) and len(actual) > 1000
    assert_same_output(actual, expected)


def assert_same_output(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, rows in the same order, floats to 1e-9 and everything else equal."""
    assert list(actual.columns) == list(expected.columns)
    for name in expected.columns:
        if pd.api.types.is_float_dtype(expected[name]):
            np.testing.assert_allclose(actual[name].to_numpy(float), expected[name].to_numpy(float), rtol=0, atol=1e-9,
                                       err_msg=name)
        else:
            assert actual[name].astype(object).where(actual[name].notna(), None).tolist() == \
                expected[name].astype(object).where(expected[name].notna(), None).tolist(), name


def test_spark_event_scores_are_the_in_process_event_scores(spark, champion_store, population_dir, tmp_path):
    """Every event of a year, each as of its own day: the kind goes into `mlflow.pyfunc.spark_udf`, so each row gets
    its kind's calibration and cut-offs, exactly as in-process."""
    from features.office_events import EVENT_KINDS, office_events
    from serving.batch import score_events
    from vsv_model.feature_spec import FEATURE_NAMES
    from vsv_model.reader import read_data_dir
    from vsv_model.risk_model import encode_frame

    window = (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
    dataset = read_data_dir(population_dir)
    expected = score_events(champion_store["served"], dataset, office_events(dataset, *window), explain=True,
                            window=window).frame
    data = as_parquet_datasets(population_dir, tmp_path / "data")
    out = tmp_path / "events.parquet"
    result = run_vsv("score", "--data", str(data), "--events", "--from", str(window[0]), "--to", str(window[1]),
                     "--out", str(out), "--explain", "--engine", "spark")
    assert result.exit_code == 0, result.output
    actual = pd.read_parquet(out)
    assert set(actual["kind"]) == set(EVENT_KINDS) and len(actual) > 200
    assert_same_output(actual, expected)
    model = champion_store["model"]
    assert model.kinds
    for kind in EVENT_KINDS:
        rows = actual[actual["kind"] == kind]
        own = model.for_kind(kind).probability(encode_frame(rows[list(FEATURE_NAMES)]))
        np.testing.assert_allclose(rows["probability"], own, rtol=0, atol=1e-9, err_msg=kind)
    assert "Per kind of event" in result.stdout and "new_leaver" in result.stdout


def test_spark_features_are_the_in_process_features(spark, population_dir, tmp_path):
    expected_out, out = tmp_path / "features.parquet", tmp_path / "spark-features.parquet"
    common = ["features", "--data", str(population_dir), "--as-of", "2022-10-01", "--labels"]
    assert run_vsv(*common, "--out", str(expected_out)).exit_code == 0
    result = run_vsv(*common, "--out", str(out), "--engine", "spark")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(expected_out), check_dtype=False)
    assert (tmp_path / "spark-features.quality.json").exists()


@pytest.mark.parametrize("case", ["bad date", "youth in two parts"])
def test_spark_stops_with_the_in_process_contract_error(spark, data_dir, tmp_path, case):
    if case == "bad date":
        data = data_dir(youths=[youth("A")], enrollments=[enrolment("2016-08-01"), enrolment("2016-13-01")])
    else:
        data = as_parquet_datasets(data_dir(youths=[youth("A"), youth("B"), youth("C"), youth("A", "2001-01-01")]),
                                   tmp_path / "parts", parts=2)
    arguments = ["features", "--data", str(data), "--as-of", AS_OF]
    in_process = run_vsv(*arguments, "--out", str(tmp_path / "in-process.csv"))
    on_spark = run_vsv(*arguments, "--out", str(tmp_path / "spark.parquet"), "--engine", "spark")
    assert in_process.exit_code == on_spark.exit_code == 2
    assert "error: " in in_process.output and on_spark.output == in_process.output
