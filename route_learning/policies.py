"""Three route policies at equal capacity: as many matchmakers and conversations as the office actually gave in the
cases judged, the rest a letter.

- tier: today's rule, by score rank (the highest scores get a matchmaker, the next a conversation);
- benefit: by the estimated benefit of a fitted policy tree (its leaf values: each route's gain over the letter),
  a matchmaker to the largest matchmaker gains, then a conversation to the largest conversation gains among the rest,
  only where the gain is positive (a place that helps nobody stays unused); ties by score;
- random: every case each route with the office's shares (its expectation, no draw noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsv_model.route_draws import CONVERSATION, LETTER, MATCHMAKER, ROUTE_CODES


@dataclass(frozen=True)
class Capacity:
    """Places given in a set of cases (matchmakers, conversations) and the number of cases."""

    matchmakers: int
    conversations: int
    cases: int

    @classmethod
    def of(cls, t: np.ndarray) -> Capacity:
        counts = np.bincount(np.asarray(t, int), minlength=len(ROUTE_CODES))
        return cls(int(counts[MATCHMAKER]), int(counts[CONVERSATION]), len(t))

    def shares(self) -> np.ndarray:
        letters = self.cases - self.matchmakers - self.conversations
        return np.array([letters, self.conversations, self.matchmakers], float) / max(self.cases, 1)


def tier_policy(score: np.ndarray, capacity: Capacity) -> np.ndarray:
    """Route codes by score rank: the top `matchmakers` a matchmaker, the next `conversations` a conversation."""
    rank = np.empty(len(score), dtype=int)
    rank[np.argsort(-np.asarray(score, float), kind="stable")] = np.arange(len(score))
    return np.where(rank < capacity.matchmakers, MATCHMAKER,
                    np.where(rank < capacity.matchmakers + capacity.conversations, CONVERSATION, LETTER))


def benefit_policy(gain: np.ndarray, score: np.ndarray, capacity: Capacity) -> np.ndarray:
    """Route codes by estimated gain over the letter (`gain`: cases x 2, conversation and matchmaker)."""
    route = np.full(len(score), LETTER)
    route[top_positive(gain[:, 1], score, np.ones(len(score), bool), capacity.matchmakers)] = MATCHMAKER
    route[top_positive(gain[:, 0], score, route == LETTER, capacity.conversations)] = CONVERSATION
    return route


def top_positive(gain: np.ndarray, score: np.ndarray, eligible: np.ndarray, places: int) -> np.ndarray:
    """Positions of the (at most) `places` eligible cases with the largest positive gain, ties by higher score."""
    candidates = np.flatnonzero(eligible & (gain > 0))
    order = np.lexsort((-score[candidates], -gain[candidates]))
    return candidates[order[:places]]


def random_policy(n: int, capacity: Capacity) -> np.ndarray:
    """Route probabilities (cases x routes): the office's shares for every case."""
    return np.tile(capacity.shares(), (n, 1))


def tree_gains(tree, x: np.ndarray) -> np.ndarray:
    """The policy tree's estimated gain of conversation and matchmaker over the letter at each case (its leaf)."""
    return np.asarray(tree.predict_value(x), dtype=float)
