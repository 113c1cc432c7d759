"""The randomised share's rule (vsv_model/route_draws.py), on hand-made cases with the expected values worked out
by hand."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from vsv_model.route_draws import DrawRules, draw_routes, is_borderline, uniform_of


def test_borderline_is_within_the_band_of_either_cut_off_both_sides_included():
    p = np.array([0.24, 0.25, 0.30, 0.35, 0.36, 0.55, 0.65, 0.66, 0.45])
    assert is_borderline(p, 0.30, 0.60, 0.05).tolist() == [False, True, True, True, False, True, True, False, False]


def test_a_drawn_route_is_the_picked_one_among_those_with_places_each_equally_likely():
    take = np.array([0.05, 0.05, 0.05, 0.05, 0.50, 0.01, 0.09])
    pick = np.array([0.10, 0.50, 0.90, 0.70, 0.10, 0.10, 0.99])
    borderline = np.array([True, True, True, True, True, False, True])
    available = np.array([[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 0, 1], [1, 1, 1], [1, 1, 1], [0, 0, 0]], bool)
    draws = draw_routes(take, pick, borderline, available, 0.10)
    # 0.1*3 -> the 1st; 0.5*3 -> 2nd; 0.9*3 -> 3rd; 0.7*2 -> 2nd of (letter, matchmaker); not taken; not borderline;
    # no route with places: never drawn
    assert draws.drawn.tolist() == [True, True, True, True, False, False, False]
    assert draws.route.tolist() == [0, 1, 2, 2, -1, -1, -1]
    assert draws.propensity[:4].tolist() == [1 / 3, 1 / 3, 1 / 3, 1 / 2] and np.isnan(draws.propensity[4:]).all()


def test_the_uniform_numbers_come_from_the_key_and_the_salt_alone():
    digest = hashlib.sha256(b"zhz\x1freport:R1").digest()
    expected = (int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64)
    assert uniform_of("report:R1", "zhz") == expected
    assert uniform_of("report:R1", "other") != expected


@pytest.mark.parametrize(("share", "band"), [(-0.1, 0.05), (1.1, 0.05), (0.1, -0.01), (0.1, 0.5)])
def test_settings_out_of_range_are_refused(share, band):
    with pytest.raises(ValueError, match="random_share|random_band"):
        DrawRules(share, band)


def test_the_office_cases_layout_knows_the_events_kinds():
    from features.office_events import EVENT_KINDS
    from vsv_model.office_cases import KINDS

    assert KINDS == EVENT_KINDS  # vsv_model cannot import features: held equal here
