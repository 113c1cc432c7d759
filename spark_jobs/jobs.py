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
from dataclasses import dataclass, field
from pathlib import Path

from spark_jobs.features import (
    COUNT,
    COUNT_KEY,
    ORDER,
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
