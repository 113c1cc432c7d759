"""Worlds shared by the tests of the synthetic data: small ones for behaviour, the region at 1:1 for realism
(slow). A world's exact truth (the value iteration) is memoised per dynamics, so worlds that share their
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


@pytest.fixture(scope="session")
def default_world():
    """The region at 1:1 (about 187,000 youths), seed 1: the size the realism figures are tuned at."""
    return generate_world(WorldConfig())


@pytest.fixture(scope="session")
def default_dir(default_world, tmp_path_factory):
    directory = tmp_path_factory.mktemp("default-world")
    write_world(directory, default_world)
    return directory
