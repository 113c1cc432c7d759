"""Performance expected from calibrated probabilities alone, before any outcome is known (confidence-based).

If the model is calibrated on the youths it scores, a youth with probability p has the outcome with probability
p, independently of the others given the features. Then, for a list of youths and their probabilities:

- the expected outcome rate of a tier is the mean p of its youths;
- selecting the k highest (the capacity of `high`), the expected precision is the mean p of those k and the
  expected recall is their sum of p over the sum of all p;
- the expected AUC is the expected number of correctly ordered (outcome, no outcome) pairs over the expected
  number of such pairs: sum over pairs i != j of p_i (1 - p_j) [s_i > s_j] (a tie counts half), divided by the
  sum over pairs i != j of p_i (1 - p_j). A ratio of expectations: with thousands of youths it differs from the
  expectation of the ratio by far less than the AUC's own sampling error.

Both assumptions are the method's, and `vsv monitor` states them: the calibration still holds, and the relation
between features and outcome (P(outcome | features)) has not changed since training. A shift in who is scored is
measured; a change in what the features mean for the outcome is not, until outcomes arrive and are compared.
"""

from __future__ import annotations

import numpy as np

from vsv_model.policy import TIERS


def expected_auc(probability: np.ndarray, score: np.ndarray | None = None) -> float:
    """The expected AUC of `score` (default: the probability itself) when outcomes follow `probability`.

    Vectorised with one sort: for each youth, the expected non-outcomes ranked strictly below it, plus half of
    those tied with it (itself excluded)."""
    p = np.asarray(probability, dtype=float)
    s = p if score is None else np.asarray(score, dtype=float)
    if len(p) < 2:
        return float("nan")
    order = np.argsort(s, kind="stable")
    p, s, q = p[order], s[order], 1.0 - p[order]
    starts = np.r_[0, np.flatnonzero(np.diff(s)) + 1]  # first position of every run of equal scores
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(s)]))
    below = np.r_[0.0, np.cumsum(q)][starts][run]  # sum of q strictly below each score
    tied = np.add.reduceat(q, starts)[run] - q  # sum of q of the others with the same score
    correct = float(np.sum(p * (below + 0.5 * tied)))
    pairs = float(np.sum(p * (q.sum() - q)))
    return correct / pairs if pairs > 0 else float("nan")


def capacity_k(n: int, high_share: float | None, tiers: np.ndarray) -> int:
    """How many youths `high` can take: the share it was sized for (times n), else the youths in it."""
    if high_share:
        return max(1, int(round(n * high_share)))
    return max(1, int(np.sum(np.asarray(tiers) == "high")))


def expected_at_capacity(probability: np.ndarray, k: int) -> tuple[float, float]:
    """Expected precision and recall when the k highest probabilities are selected."""
    p = np.sort(np.asarray(probability, dtype=float))[::-1]
    if len(p) == 0:
        return float("nan"), float("nan")
    k = min(k, len(p))
    top = p[:k].sum()
    return float(top / k), float(top / p.sum()) if p.sum() > 0 else float("nan")


def expected_tier_rates(probability: np.ndarray, tiers: np.ndarray) -> dict[str, float | None]:
    """Per tier the mean probability (the outcome rate expected there); None for an empty tier."""
    p, tiers = np.asarray(probability, dtype=float), np.asarray(tiers)
    return {t: float(p[tiers == t].mean()) if np.any(tiers == t) else None for t in TIERS}


def estimate(probability: np.ndarray, tiers: np.ndarray, high_share: float | None) -> dict:
    """Everything expected of one scored list: youths, mean p, expected AUC, precision and recall at capacity (k),
    and per tier the count and the expected outcome rate."""
    p, tiers = np.asarray(probability, dtype=float), np.asarray(tiers)
    k = capacity_k(len(p), high_share, tiers)
    precision, recall = expected_at_capacity(p, k)
    return {"youths": int(len(p)), "mean_probability": float(p.mean()) if len(p) else float("nan"),
            "expected_auc": expected_auc(p), "capacity_k": k, "expected_precision_at_capacity": precision,
            "expected_recall_at_capacity": recall, "tier_counts": {t: int(np.sum(tiers == t)) for t in TIERS},
            "expected_outcome_rate": expected_tier_rates(p, tiers)}
