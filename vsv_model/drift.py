"""Distribution shift, measured one way for training and monitoring: bins, the population stability index and the
two tests that keep small samples from raising alarms.

The reference profile a model carries (`training/profile.py`) bins every feature here, and `vsv monitor` bins new
data with the same edges, so both sides of a comparison are cut by one owner.

- **Bins.** Numbers: the distinct deciles of the reference as edges, each bin closed on the right, so `0` (most
  youths have no absence) is a bin of its own and a count of 1, 2, 3 gets a bin per value; `missing` is a bin.
  Categoricals: one bin per category of the feature's fixed list. Profiles written before the rule was named
  (`bin_rule` absent) closed their bins on the left; they are still read with that rule.
- **What both sides can see.** A feature with an open look-back (`vsv_model.feature_spec.OPEN_LOOKBACK`: weeks
  since the last report) is compared below the span every compared date sees in full (`seen_below`): a longer
  value, or none, counts as none on both sides, so the data's start moving away is no drift. The explanation's
  drift (mean |contribution| per concept) explains both sides' youths cut the same way (`seen_alike`).
- **PSI** = sum over bins of (a - e) * ln(a / e), a and e the current and reference shares. An empty bin counts
  half a youth (share 0.5 / n) on its side, so one empty bin does not make the index infinite; a bin empty on
  both sides adds nothing.
- **The null guard.** With the same distribution on both sides the PSI is about (1/n + 1/m) times a chi-square
  with (bins - 1) degrees of freedom (to second order the PSI is the two-sample chi-square statistic divided by
  nm / (n + m)), so a small sample gives a large PSI by chance alone. A PSI only counts when it also exceeds that null
  distribution's 1 - alpha quantile.
- **Rates.** A count of reports against the reference's count, each over its exposure: the exact test of two
  Poisson rates (binomial given the total; `poisson_p_value` when the reference rate is taken as known).
  **Shares**: a two-proportion z-test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

QUANTILES = np.linspace(0.1, 0.9, 9)
RIGHT_CLOSED = "right_closed"  # bins (-inf, e0], (e0, e1], ..., (ek, inf)
LEFT_CLOSED = "left_closed"  # bins (-inf, e0), [e0, e1), ..., [ek, inf): profiles written before the rule was named
MISSING = "missing"


def numeric_edges(values: pd.Series) -> list[float]:
    """Inner bin edges: the distinct deciles of the present values (a count with few values gets fewer bins)."""
    present = values.dropna().to_numpy(dtype=float)
    return sorted(set(np.quantile(present, QUANTILES).round(6).tolist())) if len(present) else []


def bin_counts(values: pd.Series, categories: tuple[str, ...] | None, edges: list[float] | None,
               rule: str = RIGHT_CLOSED) -> dict[str, int]:
    """Youths per bin: per category for a categorical (`categories` given), else per numeric bin plus `missing`."""
    if categories is not None:
        counts = values.astype(str).value_counts()
        return {c: int(counts.get(c, 0)) for c in categories}
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(numbers)
    side = "left" if rule == RIGHT_CLOSED else "right"
    positions = np.searchsorted(np.asarray(edges or [], dtype=float), numbers[present], side=side)
    counts = np.bincount(positions, minlength=len(edges or []) + 1)
    return {f"bin_{k}": int(v) for k, v in enumerate(counts)} | {MISSING: int((~present).sum())}


def seen_below(values: pd.Series, span: float | None) -> pd.Series:
    """`values` with every value at or above `span` counted as missing ("none within the span"); unchanged without
    a span (a profile written before the rule, or a feature with a window)."""
    if span is None:
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.where(numbers < span)


def seen_alike(frame: pd.DataFrame, spans: dict[str, float]) -> pd.DataFrame:
    """`frame` with each feature of `spans` cut below its span (`seen_below`): the youths as every compared date could
    see them, for the measures that read all features at once (the explanation's mean |contribution| per concept)."""
    cut = {name: seen_below(frame[name], span) for name, span in spans.items() if name in frame}
    return frame.assign(**cut) if cut else frame


def shares_of(counts: dict[str, int]) -> dict[str, float]:
    total = max(sum(counts.values()), 1)
    return {k: v / total for k, v in counts.items()}


def floored(shares: np.ndarray, n: float) -> np.ndarray:
    """Shares with an empty bin counted as half a youth (0.5 / n), so the logarithm stays finite."""
    return np.where(shares > 0, shares, 0.5 / max(n, 1.0))


def psi(reference: dict[str, float], current: dict[str, float], n_reference: float, n_current: float) -> float:
    """The population stability index of `current` against `reference` (shares per bin, same keys)."""
    keys = [k for k in reference if reference[k] > 0 or current.get(k, 0.0) > 0]  # a bin empty on both sides adds nothing
    e = floored(np.array([reference[k] for k in keys], dtype=float), n_reference)
    a = floored(np.array([current.get(k, 0.0) for k in keys], dtype=float), n_current)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_null_quantile(bins: int, n_reference: float, n_current: float, alpha: float) -> float:
    """The PSI that the same distribution exceeds with probability `alpha` at these sample sizes."""
    if bins < 2:
        return 0.0
    return float(stats.chi2.ppf(1.0 - alpha, bins - 1) * (1.0 / max(n_reference, 1.0) + 1.0 / max(n_current, 1.0)))


def poisson_p_value(observed: float, expected: float) -> float:
    """Two-sided p-value of `observed` events where a Poisson(`expected`) was due: twice the smaller tail, at most 1."""
    if expected <= 0:
        return 1.0 if observed == 0 else 0.0
    lower = stats.poisson.cdf(observed, expected)
    upper = stats.poisson.sf(observed - 1, expected)
    return float(min(1.0, 2.0 * min(lower, upper)))


def rate_ratio_p_value(count: int, exposure: float, reference_count: int, reference_exposure: float) -> float:
    """Two-sided exact test that two Poisson rates are equal: given both counts' total, the current count is
    binomial with the current exposure's share of both exposures (so the reference's own noise counts too)."""
    total = int(count) + int(reference_count)
    if total == 0 or exposure <= 0 or reference_exposure <= 0:
        return 1.0
    return float(stats.binomtest(int(count), total, exposure / (exposure + reference_exposure)).pvalue)


def two_proportion_z(share_a: float, n_a: float, share_b: float, n_b: float) -> float:
    """z of share_a - share_b under a pooled share (0 when either side is empty or the pooled share is 0 or 1)."""
    if n_a <= 0 or n_b <= 0:
        return 0.0
    pooled = (share_a * n_a + share_b * n_b) / (n_a + n_b)
    variance = pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)
    return 0.0 if variance <= 0 else float((share_a - share_b) / math.sqrt(variance))


def z_critical(alpha: float) -> float:
    """|z| beyond which a two-sided test at `alpha` rejects."""
    return float(stats.norm.ppf(1.0 - alpha / 2.0))
