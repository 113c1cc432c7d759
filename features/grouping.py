"""Per-youth reductions over arrays sorted by youth: the vectorised building blocks.

Every function takes `youth` (positions, sorted ascending) and returns one
value per youth (length `n`), so no builder ever loops over youths in Python.
"""

from __future__ import annotations

import numpy as np

_DAY_OFFSET = 1 << 20  # shifts day numbers (1970-based, may be negative) to positive
_KEY_SPAN = 1 << 22  # room for ~11,000 years of days per youth in a combined key


def last_rows(youth: np.ndarray) -> np.ndarray:
    """Index of each youth's last row (its latest record; on ties the last listed)."""
    if len(youth) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[youth[1:] != youth[:-1], True])


def last_value(youth: np.ndarray, values: np.ndarray, n: int, fill) -> np.ndarray:
    """Each youth's value on its last row; `fill` for youths without rows."""
    out = np.full(n, fill, dtype=values.dtype)
    idx = last_rows(youth)
    out[youth[idx]] = values[idx]
    return out


def count(youth: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(youth[mask], minlength=n).astype(np.int64)


def total(youth: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(youth[mask], weights=values[mask], minlength=n)


def any_(youth: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    return count(youth, mask, n) > 0


def maximum(youth: np.ndarray, values: np.ndarray, n: int, fill) -> np.ndarray:
    out = np.full(n, fill, dtype=values.dtype)
    np.maximum.at(out, youth, values)
    return out


def combined_keys(youth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One sortable integer per (youth, day): sorted by youth then day when the inputs are."""
    return youth.astype(np.int64) * _KEY_SPAN + (day.astype(np.int64) + _DAY_OFFSET)


def count_between(sorted_keys: np.ndarray, youth: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray) -> np.ndarray:
    """For each query, how many of that youth's dated rows fall in [lo_day, hi_day] (inclusive)."""
    lo = np.searchsorted(sorted_keys, combined_keys(youth, lo_day), side="left")
    hi = np.searchsorted(sorted_keys, combined_keys(youth, hi_day), side="right")
    return np.maximum(hi - lo, 0)
