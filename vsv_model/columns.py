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


def positions_in(values, vocabulary) -> np.ndarray:
    """Position of each value in `vocabulary` (hash lookup); -1 where absent or missing."""
    found = pc.index_in(to_arrow_strings(values), value_set=to_arrow_strings(vocabulary))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def factorize_strings(values) -> np.ndarray:
    """Integer codes, equal for equal strings (order of first appearance)."""
    encoded = pc.dictionary_encode(to_arrow_strings(values))
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
