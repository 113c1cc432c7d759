"""Bootstrap intervals over youths, for one model's metrics and for the difference between two models on the
same youths (a paired comparison).

Every resample is a row of counts (how often each youth is drawn), so all resamples of a metric are computed
at once with array operations: the AUC from the counts of positives and negatives per distinct score, the
Brier score and the calibration error as weighted means.

The calibration error's interval is the basic (reflected) bootstrap interval, not the percentile one. The ECE is a sum
of absolute gaps per bin, so on few youths noise alone makes it larger: a perfectly calibrated model scores about
0.045 on 350 youths. The resamples add that noise once more, so their ECEs lie above the estimate by about as much as
the estimate lies above the truth; the basic interval [2e - q(high), 2e - q(low)] (at least 0) takes that bias off
and is an interval for the calibration error itself. The percentile interval held the truth in none of 150
simulated calibrated samples of 350 to 3,100 youths (`max_ece` would have refused 93% of them at 350); the basic one
refused 2% of them, and 24% (350 youths) to 82% (3,100) of models whose true ECE was 0.049.
"""

from __future__ import annotations

import numpy as np

BINS = 10


def resample_counts(n: int, samples: int, seed: int) -> np.ndarray:
    """(samples x n) counts of a multinomial resample of n youths with replacement."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=samples).astype(np.float64)


def auc_of(y: np.ndarray, score: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The AUC of `score` in every resample (ties count half)."""
    order = np.argsort(score, kind="stable")
    s, positive = score[order], y[order].astype(np.float64)
    weights = counts[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(weights * positive, starts, axis=1)
    neg = np.add.reduceat(weights * (1.0 - positive), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def brier_of(y: np.ndarray, p: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return counts @ ((p - y) ** 2) / counts.sum(axis=1)


def ece_of(y: np.ndarray, p: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Expected calibration error (10 equal-width bins) in every resample."""
    which = np.minimum((p * BINS).astype(int), BINS - 1)
    gap = np.zeros(len(counts))
    for b in range(BINS):
        inside = which == b
        gap += np.abs(counts[:, inside] @ (y[inside] - p[inside]))
    return gap / counts.sum(axis=1)


def precision_at_of(y: np.ndarray, p: np.ndarray, counts: np.ndarray, share: float) -> np.ndarray:
    """Outcome rate among the youths above the full sample's capacity threshold, in every resample."""
    threshold = np.quantile(p, 1.0 - share, method="higher")
    top = p >= threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts[:, top] @ y[top] / counts[:, top].sum(axis=1)


def metric_draws(y: np.ndarray, p: np.ndarray, counts: np.ndarray, high_share: float) -> dict[str, np.ndarray]:
    return {"roc_auc": auc_of(y, p, counts), "brier": brier_of(y, p, counts), "ece": ece_of(y, p, counts),
            "precision_at_capacity": precision_at_of(y, p, counts, high_share)}


def interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2
    finite = draws[np.isfinite(draws)]
    return float(np.quantile(finite, tail)), float(np.quantile(finite, 1.0 - tail))


BIASED_UPWARD = ("ece",)  # noise alone makes these larger: their interval is the basic one (module docstring)


def basic_interval(estimate: float, draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The bootstrap's basic interval, reflected about the estimate: [2e - q(high), 2e - q(low)], at least 0."""
    low, high = interval(draws, confidence)
    return max(2 * estimate - high, 0.0), max(2 * estimate - low, 0.0)


def intervals(y: np.ndarray, p: np.ndarray, high_share: float, samples: int, confidence: float, seed: int) -> dict:
    """`{metric}_low` and `{metric}_high` for AUC, Brier, ECE (the basic interval) and precision at capacity."""
    y = y.astype(np.float64)
    draws = metric_draws(y, p, resample_counts(len(y), samples, seed), high_share)
    estimates = metric_draws(y, p, np.ones((1, len(y))), high_share)
    out = {}
    for name, d in draws.items():
        low, high = basic_interval(float(estimates[name][0]), d, confidence) if name in BIASED_UPWARD else interval(d, confidence)
        out |= {f"{name}_low": low, f"{name}_high": high}
    return out


def paired_difference(y: np.ndarray, p_new: np.ndarray, p_old: np.ndarray, high_share: float, samples: int,
                      confidence: float, seed: int) -> dict:
    """New minus old on the same youths and the same resamples: the estimate and its interval, per metric."""
    counts = resample_counts(len(y), samples, seed)
    y = y.astype(np.float64)
    new, old = metric_draws(y, p_new, counts, high_share), metric_draws(y, p_old, counts, high_share)
    full = np.ones((1, len(y)))
    new_full, old_full = metric_draws(y, p_new, full, high_share), metric_draws(y, p_old, full, high_share)
    out = {"n": len(y)}
    for name in new:
        low, high = interval(new[name] - old[name], confidence)
        out[name] = {"difference": float(new_full[name][0] - old_full[name][0]), "low": low, "high": high}
    return out
