"""Shared fixtures. The helpers themselves live in tests/helpers.py (re-exported here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import AS_OF, diploma, enrolment, features_of_all, report, write_data_dir, youth  # noqa: F401


@pytest.fixture
def data_dir(tmp_path):
    """A factory: data_dir(youths=[...], enrollments=[...], ...) -> a directory of real files."""
    counter = iter(range(10_000))

    def make(**tables) -> Path:
        return write_data_dir(tmp_path / f"data{next(counter)}", **tables)

    return make



@pytest.fixture(scope="session")
def population_dir(tmp_path_factory) -> Path:
    """A small synthetic world (the region scaled to 16,000 youths, seed 11), generated once per test session."""
    from data_synthetic.generate import WorldConfig, generate_world, write_world

    directory = tmp_path_factory.mktemp("population")
    write_world(directory, generate_world(WorldConfig(youths=16000, seed=11)))
    return directory


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A fresh MLflow store (SQLite, artifacts beside it) in a temporary directory."""
    from vsv_model.settings import Settings

    uri = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return Settings(tracking_uri=uri)


@pytest.fixture(scope="session")
def champion_store(population_dir, tmp_path_factory):
    """A trained and promoted champion in a temporary MLflow store, imported into a temporary
    BentoML home; the environment points at both for the rest of the session."""
    import os

    from serving.model_store import import_champion
    from training.config import GateConfig, LightGBMConfig, TrainConfig
    from training.pipeline import run_training
    from training.promote import promote
    from vsv_model.settings import Settings

    root = tmp_path_factory.mktemp("store")
    settings = Settings(tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")
    os.environ["MLFLOW_TRACKING_URI"] = settings.tracking_uri
    os.environ["BENTOML_HOME"] = str(root / "bentoml")
    config = TrainConfig(lightgbm=LightGBMConfig(num_boost_round=150), gates=GateConfig(max_ece=0.04))
    result = run_training(population_dir, [AS_OF], config, settings)
    promote(settings, config.gates)
    tag = import_champion(settings)
    os.environ["VSV_MODEL_TAG"] = tag
    return {"settings": settings, "tag": tag, "version": result.version, "model": result.model, "root": root}


@pytest.fixture(scope="session")
def api_keys(tmp_path_factory) -> dict:
    """A keys file with one key per role (`vsv keys add` semantics); the environment points at it.
    Returns the keys themselves, the Bearer headers per role and the file."""
    import os

    from serving.auth import ROLES, add_key

    path = tmp_path_factory.mktemp("keys") / "vsv-keys.txt"
    keys = {role: add_key(path, role, f"test-{role}") for role in ROLES}
    os.environ["VSV_API_KEYS_FILE"] = str(path)
    return {"keys": keys, "headers": {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}, "file": path}


@pytest.fixture(scope="session")
def scored_current(champion_store, population_dir, api_keys, tmp_path_factory):
    """The current cohort batch-scored by the champion, and a fresh decisions database; the
    environment points the service at both."""
    import datetime as dt
    import os

    from serving.batch import score_population, write_scores

    root = tmp_path_factory.mktemp("scores")
    result = score_population(champion_store["model"], population_dir, dt.date(2026, 10, 1), explain=True,
                              version=champion_store["version"])
    write_scores(result.frame, root / "latest.parquet")
    os.environ["VSV_SCORES"] = str(root / "latest.parquet")
    os.environ["VSV_DATABASE_URL"] = f"sqlite:///{root / 'vsv.db'}"
    return {"frame": result.frame, "scores": root / "latest.parquet", "database": os.environ["VSV_DATABASE_URL"]}


@pytest.fixture(scope="session")
def asgi_client(scored_current, api_keys):
    """The whole service (API and officer page) in-process, built once: BentoML registers its
    metrics globally, so a second app in the same process would collide. The client sends the
    officer's key; tests of other roles pass their own Authorization header."""
    from starlette.testclient import TestClient

    from serving.service import VsvRisk

    with TestClient(VsvRisk.to_asgi(), headers=api_keys["headers"]["officer"]) as client:
        yield client


@pytest.fixture
def postgres_url():
    """A real PostgreSQL server (`.ci/run` installs and starts Debian's postgresql); fresh tables per test."""
    import os

    import sqlalchemy as sa

    url = os.environ.get("VSV_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("VSV_REQUIRE_POSTGRES") == "1":
            pytest.fail("VSV_TEST_POSTGRES_URL is not set but VSV_REQUIRE_POSTGRES=1")
        pytest.skip("no PostgreSQL server: set VSV_TEST_POSTGRES_URL (CI does)")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("drop table if exists audit_log, decisions cascade")
    engine.dispose()
    return url
