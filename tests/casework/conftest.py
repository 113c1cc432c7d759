"""The work queue's fixtures: every store test runs on SQLite and on PostgreSQL, with a clock the test sets."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.model import CaseworkRules
from casework.store import CaseStore, create_schema
from tests.casework.helpers import Clock
from vsv_model.database import create_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = create_schema(create_engine(url))
    yield engine
    engine.dispose()


@pytest.fixture
def clock():
    return Clock(dt.date(2026, 3, 2))  # a Monday


@pytest.fixture
def store(engine, clock):
    return CaseStore(engine, clock)


@pytest.fixture
def rules():
    return CaseworkRules()  # deadlines: report_first 5, report_repeat 3, new_leaver 10 working days; repeat 91 days
