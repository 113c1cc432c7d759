"""MLflow: tracking store, the logged and registered model, aliases (never stages)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry import utils as registry_state
from mlflow.tracking._tracking_service import utils as tracking_state

import vsv_model.pyfunc_model as pyfunc_module
from vsv_model.pyfunc_model import model_signature
from vsv_model.risk_model import ModelLoadError, RiskModel, example_frame
from vsv_model.settings import Settings

log = logging.getLogger("mlflow.vsv_registry")  # with MLflow's own lines (the CLI sends them to its log file)
CHAMPION, CHALLENGER = "champion", "challenger"
RISK_MODEL_ARTIFACT = "risk_model"
PROCESS_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")  # where MLflow copies its process-wide stores


def experiment_id(settings: Settings) -> str:
    """The settings' experiment in their store, created (artifacts next to a SQLite store) when missing."""
    db = settings.sqlite_path()
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    client = client_for(settings)
    experiment = client.get_experiment_by_name(settings.experiment_name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(settings.experiment_name, artifact_location=settings.artifact_root())


def pinned_requirements() -> list[str]:
    return [f"{name}=={metadata.version(name)}" for name in ("mlflow", "lightgbm", "numpy", "pandas", "pyarrow")]


def log_risk_model(model: RiskModel) -> str:
    """Log the model as code plus its artifact, with signature and input example; returns its URI. The
    example is the made-up `EXAMPLE_FEATURES` row, never real youths' data."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = model.save(Path(tmp) / RISK_MODEL_ARTIFACT)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=pyfunc_module.__file__,
            artifacts={RISK_MODEL_ARTIFACT: str(directory)},
            signature=model_signature(),
            input_example=example_frame(),
            pip_requirements=pinned_requirements(),
        )
    return info.model_uri


def register(model_uri: str, settings: Settings, tags: dict[str, str]) -> str:
    """Register as a new version of the model, tagged, with alias `challenger`."""
    with using_store(settings), contextlib.redirect_stderr(io.StringIO()) as said:  # its notes go to stderr
        version = mlflow.register_model(model_uri, settings.model_name).version
    log.info(said.getvalue().strip())
    client = client_for(settings)
    for key, value in tags.items():
        client.set_model_version_tag(settings.model_name, version, key, value)
    client.set_registered_model_alias(settings.model_name, CHALLENGER, version)
    return str(version)


def client_for(settings: Settings) -> MlflowClient:
    """A client of the settings' store: never MLflow's process-wide current store, which another caller may
    have pointed elsewhere."""
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def version_by_alias(settings: Settings, alias: str) -> str | None:
    try:
        return str(client_for(settings).get_model_version_by_alias(settings.model_name, alias).version)
    except MlflowException:
        return None


@contextlib.contextmanager
def using_store(settings: Settings):
    """MLflow's process-wide stores pointed at the settings' for the duration (the fluent run API, model logging
    and resolving a `models:/` URI read them whatever client is passed), and put back exactly afterwards, so no
    caller inherits another's store. MLflow 3.17 keeps them in two module globals and copies them into
    os.environ for subprocesses: both are saved and restored (a test holds this to the installed MLflow)."""
    saved = (tracking_state._tracking_uri, registry_state._registry_uri, {k: os.environ.get(k) for k in PROCESS_ENV})
    db = settings.sqlite_path()
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    try:
        yield
    finally:
        tracking_state._tracking_uri, registry_state._registry_uri = saved[0], saved[1]
        for key, value in saved[2].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def download_version(settings: Settings, version: str, destination: Path) -> Path:
    """The registered version's files (MLmodel, code, artifacts) in a local directory."""
    try:
        with using_store(settings):
            return Path(mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{settings.model_name}/{version}", dst_path=str(destination)))
    except MlflowException as exc:
        raise ModelLoadError(f"cannot download {settings.model_name} version {version}: {exc}") from exc


def load_version(settings: Settings, version: str, scratch: Path) -> RiskModel:
    return RiskModel.load(download_version(settings, version, scratch) / "artifacts" / RISK_MODEL_ARTIFACT)


def run_of_version(settings: Settings, version: str) -> str:
    return client_for(settings).get_model_version(settings.model_name, version).run_id


def describe_version(settings: Settings, version: str) -> dict:
    details = client_for(settings).get_model_version(settings.model_name, version)
    return {"version": str(details.version), "run_id": details.run_id, "tags": dict(details.tags),
            "aliases": list(details.aliases)}


@dataclass(frozen=True)
class VersionIdentity:
    """What identifies a registered version beyond its number (which every registry starts at 1): the training
    run and the SHA-256 of the booster file."""

    version: str
    run_id: str
    booster_sha256: str


def identity_of(settings: Settings, version: str) -> VersionIdentity:
    """The version's run id and booster checksum (recorded as a tag at registration)."""
    details = client_for(settings).get_model_version(settings.model_name, version)
    checksum = details.tags.get("booster_sha256")
    if not checksum:
        raise ModelLoadError(f"{settings.model_name} version {version} carries no booster_sha256 tag: register it again "
                             "(vsv train) so it can be identified")
    return VersionIdentity(str(details.version), details.run_id, checksum)


def tags_for(model: RiskModel, metrics: dict) -> dict[str, str]:
    keep = ("roc_auc", "brier", "ece", "precision_at_capacity", "recall_at_capacity")
    return {"tier_cutoffs": json.dumps({"medium": model.cutoffs.medium, "high": model.cutoffs.high, "mode": model.cutoffs.mode}),
            "metrics": json.dumps({k: round(metrics[k], 5) for k in keep}),
            "trained_at": model.info.get("trained_at", ""), "as_of_dates": ",".join(model.info.get("as_of_dates", [])),
            "target_group": json.dumps(model.target_group.to_dict()), "booster_sha256": model.booster_sha256,
            "risk_category_cutoffs": json.dumps({"medium": model.categories.medium, "high": model.categories.high})}
