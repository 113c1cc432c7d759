"""The one reader for a data directory: four tables as CSV or Parquet, checked against the contract.

Hard errors raise `ContractError` naming file, row and column. Row numbers are
what you see in the file: for CSV the line number (the header is row 1), for
Parquet the 1-based record number. Soft issues are fixed as the contract says
and counted in the `DataQuality` summary, so nothing is dropped silently.

A table is one file (`enrollments.csv`) or a partitioned dataset: a directory of
that name holding part files of its format (`enrollments.parquet/part-0.parquet`,
...; names starting with `_` or `.` are not data). Each file is read and checked on
its own (`read_table_file`: what one Spark task does per file, so both engines
report the same error, naming the part file and the row in it); the parts follow
one another in name order, then exact duplicates across parts count once and a
youth_id may appear in one part only (`combine_files`).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from vsv_model.columns import SMALL, positions_in
from vsv_model.contract import (
    ABSENCE_REPORTS,
    DIPLOMAS,
    ENROLLMENTS,
    EVENT_TABLES,
    TABLES,
    UNKNOWN,
    YOUTHS,
    Column,
    ContractError,
    TableSchema,
    count_merged_names,
    normalise_columns,
    rows_with_bad_ids,
    rows_with_end_before_start,
    rows_with_negative,
)
from vsv_model.quality import DataQuality
from vsv_model.table_io import FORMATS


@dataclass
class DataSet:
    """The four tables after checking and normalisation, plus what the reading counted.

    Each frame keeps its file order (the index is the 0-based record position),
    because ties are broken by "the one listed last in the file wins".
    """

    youths: pd.DataFrame
    enrollments: pd.DataFrame
    diplomas: pd.DataFrame
    absence_reports: pd.DataFrame
    quality: DataQuality = field(default_factory=DataQuality)

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def known_at(self, day: dt.date) -> DataSet:
        """The data as the office held it on `day`: records dated later are not there yet, and an enrolment that
        ended later was still running (a backtest trains on what was known then)."""
        cut = pd.Timestamp(day)
        enrollments = self.enrollments[self.enrollments["start_date"] <= cut].copy()
        enrollments.loc[enrollments["end_date"] > cut, "end_date"] = pd.NaT
        return DataSet(self.youths, enrollments, self.diplomas[self.diplomas["diploma_date"] <= cut],
                       self.absence_reports[self.absence_reports["report_date"] <= cut], self.quality)

    def end_date(self) -> dt.date:
        """The data's end date: the latest date in enrollments, diplomas and absence reports."""
        candidates = [
            self.enrollments["start_date"].max(),
            self.enrollments["end_date"].max(),
            self.diplomas["diploma_date"].max(),
            self.absence_reports["report_date"].max(),
        ]
        present = [c for c in candidates if pd.notna(c)]
        if not present:
            raise ContractError("data", None, None, "no dated records: the data's end date is unknown")
        return max(present).date()


@dataclass(frozen=True)
class TableFile:
    """One file of a table: the whole table, or one part of a partitioned dataset (`dataset` is its directory)."""

    path: Path
    fmt: str
    dataset: Path | None = None

    @property
    def first_row(self) -> int:
        return 2 if self.fmt == "csv" else 1

    @property
    def label(self) -> str:
        """How errors name the file: `youths.csv`, or `youths.parquet/part-00000.parquet` for a part."""
        return self.path.name if self.dataset is None else f"{self.dataset.name}/{self.path.name}"


def read_data_dir(directory: str | Path) -> DataSet:
    """Read, check and normalise the four tables of a data directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ContractError(str(directory), None, None, "data directory does not exist")
    quality = DataQuality()
    frames = {schema.name: read_table(directory, schema, quality) for schema in TABLES}
    youths = frames["youths"]
    for schema in EVENT_TABLES:
        frames[schema.name] = drop_unknown_youths(frames[schema.name], youths["youth_id"], schema, quality)
    return DataSet(quality=quality, **frames)


def read_table(directory: Path, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """Read one table (each of its files), stop on hard errors, then normalise values and count the soft issues."""
    files = locate_table(directory, schema)
    return combine_files([read_table_file(file, schema, quality) for file in files], files, schema, quality)


def read_table_file(source: TableFile, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """One file of a table, checked and normalised; its index is the record's 0-based position in the file."""
    raw = load_raw(source, schema)
    add_count(quality.rows_read, schema.name, len(raw))
    raw = drop_exact_duplicates(raw, schema, quality)
    table = parse_values(raw, schema, source)
    check_rules(table, schema, source)
    return normalise_values(table, schema, quality)


def add_count(counts: dict[str, int], key: str, count: int) -> None:
    """Counts add up over the files of a table."""
    counts[key] = counts.get(key, 0) + int(count)


def locate_table(directory: Path, schema: TableSchema) -> list[TableFile]:
    """The table's file, or the part files of its dataset directory in name order."""
    found = [(directory / f"{schema.name}.{fmt}", fmt) for fmt in FORMATS if (directory / f"{schema.name}.{fmt}").exists()]
    if not found:
        raise ContractError(str(directory), None, None, f"table '{schema.name}' is missing: expected {schema.name}.csv or {schema.name}.parquet")
    if len(found) > 1:
        raise ContractError(str(directory), None, None, f"table '{schema.name}' is there twice: keep either {schema.name}.csv or {schema.name}.parquet")
    path, fmt = found[0]
    if not path.is_dir():
        return [TableFile(path, fmt)]
    parts = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == f".{fmt}" and not p.name.startswith(("_", ".")))
    if not parts:
        raise ContractError(path.name, None, None, f"the dataset holds no .{fmt} part files")
    return [TableFile(part, fmt, path) for part in parts]


def combine_files(parts: list[pd.DataFrame], files: list[TableFile], schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """The parts one after the other, indexed by position in the whole dataset (part offsets plus the position in
    the part); exact duplicates across parts count once; a youth_id of the youths table lies in one part only."""
    if len(parts) == 1:
        return parts[0]
    offsets = part_offsets(files)
    table = pd.concat([part.set_axis(part.index + offset) for part, offset in zip(parts, offsets)])
    repeated = repeated_rows(table[list(schema.column_names)])
    add_count(quality.duplicates_dropped, schema.name, repeated.sum())
    table = table.loc[~repeated]
    if schema is YOUTHS:
        offending = np.flatnonzero(table["youth_id"].duplicated(keep="first").to_numpy())
        raise_in_dataset(files, offsets, table["youth_id"], offending, "duplicate youth_id {value!r}")
    return table


def part_offsets(files: list[TableFile]) -> np.ndarray:
    """Where each part starts in the dataset's numbering: the records of the parts before it."""
    sizes = [record_count(file) for file in files]
    return np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)


def record_count(file: TableFile) -> int:
    if file.fmt == "parquet":
        return pq.ParquetFile(file.path).metadata.num_rows
    with open(file.path, "rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def raise_in_dataset(files: list[TableFile], offsets: np.ndarray, values: pd.Series, positions: np.ndarray, problem: str) -> None:
    """`raise_at_rows` for a whole dataset: the first offending row is named by its part file and its row there."""
    if len(positions) == 0:
        return
    part = int(np.searchsorted(offsets, int(values.index[positions[0]]), side="right")) - 1
    in_part = values.set_axis(values.index - int(offsets[part]))  # only the first offending row's number is read
    raise_at_rows(files[part], YOUTHS.column(str(values.name)), in_part, positions, problem)


def load_raw(source: TableFile, schema: TableSchema) -> pd.DataFrame:
    """The table's contract columns; CSV cells as text, Parquet columns as stored."""
    if source.fmt == "csv":
        names = read_csv_header(source)
        options = pa_csv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True)
        try:
            arrow = pa_csv.read_csv(source.path, convert_options=options)
        except pa.ArrowInvalid as exc:
            raise ContractError(source.label, None, None, f"not a readable CSV file ({exc})") from exc
        arrow = arrow.rename_columns([name.strip() for name in arrow.column_names])
    else:
        arrow = pq.read_table(source.path)
    missing = [c.name for c in schema.columns if c.required and c.name not in arrow.column_names]
    if missing:
        raise ContractError(source.label, 1 if source.fmt == "csv" else None, missing[0], "missing required column")
    present = [c.name for c in schema.columns if c.name in arrow.column_names]
    frame = arrow.select(present).to_pandas(date_as_object=False)
    for column in schema.columns:
        if column.name not in frame:
            frame[column.name] = None
    return frame[list(schema.column_names)]


def read_csv_header(source: TableFile) -> list[str]:
    with open(source.path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if not any(name.strip() for name in header):
        raise ContractError(source.label, 1, None, "the file is empty: expected a header row")
    return header


def drop_exact_duplicates(raw: pd.DataFrame, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """Exact duplicate rows count once; the first keeps its place in the file order."""
    duplicated = repeated_rows(raw)
    add_count(quality.duplicates_dropped, schema.name, duplicated.sum())
    return raw.loc[~duplicated] if duplicated.any() else raw  # most files have none: no copy then


def repeated_rows(columns) -> np.ndarray:
    """True for every row equal in all columns to an earlier row (a missing value equals a missing value):
    the one definition of an exact duplicate, for a file's tables and a request's records. `columns` is a
    DataFrame or a dict of equal-length arrays; few rows go through a Python set, without pandas' fixed cost."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if count >= SMALL:
        frame = columns if isinstance(columns, pd.DataFrame) else pd.DataFrame(dict(columns))
        return frame.duplicated(keep="first").to_numpy()
    seen: set = set()
    rows = zip(*(map(missing_as_none, columns[name]) for name in names))
    # add() returns None: the first sighting records the row and stays False
    return np.fromiter((row in seen or seen.add(row) is not None for row in rows), dtype=bool, count=count)


def missing_as_none(value):
    return None if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) else value


def parse_values(raw: pd.DataFrame, schema: TableSchema, source: TableFile) -> pd.DataFrame:
    """Required values present, dates parsed strictly as YYYY-MM-DD, numbers parsed."""
    table = raw.copy()
    for column in schema.columns:
        values = table[column.name]
        if column.required:
            raise_at_first(source, column, values, values_blank(values), "required value is empty")
        if column.kind == "date":
            table[column.name] = parse_dates(values, column, source)
        elif column.kind == "number":
            table[column.name] = parse_numbers(values, column, source)
        elif column.kind in ("id", "string"):
            table[column.name] = values.astype("string").str.strip()
    return table


def values_blank(values: pd.Series) -> pd.Series:
    if values.dtype.kind in "mMfiub":
        return values.isna()
    return values.isna() | (values.astype("string").str.strip() == "")


def parse_dates(values: pd.Series, column: Column, source: TableFile) -> pd.Series:
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]")
    if values.dtype == object and values.map(lambda v: isinstance(v, dt.date), na_action="ignore").fillna(False).all():
        return pd.to_datetime(values).astype("datetime64[s]")
    text = pa.array(values.astype("string").str.strip(), type=pa.string(), from_pandas=True)
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    bad = pd.Series(parsed.is_null().to_numpy(zero_copy_only=False), index=values.index) & ~values_blank(values)
    raise_at_first(source, column, values, bad, "unparseable date {value!r}: expected YYYY-MM-DD")
    return pd.Series(parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]"), index=values.index)


def parse_numbers(values: pd.Series, column: Column, source: TableFile) -> pd.Series:
    if values.dtype.kind in "fiu":
        return values.astype(float)
    text = values.astype("string").str.strip()
    try:
        parsed = pd.Series(pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False), index=values.index)
    except pa.ArrowInvalid:  # some cell is not a number: the slow path finds which
        parsed = pd.to_numeric(text, errors="coerce").astype(float)
    bad = parsed.isna() & ~values_blank(values)
    raise_at_first(source, column, values, bad, "not a number: {value!r}")
    return parsed


def check_rules(table: pd.DataFrame, schema: TableSchema, source: TableFile) -> None:
    """The contract's value rules that stop a run."""
    bad, problem = rows_with_bad_ids(table["youth_id"])
    raise_at_rows(source, schema.column("youth_id"), table["youth_id"], bad, problem or "")
    if schema is ABSENCE_REPORTS:
        bad = rows_with_negative(table["hours"].to_numpy())
        raise_at_rows(source, schema.column("hours"), table["hours"], bad, "negative hours ({value})")
    if schema is ENROLLMENTS:
        bad = rows_with_end_before_start(table["start_date"].to_numpy(), table["end_date"].to_numpy())
        raise_at_rows(source, schema.column("end_date"), table["end_date"], bad, "end_date {value} lies before start_date")
    if schema is YOUTHS:
        bad = np.flatnonzero(table["youth_id"].duplicated(keep="first").to_numpy())
        raise_at_rows(source, schema.column("youth_id"), table["youth_id"], bad, "duplicate youth_id {value!r}")


def raise_at_first(source: TableFile, column: Column, values: pd.Series, mask: pd.Series, problem: str) -> None:
    raise_at_rows(source, column, values, np.flatnonzero(mask.to_numpy(dtype=bool)), problem)


def raise_at_rows(source: TableFile, column: Column, values: pd.Series, positions: np.ndarray, problem: str) -> None:
    """Raise for the first offending row (in file order), saying how many more there are."""
    if len(positions) == 0:
        return
    value = values.iloc[positions[0]]
    if isinstance(value, pd.Timestamp):
        value = value.date().isoformat()
    message = problem.format(value=value)
    if len(positions) > 1:
        message += f" ({len(positions) - 1} more rows with this problem)"
    row = int(values.index[positions[0]]) + source.first_row
    raise ContractError(source.label, row, column.name, message)


def normalise_values(table: pd.DataFrame, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """Unknown enum values become `onbekend` and municipality names today's names, all counted."""
    raw = {c.name: table[c.name].to_numpy(dtype=object) for c in schema.columns if c.kind == "enum" or c.municipality}
    normalised = normalise_columns(schema, raw)
    for name, values in normalised.items():
        key = f"{schema.name}.{name}"
        if schema.column(name).kind == "enum":
            add_count(quality.unknown_enum_values, key, (values == UNKNOWN).sum())
        else:
            add_count(quality.municipality_names_mapped, key, count_merged_names(raw[name]))
        table[name] = pd.Series(values, index=table.index, dtype="string")
    return table


def drop_unknown_youths(table: pd.DataFrame, youth_ids: pd.Series, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """Records whose youth_id is not in `youths` are ignored, and counted."""
    known = positions_in(table["youth_id"], youth_ids) >= 0
    quality.unknown_youth_records[schema.name] = int((~known).sum())
    return table.loc[known]


__all__ = ["DataSet", "TableFile", "read_data_dir", "read_table_file", "repeated_rows", "DIPLOMAS", "ENROLLMENTS", "YOUTHS", "ABSENCE_REPORTS"]
