"""The two Spark jobs the command line runs: features of a data directory, and scores of its target group.

Both read the tables with `spark_jobs.tables`, build features with `spark_jobs.features` and write a Parquet
dataset (a directory of part files, in the youths' file order) where the in-process path writes one file. The
staged tables live in a scratch directory next to the output (on a cluster: a path every executor can reach)
and are removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from spark_jobs.features import (
    COUNT,
    COUNT_KEY,
    EVENT_DAY,
    EVENT_SEQ,
    ORDER,
    EventFeatureJob,
    FeatureJob,
    data_end_date,
    merge_partition_counts,
    spark_features,
)
from spark_jobs.session import LOCAL, spark_session
from spark_jobs.tables import stage_tables
from vsv_model.quality import DataQuality
from vsv_model.target_group import TargetGroup


@dataclass
class SparkRun:
    """What a job reports: rows written, the data-quality summary, seconds per stage, the tiers' and the risk
    categories' counts."""

    rows: int
    quality: DataQuality
    seconds: dict[str, float] = field(default_factory=dict)
    tier_counts: dict[str, int] = field(default_factory=dict)
    category_counts: dict[str, int] = field(default_factory=dict)
    kind_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # events: per kind, per tier and category
    capacity: dict[str, int | None] = field(default_factory=dict)  # the places within_capacity was marked against


@contextmanager
def scratch_next_to(out: Path):
    """A scratch directory beside the output, removed afterwards."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=f".{Path(out).name}.staging-", dir=Path(out).parent))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def feature_rows(spark, data: Path, scratch: Path, job: FeatureJob, seconds: dict[str, float]):
    """Staged tables, then the feature rows (cached) and the data-quality summary, timing each stage."""
    from pyspark.sql import functions as F

    start = time.perf_counter()
    staged = stage_tables(spark, data, scratch)
    seconds["reading"] = time.perf_counter() - start
    start = time.perf_counter()
    if job.with_label and job.end_date is None:
        job = FeatureJob(job.as_of, job.group, True, data_end_date(staged), job.with_group_exit)
    if isinstance(job, EventFeatureJob) and job.data_end is None:
        job = replace(job, data_end=data_end_date(staged))
    result = spark_features(staged, job).cache()
    counts = {r[COUNT_KEY]: r["n"] for r in result.filter(F.col("youth_id").isNull())
              .groupBy(COUNT_KEY).agg(F.sum(COUNT).alias("n")).collect()}
    rows = result.filter(F.col("youth_id").isNotNull()).drop(COUNT_KEY, COUNT)
    quality = merge_partition_counts(staged.quality, counts, rows.count(), job.as_of)
    seconds["features"] = time.perf_counter() - start
    return rows, quality


def run_features(data: Path, out: Path, job: FeatureJob, master: str = LOCAL) -> SparkRun:
    """`vsv features --engine spark`: the feature rows as a Parquet dataset at `out`."""
    seconds: dict[str, float] = {}
    with spark_session(master) as spark, scratch_next_to(out) as scratch:
        rows, quality = feature_rows(spark, data, scratch, job, seconds)
        start = time.perf_counter()
        rows.orderBy(ORDER).drop(ORDER).write.mode("overwrite").parquet(str(out))
        seconds["writing"] = time.perf_counter() - start
    return SparkRun(quality.in_scope or 0, quality, seconds)


def run_scores(data: Path, out: Path, as_of: dt.date, served, model_uri: str, settings, explain: bool,
               master: str = LOCAL) -> SparkRun:
    """`vsv score --engine spark`: the target group's scores (and reasons) as a Parquet dataset at `out`."""
    from registry.mlflow_registry import using_store
    from spark_jobs.scoring import spark_scores

    seconds: dict[str, float] = {}
    group: TargetGroup = served.group
    with spark_session(master) as spark, scratch_next_to(out) as scratch:
        rows, quality = feature_rows(spark, data, scratch, FeatureJob(as_of, group, False, None, with_group_exit=True), seconds)
        start = time.perf_counter()
        with using_store(settings):  # the UDF downloads the model from this store
            scores = spark_scores(rows, served, model_uri, explain)
        scores.orderBy(ORDER).drop(ORDER).write.mode("overwrite").parquet(str(out))
        seconds["scoring"] = time.perf_counter() - start
        written = spark.read.parquet(str(out))
        tiers = {r["tier"]: r["count"] for r in written.groupBy("tier").count().collect()}
        categories = {r["risk_category"]: r["count"] for r in written.groupBy("risk_category").count().collect()}
    return SparkRun(quality.in_scope or 0, quality, seconds, tiers, categories)


def run_event_scores(data: Path, out: Path, job: EventFeatureJob, served, model_uri: str, settings, explain: bool,
                     master: str = LOCAL) -> SparkRun:
    """`vsv score --engine spark --events`: every event of the window scored as of its own day with its kind's
    calibration and cut-offs, as a Parquet dataset at `out`, in the in-process order (day, youth, kind)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from registry.mlflow_registry import using_store
    from serving.batch import event_places
    from spark_jobs.scoring import spark_scores

    seconds: dict[str, float] = {}
    with spark_session(master) as spark, scratch_next_to(out) as scratch:
        rows, quality = feature_rows(spark, data, scratch, job, seconds)
        start = time.perf_counter()
        in_order = Window.orderBy(EVENT_DAY, ORDER, EVENT_SEQ)
        rows = rows.withColumn(ORDER, (F.row_number().over(in_order) - 1).cast("bigint")).drop(EVENT_DAY, EVENT_SEQ)
        kinds = [r["kind"] for r in rows.select("kind").distinct().collect()]
        places = event_places(served, sorted(kinds), (job.end - job.start).days + 1)
        with using_store(settings):  # the UDF downloads the model from this store
            scores = spark_scores(rows, served, model_uri, explain, places)
        scores.orderBy(ORDER).drop(ORDER).write.mode("overwrite").parquet(str(out))
        seconds["scoring"] = time.perf_counter() - start
        written = spark.read.parquet(str(out))
        counts = written.groupBy("kind", "tier", "risk_category").count().toPandas()
    return SparkRun(quality.in_scope or 0, quality, seconds, *tallies(counts), places)


def tallies(counts) -> tuple[dict[str, int], dict[str, int], dict[str, dict[str, int]]]:
    """Rows per tier, per risk category and per kind (per tier and category), from a count per (kind, tier,
    risk_category), as `serving.batch.counts_per_kind` gives them in-process."""
    from vsv_model.policy import RISK_CATEGORIES, TIERS

    tiers = counts.groupby("tier")["count"].sum()
    categories = counts.groupby("risk_category")["count"].sum()
    per_kind = {}
    for kind, rows in counts.groupby("kind", sort=True):
        by_tier, by_category = rows.groupby("tier")["count"].sum(), rows.groupby("risk_category")["count"].sum()
        per_kind[str(kind)] = {"events": int(rows["count"].sum()), **{t: int(by_tier.get(t, 0)) for t in TIERS},
                               **{f"risk_{c}": int(by_category.get(c, 0)) for c in RISK_CATEGORIES}}
    return ({t: int(tiers.get(t, 0)) for t in TIERS}, {c: int(categories.get(c, 0)) for c in RISK_CATEGORIES}, per_kind)
