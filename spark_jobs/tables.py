"""Reading a data directory on Spark: one task per file runs the contract's reader on it.

Each task reads, checks and normalises its file with `vsv_model.reader.read_table_file`, exactly as the
in-process reader does, and stages the rows as Parquet (dates as day numbers, so no time zone ever touches
them) with the file's number and each row's position in it. A task returns its counts or its `ContractError`
as data; the driver raises the error the in-process reader would have raised first (tables in the contract's
order, files in name order) and adds up the counts. For a partitioned dataset the checks across its parts
follow in Spark: exact duplicates across parts count once, a youth_id lies in one part only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vsv_model.contract import TABLES, YOUTHS, ContractError, TableSchema
from vsv_model.dates import MISSING_DAY, to_days
from vsv_model.quality import DataQuality
from vsv_model.reader import TableFile, add_count, locate_table, read_table_file

FILE, ROW, TABLE = "_file", "_row", "_table"  # where a row came from: the file's number, its position there


@dataclass
class StagedTables:
    """The four tables as Spark frames (contract columns, dates as day numbers, plus FILE and ROW), the counts of
    the reading, and each table's files."""

    frames: dict
    quality: DataQuality
    files: dict[str, list[TableFile]]

    def rows(self) -> int:
        return sum(self.quality.rows_read.values())


def stage_tables(spark, directory: Path, staging: Path) -> StagedTables:
    """Read and check every file of the four tables in Spark tasks; raise the first contract error."""
    files = {schema.name: locate_table(Path(directory), schema) for schema in TABLES}
    tasks = [(t, f, file, str(staging)) for t, schema in enumerate(TABLES) for f, file in enumerate(files[schema.name])]
    results = spark.sparkContext.parallelize(tasks, len(tasks)).map(stage_file).collect()
    quality = DataQuality()
    frames = {}
    for t, schema in enumerate(TABLES):
        mine = sorted((r for r in results if r["table"] == t), key=lambda r: r["file"])
        raise_first(mine)
        for result in mine:
            quality.add(DataQuality(**result["quality"]))
        frames[schema.name] = combine_parts(spark.read.parquet(str(staging / schema.name)), files[schema.name],
                                            schema, quality)
    return StagedTables(frames, quality, files)


def stage_file(task: tuple[int, int, TableFile, str]) -> dict:
    """One Spark task: a file read and checked by the contract's reader, staged as Parquet; its counts or error."""
    table, number, file, staging = task
    schema = TABLES[table]
    quality = DataQuality()
    try:
        frame = read_table_file(file, schema, quality)
    except ContractError as exc:
        return {"table": table, "file": number, "error": (exc.where, exc.row, exc.column, exc.problem)}
    folder = Path(staging) / schema.name
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(staged_arrow(frame, schema, number), folder / f"part-{number:05d}.parquet")
    return {"table": table, "file": number, "quality": quality.to_dict()}


def staged_arrow(frame: pd.DataFrame, schema: TableSchema, number: int) -> pa.Table:
    """Contract columns (dates as int32 day numbers, missing as null), the file's number and each row's position."""
    columns = {}
    for column in schema.columns:
        values = frame[column.name]
        if column.kind == "date":
            days = to_days(values.to_numpy())
            columns[column.name] = pa.array(days.astype(np.int32), mask=days == MISSING_DAY)
        elif column.kind == "number":
            columns[column.name] = pa.array(values.to_numpy(dtype=float), from_pandas=True)
        else:
            columns[column.name] = pa.array(values.astype(object).to_numpy(), type=pa.string(), from_pandas=True)
    columns[FILE] = pa.array(np.full(len(frame), number, dtype=np.int32))
    columns[ROW] = pa.array(frame.index.to_numpy(dtype=np.int64))
    return pa.table(columns)


def raise_first(results: list[dict]) -> None:
    for result in results:
        if "error" in result:
            raise ContractError(*result["error"])


def combine_parts(frame, files: list[TableFile], schema: TableSchema, quality: DataQuality):
    """The checks across the parts of a dataset (`vsv_model.reader.combine_files`), in Spark."""
    if len(files) == 1:
        return frame
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    before = frame.count()
    first = Window.partitionBy(*schema.column_names).orderBy(FILE, ROW)
    frame = frame.withColumn("_n", F.row_number().over(first)).filter("_n = 1").drop("_n").cache()
    add_count(quality.duplicates_dropped, schema.name, before - frame.count())
    if schema is YOUTHS:
        raise_duplicate_youths(frame, files)
    return frame


def raise_duplicate_youths(youths, files: list[TableFile]) -> None:
    """A youth_id in more than one part: the error of the in-process reader (first offender by part and row)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy("youth_id").orderBy(FILE, ROW)
    offenders = youths.withColumn("_n", F.row_number().over(order)).filter("_n > 1")
    found = offenders.agg(F.count("*").alias("n"), F.min(F.struct(FILE, ROW, "youth_id")).alias("first")).first()
    if not found["n"]:
        return
    file, row, youth_id = found["first"]
    more = f" ({found['n'] - 1} more rows with this problem)" if found["n"] > 1 else ""
    raise ContractError(files[file].label, row + files[file].first_row, "youth_id", f"duplicate youth_id {youth_id!r}{more}")
