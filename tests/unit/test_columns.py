"""The string lookups give the same answers on the small (dict) and large (Arrow) paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsv_model import columns
from vsv_model.columns import factorize_strings, missing_mask, positions_in


@pytest.mark.parametrize("make", [lambda v: np.array(v, dtype=object), lambda v: pd.Series(v, dtype="string")])
def test_small_and_large_paths_agree(make, monkeypatch):
    values = ["b", None, "a", "zz", "b", "a"] * 200
    vocabulary = ["a", "b", "c"]
    small = (positions_in(make(values[:6]), vocabulary), factorize_strings(make(values[:6])), missing_mask(make(values[:6])))
    assert small[0].tolist() == [1, -1, 0, -1, 1, 0]
    assert small[1].tolist() == [0, -1, 1, 2, 0, 1]
    assert small[2].tolist() == [False, True, False, False, False, False]
    monkeypatch.setattr(columns, "SMALL", 0)  # force the Arrow path on the same input
    assert positions_in(make(values[:6]), vocabulary).tolist() == small[0].tolist()
    assert factorize_strings(make(values[:6])).tolist() == small[1].tolist()
    assert missing_mask(make(values[:6])).tolist() == small[2].tolist()
