"""Fast lookups on string columns, whether they come as Arrow-backed pandas columns (a
whole population) or as small numpy arrays (one youth's request)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_arrow_strings(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, pd.Series) and values.dtype != object:
        values = values.astype("string")
    return pa.array(values, type=pa.string(), from_pandas=True)


SMALL = 512  # below this many values a Python dict beats Arrow's fixed cost per call (a request's records)


def _as_list(values) -> list:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.to_pylist()
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values]


def positions_in(values, vocabulary) -> np.ndarray:
    """Position of each value in `vocabulary` (hash lookup); -1 where absent or missing."""
    if len(values) + len(vocabulary) < SMALL:
        index = {v: i for i, v in enumerate(_as_list(vocabulary)) if v is not None}
        return np.array([index.get(v, -1) if v is not None else -1 for v in _as_list(values)], dtype=np.int64)
    found = pc.index_in(to_arrow_strings(values), value_set=to_arrow_strings(vocabulary))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def missing_mask(values) -> np.ndarray:
    """True where a value is missing."""
    if len(values) < SMALL:
        return np.array([v is None for v in _as_list(values)], dtype=bool)
    return to_arrow_strings(values).is_null().to_numpy(zero_copy_only=False)


def factorize_strings(values) -> np.ndarray:
    """Integer codes, equal for equal strings (order of first appearance); -1 where missing."""
    if len(values) < SMALL:
        codes: dict = {}
        return np.array([codes.setdefault(v, len(codes)) if v is not None else -1 for v in _as_list(values)], dtype=np.int64)
    encoded = pc.dictionary_encode(to_arrow_strings(values))
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own text dtype (`str`), what a frame of Python strings gets


def text_column(texts, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column from its distinct values and a code per row (-1: missing), without a Python string per row:
    Arrow takes the values by code. The same column pandas would build from the strings themselves."""
    values = pa.array(list(texts), type=pa.large_string())
    codes = np.asarray(codes, dtype=np.int64)
    taken = values.take(pa.array(codes, mask=codes < 0)) if len(values) else pa.nulls(len(codes), pa.large_string())
    return pd.arrays.ArrowStringArray(pa.chunked_array([taken], type=pa.large_string()), dtype=TEXT)
