"""The route policy in the MLflow registry: registered model `vsv-route-policy`, a version per `vsv routes evaluate`
run, alias `evaluated` on the latest evaluation (its evidence, values and gates with their verdicts: what the case
page shows while no policy is promoted) and `champion` on the one the service may advise by (moved only by a
promotion whose gates passed; aliases, never stages). The version's files are the JSON that
`vsv_model.route_policy.RoutePolicy` reads; no youth row is in them."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from registry.mlflow_registry import CHAMPION, client_for, log, using_store
from vsv_model.route_policy import RoutePolicy
from vsv_model.settings import Settings

ROUTE_POLICY_MODEL = "vsv-route-policy"
ARTIFACT_PATH = "route_policy"
EVALUATED = "evaluated"  # the latest evaluation, promoted or not


def register_route_policy(run_id: str, settings: Settings, tags: dict[str, str], promoted: bool) -> str:
    """A new version from the run's `route_policy` artifacts (already logged), tagged, made `evaluated`; made
    `champion` too when `promoted` (every gate passed and promotion was asked for)."""
    client = client_for(settings)
    try:
        client.get_registered_model(ROUTE_POLICY_MODEL)
    except MlflowException:
        client.create_registered_model(ROUTE_POLICY_MODEL, description="Route advice by estimated benefit (issue 26).")
    version = client.create_model_version(ROUTE_POLICY_MODEL, source=f"runs:/{run_id}/{ARTIFACT_PATH}", run_id=run_id,
                                          tags=tags).version
    for alias in (EVALUATED, CHAMPION) if promoted else (EVALUATED,):
        client.set_registered_model_alias(ROUTE_POLICY_MODEL, alias, version)
    return str(version)


def route_policy_version(settings: Settings, alias: str = CHAMPION) -> str | None:
    """The version an alias names (`champion` or `evaluated`); None when it names none (never promoted, never
    evaluated) or the store holds no registry yet: a SQLite store that does not exist is not created by asking."""
    db = settings.sqlite_path()
    if db is not None and not db.exists():
        return None
    try:
        with asked_once():
            return str(client_for(settings).get_model_version_by_alias(ROUTE_POLICY_MODEL, alias).version)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


QUICK = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


@contextlib.contextmanager
def asked_once():
    """MLflow asked without its retries (7, backing off for minutes): a service starting where the registry cannot
    be reached (a Bento elsewhere) gives the tier advice at once instead of waiting to be ready. Settings the
    operator made are kept; the environment is restored after."""
    added = {name: value for name, value in QUICK.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def load_route_policy(settings: Settings, version: str, scratch: Path) -> RoutePolicy:
    """One registered version's route policy; raises (MLflow's error, a JSON or field error) when it cannot be read."""
    with using_store(settings), contextlib.redirect_stderr(io.StringIO()):
        path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{ROUTE_POLICY_MODEL}/{version}",
                                                   dst_path=str(scratch))
    return RoutePolicy.load(Path(path))


def champion_route_policy(settings: Settings, scratch: Path, alias: str = CHAMPION) -> RoutePolicy | None:
    """The champion route policy (or the alias's), or None when none was ever promoted (then the tier advice
    stands)."""
    try:
        with using_store(settings), contextlib.redirect_stderr(io.StringIO()):
            path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{ROUTE_POLICY_MODEL}@{alias}",
                                                       dst_path=str(scratch))
    except MlflowException as exc:
        log.info("no %s route policy: %s", alias, exc)
        return None
    return RoutePolicy.load(Path(path))
