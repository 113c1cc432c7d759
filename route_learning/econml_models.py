"""econml 0.17's DRLearner and DRPolicyTree, told the propensity the office recorded.

econml fits its propensity model on [X, W] and its outcome model on [X, W, T one-hot]. W here carries two columns,
the route taken and its chance (the recorded draw's, or the cross-fitted estimate of `doubly_robust`): the
propensity model reads them back (only the taken route's chance enters a DR score), and the outcome model drops them,
so econml's outcome regressions see the case's features only. Route labels are integers 0 letter, 1 conversation,
2 matchmaker.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from vsv_model.route_draws import ROUTE_CODES

ROUTES = len(ROUTE_CODES)


class RecordedPropensity(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose P(route | x) is the chance carried in the last column of x for the route in the column
    before it (the rest shared by the other routes)."""

    def fit(self, x, y, **_):
        self.classes_ = np.arange(ROUTES)
        return self

    def predict_proba(self, x):
        x = np.asarray(x, dtype=float)
        taken, chance = x[:, -2].astype(int), np.clip(x[:, -1], 1e-6, 1.0)
        out = np.tile(((1 - chance) / (ROUTES - 1))[:, None], (1, ROUTES))
        out[np.arange(len(x)), taken] = chance
        return out

    def predict(self, x):
        return self.predict_proba(x).argmax(axis=1)


class WithoutColumns(RegressorMixin, BaseEstimator):
    """An outcome regression fitted on x without the columns [start, start + count) (econml's DRPolicyTree wants a
    regressor)."""

    def __init__(self, estimator=None, start: int = 0, count: int = 2):
        self.estimator = estimator
        self.start = start
        self.count = count

    def _kept(self, x):
        x = np.asarray(x, dtype=float)
        return np.delete(x, np.arange(self.start, self.start + self.count), axis=1)

    def fit(self, x, y, **_):
        self.estimator_ = clone(self.estimator if self.estimator is not None else Ridge(alpha=1.0))
        self.estimator_.fit(self._kept(x), np.asarray(y, dtype=float))
        return self

    def predict(self, x):
        return self.estimator_.predict(self._kept(x))


class ClassifierWithoutColumns(ClassifierMixin, WithoutColumns):
    """The same for a binary outcome (econml's DRLearner with `discrete_outcome=True` wants a classifier)."""

    def fit(self, x, y, **_):
        self.estimator_ = clone(self.estimator if self.estimator is not None else LogisticRegression(max_iter=2000))
        self.estimator_.fit(self._kept(x), np.asarray(y).astype(int))
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, x):
        return self.estimator_.predict_proba(self._kept(x))

    def predict(self, x):
        return self.estimator_.predict(self._kept(x))


def recorded_w(t: np.ndarray, e_taken: np.ndarray) -> np.ndarray:
    return np.column_stack([np.asarray(t, float), np.asarray(e_taken, float)])


def nuisance_models(n_features: int, discrete: bool) -> dict:
    outcome = (ClassifierWithoutColumns(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                                        start=n_features, count=2) if discrete
               else WithoutColumns(make_pipeline(StandardScaler(), Ridge(alpha=1.0)), start=n_features, count=2))
    return {"model_propensity": RecordedPropensity(), "model_regression": outcome}


def fit_drlearner(x, y, t, e_taken, seed: int):
    """The heterogeneous effects of conversation and matchmaker vs the letter (linear final stage, with intervals)."""
    from econml.dr import DRLearner

    learner = DRLearner(**nuisance_models(x.shape[1], True), discrete_outcome=True, cv=2, random_state=seed,
                        min_propensity=1e-6)
    return learner.fit(np.asarray(y, int), np.asarray(t, int), X=x, W=recorded_w(t, e_taken))


MIN_LEAF_SHARE = 0.1  # each leaf of the benefit policy tree holds at least this share of the cases it is fitted on
MIN_LEAF_CASES = 20  # and never fewer cases than this


def fit_policy_tree(x, y, t, e_taken, seed: int, depth: int = 2, min_leaf_share: float = MIN_LEAF_SHARE):
    """A shallow, explainable route policy tree (honest: its leaves' values come from a half it did not split on).

    Each leaf holds at least `min_leaf_share` of the cases (at least 20). The gains between routes are a few
    hundredths of the outcome rate, so a leaf of a few dozen cases is split on noise. Measured on the five default
    worlds with the office (`benchmarks/route_worlds.py`, seeds 1-5, about 6,000 cases a half): with leaves of at
    least 20 cases the tree's true value beat the tier policy's by at least 15% of the places' value in 3 of 5
    worlds (-1.2% to +65.9%); with a tenth of the cases in 5 of 5 (+57.8% to +81.5%). It also keeps each of the
    (at most four) rules about a tenth of the youths or more."""
    from econml.policy import DRPolicyTree

    min_leaf = max(MIN_LEAF_CASES, math.ceil(min_leaf_share * len(x)))
    tree = DRPolicyTree(**nuisance_models(x.shape[1], False), cv=2, max_depth=depth, min_samples_leaf=min_leaf,
                        random_state=seed)
    return tree.fit(np.asarray(y, float), np.asarray(t, int), X=x, W=recorded_w(t, e_taken))
