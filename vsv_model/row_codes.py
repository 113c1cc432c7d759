"""Distinct rows across several columns, for millions of rows: the one way the project groups equal rows.

Used for exact duplicates in a file (`vsv_model.reader`), split patterns (`vsv_model.split_bins`) and the
distinct values a sentence or a data-quality text is written for (`vsv_model.explanations`).

Each column becomes small integer codes (its distinct values, found by sorting); the codes are combined into one
integer per row, renumbered whenever the combination could outgrow the bits left beside a row position; then the
keys are sorted with each row's position packed into their low bits, so equal keys lie side by side in file
order. Sorting integers (numpy's vectorised sort) costs a fraction of hashing them, and far less than pandas'
MultiIndex.
"""

from __future__ import annotations

import numpy as np


def distinct_rows(columns: list[np.ndarray], sizes: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row the code of its combination of values (0..k-1), equal exactly for rows equal in every column
    (NaN equals NaN), and the first row of each code. With `sizes`, column j holds codes 0..sizes[j]-1 already."""
    rows = len(columns[0]) if columns else 0
    if rows == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bits = max(int(rows - 1).bit_length(), 1)
    coded = coded_columns(columns, sizes)
    key, span = np.zeros(rows, dtype=np.int64), 1
    for codes, size in sorted(coded, key=lambda pair: -pair[1]):  # the widest first: it never needs a renumbering
        if span * size >= 1 << (62 - bits):
            key, span, _ = dense_ranks(key, bits, span)
        key, span = key * size + codes, span * size
    codes, _, first = dense_ranks(key, bits, span)
    return codes, first


def repeated_rows_of(columns: list[np.ndarray], sizes: list[int] | None = None) -> np.ndarray:
    """True for every row equal in all columns to an earlier row.

    First the widest columns that fit one key beside the row positions are sorted once; a row whose key no other
    row shares cannot repeat (in a file of records nearly every row), so only the rows sharing a key are compared
    in every column."""
    rows = len(columns[0]) if columns else 0
    repeated = np.zeros(rows, dtype=bool)
    if rows < 2:
        return repeated
    bits = max(int(rows - 1).bit_length(), 1)
    coded = sorted(coded_columns(columns, sizes), key=lambda pair: -pair[1])
    key, span, used = np.zeros(rows, dtype=np.int64), 1, 0
    for codes, size in coded:
        if used and span * size >= 1 << (62 - bits):
            break
        key, span, used = key * size + codes, span * size, used + 1
    keys, positions = sort_with_positions(key, bits, span)
    shared = np.zeros(rows, dtype=bool)
    shared[1:] = keys[1:] == keys[:-1]
    if used == len(coded):
        repeated[positions[shared]] = True
        return repeated
    shared[:-1] |= shared[1:]  # the first of a group shares its key too
    candidates = np.sort(positions[shared])
    if len(candidates):
        codes, first = distinct_rows([c[candidates] for c, _ in coded], [s for _, s in coded])
        repeated[candidates[first[codes] != np.arange(len(codes))]] = True
    return repeated


def sort_with_positions(key: np.ndarray, bits: int, span: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys (0 <= key < span) sorted, and the row each came from; equal keys in row order. The row positions
    ride in the keys' low bits while they fit beside them (one plain sort); wider keys take a stable argsort."""
    if span < 1 << (62 - bits):
        packed = (key << bits) | np.arange(len(key), dtype=np.int64)
        packed.sort()
        return packed >> bits, packed & ((1 << bits) - 1)
    positions = np.argsort(key, kind="stable")
    return key[positions], positions


def coded_columns(columns: list[np.ndarray], sizes: list[int] | None) -> list[tuple[np.ndarray, int]]:
    """Each column as (codes, how many): as given with `sizes`, else coded here."""
    if sizes is not None:
        return [(np.asarray(c), s) for c, s in zip(columns, sizes)]
    return [value_codes(c) for c in columns]


def value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """A column's values as codes 0..k-1 (by sorted value; NaN last), and k."""
    values = np.asarray(values)
    if values.dtype == bool:
        return values.astype(np.int64), 2
    distinct = np.unique(values)  # NaNs count as one value
    return np.searchsorted(distinct, values).astype(np.int64), max(len(distinct), 1)


def dense_ranks(key: np.ndarray, bits: int, span: int) -> tuple[np.ndarray, int, np.ndarray]:
    """Each key (0 <= key < span) ranked among the distinct keys, how many there are, and the first row of each
    rank."""
    keys, positions = sort_with_positions(key, bits, span)
    starts = np.empty(len(keys), dtype=bool)
    starts[0], starts[1:] = True, keys[1:] != keys[:-1]
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[positions] = np.cumsum(starts) - 1
    return ranks, int(starts.sum()), positions[starts]
