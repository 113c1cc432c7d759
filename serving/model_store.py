"""From the MLflow registry's champion to a BentoML model the service (and a Bento) carries.

`vsv serve` and `bentoml build` need the champion as a BentoML model: the service
declares it at class level, BentoML resolves it before the server starts, and a
Bento packs it, so the Bento runs where the registry cannot be reached. `/reload`
imports the new champion and marks it for the server's workers (`ServedMarker`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bentoml

from serving.scoring import ServedModel
from vsv_model.risk_model import ModelLoadError, RiskModel
from vsv_model.settings import Settings
from vsv_model.target_group import target_group_for

BENTO_MODEL = "vsv-risk"
SERVED_FILE = "served.json"


def bento_tag(version: str) -> str:
    return f"{BENTO_MODEL}:v{version}"


def import_champion(settings: Settings, version: str | None = None) -> str:
    """Copy the champion (or `version`) into the BentoML model store; returns its tag. Idempotent."""
    from registry import mlflow_registry as registry

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


def server_key() -> str:
    """This server's identity, the same in all its workers: the process that spawned them (BentoML's arbiter,
    which `vsv serve` becomes) and its start time, so a reused process id never inherits an old marker."""
    import psutil

    parent = psutil.Process(os.getppid())
    return f"{parent.pid}-{int(parent.create_time() * 1000)}"


@dataclass
class ServedMarker:
    """The model a running server's `/reload` chose, shared by its workers through a file in BentoML's home.

    Keyed by the server (`server_key`): a marker left by another server on the machine never applies, so a
    Bento serves the model it carries and `vsv serve` the champion it pinned (VSV_MODEL_TAG) until this
    server's own /reload. A worker started after that reload (a respawn) finds the marker and follows it.
    `tag()` costs a stat; the file is read and parsed again only when it was replaced."""

    path: Path
    _stamp: tuple[int, int] | None = None
    _tag: str | None = None

    @classmethod
    def for_this_server(cls) -> ServedMarker:
        return cls(Settings.from_env().bentoml_home / "vsv-served" / f"{server_key()}.json")

    def tag(self) -> str | None:
        """The tag this server's /reload marked, or None before any."""
        try:
            info = self.path.stat()
        except OSError:
            return self._tag
        stamp = (info.st_ino, info.st_mtime_ns)  # every write replaces the file: a new inode even within one clock tick
        if stamp != self._stamp:
            try:
                self._tag = json.loads(self.path.read_text(encoding="utf-8"))["tag"]
                self._stamp = stamp
            except (OSError, ValueError, KeyError):
                pass  # half-written by hand or removed: keep the last tag, look again next time
        return self._tag

    def mark(self, tag: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"tag": tag}), encoding="utf-8")
        temporary.replace(self.path)  # atomic: a worker never reads half a marker


def load_tag(tag: str, settings: Settings) -> ServedModel:
    return load_served(Path(bentoml.models.get(tag).path), settings)


def load_served(directory: Path, settings: Settings) -> ServedModel:
    """The served model from a BentoML model directory (what `import_champion` wrote); refused when the
    settings ask for another target group (VSV_MAX_AGE) than the model was trained for."""
    directory = Path(directory)
    try:
        served = json.loads((directory / SERVED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{directory} holds no served-model description: {exc}") from exc
    model = ServedModel(RiskModel.load(directory), served["name"], served["version"], served["run_id"])
    if settings.target_max_age is not None:
        model.group.require(target_group_for(settings.target_max_age), f"VSV_MAX_AGE={settings.target_max_age}")
    return model
