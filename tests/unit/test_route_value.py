"""Off-policy value on a hand-made case set equals a hand computation (the DR formula written out below), and the
three policies' assignments at equal capacity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from route_learning.doubly_robust import Z95, dr_scores, mean_interval, policy_values
from route_learning.evaluate import ratio_gain
from route_learning.policies import Capacity, benefit_policy, random_policy, tier_policy

# y, route taken, mu (letter, conversation, matchmaker), the taken route's propensity
Y = np.array([1, 0, 1, 1, 0, 0], float)
T = np.array([0, 1, 2, 1, 0, 2])
MU = np.array([[0.5, 0.6, 0.7], [0.4, 0.5, 0.6], [0.2, 0.3, 0.5], [0.5, 0.8, 0.5], [0.3, 0.3, 0.3], [0.1, 0.2, 0.4]])
E = np.array([0.5, 0.25, 1 / 3, 0.8, 0.6, 0.5])
# Gamma[i, r] = mu[i, r] + 1{t_i = r} (y_i - mu[i, r]) / e_i, by hand:
#   row 1, letter:      0.5 + (1 - 0.5) / 0.5  = 1.5
#   row 2, conversation 0.5 + (0 - 0.5) / 0.25 = -1.5
#   row 3, matchmaker   0.5 + (1 - 0.5) * 3    = 2.0
#   row 4, conversation 0.8 + (1 - 0.8) / 0.8  = 1.05
#   row 5, letter       0.3 + (0 - 0.3) / 0.6  = -0.2
#   row 6, matchmaker   0.4 + (0 - 0.4) / 0.5  = -0.4
GAMMA = np.array([[1.5, 0.6, 0.7], [0.4, -1.5, 0.6], [0.2, 0.3, 2.0], [0.5, 1.05, 0.5], [-0.2, 0.3, 0.3],
                  [0.1, 0.2, -0.4]])


def test_dr_scores_by_hand():
    np.testing.assert_allclose(dr_scores(Y, T, MU, E), GAMMA, atol=1e-12)


def test_policy_value_and_its_interval_by_hand():
    policy = np.array([2, 2, 2, 1, 0, 0])
    per_case = [0.7, 0.6, 2.0, 1.05, -0.2, 0.1]  # Gamma at the policy's route
    mean = 4.25 / 6
    sd = math.sqrt(sum((v - mean) ** 2 for v in per_case) / 5)
    got = mean_interval(policy_values(dr_scores(Y, T, MU, E), policy))
    assert got.value == pytest.approx(0.708333333, abs=1e-8)
    assert got.high - got.value == pytest.approx(Z95 * sd / math.sqrt(6), abs=1e-12)
    assert got.value - got.low == pytest.approx(1.959964 * 0.7735740 / math.sqrt(6), abs=1e-5)


def test_tier_random_and_benefit_at_equal_capacity_by_hand():
    score = np.array([0.9, 0.8, 0.1, 0.5, 0.3, 0.2])
    capacity = Capacity.of(T)
    assert (capacity.matchmakers, capacity.conversations, capacity.cases) == (2, 2, 6)
    tier = tier_policy(score, capacity)
    np.testing.assert_array_equal(tier, [2, 2, 0, 1, 1, 0])
    # tier: 0.7 + 0.6 + 0.2 + 1.05 + 0.3 + 0.1 = 2.95; random: each row's mean of its three Gammas
    assert mean_interval(policy_values(GAMMA, tier)).value == pytest.approx(2.95 / 6)
    random = mean_interval(policy_values(GAMMA, random_policy(6, capacity))).value
    assert random == pytest.approx((2.8 - 0.5 + 2.5 + 2.05 + 0.4 - 0.1) / 3 / 6)
    # gains (conversation, matchmaker): matchmaker to the two largest positive gains (rows 3, 5), then conversation
    # to the largest positive conversation gains among the rest (row 1; row 2's gain is 0, rows 4, 6 negative)
    gain = np.array([[0.3, 0.0], [0.0, -0.1], [0.1, 0.5], [-0.2, 0.1], [0.2, 0.4], [-0.1, -0.3]])
    np.testing.assert_array_equal(benefit_policy(gain, score, capacity), [1, 0, 2, 0, 2, 0])


def test_the_difference_of_two_policies_per_case():
    benefit, tier = np.array([2, 2, 2, 1, 0, 0]), np.array([2, 2, 0, 1, 1, 0])
    d = policy_values(GAMMA, benefit) - policy_values(GAMMA, tier)
    np.testing.assert_allclose(d, [0, 0, 1.8, 0, -0.5, 0], atol=1e-12)
    assert mean_interval(d).value == pytest.approx(1.3 / 6)


def test_the_value_of_the_places_by_hand():
    """The places' value (a policy minus the all-letter policy) and benefit over tier in that value, with the delta
    method's interval, worked out by hand on the six cases."""
    all_letter = policy_values(GAMMA, np.zeros(6, int))  # Gamma's letter column: 1.5 + 0.4 + 0.2 + 0.5 - 0.2 + 0.1
    assert all_letter.sum() == pytest.approx(2.5)
    tier, benefit = np.array([2, 2, 0, 1, 1, 0]), np.array([1, 0, 2, 0, 2, 0])
    # tier: 0.7 + 0.6 + 0.2 + 1.05 + 0.3 + 0.1 = 2.95, places (2.95 - 2.5) / 6 = 0.075
    # benefit: 0.6 + 0.4 + 2.0 + 0.5 + 0.3 + 0.1 = 3.9, places (3.9 - 2.5) / 6 = 1.4 / 6
    places_tier = policy_values(GAMMA, tier) - all_letter
    places_benefit = policy_values(GAMMA, benefit) - all_letter
    np.testing.assert_allclose(places_tier, [-0.8, 0.2, 0.0, 0.55, 0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(places_benefit, [-0.9, 0.0, 1.8, 0.0, 0.5, 0.0], atol=1e-12)
    assert mean_interval(places_tier).value == pytest.approx(0.075)
    assert mean_interval(places_benefit).value == pytest.approx(1.4 / 6)
    got = ratio_gain(places_benefit, places_tier)
    assert got.value == pytest.approx(1.4 / 0.45 - 1)  # +211%: benefit's places are worth 3.11 times tier's
    # delta method by hand: influence_i = (b_i - (1 + g) t_i) / mean(t), half-width 1.96 sd(influence) / sqrt(6)
    g, mean_t = 1.4 / 0.45 - 1, 0.45 / 6
    b, t = [-0.9, 0.0, 1.8, 0.0, 0.5, 0.0], [-0.8, 0.2, 0.0, 0.55, 0.5, 0.0]
    influence = [(bi - (1 + g) * ti) / mean_t for bi, ti in zip(b, t, strict=True)]
    centre = sum(influence) / 6
    sd = math.sqrt(sum((v - centre) ** 2 for v in influence) / 5)
    assert got.high - got.value == pytest.approx(1.959964 * sd / math.sqrt(6), rel=1e-6)
    assert got.value - got.low == pytest.approx(got.high - got.value)
