"""Table files, defined once: the formats the project reads and writes, and how a frame becomes a file.

Every table the project writes (features, scores, audit exports, monitoring archives) goes through
`write_frame`, so all of them look alike: categorical columns as plain text (the model signature says
"string", and a data scientist's `pd.read_csv` or `pd.read_parquet` gives text, never pandas categories),
floats in full precision with a decimal point (so whole numbers read back as floats), no index column.

Every CSV is safe to open in a spreadsheet: a text cell (not a number) that begins with `=`, `+`, `-`, `@`, a tab
or a carriage return would be run as a formula, so it is written with a leading `'` (OWASP, CSV injection).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FORMATS = ("csv", "parquet")


def format_of(path: str | Path) -> str:
    """'csv' or 'parquet' from a file name; anything else is refused, naming what is accepted."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"{Path(path).name}: the file must end in {' or '.join('.' + f for f in FORMATS)}")
    return suffix


def plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as text: what a file holds and what the model's signature accepts."""
    categorical = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]
    if not categorical:
        return frame
    return frame.astype({name: "str" for name in categorical})


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` as CSV or Parquet (by the file name), creating the folder; returns the path."""
    path = Path(path)
    fmt = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = plain_columns(frame)
    if fmt == "parquet":
        plain.to_parquet(path, index=False)
    else:
        # CRLF line ends (RFC 4180): the csv module then quotes any cell holding a line break, \r included
        spreadsheet_safe(plain).to_csv(path, index=False, lineterminator="\r\n")
    return path


FORMULA_START = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value):
    """A text cell a spreadsheet would run as a formula, prefixed with `'`; numbers and other text unchanged."""
    if isinstance(value, str) and FORMULA_START.match(value) and not NUMBER.match(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The text columns neutralised (only cells that start like a formula are looked at); numbers are never touched."""
    text = [name for name, dtype in frame.dtypes.items() if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)]
    if not text:
        return frame
    safe = frame.copy()
    for name in text:
        values = safe[name].astype("string")
        risky = values.str.match(FORMULA_START.pattern).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            safe[name] = safe[name].astype(object)
            safe.loc[risky, name] = [neutralise(v) for v in safe[name].to_numpy()[risky]]
    return safe


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a table written by `write_frame` (ids as text)."""
    path = Path(path)
    if format_of(path) == "parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"youth_id": str, "as_of": str})
