"""How the page writes a probability: rounded to whole percents, never a certainty."""

import pytest

from serving.page_base import percent
from vsv_model.wording import probability_in_words


@pytest.mark.parametrize(("value", "shown"), [(0.15, "15%"), (0.994, "99%"), (0.995, "meer dan 99%"), (0.997, "meer dan 99%"),
                                              (1.0, "meer dan 99%"), (0.005, "1%"), (0.0049, "minder dan 1%"), (0.0, "minder dan 1%")])
def test_a_probability_is_never_shown_as_certain(value, shown):
    assert percent(value) == shown


@pytest.mark.parametrize(("value", "shown", "words"), [
    (0.1497, "15%", "ongeveer 1 op de 7 "), (0.144, "14%", "ongeveer 1 op de 7 "), (0.06, "6%", "ongeveer 1 op de 17 "),
    (0.0651, "7%", "ongeveer 1 op de 14 "), (0.064, "6%", "ongeveer 1 op de 17 "), (0.65, "65%", "ongeveer 65 op de 100 "),
    (0.695, "70%", "ongeveer 7 op de 10 "), (0.0049, "minder dan 1%", "minder dan 1 op de 100 ")])
def test_the_words_agree_with_the_percent_beside_them(value, shown, words):
    assert percent(value) == shown
    assert probability_in_words(value, 23).startswith(words)
