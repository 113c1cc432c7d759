"""The Qini curve of the benefit ranking: econml's DRLearner fitted on the earlier half ranks the later half's cases
by their largest estimated gain over the letter; the curve adds, down that ranking, the DR estimate of the gain of
the recommended route (Gamma[i, r*] - Gamma[i, letter]). A ranking that knows nothing follows the straight line to
the same end; the area between the two, per case, is the Qini area (positive: the ranking finds who gains)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from route_learning.econml_models import fit_drlearner


@dataclass(frozen=True)
class Qini:
    share: np.ndarray  # share of the ranked cases, 0..1
    uplift: np.ndarray  # cumulative estimated gain per case of the whole half
    area: float  # mean of (curve - straight line) over the shares

    def to_dict(self) -> dict:
        return {"area": self.area, "cases": int(len(self.share) - 1), "total_uplift": float(self.uplift[-1])}


def qini_from(benefit: np.ndarray, gain_of_recommended: np.ndarray) -> Qini:
    """The curve for cases ranked by `benefit` (highest first) with their DR gain estimates."""
    order = np.argsort(-benefit, kind="stable")
    n = len(benefit)
    uplift = np.concatenate([[0.0], np.cumsum(gain_of_recommended[order]) / n])
    share = np.arange(n + 1) / n
    return Qini(share, uplift, float(np.mean(uplift - share * uplift[-1])))


def qini_curve(scored, fit_rows: np.ndarray, judge_rows: np.ndarray, seed: int) -> Qini:
    frame = scored.frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learner = fit_drlearner(scored.x[fit_rows], frame["outcome"].to_numpy()[fit_rows],
                                frame["t"].to_numpy()[fit_rows], scored.e_taken[fit_rows], seed)
        effects = np.column_stack([np.zeros(len(judge_rows))] + [
            np.ravel(learner.effect(scored.x[judge_rows], T0=0, T1=r)) for r in (1, 2)])
    best = effects.argmax(axis=1)
    gamma = scored.gamma[judge_rows]
    return qini_from(effects.max(axis=1), gamma[np.arange(len(best)), best] - gamma[:, 0])
