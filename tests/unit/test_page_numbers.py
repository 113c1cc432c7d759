"""How the page writes a probability: rounded to whole percents, never a certainty."""

import pytest

from serving.page import percent
from vsv_model.wording import probability_in_words


@pytest.mark.parametrize(("value", "shown"), [(0.15, "15%"), (0.994, "99%"), (0.995, "meer dan 99%"), (0.997, "meer dan 99%"),
                                              (1.0, "meer dan 99%"), (0.005, "1%"), (0.0049, "minder dan 1%"), (0.0, "minder dan 1%")])
def test_a_probability_is_never_shown_as_certain(value, shown):
    assert percent(value) == shown


@pytest.mark.parametrize(("value", "tenths"), [(0.1497, 2), (0.144, 1), (0.65, 7), (0.649, 7), (0.644, 6)])
def test_the_words_agree_with_the_percent_beside_them(value, tenths):
    assert probability_in_words(value, 23).startswith(f"ongeveer {tenths} op de 10 ")
