"""Model identity end to end: two registries built from different data, each with a version 1, share one
BentoML home. Served, each gives its own registry's champion (its run id in /model, and /score equal to
`mlflow.pyfunc.load_model("models:/vsv-risk@champion")` and to `vsv score` for the same youths); a model file
changed in the store is refused at start, naming what was found and what the registry holds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from registry.mlflow_registry import using_store
from tests.builders import fast_config
from tests.commands import run
from tests.servers import free_port, running_server
from vsv_cli.app import app
from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.settings import Settings

pytestmark = pytest.mark.slow
SCORED_AT = "2026-10-01"
FAST = (f"seed = 7\n[lightgbm]\nnum_boost_round = 60\n[temporal]\ndata_end = '2026-10-01'\n[tiers]\nhigh_capacity = "
        f"{fast_config().tiers.high_capacity}\nmedium_capacity = {fast_config().tiers.medium_capacity}\n")


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("shared-bentoml")


@pytest.fixture(scope="module")
def second_population(tmp_path_factory) -> Path:
    from data_synthetic.generate import WorldConfig, generate_world, write_world

    directory = tmp_path_factory.mktemp("population-b")
    write_world(directory, generate_world(WorldConfig(youths=30000, seed=23)))
    return directory


def build_registry(root: Path, data: Path, shared_home: Path) -> dict:
    """Train and promote version 1 in a registry of its own, score its current cohort with `vsv score`."""
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlruns' / 'mlflow.db'}", "BENTOML_HOME": str(shared_home),
           "VSV_SCORES": str(root / "scores.parquet"), "VSV_DATABASE_URL": f"sqlite:///{root / 'vsv.db'}"}
    (root / "train.toml").write_text(FAST)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        runner = CliRunner()
        for args in (["train", "--data", str(data), "--config", str(root / "train.toml")],
                     ["promote", "--force", "--reason", "two registries test"],
                     ["score", "--data", str(data), "--as-of", SCORED_AT, "--out", env["VSV_SCORES"]]):
            done = runner.invoke(app, args)
            assert done.exit_code == 0, done.output
    champion = mlflow.MlflowClient(env["MLFLOW_TRACKING_URI"], env["MLFLOW_TRACKING_URI"]).get_model_version_by_alias("vsv-risk", "champion")
    return {"env": env, "root": root, "run_id": champion.run_id, "version": str(champion.version),
            "booster_sha256": champion.tags["booster_sha256"], "scores": pd.read_parquet(env["VSV_SCORES"])}


@pytest.fixture(scope="module")
def registries(population_dir, second_population, shared_home, tmp_path_factory) -> list[dict]:
    return [build_registry(tmp_path_factory.mktemp(name), data, shared_home)
            for name, data in (("registry-a", population_dir), ("registry-b", second_population))]


def feature_form(row: pd.Series) -> dict:
    values = {}
    for spec in FEATURES:
        value = row[spec.name]
        values[spec.name] = (str(value) if spec.is_categorical else None if pd.isna(value)
                             else int(value) if spec.kind in ("count", "flag") else float(value))
    return {"youth_id": row["youth_id"], "as_of": SCORED_AT, "features": values}


def pyfunc_probabilities(registry: dict, features: pd.DataFrame) -> np.ndarray:
    with using_store(Settings(tracking_uri=registry["env"]["MLFLOW_TRACKING_URI"])):
        return champion_pyfunc().predict(features)["probability"].to_numpy()


def champion_pyfunc():
    return mlflow.pyfunc.load_model("models:/vsv-risk@champion")


def test_both_registries_number_their_model_1_but_are_different_models(registries):
    a, b = registries
    assert a["version"] == b["version"] == "1"
    assert a["run_id"] != b["run_id"] and a["booster_sha256"] != b["booster_sha256"]


@pytest.mark.parametrize("which", [0, 1])
def test_each_server_serves_its_own_registrys_champion(registries, api_keys, which):
    registry = registries[which]
    env = os.environ | registry["env"] | {"VSV_WORKERS": "1"}
    env.pop("VSV_MODEL_TAG", None)
    port = free_port()
    sample = registry["scores"].sample(60, random_state=which)
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env,
                        log_path=registry["root"] / f"serve-{which}.log") as url:
        info = httpx.post(f"{url}/model", json={}, headers=api_keys["headers"]["analyst"]).json()
        answer = httpx.post(f"{url}/score", json={"youths": [feature_form(r) for _, r in sample.iterrows()]},
                            headers=api_keys["headers"]["analyst"], timeout=60).json()
    assert (info["version"], info["run_id"], info["booster_sha256"]) == (registry["version"], registry["run_id"], registry["booster_sha256"])
    assert answer["model_run_id"] == registry["run_id"]
    assert answer["model_fingerprint"] == f"{registry['run_id'][:8]}-{registry['booster_sha256'][:8]}"
    served = np.array([r["probability"] for r in answer["results"]])
    np.testing.assert_allclose(served, sample["probability"].to_numpy(), rtol=0, atol=1e-9)  # vsv score
    np.testing.assert_allclose(served, pyfunc_probabilities(registry, sample[list(FEATURE_NAMES)]), rtol=0, atol=1e-9)
    assert (sample["model_run_id"] == registry["run_id"]).all()


def stored_model_path(registry: dict) -> Path:
    script = ("import bentoml; from serving.model_store import import_champion; from vsv_model.settings import Settings; "
              "print(bentoml.models.get(import_champion(Settings.from_env())).path)")
    env = os.environ | registry["env"]
    return Path(run([sys.executable, "-c", script], env=env, check=True).stdout.strip())


def serve_and_fail(registry: dict) -> subprocess.CompletedProcess:
    env = os.environ | registry["env"] | {"VSV_WORKERS": "1"}
    env.pop("VSV_MODEL_TAG", None)
    return run([sys.executable, "-m", "vsv_cli", "serve", "--port", str(free_port())], env=env, timeout=120)


def test_a_model_file_changed_in_the_store_is_refused_at_start(registries, tmp_path):
    a, b = registries
    path = stored_model_path(a)
    backup = tmp_path / "backup"
    shutil.copytree(path, backup)
    try:
        (path / "model.txt").write_text((path / "model.txt").read_text().replace("num_leaves=7", "num_leaves=8", 1) + "\n")
        done = serve_and_fail(a)
        assert done.returncode == 2, done.stderr[-2000:]
        assert "model.txt does not match the checksum saved with it" in done.stderr
    finally:
        shutil.rmtree(path)
        shutil.copytree(backup, path)


def test_a_store_entry_rewritten_to_another_model_is_refused_naming_both(registries, tmp_path):
    """Someone replaced the files under registry A's tag with registry B's model, checksums and all."""
    a, b = registries
    path, other = stored_model_path(a), stored_model_path(b)
    backup = tmp_path / "backup"
    shutil.copytree(path, backup)
    try:
        for name in ("model.txt", "risk_model.json"):
            shutil.copy(other / name, path / name)
        served = json.loads((path / "served.json").read_text())
        (path / "served.json").write_text(json.dumps(served | {"booster_sha256": b["booster_sha256"]}))
        done = serve_and_fail(a)
        assert done.returncode == 2, done.stderr[-2000:]
        assert f"booster {b['booster_sha256'][:16]}" in done.stderr and f"booster {a['booster_sha256'][:16]}" in done.stderr
        assert f"run {a['run_id']}" in done.stderr
    finally:
        shutil.rmtree(path)
        shutil.copytree(backup, path)
