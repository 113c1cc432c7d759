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

from serving.scoring import ServedModel, model_fingerprint
from vsv_model.risk_model import ModelLoadError, RiskModel
from vsv_model.settings import Settings
from vsv_model.target_group import target_group_for

BENTO_MODEL = "vsv-risk"
SERVED_FILE = "served.json"


TAG_PART = 16  # characters of the run id and of the checksum in a tag: collisions would need both to repeat


def bento_tag(run_id: str, booster_sha256: str, version: str) -> str:
    """The store's tag of a model: keyed by run and checksum (and then the version), never by the version number
    alone, which every registry (an earlier test run, a benchmark, another data set) starts at 1 in the one store
    BentoML keeps per machine."""
    return f"{BENTO_MODEL}:{run_id[:TAG_PART]}-{booster_sha256[:TAG_PART]}-v{version}"


def tag_identity(tag: str) -> tuple[str, str] | None:
    """The run id and checksum prefixes a tag names; None for a tag of another form."""
    name, _, rest = str(tag).partition(":")
    parts = rest.split("-")
    ok = name == BENTO_MODEL and len(parts) == 3 and len(parts[0]) == TAG_PART and len(parts[1]) == TAG_PART
    return (parts[0], parts[1]) if ok else None


def import_champion(settings: Settings, version: str | None = None) -> str:
    """Copy the registry's champion (or `version`) into BentoML's model store and return its tag. A model already
    in the store under that tag is used only when its run id and checksum are the registry's."""
    from registry import mlflow_registry as registry

    version = version or registry.version_by_alias(settings, registry.CHAMPION)
    if version is None:
        raise ModelLoadError(f"no '{registry.CHAMPION}' alias on {settings.model_name} in {settings.tracking_uri}: "
                             "train a model (vsv train) and promote it (vsv promote) first")
    identity = registry.identity_of(settings, version)
    tag = bento_tag(identity.run_id, identity.booster_sha256, identity.version)
    try:
        stored = bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        return store_version(settings, identity, tag)
    require_identity(load_served(Path(stored.path), settings), identity.run_id, identity.booster_sha256,
                     f"the registry's champion in {settings.tracking_uri}")
    return tag


def store_version(settings: Settings, identity, tag: str) -> str:
    """Download the version, check it is the one the registry names, and create it in BentoML's store."""
    from registry import mlflow_registry as registry

    with tempfile.TemporaryDirectory() as scratch:
        source = registry.download_version(settings, identity.version, Path(scratch)) / "artifacts" / registry.RISK_MODEL_ARTIFACT
        model = RiskModel.load(source)  # refuse a corrupt artifact before it is served
        if model.booster_sha256 != identity.booster_sha256:
            raise ModelLoadError(f"{settings.model_name} version {identity.version} in {settings.tracking_uri}: the booster "
                                 f"downloaded ({model.booster_sha256[:16]}) is not the one registered ({identity.booster_sha256[:16]})")
        served = {"name": settings.model_name, "version": identity.version, "run_id": identity.run_id,
                  "booster_sha256": identity.booster_sha256}
        labels = {"mlflow_version": identity.version, "fingerprint": model_fingerprint(identity.run_id, identity.booster_sha256)}
        with bentoml.models.create(tag, labels=labels, metadata=served) as stored:
            shutil.copytree(source, stored.path, dirs_exist_ok=True)
            (Path(stored.path) / SERVED_FILE).write_text(json.dumps(served), encoding="utf-8")
    return tag


def require_identity(served: ServedModel, run_id: str, booster_sha256: str, expected: str) -> None:
    """Refuse a loaded model that is not the expected one (run id and checksum, prefixes allowed), naming both."""
    if not (served.run_id.startswith(run_id) and served.booster_sha256.startswith(booster_sha256)):
        raise ModelLoadError(f"the model loaded (version {served.version}, run {served.run_id}, booster {served.booster_sha256[:16]}) "
                             f"is not {expected} (run {run_id}, booster {booster_sha256[:16]})")


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
    """The model under `tag`, refused unless it is the run and checksum the tag names."""
    served = load_served(Path(bentoml.models.get(tag).path), settings)
    named = tag_identity(tag)
    if named is None:
        raise ModelLoadError(f"{tag} is not a model tag of the form {BENTO_MODEL}:<run id>-<booster checksum>: import the "
                             "champion again (vsv serve does)")
    require_identity(served, *named, f"the model the tag {tag} names")
    return served


def load_served(directory: Path, settings: Settings) -> ServedModel:
    """The served model from a BentoML model directory (what `import_champion` wrote); refused when the
    settings ask for another target group (VSV_MAX_AGE) than the model was trained for."""
    directory = Path(directory)
    try:
        served = json.loads((directory / SERVED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{directory} holds no served-model description: {exc}") from exc
    model = ServedModel(RiskModel.load(directory), served["name"], served["version"], served["run_id"])
    if served.get("booster_sha256") != model.booster_sha256:
        raise ModelLoadError(f"{directory}: the booster ({model.booster_sha256[:16]}) is not the one recorded when it was "
                             f"imported ({str(served.get('booster_sha256'))[:16]}): the store was changed")
    if settings.target_max_age is not None:
        model.group.require(target_group_for(settings.target_max_age), f"VSV_MAX_AGE={settings.target_max_age}")
    return model
