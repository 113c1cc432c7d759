"""Shared fixtures. The builders of youths and records live in tests/builders.py.

Every change to the environment goes through a monkeypatch (`session_env` for the session-wide stores), so
it is undone when its scope ends and nothing leaks from one test into another.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.builders import POPULATION_YOUTHS, fast_config, write_data_dir


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that fails while servers run shows the end of their logs (`tests.commands`: every command's output)."""
    from tests.commands import watched_logs

    report = yield
    if report.failed:
        for title, text in watched_logs():
            report.sections.append((title, text))
    return report


@pytest.fixture(scope="session")
def session_env():
    """A monkeypatch for the whole session: the stores the session's fixtures build are pointed at through it."""
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def quiet_log_dir(tmp_path_factory, session_env):
    """Commands run in-process write the libraries' noise to a temporary log folder, not into the checkout; the
    service's daily retention stays off in the session's servers (it would run on their databases a minute after
    each start: tests/service/test_retention.py runs it on purpose)."""
    session_env.setenv("VSV_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
    session_env.setenv("VSV_RETENTION", "0")


@pytest.fixture
def data_dir(tmp_path):
    """A factory: data_dir(youths=[...], enrollments=[...], ...) -> a directory of real files."""
    counter = iter(range(10_000))

    def make(**tables) -> Path:
        return write_data_dir(tmp_path / f"data{next(counter)}", **tables)

    return make


@pytest.fixture(scope="session")
def population_dir(tmp_path_factory) -> Path:
    """A small synthetic world (the region scaled to 40,000 youths, about 2,200 in scope a year; seed 11),
    generated once per test session."""
    from data_synthetic.generate import WorldConfig, generate_world, write_world

    directory = tmp_path_factory.mktemp("population")
    write_world(directory, generate_world(WorldConfig(youths=POPULATION_YOUTHS, seed=11)))
    return directory


@pytest.fixture(scope="session")
def default_world():
    """The region at 1:1 (about 187,000 youths), seed 1: the size the realism figures are tuned at."""
    from data_synthetic.generate import WorldConfig, generate_world

    return generate_world(WorldConfig())


@pytest.fixture(scope="session")
def default_dir(default_world, tmp_path_factory):
    from data_synthetic.generate import write_world

    directory = tmp_path_factory.mktemp("default-world")
    write_world(directory, default_world)
    return directory


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """A fresh MLflow store (SQLite, artifacts beside it) in a temporary directory."""
    from vsv_model.settings import Settings

    uri = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return Settings(tracking_uri=uri)


@pytest.fixture(scope="session")
def champion_store(population_dir, tmp_path_factory, session_env):
    """A trained and promoted champion in a temporary MLflow store, imported into a temporary
    BentoML home; the environment points at both for the rest of the session."""
    from serving.model_store import import_champion
    from serving.scoring import ServedModel
    from training.pipeline import run_training
    from training.promote import promote
    from vsv_model.settings import Settings

    root = tmp_path_factory.mktemp("store")
    settings = Settings(tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")
    session_env.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    session_env.setenv("BENTOML_HOME", str(root / "bentoml"))
    config = fast_config()
    result = run_training(population_dir, None, config, settings)
    promote(settings, config.gates)
    tag = import_champion(settings)
    session_env.setenv("VSV_MODEL_TAG", tag)
    served = ServedModel(result.model, settings.model_name, result.version, result.run_id)
    return {"settings": settings, "tag": tag, "version": result.version, "model": result.model, "root": root,
            "run_id": result.run_id, "served": served}


@pytest.fixture(scope="session")
def api_keys(tmp_path_factory, session_env) -> dict:
    """A keys file with one key per role (`vsv keys add` semantics); the environment points at it.
    Returns the keys themselves, the Bearer headers per role and the file."""
    from serving.auth import ROLES, add_key

    path = tmp_path_factory.mktemp("keys") / "vsv-keys.txt"
    keys = {role: add_key(path, role, f"test-{role}") for role in ROLES}
    session_env.setenv("VSV_API_KEYS_FILE", str(path))
    return {"keys": keys, "headers": {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}, "file": path}


@pytest.fixture(scope="session")
def scored_current(champion_store, population_dir, api_keys, tmp_path_factory, session_env):
    """The current cohort batch-scored by the champion, and a fresh decisions database; the
    environment points the service at both."""
    import datetime as dt

    from serving.batch import score_population
    from vsv_model.table_io import write_frame

    root = tmp_path_factory.mktemp("scores")
    result = score_population(champion_store["served"], population_dir, dt.date(2026, 10, 1), explain=True)
    write_frame(result.frame, root / "latest.parquet")
    database = f"sqlite:///{root / 'vsv.db'}"
    session_env.setenv("VSV_SCORES", str(root / "latest.parquet"))
    session_env.setenv("VSV_DATABASE_URL", database)
    # the page reads the list on its reference date, whatever the calendar says: no youth has left the group yet
    # (tests of a later day set their own today)
    session_env.setenv("VSV_TODAY", "2026-10-01")
    return {"frame": result.frame, "scores": root / "latest.parquet", "database": database}


@pytest.fixture(scope="session")
def asgi_client(scored_current, api_keys):
    """The whole service (API and officer page) in-process, built once: BentoML registers its
    metrics globally, so a second app in the same process would collide. The client sends the
    officer's key; tests of other roles pass their own Authorization header."""
    from starlette.testclient import TestClient

    from serving.service import VsvRisk

    with TestClient(VsvRisk.to_asgi(), headers=api_keys["headers"]["officer"]) as client:
        yield client


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A real PostgreSQL server: VSV_TEST_POSTGRES_URL when given, else a private cluster the test set-up starts
    from Debian's package (installed by `make test`). Never skipped: without PostgreSQL the tests fail, naming
    the package to install."""
    from tests.postgres import temporary_server

    if os.environ.get("VSV_TEST_POSTGRES_URL"):
        yield os.environ["VSV_TEST_POSTGRES_URL"]
        return
    with temporary_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server):
    """The PostgreSQL server with the service's tables (and the work queue's) dropped: every test starts from an
    empty database."""
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_server)
    with engine.begin() as connection:
        connection.exec_driver_sql("drop table if exists audit_log, decisions, case_outcomes, case_syncs, letters, "
                                   "case_records, case_events, cases, youth_keys, retention_permits cascade")
    engine.dispose()
    return postgres_server
