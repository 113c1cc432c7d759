"""The route policy in the MLflow registry: registered model `vsv-route-policy`, a version per promotion, alias
`champion` on the one the service may advise by (aliases, never stages). The version's files are the JSON that
`vsv_model.route_policy.RoutePolicy` reads; no youth row is in them."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from registry.mlflow_registry import CHAMPION, client_for, log, using_store
from vsv_model.route_policy import RoutePolicy
from vsv_model.settings import Settings

ROUTE_POLICY_MODEL = "vsv-route-policy"
ARTIFACT_PATH = "route_policy"


def register_route_policy(run_id: str, settings: Settings, tags: dict[str, str]) -> str:
    """A new version from the run's `route_policy` artifacts (already logged), tagged, made `champion`."""
    client = client_for(settings)
    try:
        client.get_registered_model(ROUTE_POLICY_MODEL)
    except MlflowException:
        client.create_registered_model(ROUTE_POLICY_MODEL, description="Route advice by estimated benefit (issue 26).")
    version = client.create_model_version(ROUTE_POLICY_MODEL, source=f"runs:/{run_id}/{ARTIFACT_PATH}", run_id=run_id,
                                          tags=tags).version
    client.set_registered_model_alias(ROUTE_POLICY_MODEL, CHAMPION, version)
    return str(version)


def route_policy_version(settings: Settings) -> str | None:
    """The version the `champion` alias names; None when no route policy was ever promoted (or the store holds no
    registry yet: a SQLite store that does not exist is not created by asking)."""
    db = settings.sqlite_path()
    if db is not None and not db.exists():
        return None
    try:
        return str(client_for(settings).get_model_version_by_alias(ROUTE_POLICY_MODEL, CHAMPION).version)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def load_route_policy(settings: Settings, version: str, scratch: Path) -> RoutePolicy:
    """One registered version's route policy; raises (MLflow's error, a JSON or field error) when it cannot be read."""
    with using_store(settings), contextlib.redirect_stderr(io.StringIO()):
        path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{ROUTE_POLICY_MODEL}/{version}",
                                                   dst_path=str(scratch))
    return RoutePolicy.load(Path(path))


def champion_route_policy(settings: Settings, scratch: Path) -> RoutePolicy | None:
    """The champion route policy, or None when none was ever promoted (then the tier advice stands)."""
    try:
        with using_store(settings), contextlib.redirect_stderr(io.StringIO()):
            path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{ROUTE_POLICY_MODEL}@{CHAMPION}",
                                                       dst_path=str(scratch))
    except MlflowException as exc:
        log.info("no champion route policy: %s", exc)
        return None
    return RoutePolicy.load(Path(path))
