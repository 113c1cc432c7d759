"""Features on Spark: the four tables hashed by youth into partitions, the `features/` builders on each.

All rows of a youth (the youth and its enrolments, diplomas and reports) land in one partition, in file
order, so `features.build.build_feature_table` sees every youth whole, exactly as in-process; the partition
also drops and counts the records of unknown youths with the reader's own function. A partition answers its
in-scope youths' feature rows and a few count rows (youth_id null) for the data-quality summary, added up on
the driver. Each row keeps ORDER, the youth's place in the youths table, so the output comes in the youths'
file order (and ties in rank are broken as in-process).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial, reduce

import numpy as np
import pandas as pd

from features.build import build_event_table, build_feature_table
from features.group_exit import GROUP_EXIT_COLUMNS
from features.office_events import EventRules, office_events
from spark_jobs.tables import FILE, ROW, TABLE, StagedTables
from vsv_model.columns import positions_in
from vsv_model.contract import EVENT_TABLES, TABLES, ContractError
from vsv_model.dates import date_of, to_days
from vsv_model.feature_spec import FEATURES
from vsv_model.quality import DataQuality
from vsv_model.reader import DataSet, drop_unknown_youths
from vsv_model.table_io import plain_columns
from vsv_model.target_group import TargetGroup

ORDER, COUNT_KEY, COUNT = "_order", "_count_key", "_count"
EVENT_DAY, EVENT_SEQ = "_event_day", "_event_seq"  # events: their day, and their order within a youth's partition
ROWS_PER_PARTITION = 1_000_000  # staged rows per partition of youths: one partition's pandas frames stay near 1 GB
SPARK_TYPES = {"count": "bigint", "flag": "bigint", "number": "double", "category": "string"}
PARTITION_COUNTS = ("unknown_youth_records", "records_after_as_of", "out_of_scope")


@dataclass(frozen=True)
class FeatureJob:
    as_of: dt.date
    group: TargetGroup
    with_label: bool
    end_date: dt.date | None  # the data's end for the labels: the whole data's, found before partitioning
    with_group_exit: bool = False  # scoring: when each youth leaves the group (features.group_exit), for the list


@dataclass(frozen=True)
class EventFeatureJob:
    """Features of the office's events dated from `start` to `end` (`features.office_events` with `rules`), each as of
    its own day. `data_end` is the whole data's end (events after it are not known yet), found before partitioning:
    a partition's own records may end earlier."""

    start: dt.date
    end: dt.date
    group: TargetGroup
    rules: EventRules
    data_end: dt.date | None = None
    with_label = False
    with_group_exit = True

    @property
    def as_of(self) -> dt.date:
        return self.end  # what the data-quality summary names


def feature_schema(job: FeatureJob) -> str:
    """The partitions' answer: keys, the features typed as a feature file holds them, the label, and the counts."""
    keys = ["kind string", "report_id string"] if isinstance(job, EventFeatureJob) else []
    columns = ["youth_id string", "as_of string", *keys] + [f"{f.name} {SPARK_TYPES[f.kind]}" for f in FEATURES]
    if job.with_label:
        columns.append(f"{job.group.label} double")
    if job.with_group_exit:
        columns += [f"{name} string" for name in GROUP_EXIT_COLUMNS]
    if isinstance(job, EventFeatureJob):
        columns += [f"{EVENT_DAY} bigint", f"{EVENT_SEQ} bigint"]
    return ", ".join([*columns, f"{ORDER} bigint", f"{COUNT_KEY} string", f"{COUNT} bigint"])


def youth_partitions(staged: StagedTables, partitions: int | None = None):
    """The four tables in one frame, hashed by youth_id, each partition in table and file order."""
    tagged = [staged.frames[schema.name].withColumn(TABLE, _literal(t)) for t, schema in enumerate(TABLES)]
    union = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), tagged)
    count = partitions or max(2, math.ceil(staged.rows() / ROWS_PER_PARTITION))
    return union.repartition(count, "youth_id").sortWithinPartitions(TABLE, FILE, ROW)


def _literal(value: int):
    from pyspark.sql import functions as F

    return F.lit(value).cast("tinyint")


def spark_features(staged: StagedTables, job: FeatureJob | EventFeatureJob, partitions: int | None = None):
    """Every partition's feature rows and count rows (see the module's docstring): of the youths in scope on a
    reference date, or of the events of a window."""
    build = partition_event_features if isinstance(job, EventFeatureJob) else partition_features
    return youth_partitions(staged, partitions).mapInPandas(partial(build, job=job), feature_schema(job))


def partition_features(batches: Iterator[pd.DataFrame], job: FeatureJob) -> Iterator[pd.DataFrame]:
    """One partition of youths through the in-process builders."""
    from spark_jobs.session import ignore_known_warnings, spark_ready

    ignore_known_warnings()
    batches = list(batches)
    if not batches:
        return
    data, order = partition_dataset(pd.concat(batches, ignore_index=True))
    table = build_feature_table(data, job.as_of, group=job.group, with_label=job.with_label, end_date=job.end_date)
    rows = plain_columns(table.to_frame(job.with_label))
    if job.with_group_exit:
        rows = pd.concat([rows, table.group_exit], axis=1)
    rows[ORDER] = order[positions_in(table.keys["youth_id"], data.youths["youth_id"])]
    rows = spark_ready(rows.assign(**{COUNT_KEY: None, COUNT: None}))
    yield rows
    yield shaped_like(count_rows(table.quality), rows)


def partition_event_features(batches: Iterator[pd.DataFrame], job: EventFeatureJob) -> Iterator[pd.DataFrame]:
    """One partition of youths: their events (`features.office_events`) and each event's features as of its day
    (`features.build.build_event_table`), exactly as in-process. A youth's events all lie in its partition; each
    row carries its day and its place among the partition's events, so the driver can put them in the in-process
    order (day, youth, then the order `office_events` gives a youth's events of one day)."""
    from spark_jobs.session import ignore_known_warnings, spark_ready

    ignore_known_warnings()
    batches = list(batches)
    if not batches:
        return
    data, order = partition_dataset(pd.concat(batches, ignore_index=True))
    office = office_events(data, job.start, job.end, job.rules, data_end=job.data_end)
    table = build_event_table(data, office, group=job.group)
    rows = pd.concat([plain_columns(table.to_frame()), table.group_exit], axis=1)
    rows[EVENT_DAY] = to_days(table.keys["as_of"].to_numpy(dtype=object))
    rows[EVENT_SEQ] = np.arange(len(rows), dtype=np.int64)
    rows[ORDER] = order[positions_in(table.keys["youth_id"], data.youths["youth_id"])]
    rows = spark_ready(rows.assign(**{COUNT_KEY: None, COUNT: None}))
    yield rows
    yield shaped_like(count_rows(table.quality), rows)


def partition_dataset(frame: pd.DataFrame) -> tuple[DataSet, np.ndarray]:
    """The partition's rows as the reader's DataSet (the records of unknown youths dropped and counted), and each
    youth's place in the youths table."""
    quality = DataQuality()
    tables = {schema.name: contract_frame(frame[frame[TABLE] == t], schema) for t, schema in enumerate(TABLES)}
    youths = tables["youths"]
    for schema in EVENT_TABLES:
        tables[schema.name] = drop_unknown_youths(tables[schema.name], youths["youth_id"], schema, quality)
    youth_rows = frame[frame[TABLE] == 0]
    order = (youth_rows[FILE].to_numpy(dtype=np.int64) << 40) + youth_rows[ROW].to_numpy(dtype=np.int64)
    return DataSet(quality=quality, **tables), order


def contract_frame(rows: pd.DataFrame, schema) -> pd.DataFrame:
    """A table's contract columns as the reader leaves them: dates as datetime64[s], text as strings."""
    columns = {}
    for column in schema.columns:
        values = rows[column.name]
        if column.kind == "date":
            days = values.to_numpy(dtype=float, na_value=np.nan)
            dates = date_of(np.nan_to_num(days, nan=0).astype(np.int64)).astype("datetime64[s]")
            dates[np.isnan(days)] = np.datetime64("NaT")
            columns[column.name] = dates
        elif column.kind == "number":
            columns[column.name] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            columns[column.name] = values.astype("string").to_numpy()
    return pd.DataFrame(columns).astype({c.name: "string" for c in schema.columns if c.kind not in ("date", "number")})


def count_rows(quality: DataQuality) -> pd.DataFrame:
    """The partition's counts for the summary, one row each (youth_id null)."""
    counts = [(f"{name}.{key}", value) for name in PARTITION_COUNTS for key, value in getattr(quality, name).items()]
    return pd.DataFrame({COUNT_KEY: [k for k, _ in counts], COUNT: np.array([v for _, v in counts], dtype=np.int64)})


def shaped_like(counts: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The count rows in the feature rows' columns: text columns empty as None (Arrow cannot read an all-NaN float
    column as text), the others missing."""
    shaped = counts.reindex(columns=rows.columns)
    text = [name for name, dtype in rows.dtypes.items() if dtype.kind == "O" and name not in counts]
    return shaped.astype({name: object for name in text}).replace({name: {np.nan: None} for name in text})


def data_end_date(staged: StagedTables) -> dt.date:
    """`DataSet.end_date` of the whole data: the latest date of the known youths' records."""
    from pyspark.sql import functions as F

    known = staged.frames["youths"].select("youth_id")
    latest = []
    for schema in EVENT_TABLES:
        dates = [c.name for c in schema.columns if c.kind == "date"]
        frame = staged.frames[schema.name].join(known, "youth_id", "left_semi")
        latest += list(frame.agg(*(F.max(d) for d in dates)).first())
    present = [day for day in latest if day is not None]
    if not present:
        raise ContractError("data", None, None, "no dated records: the data's end date is unknown")
    return dt.date(1970, 1, 1) + dt.timedelta(days=max(present))


def merge_partition_counts(quality: DataQuality, counts: dict[str, int], in_scope: int, as_of: dt.date) -> DataQuality:
    """The reading's summary plus the partitions' counts: what `build_feature_table` reports in-process."""
    for key, value in counts.items():
        name, _, item = key.partition(".")
        getattr(quality, name)[item] = getattr(quality, name).get(item, 0) + int(value)
    quality.in_scope, quality.as_of = in_scope, as_of.isoformat()
    return quality
