"""From the MLflow registry's champion to a BentoML model the service (and a Bento) carries.

`vsv serve` and `bentoml build` need the champion as a BentoML model: the service
declares it at class level, BentoML resolves it before the server starts, and a
Bento packs it, so the Bento runs where the registry cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import bentoml

from serving.scoring import ServedModel
from vsv_model.risk_model import ModelLoadError, RiskModel
from vsv_model.settings import Settings

BENTO_MODEL = "vsv-risk"
SERVED_FILE = "served.json"


def bento_tag(version: str) -> str:
    return f"{BENTO_MODEL}:v{version}"


def import_champion(settings: Settings, version: str | None = None) -> str:
    """Copy the champion (or `version`) into the BentoML model store; returns its tag. Idempotent."""
    from training import registry

    registry.configure_tracking(settings)
    version = version or registry.version_by_alias(settings, registry.CHAMPION)
    if version is None:
        raise ModelLoadError(f"no '{registry.CHAMPION}' alias on {settings.model_name} in {settings.tracking_uri}: "
                             "train a model (vsv train) and promote it (vsv promote) first")
    tag = bento_tag(version)
    try:
        RiskModel.load(Path(bentoml.models.get(tag).path))  # imported before: refuse it if it was damaged since
        return tag
    except bentoml.exceptions.NotFound:
        pass
    described = registry.describe_version(settings, version)
    with tempfile.TemporaryDirectory() as scratch:
        source = registry.download_version(settings, version, Path(scratch)) / "artifacts" / registry.RISK_MODEL_ARTIFACT
        RiskModel.load(source)  # refuse a corrupt artifact before it is served
        served = {"name": settings.model_name, "version": version, "run_id": described["run_id"]}
        with bentoml.models.create(tag, labels={"mlflow_version": version}, metadata=served) as model:
            shutil.copytree(source, model.path, dirs_exist_ok=True)
            (Path(model.path) / SERVED_FILE).write_text(json.dumps(served), encoding="utf-8")
    return tag


def served_marker() -> Path:
    """Which model the workers serve, shared through BentoML's home: `vsv serve` and /reload write it,
    every worker follows it (a Bento has no marker and serves the model it carries)."""
    home = Path(os.environ.get("BENTOML_HOME", "~/bentoml")).expanduser()
    return home / "vsv-served.json"


def mark_served(tag: str) -> None:
    marker = served_marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps({"tag": tag}), encoding="utf-8")
    temporary.replace(marker)  # atomic: a worker never reads half a marker


def marked_tag() -> tuple[str | None, int | None]:
    """The marked tag and the marker's stamp (None, None when there is no marker)."""
    marker = served_marker()
    try:
        stamp = marker.stat().st_mtime_ns
        return json.loads(marker.read_text(encoding="utf-8"))["tag"], stamp
    except (OSError, ValueError, KeyError):
        return None, None


def load_tag(tag: str, max_age: int) -> ServedModel:
    return load_served(Path(bentoml.models.get(tag).path), max_age)


def load_served(directory: Path, max_age: int) -> ServedModel:
    """The served model from a BentoML model directory (what `import_champion` wrote)."""
    directory = Path(directory)
    try:
        served = json.loads((directory / SERVED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{directory} holds no served-model description: {exc}") from exc
    return ServedModel(RiskModel.load(directory), served["name"], served["version"], served["run_id"], max_age)
