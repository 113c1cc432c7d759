"""MLflow: tracking store, the logged and registered model, aliases (never stages)."""

from __future__ import annotations

import json
import tempfile
from importlib import metadata
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

import vsv_model.pyfunc_model as pyfunc_module
from vsv_model.risk_model import ModelLoadError, RiskModel, example_frame
from vsv_model.settings import Settings

CHAMPION, CHALLENGER = "champion", "challenger"
RISK_MODEL_ARTIFACT = "risk_model"
TEST_SET_ARTIFACT = "evaluation/test_set.parquet"


def configure_tracking(settings: Settings) -> str:
    """Point MLflow at the store and return the experiment id (artifacts next to a SQLite store)."""
    db = settings.sqlite_path()
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.tracking_uri)
    experiment = mlflow.get_experiment_by_name(settings.experiment_name)
    experiment_id = experiment.experiment_id if experiment is not None else mlflow.create_experiment(
        settings.experiment_name, artifact_location=settings.artifact_root())
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def pinned_requirements() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in ("mlflow", "lightgbm", "numpy", "pandas", "pyarrow")]


def log_risk_model(model: RiskModel) -> str:
    """Log the model as code plus its artifact, with signature and input example; returns its URI. The
    example is the made-up `EXAMPLE_FEATURES` row, never real youths' data."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = model.save(Path(tmp) / RISK_MODEL_ARTIFACT)
        example = example_frame()
        probability = model.predict_frame(example)
        output = pd.DataFrame({"probability": probability, "tier": model.tiers(probability)})
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=pyfunc_module.__file__,
            artifacts={RISK_MODEL_ARTIFACT: str(directory)},
            signature=infer_signature(example, output),
            input_example=example,
            pip_requirements=pinned_requirements(),
        )
    return info.model_uri


def register(model_uri: str, settings: Settings, tags: dict[str, str]) -> str:
    """Register as a new version of the model, tagged, with alias `challenger`."""
    version = mlflow.register_model(model_uri, settings.model_name).version
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(settings.model_name, version, key, value)
    client.set_registered_model_alias(settings.model_name, CHALLENGER, version)
    return str(version)


def version_by_alias(settings: Settings, alias: str) -> str | None:
    try:
        return str(MlflowClient().get_model_version_by_alias(settings.model_name, alias).version)
    except MlflowException:
        return None


def download_version(settings: Settings, version: str, destination: Path) -> Path:
    """The registered version's files (MLmodel, code, artifacts) in a local directory."""
    try:
        return Path(mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{settings.model_name}/{version}", dst_path=str(destination)))
    except MlflowException as exc:
        raise ModelLoadError(f"cannot download {settings.model_name} version {version}: {exc}") from exc


def load_version(settings: Settings, version: str, scratch: Path) -> RiskModel:
    return RiskModel.load(download_version(settings, version, scratch) / "artifacts" / RISK_MODEL_ARTIFACT)


def run_of_version(settings: Settings, version: str) -> str:
    return MlflowClient().get_model_version(settings.model_name, version).run_id


def load_test_set(settings: Settings, version: str, scratch: Path) -> pd.DataFrame:
    """The test set the version was evaluated on, logged with its training run."""
    path = mlflow.artifacts.download_artifacts(run_id=run_of_version(settings, version),
                                               artifact_path=TEST_SET_ARTIFACT, dst_path=str(scratch))
    return pd.read_parquet(path)


def describe_version(settings: Settings, version: str) -> dict:
    details = MlflowClient().get_model_version(settings.model_name, version)
    return {"version": str(details.version), "run_id": details.run_id, "tags": dict(details.tags),
            "aliases": list(details.aliases)}


def tags_for(model: RiskModel, metrics: dict) -> dict[str, str]:
    keep = ("roc_auc", "brier", "ece", "precision_at_capacity", "recall_at_capacity")
    return {"tier_cutoffs": json.dumps({"medium": model.cutoffs.medium, "high": model.cutoffs.high, "mode": model.cutoffs.mode}),
            "metrics": json.dumps({k: round(metrics[k], 5) for k in keep}),
            "trained_at": model.info.get("trained_at", ""), "as_of_dates": ",".join(model.info.get("as_of_dates", []))}
