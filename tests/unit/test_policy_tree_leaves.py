"""The benefit policy tree's leaves: each holds at least a tenth of the cases it is fitted on (at least 20), so a
depth-2 tree cannot give a rule to a few dozen cases whose outcomes happened to favour a route."""

from __future__ import annotations

import numpy as np

from route_learning.econml_models import MIN_LEAF_SHARE, fit_policy_tree


def cases(n: int = 2000, seed: int = 0):
    """Three routes drawn at 1/3 each; the matchmaker helps only a small group (x0 > 1.8: about 4% of the cases)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    t = rng.integers(0, 3, n)
    small = x[:, 0] > 1.8
    y = (rng.random(n) < np.where(small & (t == 2), 0.9, 0.3)).astype(float)
    return x, y, t, np.full(n, 1 / 3), small


def leaf_sizes(tree, x) -> np.ndarray:
    return np.unique(tree.policy_model_.apply(x), return_counts=True)[1]


def test_every_leaf_holds_a_tenth_of_the_cases():
    x, y, t, e, small = cases()
    assert MIN_LEAF_SHARE == 0.1 and 60 <= small.sum() <= 100
    tree = fit_policy_tree(x, y, t, e, seed=0)
    assert tree.policy_model_.min_samples_leaf == 200  # a tenth of 2,000
    sizes = leaf_sizes(tree, x)
    assert len(sizes) >= 2 and sizes.min() >= 200 and sizes.sum() == 2000


def test_without_the_share_a_leaf_of_a_few_dozen_cases_is_allowed():
    x, y, t, e, _ = cases()
    tree = fit_policy_tree(x, y, t, e, seed=0, min_leaf_share=0.0)
    assert tree.policy_model_.min_samples_leaf == 20
    assert leaf_sizes(tree, x).min() < 100  # what the share keeps out
