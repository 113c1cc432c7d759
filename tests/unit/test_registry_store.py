"""MLflow keeps its stores process-wide (module globals, copied into os.environ). The registry points them at a
store only for the duration of a call and puts back exactly what was there, so a command run in-process (a test,
a notebook) never leaves another caller on its store."""

from __future__ import annotations

import os

import mlflow

from registry.mlflow_registry import experiment_id, using_store
from vsv_model.settings import Settings


def test_the_stores_are_put_back_exactly_after_use(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    before = f"sqlite:///{tmp_path / 'before.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", before)
    settings = Settings(tracking_uri=f"sqlite:///{tmp_path / 'other' / 'mlflow.db'}")
    with using_store(settings):
        assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == settings.tracking_uri
        assert os.environ["MLFLOW_TRACKING_URI"] == settings.tracking_uri  # what MLflow itself does, for subprocesses
        assert (tmp_path / "other").is_dir()
    assert os.environ["MLFLOW_TRACKING_URI"] == before and "MLFLOW_REGISTRY_URI" not in os.environ
    assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == before
    later = f"sqlite:///{tmp_path / 'later.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", later)  # nothing was pinned: the environment is followed again
    assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == later


def test_the_experiment_is_made_once_with_its_artifacts_beside_the_store(tmp_path):
    settings = Settings(tracking_uri=f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    first = experiment_id(settings)
    assert experiment_id(settings) == first
    experiment = mlflow.MlflowClient(settings.tracking_uri).get_experiment(first)
    assert experiment.name == settings.experiment_name and experiment.artifact_location.endswith(str(tmp_path / "mlruns" / "artifacts"))
