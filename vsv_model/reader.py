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

A report delivered more than once (absence_reports rows with the same non-empty
`report_id`, DUO's meldingsnummer) is one report: the delivery listed last wins
(the contract's tie rule; across the parts of a dataset, the one in the later
part), the earlier ones are dropped and counted (`redeliveries_dropped`). An
identical re-delivery is already an exact duplicate and counted as one. Two
youths with the same report_id stop the run.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
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
    REPORT_FOR_TWO_YOUTHS,
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
    superseded_deliveries,
    youth_id_problem,
)
from vsv_model.quality import DataQuality
from vsv_model.row_codes import repeated_rows_of
from vsv_model.table_io import FORMATS

THREADS = os.cpu_count() or 1


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
    youth_rows: dict = field(default_factory=dict, repr=False, compare=False)  # see `youth_positions`

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def youth_positions(self, name: str) -> np.ndarray | None:
        """Per record of an event table, its youth's position in `youths`, as the reader found it while checking
        the ids (so the features need not look every id up again); None when unknown or when the table is no
        longer the frame the reader returned."""
        frame, positions = self.youth_rows.get(name, (None, None))
        return positions if frame is not None and frame is self.table(name) else None

    def known_at(self, day: dt.date) -> DataSet:
        """The data as the office held it on `day`: records dated later are not there yet, and an enrolment that
        ended later was still running (a backtest trains on what was known then)."""
        cut = pd.Timestamp(day)
        enrollments = self.enrollments[self.enrollments["start_date"] <= cut].copy()
        enrollments.loc[enrollments["end_date"] > cut, "end_date"] = pd.NaT
        return DataSet(self.youths, enrollments, self.diplomas[self.diplomas["diploma_date"] <= cut],
                       self.absence_reports[self.absence_reports["report_date"] <= cut], self.quality)

    def of_youths(self, youth_ids) -> DataSet:
        """The records of the given youths only, each table in its file order: all a youth's features and events
        are built from (a day's few events need not build the whole population's). Its `end_date` is its own: pass
        the whole data's on where it matters."""
        keep = self.youths["youth_id"].isin(pd.Index(youth_ids, dtype=object)).to_numpy()
        positions = np.flatnonzero(keep)
        tables = []
        for name in ("enrollments", "diplomas", "absence_reports"):
            frame, found = self.table(name), self.youth_positions(name)
            rows = np.isin(found, positions) if found is not None else frame["youth_id"].isin(self.youths["youth_id"][keep])
            tables.append(frame[rows])
        return DataSet(self.youths[keep], *tables, self.quality)

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
    """Read, check and normalise the four tables of a data directory.

    The tables are read side by side (Arrow and numpy release the GIL): every table's files are loaded, hashed,
    deduplicated and parsed at once; the event tables' id checks then wait for the youths' ids. Errors come out
    as a reading one table after the other would meet them first: tables in the contract's order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ContractError(str(directory), None, None, "data directory does not exist")
    files = {schema.name: locate_table(directory, schema) for schema in TABLES}
    counts = {schema.name: DataQuality() for schema in TABLES}
    with ThreadPoolExecutor(max_workers=THREADS) as readers, ThreadPoolExecutor(max_workers=THREADS) as finishers:
        staged = {schema.name: readers.submit(stage_table, files[schema.name], schema, counts[schema.name]) for schema in TABLES}
        youths, _ = finish_table(staged["youths"].result(), YOUTHS, counts["youths"])
        known = pa.array(youths["youth_id"].array)  # Arrow-backed: no copy
        found = youth_lookups(staged, known)
        finished = {schema.name: finishers.submit(lambda s: finish_table(staged[s.name].result(), s, counts[s.name], known,
                                                                         found.get(s.name)), schema)
                    for schema in EVENT_TABLES}
        read = {name: future.result() for name, future in finished.items()}  # in order: the first error a reader meets
    quality = DataQuality()
    for mine in counts.values():  # added in the contract's order, so the summary reads the same every run
        quality.add(mine)
    rows = {name: (frame, positions) for name, (frame, positions) in read.items() if positions is not None}
    return DataSet(quality=quality, youths=youths, youth_rows=rows, **{name: frame for name, (frame, _) in read.items()})


@dataclass
class StagedFile:
    """A file loaded, hashed, deduplicated and parsed: what `finish_file` checks further and turns into pandas."""

    source: TableFile
    schema: TableSchema
    parsed: dict
    records: np.ndarray


def stage_table(files: list[TableFile], schema: TableSchema, quality: DataQuality) -> StagedFile | pd.DataFrame:
    """One file staged; a dataset of several files read whole (each file checked, then across the files)."""
    if len(files) == 1:
        return stage_file(files[0], schema, quality)
    return combine_files([read_table_file(file, schema, quality) for file in files], files, schema, quality)


def youth_lookups(staged: dict, known: pa.Array) -> dict[str, np.ndarray]:
    """Per single-file event table, each distinct youth_id's position in `known` (-1: not a youth): one lookup for
    the three tables, so the youths' ids are hashed once. A table that failed to stage is left to say so itself."""
    dictionaries = {}
    for schema in EVENT_TABLES:
        future = staged[schema.name]
        if future.exception() is None and isinstance(future.result(), StagedFile):
            dictionaries[schema.name] = future.result().parsed["youth_id"].dictionary
    if not dictionaries:
        return {}
    together = pa.chunked_array(list(dictionaries.values()), type=pa.string())
    positions = pc.index_in(together, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False)
    bounds = np.cumsum([0] + [len(d) for d in dictionaries.values()])
    return {name: positions[bounds[i]:bounds[i + 1]] for i, name in enumerate(dictionaries)}


def finish_table(staged: StagedFile | pd.DataFrame, schema: TableSchema, quality: DataQuality,
                 known: pa.Array | None = None, found: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    if isinstance(staged, StagedFile):
        return finish_file(staged, quality, known, found)
    return (staged if known is None else drop_unknown_youths(staged, known, schema, quality)), None


def read_table(directory: Path, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """Read one table (each of its files), stop on hard errors, then normalise values and count the soft issues."""
    return finish_table(stage_table(locate_table(directory, schema), schema, quality), schema, quality)[0]


def read_table_file(source: TableFile, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """One file of a table, checked and normalised; its index is the record's 0-based position in the file."""
    return finish_file(stage_file(source, schema, quality), quality)[0]


def stage_file(source: TableFile, schema: TableSchema, quality: DataQuality) -> StagedFile:
    """Load a file, hash each column into its distinct values and a code per row (`EncodedColumn`), drop exact
    duplicates (rows with equal codes in every column) and parse each distinct value once."""
    raw = load_raw(source, schema)
    add_count(quality.rows_read, schema.name, raw.num_rows)
    columns = encode_columns(raw)
    records = drop_exact_duplicates(columns, raw.num_rows, schema, quality)
    parsed = {column.name: parse_column(columns[column.name], column, source, records) for column in schema.columns}
    return StagedFile(source, schema, parsed, records)


def finish_file(staged: StagedFile, quality: DataQuality, known: pa.Array | None = None,
                found: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The contract's rules, the normalisation and the counts, then pandas (once). With `known` (the youths'
    ids), records of other youths are ignored and counted, and each record's youth's position in `known` comes
    along (`found`: each distinct id's position there, when looked up already)."""
    source, schema, parsed, records = staged.source, staged.schema, staged.parsed, staged.records
    if known is not None and found is None:
        found = pc.index_in(parsed["youth_id"].dictionary, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False)
    check_rules(parsed, schema, source, records, None if found is None else found >= 0)
    if schema is ABSENCE_REPORTS:
        parsed, records = drop_redeliveries(parsed, source, records, quality)
    parsed = normalise_values(parsed, schema, quality)
    if found is None:
        return to_frame(parsed, records), None
    rows = rows_of_known_youths(parsed["youth_id"], found >= 0, schema, quality)
    if rows is not None:
        parsed, records = {name: column.keep(rows) for name, column in parsed.items()}, records[rows]
    return to_frame(parsed, records), found[parsed["youth_id"].codes].astype(np.int64)


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
    if schema is ABSENCE_REPORTS:
        table = drop_redeliveries_across(table, files, offsets, quality)
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


def raise_in_dataset(files: list[TableFile], offsets: np.ndarray, values: pd.Series, positions: np.ndarray, problem: str,
                     schema: TableSchema = YOUTHS) -> None:
    """The first offending row of a whole dataset, named by its part file and its row there."""
    if len(positions) == 0:
        return
    record = int(values.index[positions[0]])
    part = int(np.searchsorted(offsets, record, side="right")) - 1
    raise_at_row(files[part], schema.column(str(values.name)), values.iloc[positions[0]], record - int(offsets[part]),
                 len(positions) - 1, problem)


def load_raw(source: TableFile, schema: TableSchema) -> pa.Table:
    """The table's contract columns in the contract's order; CSV cells as text, Parquet columns as stored; an
    optional column the file lacks is all missing."""
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
    columns = [arrow[c.name] if c.name in arrow.column_names else pa.chunked_array([pa.nulls(arrow.num_rows, pa.string())])
               for c in schema.columns]
    return pa.table(columns, names=list(schema.column_names))


def read_csv_header(source: TableFile) -> list[str]:
    with open(source.path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if not any(name.strip() for name in header):
        raise ContractError(source.label, 1, None, "the file is empty: expected a header row")
    return header


@dataclass
class EncodedColumn:
    """A column of one file as its distinct values (`dictionary`, as read; a missing value is one entry) and,
    per row still in play, the position of its value there (`codes`; `keep` drops duplicates and records of
    unknown youths)."""

    dictionary: pa.Array
    codes: np.ndarray

    def value_at(self, row: int):
        return self.dictionary[int(self.codes[row])].as_py()

    def keep(self, rows: np.ndarray) -> EncodedColumn:
        return EncodedColumn(self.dictionary, self.codes[rows])

    def rows_where(self, flags: np.ndarray) -> np.ndarray:
        """The rows whose value is flagged (`flags` per distinct value)."""
        return np.flatnonzero(flags[self.codes]) if flags.any() else np.empty(0, dtype=np.int64)


def encode_columns(raw: pa.Table) -> dict[str, EncodedColumn]:
    """Every column hashed into distinct values and codes, on both cores (Arrow releases the GIL)."""
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return dict(zip(raw.column_names, pool.map(encode_column, raw.columns)))


def encode_column(values: pa.ChunkedArray) -> EncodedColumn:
    if pa.types.is_floating(values.type):  # NaN is missing, like null
        values = pc.if_else(pc.fill_null(pc.is_nan(values), True), pa.scalar(None, values.type), values)
    encoded = pc.dictionary_encode(values, null_encoding="encode")  # the chunks share one dictionary
    if encoded.num_chunks == 0:
        return EncodedColumn(pa.array([], type=values.type), np.zeros(0, dtype=np.int32))
    codes = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
    return EncodedColumn(encoded.chunk(encoded.num_chunks - 1).dictionary, codes[0] if len(codes) == 1 else np.concatenate(codes))


def drop_exact_duplicates(columns: dict[str, EncodedColumn], rows: int, schema: TableSchema, quality: DataQuality) -> np.ndarray:
    """Exact duplicate rows count once; the first keeps its place in the file order. Returns the 0-based file
    positions of the rows kept; `columns` keep only those rows."""
    repeated = repeated_rows_of([columns[name].codes for name in schema.column_names],
                                [len(columns[name].dictionary) for name in schema.column_names]) if rows else np.zeros(0, dtype=bool)
    add_count(quality.duplicates_dropped, schema.name, repeated.sum())
    records = np.arange(rows, dtype=np.int64)
    if not repeated.any():
        return records
    kept = np.flatnonzero(~repeated)
    for name in schema.column_names:
        columns[name] = columns[name].keep(kept)
    return records[kept]


def repeated_rows(columns) -> np.ndarray:
    """True for every row equal in all columns to an earlier row (a missing value equals a missing value):
    the one definition of an exact duplicate, for a file's tables and a request's records. `columns` is a
    DataFrame or a dict of equal-length arrays; few rows go through a Python set, without pandas' fixed cost."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if count >= SMALL:  # each column hashed to codes (missing: 0), then `row_codes` as for a file's columns
        factorized = [pd.factorize(columns[name], use_na_sentinel=True) for name in names]
        return repeated_rows_of([codes + 1 for codes, _ in factorized], [len(distinct) + 1 for _, distinct in factorized])
    seen: set = set()
    rows = zip(*(map(missing_as_none, columns[name]) for name in names))
    # add() returns None: the first sighting records the row and stays False
    return np.fromiter((row in seen or seen.add(row) is not None for row in rows), dtype=bool, count=count)


def missing_as_none(value):
    return None if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value) else value


@dataclass
class ParsedColumn:
    """A checked column: its values per distinct value (`dictionary`: text trimmed, dates as datetime64[s],
    numbers as float; enums still as read), reached by each row's code."""

    dictionary: pa.Array | np.ndarray
    codes: np.ndarray
    source: EncodedColumn

    def keep(self, rows: np.ndarray) -> ParsedColumn:
        source = self.source.keep(rows)
        return ParsedColumn(self.dictionary, source.codes, source)

    def value_at(self, row: int):
        """A row's parsed value (a date as a Timestamp, a number as a float)."""
        value = self.dictionary[int(self.codes[row])]
        if isinstance(value, np.datetime64):
            return pd.Timestamp(value)
        return float(value) if isinstance(value, np.floating) else value.as_py()

    def per_row(self):
        if isinstance(self.dictionary, np.ndarray):
            return self.dictionary[self.codes]
        return self.dictionary.take(pa.array(self.codes))


def parse_column(encoded: EncodedColumn, column: Column, source: TableFile, records: np.ndarray) -> ParsedColumn:
    """Required values present, dates parsed strictly as YYYY-MM-DD, numbers parsed, ids and text trimmed, each
    once per distinct value; enum columns stay as read (`normalise_values` maps them)."""
    values = encoded.dictionary
    text = trimmed_text(values)
    blank = blank_mask(values, text)
    if column.required:
        raise_in_column(source, column, encoded, records, encoded.rows_where(blank), "required value is empty")
    if column.kind == "date":
        parsed, bad = parse_dates(values, text, blank)
        raise_in_column(source, column, encoded, records, encoded.rows_where(bad), "unparseable date {value!r}: expected YYYY-MM-DD")
    elif column.kind == "number":
        parsed, bad = parse_numbers(values, text, blank)
        raise_in_column(source, column, encoded, records, encoded.rows_where(bad), "not a number: {value!r}")
    elif column.kind in ("id", "string"):
        parsed = text
    else:
        parsed = values if text is None else values.cast(pa.string())
    return ParsedColumn(parsed, encoded.codes, encoded)


def trimmed_text(values: pa.Array) -> pa.Array | None:
    """Text values without surrounding white space (other types as text); None for date and number columns."""
    if pa.types.is_temporal(values.type) or pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        return None
    return pc.utf8_trim_whitespace(values.cast(pa.string()))


def blank_mask(values: pa.Array, text: pa.Array | None) -> np.ndarray:
    """True where a value is missing: null, NaN, or text that is empty after trimming."""
    if text is not None:
        return pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    missing = values.is_null()
    if pa.types.is_floating(values.type):
        missing = pc.or_(missing, pc.fill_null(pc.is_nan(values), False))
    return missing.to_numpy(zero_copy_only=False)


def parse_dates(values: pa.Array, text: pa.Array | None, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[s] per value (NaT when missing) and which values are not dates."""
    if text is None and (pa.types.is_timestamp(values.type) or pa.types.is_date(values.type)):  # typed Parquet
        parsed = values.cast(pa.timestamp("s"), safe=False)
    else:
        parsed = pc.strptime(text if text is not None else values.cast(pa.string()), format="%Y-%m-%d", unit="s",
                             error_is_null=True)
    bad = parsed.is_null().to_numpy(zero_copy_only=False) & ~blank
    return parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]"), bad


def parse_numbers(values: pa.Array, text: pa.Array | None, blank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float per value (NaN when missing) and which values are not numbers."""
    if text is None:
        parsed = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    else:
        parsed = pd.to_numeric(pd.Series(text.to_pandas(), dtype=object).replace("", None), errors="coerce").to_numpy(dtype=float)
    return parsed, np.isnan(parsed) & ~blank


def check_rules(columns: dict[str, ParsedColumn], schema: TableSchema, source: TableFile, records: np.ndarray,
                listed: np.ndarray | None = None) -> None:
    """The contract's value rules that stop a run: on the distinct values where a rule concerns one value. An id
    `listed` in the youths table passed the id rules there, so only the others are looked at."""
    ids = columns["youth_id"]
    unchecked = np.arange(len(ids.dictionary)) if listed is None else np.flatnonzero(~listed)
    check_ids(ids, unchecked, source, schema.column("youth_id"), records)
    if schema is ABSENCE_REPORTS:
        report_ids = columns["report_id"]
        given = np.flatnonzero(~blank_mask(report_ids.dictionary, report_ids.dictionary))  # optional: blanks pass
        check_ids(report_ids, given, source, schema.column("report_id"), records)
        hours = columns["hours"]
        bad = hours.source.rows_where(np.nan_to_num(hours.dictionary, nan=0.0) < 0)
        raise_in_column(source, schema.column("hours"), hours, records, bad, "negative hours ({value})")
    if schema is ENROLLMENTS:
        bad = rows_with_end_before_start(columns["start_date"].per_row(), columns["end_date"].per_row())
        raise_in_column(source, schema.column("end_date"), columns["end_date"], records, bad,
                        "end_date {value} lies before start_date")
    if schema is YOUTHS and youth_ids_repeat(ids):
        bad = np.flatnonzero(pd.Series(ids.per_row().to_pandas(), dtype=object).duplicated(keep="first").to_numpy())
        raise_in_column(source, schema.column("youth_id"), ids.source, records, bad, "duplicate youth_id {value!r}")


def check_ids(ids: ParsedColumn, distinct: np.ndarray, source: TableFile, column, records: np.ndarray) -> None:
    """The id rules (a pseudonymous key, never a BSN) on the `distinct` values of an id column (youth_id, report_id),
    once per value; the first refused row stops the run, and the error does not repeat the value."""
    refused = np.zeros(len(ids.dictionary), dtype=bool)
    refused[distinct[rows_with_bad_ids(ids.dictionary.take(pa.array(distinct)))[0]]] = True
    bad = ids.source.rows_where(refused)
    if len(bad):
        problem = youth_id_problem(ids.dictionary[int(ids.codes[bad[0]])].as_py())
        raise_in_column(source, column, ids.source, records, bad, problem)


def distinct_codes(column: ParsedColumn, blank_as_missing: bool = False) -> np.ndarray:
    """Per row a code equal exactly for equal (trimmed) values; -1 for a missing value when `blank_as_missing`."""
    values = column.dictionary
    canonical = pc.dictionary_encode(values, null_encoding="encode").indices.to_numpy(zero_copy_only=False).astype(np.int64)
    if blank_as_missing:
        canonical[blank_mask(values, values)] = -1
    return canonical[column.codes]


def drop_redeliveries(parsed: dict[str, ParsedColumn], source: TableFile, records: np.ndarray,
                      quality: DataQuality) -> tuple[dict[str, ParsedColumn], np.ndarray]:
    """Rows with the same report_id are one report: the delivery listed last is kept, the others dropped and
    counted; a report_id given for two youths stops the run."""
    reports = parsed["report_id"]
    superseded, other_youth = superseded_deliveries(distinct_codes(reports, blank_as_missing=True),
                                                    distinct_codes(parsed["youth_id"]))
    raise_in_column(source, ABSENCE_REPORTS.column("report_id"), reports, records, other_youth, REPORT_FOR_TWO_YOUTHS)
    add_count(quality.redeliveries_dropped, ABSENCE_REPORTS.name, superseded.sum())
    if not superseded.any():
        return parsed, records
    kept = np.flatnonzero(~superseded)
    return {name: column.keep(kept) for name, column in parsed.items()}, records[kept]


def drop_redeliveries_across(table: pd.DataFrame, files: list[TableFile], offsets: np.ndarray,
                             quality: DataQuality) -> pd.DataFrame:
    """The re-delivery rule over the parts of a dataset (each part has had it already)."""
    given = table["report_id"].fillna("").to_numpy(dtype=object)
    reports = np.where(given == "", -1, pd.factorize(given)[0])
    youths = pd.factorize(table["youth_id"].to_numpy(dtype=object))[0]
    superseded, other_youth = superseded_deliveries(reports, youths)
    raise_in_dataset(files, offsets, table["report_id"], other_youth, REPORT_FOR_TWO_YOUTHS, ABSENCE_REPORTS)
    add_count(quality.redeliveries_dropped, ABSENCE_REPORTS.name, superseded.sum())
    return table.loc[~superseded] if superseded.any() else table


def youth_ids_repeat(ids: ParsedColumn) -> bool:
    """Whether some youth_id is there twice: a value read twice, or two values equal once trimmed."""
    if len(ids.dictionary) < len(ids.codes):
        return True
    as_read = ids.source.dictionary
    trimmed_some = not pc.all(pc.fill_null(pc.equal(ids.dictionary, as_read.cast(pa.string())), True)).as_py()
    return trimmed_some and pc.count_distinct(ids.dictionary, mode="all").as_py() < len(ids.dictionary)


def raise_in_column(source: TableFile, column: Column, encoded: EncodedColumn | ParsedColumn, records: np.ndarray,
                    positions: np.ndarray, problem: str) -> None:
    """Raise for the first offending row (in file order), naming its value as read (or as parsed)."""
    if len(positions):
        first = int(positions[0])
        raise_at_row(source, column, encoded.value_at(first), int(records[first]), len(positions) - 1, problem)


def raise_at_row(source: TableFile, column: Column, value, record: int, more: int, problem: str) -> None:
    """The contract error for one row (`record`: its 0-based position in the file), saying how many more rows
    have the same problem."""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        value = value.date().isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    message = problem.format(value=value)
    if more:
        message += f" ({more} more rows with this problem)"
    raise ContractError(source.label, record + source.first_row, column.name, message)


def normalise_values(columns: dict[str, ParsedColumn], schema: TableSchema, quality: DataQuality) -> dict[str, ParsedColumn]:
    """Unknown enum values become `onbekend` and municipality names today's names, all counted. The contract's
    mapping runs once per distinct value; the counts weigh each value by its rows."""
    normalised = dict(columns)
    for column in schema.columns:
        if column.kind != "enum" and not column.municipality:
            continue
        parsed = columns[column.name]
        distinct = parsed.dictionary.to_numpy(zero_copy_only=False)
        mapped = normalise_columns(schema, {column.name: distinct})[column.name]
        occurrences = np.bincount(parsed.codes, minlength=len(distinct))
        key = f"{schema.name}.{column.name}"
        if column.kind == "enum":
            add_count(quality.unknown_enum_values, key, occurrences[mapped == UNKNOWN].sum())
        else:
            merged = np.array([count_merged_names(np.array([value], dtype=object)) for value in distinct], dtype=bool)
            add_count(quality.municipality_names_mapped, key, occurrences[merged].sum())
        normalised[column.name] = ParsedColumn(pa.array(mapped, type=pa.string()), parsed.codes, parsed.source)
    return normalised


def rows_of_known_youths(ids: ParsedColumn, listed: np.ndarray, schema: TableSchema, quality: DataQuality) -> np.ndarray | None:
    """Records whose youth_id is not in `youths` (`listed` per distinct id) are ignored, and counted: the rows to
    keep (None: all of them)."""
    unknown = ids.source.rows_where(~listed)
    quality.unknown_youth_records[schema.name] = len(unknown)
    if not len(unknown):
        return None
    keep = np.ones(len(ids.codes), dtype=bool)
    keep[unknown] = False
    return np.flatnonzero(keep)


def to_frame(columns: dict[str, ParsedColumn], records: np.ndarray) -> pd.DataFrame:
    """The checked columns as pandas, indexed by file position: text as Arrow-backed strings, dates as
    datetime64[s] (missing NaT), numbers as float (missing NaN)."""
    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # one column per core: Arrow's take releases the GIL
        data = dict(zip(columns, pool.map(column_values, columns.values())))
    return pd.DataFrame(data, index=pd.Index(records, dtype=np.int64), copy=False)


def column_values(column: ParsedColumn):
    """A checked column's value per row: numpy for dates and numbers, Arrow-backed strings for text."""
    if isinstance(column.dictionary, np.ndarray):
        return column.per_row()
    text = column.dictionary.cast(pa.large_string())  # what pandas keeps text in: no cast after
    if len(text) != len(column.codes) or not np.array_equal(column.codes, np.arange(len(text))):
        text = text.take(pa.array(column.codes))  # else every value is distinct and in order: the dictionary is the column
    return pd.arrays.ArrowStringArray(pa.chunked_array([text]))


def drop_unknown_youths(table: pd.DataFrame, youth_ids, schema: TableSchema, quality: DataQuality) -> pd.DataFrame:
    """Records whose youth_id is not in `youths` are ignored, and counted (a dataset of several files)."""
    known = positions_in(table["youth_id"], youth_ids) >= 0
    quality.unknown_youth_records[schema.name] = int((~known).sum())
    return table if known.all() else table.loc[known]


__all__ = ["DataSet", "TableFile", "read_data_dir", "read_table_file", "repeated_rows", "DIPLOMAS", "ENROLLMENTS", "YOUTHS", "ABSENCE_REPORTS"]
