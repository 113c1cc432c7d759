"""Worlds shared by the tests of the synthetic data: small ones for behaviour (the region at 1:1, `default_world`,
is in tests/conftest.py: the fairness audit uses it too). A world's exact truth (the value iteration) is memoised per dynamics, so worlds that share their
dynamics pay for it once per session."""

from __future__ import annotations

import pytest

from data_synthetic.generate import WorldConfig, generate_world, write_world

SMALL = WorldConfig(youths=8000, seed=5)


@pytest.fixture(scope="session")
def small_world():
    return generate_world(SMALL)


@pytest.fixture(scope="session")
def small_dir(small_world, tmp_path_factory):
    directory = tmp_path_factory.mktemp("small-world")
    write_world(directory, small_world)
    return directory
