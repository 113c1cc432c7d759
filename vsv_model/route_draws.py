"""The randomised share: which cases are borderline, and the route drawn for them. Defined once.

The office learns which reaction works for whom only if every route is seen for every kind of youth. So a small,
regional share (`share`, default 10%) of the **borderline** cases gets a route drawn at random instead of the
advice:

- a case is borderline when its probability lies within `band` (probability points, default 0.05) of either tier
  cut-off (letter|conversation or conversation|matchmaker): there the advice could as well have gone either way;
- the draw takes one of the routes that still have capacity, each with the same chance;
- a draw is recorded as such, with the chance of the route it gave (`propensity`), so an estimate can weigh it
  exactly. The officer may refuse a draw, with a reason; the refusal is recorded too.

Casework draws with these functions (one uniform number per case, from its event key and a regional salt, so a
draw can be re-checked); the synthetic world's office simulates the same draws with its own random numbers.
Route codes are integers in `ROUTE_CODES` order (econml wants integer labels): 0 letter, 1 conversation,
2 matchmaker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from vsv_model.policy import ROUTES, TIERS

ROUTE_CODES = tuple(ROUTES[tier].code for tier in TIERS)  # waarschuwingsbrief, gesprek, matchmaker
LETTER, CONVERSATION, MATCHMAKER = range(3)


@dataclass(frozen=True)
class DrawRules:
    """The regional settings of the randomised share (`[casework] random_share`, `random_band`)."""

    share: float = 0.10
    band: float = 0.05

    def __post_init__(self):
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"random_share must lie between 0 and 1, got {self.share}")
        if not 0.0 <= self.band < 0.5:
            raise ValueError(f"random_band must lie between 0 and 0.5 (probability points), got {self.band}")


@dataclass(frozen=True)
class Draws:
    """Per case: whether a route was drawn, which (a route code, -1 when not drawn), and its chance."""

    drawn: np.ndarray
    route: np.ndarray
    propensity: np.ndarray


BAND_TOLERANCE = 1e-9  # 0.65 lies within 0.05 of 0.60, though in floating point |0.65 - 0.60| = 0.05000000000000004


def is_borderline(probability: np.ndarray, medium: float, high: float, band: float) -> np.ndarray:
    """Within `band` of either tier cut-off (both sides included)."""
    p, reach = np.asarray(probability, dtype=float), band + BAND_TOLERANCE
    return (np.abs(p - medium) <= reach) | (np.abs(p - high) <= reach)


def draw_routes(take: np.ndarray, pick: np.ndarray, borderline: np.ndarray, available: np.ndarray,
                share: float) -> Draws:
    """The draws for cases with uniform numbers `take` (drawn when below `share`) and `pick` (which route), of which
    `borderline` ones may be drawn, with `available` (cases x 3, bool) the routes that still have capacity. A case
    without any available route is not drawn. The route is the `pick`-th available one, each equally likely."""
    available = np.asarray(available, dtype=bool)
    count = available.sum(axis=1)
    drawn = np.asarray(borderline, bool) & (np.asarray(take, float) < share) & (count > 0)
    nth = np.minimum((np.asarray(pick, float) * np.maximum(count, 1)).astype(int), np.maximum(count - 1, 0))
    order = np.cumsum(available, axis=1) - 1  # each available route's place among the available ones
    chosen = np.argmax(available & (order == nth[:, None]), axis=1)
    route = np.where(drawn, chosen, -1)
    propensity = np.where(drawn, 1.0 / np.maximum(count, 1), np.nan)
    return Draws(drawn, route, propensity)


def uniform_of(key: str, salt: str) -> tuple[float, float]:
    """Two uniform numbers in [0, 1) from a case's event key and the region's salt: the same key always gives the
    same draw, so an audit can repeat it, and nobody can pick a draw by choosing when to sync."""
    digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).digest()
    take = int.from_bytes(digest[:8], "big") / 2.0**64
    pick = int.from_bytes(digest[8:16], "big") / 2.0**64
    return take, pick
