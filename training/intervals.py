"""Intervals for counts, in closed form, for the promotion gates that judge shares and rates: a share (Wilson's
score interval), the difference of two shares (Agresti and Caffo's), and a group's rate over the whole's (the
fairness ratios). Each is well defined at a share of 0 or 1 and widens as the cases get fewer, so a gate that
refuses only when the whole interval lies beyond its bound leaves a handful of cases undecided instead of judging
them. Used with the bootstrap intervals of `training.bootstrap` by `training.promote`.
"""

from __future__ import annotations

import math

from scipy.stats import norm


def z_for(confidence: float) -> float:
    """The two-sided normal quantile of a `confidence` interval (1.96 at 0.95)."""
    return float(norm.isf((1.0 - confidence) / 2.0))


def wilson(successes: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson's score interval of a share `successes / n`; (0, 1) without cases."""
    if n <= 0:
        return 0.0, 1.0
    z = z_for(confidence)
    share, z2 = successes / n, z * z
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def difference(successes_a: float, n_a: float, successes_b: float, n_b: float, confidence: float) -> tuple[float, float]:
    """Agresti and Caffo's interval of share_a - share_b: Wald's after one case of each kind is added to both
    sides; (-1, 1) when either side has no cases."""
    if n_a <= 0 or n_b <= 0:
        return -1.0, 1.0
    a, b = (successes_a + 1) / (n_a + 2), (successes_b + 1) / (n_b + 2)
    half = z_for(confidence) * math.sqrt(a * (1 - a) / (n_a + 2) + b * (1 - b) / (n_b + 2))
    return max(a - b - half, -1.0), min(a - b + half, 1.0)


def share_ratio(successes_a: float, n_a: float, successes_b: float, n_b: float, confidence: float) -> tuple[float, float]:
    """Newcombe's MOVER-R interval of share_a / share_b (two independent shares) from the Wilson interval of each:

        low  = (a b - sqrt((a b)^2 - la ub (2a - la)(2b - ub))) / (ub (2b - ub))
        high = (a b + sqrt((a b)^2 - ua lb (2a - ua)(2b - lb))) / (lb (2b - lb))

    The lower end's denominator is negative when b is small (b = 0 included), which the formula allows; where it is
    0 the lower end is its limit la (2a - la) / (2 a b). The upper end is infinite when b may be 0 (lb = 0)."""
    a, b = successes_a / n_a, successes_b / n_b
    low_a, high_a = wilson(successes_a, n_a, confidence)
    low_b, high_b = wilson(successes_b, n_b, confidence)
    under_low, under_high = high_b * (2 * b - high_b), low_b * (2 * b - low_b)
    if under_low != 0:
        low = (a * b - math.sqrt(max((a * b) ** 2 - low_a * (2 * a - low_a) * under_low, 0.0))) / under_low
    else:
        low = low_a * (2 * a - low_a) / (2 * a * b) if a * b > 0 else 0.0
    if under_high > 0:
        high = (a * b + math.sqrt(max((a * b) ** 2 - high_a * (2 * a - high_a) * under_high, 0.0))) / under_high
    else:
        high = math.inf
    return (low if low > 0 else 0.0), high


def rate_ratio(cases: float, n: float, all_cases: float, all_n: float, confidence: float) -> tuple[float, float]:
    """The interval of a group's rate (`cases` of `n`) over the whole's (`all_cases` of `all_n`, the group included).

    The whole is the group and the rest together: with w the group's share of the whole's n, the ratio is
    theta / (w theta + 1 - w) for theta the group's rate over the rest's, which rises with theta. So the interval is
    the MOVER-R interval of theta (`share_ratio`, group against rest, independent) carried through that map: a group
    that is most of the whole cannot lie far from it. (1, 1) for a group that is the whole; NaN without cases."""
    rest_n = all_n - n
    if n <= 0 or all_n <= 0:
        return math.nan, math.nan
    if rest_n <= 0:
        return 1.0, 1.0
    w = n / all_n
    low, high = share_ratio(cases, n, all_cases - cases, rest_n, confidence)
    to_whole = lambda theta: 1.0 / w if math.isinf(theta) else theta / (w * theta + 1 - w)  # noqa: E731
    return to_whole(low), to_whole(high)
