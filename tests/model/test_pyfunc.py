"""The champion as a plain MLflow pyfunc, as a data scientist loads it: it takes the project's own feature files
as pandas reads them (CSV and Parquet), and its signature says what it accepts."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from registry.mlflow_registry import using_store
from tests.builders import AS_OF
from vsv_cli.app import app
from vsv_model.feature_spec import FEATURES
from vsv_model.risk_model import encode_frame


@pytest.fixture(scope="module")
def champion_pyfunc(champion_store):
    with using_store(champion_store["settings"]):
        return mlflow.pyfunc.load_model("models:/vsv-risk@champion")


@pytest.fixture(scope="module", params=[".csv", ".parquet"])
def feature_file(request, population_dir, tmp_path_factory) -> pd.DataFrame:
    """`vsv features` output at the training date, read back the way pandas reads it by default."""
    out = tmp_path_factory.mktemp("features") / f"features{request.param}"
    done = CliRunner().invoke(app, ["features", "--data", str(population_dir), "--as-of", AS_OF.isoformat(), "--out", str(out),
                                    "--labels"])
    assert done.exit_code == 0, done.output
    return pd.read_csv(out) if request.param == ".csv" else pd.read_parquet(out)


def test_the_signature_lists_exactly_the_features_with_their_types_and_the_optional_kind(champion_pyfunc):
    inputs = champion_pyfunc.metadata.get_input_schema().to_dict()
    expected = {"count": "long", "flag": "long", "number": "double", "category": "string"}
    assert [(c["name"], c["type"]) for c in inputs] == [*((f.name, expected[f.kind]) for f in FEATURES), ("kind", "string")]
    assert [c["name"] for c in inputs if not c.get("required", True)] == ["kind"]
    outputs = champion_pyfunc.metadata.get_output_schema().to_dict()
    assert [(c["name"], c["type"]) for c in outputs] == [("probability", "double"), ("tier", "string")]


def test_predict_takes_the_feature_file_as_pandas_reads_it(champion_pyfunc, feature_file, champion_store):
    assert not any(isinstance(t, pd.CategoricalDtype) for t in feature_file.dtypes)  # files hold text, not categories
    predicted = champion_pyfunc.predict(feature_file)  # keys, label and audit-free extra columns included
    model = champion_store["model"]
    assert len(predicted) == len(feature_file) > 1000
    np.testing.assert_allclose(predicted["probability"].to_numpy(), model.probability(encode_frame(feature_file)), rtol=0, atol=1e-12)
    assert set(predicted["tier"]) <= {"low", "medium", "high"}
    assert (predicted["tier"].to_numpy() == model.tiers(predicted["probability"].to_numpy())).all()


def test_predict_refuses_a_file_without_a_feature_naming_it(champion_pyfunc, feature_file):
    with pytest.raises(mlflow.exceptions.MlflowException, match="absence_hours_13w"):
        champion_pyfunc.predict(feature_file.drop(columns="absence_hours_13w"))


def test_predict_gives_each_row_its_kinds_calibration_and_cut_offs(champion_pyfunc, feature_file, champion_store):
    model = champion_store["model"]
    kinds = ["stock", *model.kinds]
    rows = feature_file.head(400).assign(kind=[kinds[i % len(kinds)] for i in range(400)])
    predicted = champion_pyfunc.predict(rows)
    for kind in kinds:
        own = model.for_kind(kind)
        mine = (rows["kind"] == kind).to_numpy()
        expected = own.probability(encode_frame(rows[mine]))
        np.testing.assert_allclose(predicted["probability"].to_numpy()[mine], expected, rtol=0, atol=1e-12, err_msg=kind)
        assert (predicted["tier"].to_numpy()[mine] == own.tiers(expected)).all(), kind
