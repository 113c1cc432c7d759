"""Writing the generated tables: CSV (default) or Parquet, with the contract's column names and order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from vsv_model.contract import TABLES, TableSchema
from vsv_model.dates import MISSING_DAY
from vsv_model.table_io import FORMATS


def arrow_column(values: np.ndarray, kind: str) -> pa.Array:
    if kind == "date":
        return pa.array(values.astype(np.int32), type=pa.int32(), mask=values == MISSING_DAY).cast(pa.date32())
    if kind == "number":
        return pa.array(values, type=pa.float64(), from_pandas=True)
    return pa.array(values, type=pa.string(), from_pandas=True)


def arrow_table(columns: dict[str, np.ndarray], schema: TableSchema) -> pa.Table:
    return pa.table({c.name: arrow_column(columns[c.name], c.kind) for c in schema.columns})


def write_arrow(table: pa.Table, path: Path) -> None:
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="none", quoting_header="none"))


def write_tables(directory: Path, tables: dict[str, dict[str, np.ndarray]], fmt: str = "csv") -> list[Path]:
    """Write the four tables as NAME.csv or NAME.parquet; returns the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for schema in TABLES:
        path = directory / f"{schema.name}.{fmt}"
        for stale in (directory / f"{schema.name}.{other}" for other in FORMATS if other != fmt):
            stale.unlink(missing_ok=True)  # one table, one file: the reader refuses both
        write_arrow(arrow_table(tables[schema.name], schema), path)
        paths.append(path)
    return paths


TRUTH_COLUMNS = ("youth_id", "as_of", "p_true", "no_sq_by_23", "p_true_27", "no_sq_by_27")


def write_truth(directory: Path, truth: pd.DataFrame) -> Path:
    """truth.csv: youth_id, as_of, p_true and p_true_27 (full precision), the labels (empty where unknown)."""
    path = directory / "truth.csv"
    write_arrow(pa.Table.from_pandas(truth[list(TRUTH_COLUMNS)], preserve_index=False), path)
    return path


def write_truth_events(directory: Path, frame: pd.DataFrame) -> Path:
    """truth_events.csv: the truth at every office event (full precision; empty cells where out of scope or unknown).
    CSV whatever the tables' format, as truth.csv."""
    path = directory / "truth_events.csv"
    write_arrow(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path
