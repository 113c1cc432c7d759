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

