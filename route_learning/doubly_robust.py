"""Doubly robust (AIPW) scores from cross-fitted outcome models and the propensity, and what is read from them:
effects per cell and the value of a policy, each with a 95% interval from the influence function.

For case i with outcome y (higher is better), route taken t, outcome model mu_r(x) (fitted on other folds) and the
propensity e_i = P(route t | x, recorded draw) of the route it took, the score of route r is

    Gamma[i, r] = mu_r(x_i) + 1{t_i = r} * (y_i - mu_r(x_i)) / e_i

Its mean over a set of cases estimates the mean outcome had they all taken route r; a policy giving case i route r
with probability P[i, r] has value mean_i sum_r P[i, r] Gamma[i, r]. Only the taken route's propensity enters. For a
randomised case (drawn, not refused) e_i is the recorded draw's chance (conditioning on the draw, which is
independent of the outcomes); for the others it is estimated from recorded variables (advised route, score, kind,
risk category), cross-fitted. The interval is mean +- 1.96 * sd / sqrt(n) of the per-case values (the influence
function of the mean, the nuisance models being cross-fitted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from features.office_events import EVENT_KINDS
from vsv_model.policy import RISK_CATEGORIES
from vsv_model.route_draws import ROUTE_CODES
from vsv_model.route_policy import EVENT_FEATURES

Z95 = 1.959963984540054
MIN_PROPENSITY = 0.02  # estimated chances are clipped here (a route hardly ever taken must not weigh a case 1000x)
FOLDS = 5


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% interval."""

    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def mean_interval(values: np.ndarray) -> Estimate:
    """The mean of per-case values and its 95% interval (influence-function SE: sd / sqrt(n))."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    half = Z95 * float(values.std(ddof=1)) / np.sqrt(n) if n > 1 else float("nan")
    return Estimate(mean, float(mean - half), float(mean + half), n)


def case_features(frame: pd.DataFrame) -> np.ndarray:
    """What a route policy and the outcome models see of a case (`vsv_model.route_policy.FEATURE_NAMES`): its score
    and its logit, its risk category and its kind (one-hot, low and report_first the base), and the youth's state
    on the event's day (EVENT_FEATURES, columns `features.event_state` added). Never gender or origin."""
    missing = [name for name in EVENT_FEATURES if name not in frame.columns]
    if missing:
        raise ValueError(f"the cases lack the event feature(s) {', '.join(missing)} (features.event_state)")
    score = frame["score"].to_numpy(dtype=float)
    clipped = np.clip(score, 1e-4, 1 - 1e-4)
    category = pd.Index(RISK_CATEGORIES).get_indexer(frame["risk_category"])
    kind = pd.Index(EVENT_KINDS).get_indexer(frame["kind"])
    return np.column_stack([score, np.log(clipped / (1 - clipped)), category == 1, category == 2,
                            kind == 1, kind == 2, frame[list(EVENT_FEATURES)].to_numpy(float)]).astype(float)


def propensity_features(frame: pd.DataFrame) -> np.ndarray:
    """The recorded variables the office's choice may depend on: the case's features and the advised route."""
    advised = pd.Index(ROUTE_CODES).get_indexer(frame["advised_route"])
    return np.column_stack([case_features(frame), advised == 1, advised == 2]).astype(float)


def dr_scores(y: np.ndarray, t: np.ndarray, mu: np.ndarray, e_taken: np.ndarray) -> np.ndarray:
    """Gamma (cases x routes), the formula of the module's docstring."""
    taken = np.zeros_like(mu)
    taken[np.arange(len(t)), t] = 1.0
    return mu + taken * ((np.asarray(y, float) - mu[np.arange(len(t)), t]) / np.asarray(e_taken, float))[:, None]


def policy_values(gamma: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Per case, the policy's DR value: sum_r P[i, r] Gamma[i, r] (`assignment` is route codes or P)."""
    assignment = np.asarray(assignment)
    if assignment.ndim == 1:
        return gamma[np.arange(len(gamma)), assignment]
    return (gamma * assignment).sum(axis=1)


def folds_of(n: int, seed: int) -> np.ndarray:
    """Each case's cross-fitting fold."""
    fold = np.zeros(n, dtype=int)
    for k, (_, test) in enumerate(KFold(FOLDS, shuffle=True, random_state=seed).split(np.arange(n))):
        fold[test] = k
    return fold


def probability_model(x: np.ndarray, y: np.ndarray, classes: int):
    """A multinomial logistic model, or the constant shares when a class is missing or the data are too few."""
    present = np.unique(y)
    if len(present) < 2 or len(y) < 10:
        shares = np.bincount(y.astype(int), minlength=classes) / max(len(y), 1)
        return lambda new: np.tile(shares, (len(new), 1))
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(x, y.astype(int))
    columns = model.classes_.astype(int)

    def predict(new):
        out = np.zeros((len(new), classes))
        out[:, columns] = model.predict_proba(new)
        return out
    return predict


def cross_fit_outcomes(x: np.ndarray, y: np.ndarray, t: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """mu (cases x routes): each route's outcome model (logistic on the case's features) fitted on the other folds'
    cases that took that route."""
    mu = np.zeros((len(y), len(ROUTE_CODES)))
    for k in np.unique(fold):
        train, test = fold != k, fold == k
        for r in range(len(ROUTE_CODES)):
            rows = train & (t == r)
            mu[test, r] = probability_model(x[rows], y[rows], 2)(x[test])[:, 1] if rows.any() else y[train].mean()
    return mu


def cross_fit_propensity(x: np.ndarray, t: np.ndarray, known: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """The taken route's chance: the recorded draw's where known, else a multinomial model fitted on the other
    folds' cases without a known chance, clipped at MIN_PROPENSITY."""
    e = np.asarray(known, dtype=float).copy()
    estimated = np.isnan(e)
    for k in np.unique(fold):
        train, test = (fold != k) & estimated, (fold == k) & estimated
        if test.any():
            p = probability_model(x[train], t[train], len(ROUTE_CODES))(x[test])
            e[test] = np.maximum(p[np.arange(test.sum()), t[test]], MIN_PROPENSITY)
    return e
