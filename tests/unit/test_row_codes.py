"""Distinct rows across columns (`vsv_model.row_codes`): hand-made cases with exact expected codes, and a
comparison with pandas' own duplicate detection written apart from the code it checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsv_model.row_codes import distinct_rows, repeated_rows_of


def test_equal_rows_share_a_code_and_the_first_of_each_is_named():
    left = np.array([1.0, 2.0, 1.0, np.nan, np.nan, 2.0])
    right = np.array([True, False, True, True, True, True])
    codes, first = distinct_rows([left, right])
    # rows 0 and 2 are (1, True); rows 3 and 4 are (NaN, True): NaN equals NaN; 1 and 5 differ in `right`
    assert codes[0] == codes[2] and codes[3] == codes[4]
    assert len(set(codes.tolist())) == 4
    assert sorted(first.tolist()) == [0, 1, 3, 5]
    assert all(codes[f] == c for c, f in enumerate(first))


def test_repeats_are_every_row_but_the_first_of_its_kind():
    youth = np.array([0, 1, 0, 0, 1])
    day = np.array([5, 5, 5, 6, 5])
    assert repeated_rows_of([youth, day], [2, 7]).tolist() == [False, False, True, False, True]


def test_wide_keys_that_do_not_fit_beside_the_row_positions_are_compared_in_full():
    # two columns of 2**40 values each cannot share one 62-bit key with the row positions: the second pass runs
    wide = 1 << 40
    a = np.array([wide - 1, 3, wide - 1, wide - 1, 3])
    b = np.array([7, wide - 2, 7, 8, wide - 2])
    assert repeated_rows_of([a, b], [wide, wide]).tolist() == [False, False, True, False, True]
    codes, first = distinct_rows([a, b], [wide, wide])
    assert codes[0] == codes[2] != codes[3] and codes[1] == codes[4] and sorted(first.tolist()) == [0, 1, 3]


def test_no_rows_and_one_row():
    assert repeated_rows_of([np.zeros(0, dtype=np.int64)], [1]).tolist() == []
    assert repeated_rows_of([np.array([4])], [5]).tolist() == [False]
    assert distinct_rows([np.zeros(0)])[0].tolist() == []


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_pandas_duplicated_on_random_tables(seed):
    rng = np.random.default_rng(seed)
    rows = 5_000
    sizes = [int(rng.integers(1, 4)), int(rng.integers(2, 50)), 1 << 35, int(rng.integers(1, 6))]
    columns = [rng.integers(0, size, rows) for size in sizes]
    copies, originals = rng.integers(0, rows, 800), rng.integers(0, rows, 800)
    for column in columns:
        column[copies] = column[originals]
    expected = pd.DataFrame(dict(enumerate(columns))).duplicated(keep="first").to_numpy()
    assert expected.sum() > 0
    assert np.array_equal(repeated_rows_of(columns, sizes), expected)
    assert np.array_equal(repeated_rows_of([c.astype(float) for c in columns]), expected)
    codes, first = distinct_rows(columns, sizes)
    assert np.array_equal(first[codes] != np.arange(rows), expected)
