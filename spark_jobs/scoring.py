"""Scoring on Spark: probabilities and tiers from the registered model, reasons from a broadcast booster.

The probability and tier of each youth come from the registry's model through `mlflow.pyfunc.spark_udf`
(the pyfunc every data scientist loads; an event's `kind` goes in with its features, so the pyfunc applies that
kind's calibration and cut-offs); the reasons from the same model broadcast to the executors, through
`serving.batch.explanation_columns` per partition; the rows are laid out by `serving.batch.assemble_output`;
`rank` and `within_capacity` are the in-process `mark_capacity`, as Spark windows over the whole population
(ties in probability broken by the youths' file order, as in-process).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from features.group_exit import GROUP_EXIT_COLUMNS
from serving.batch import KEY_COLUMNS, output_rows, with_group_exit
from serving.scoring import ServedModel
from spark_jobs.features import ORDER
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.risk_model import STOCK_KIND, example_frame

RESULT_TYPE = "probability double, tier string"  # the pyfunc's output (vsv_model.pyfunc_model.model_signature)
SPARK_TYPES = {"f": "double", "i": "bigint", "b": "boolean"}


@dataclass(frozen=True)
class Held:
    """A value as a broadcast holds it (`.value`), for the schema's dry run on the driver."""

    value: ServedModel


def spark_scores(features, served: ServedModel, model_uri: str, explain: bool,
                 places: dict[str, int | None] | None = None):
    """Scores of the feature rows (keys, features, ORDER) in the in-process output layout, ORDER kept. Rows with a
    `kind` (events) pass it to the pyfunc, so each gets its kind's calibration and cut-offs; `places` are the places
    `within_capacity` marks against (default: the yearly list's)."""
    import mlflow
    from pyspark.sql import functions as F

    spark = features.sparkSession
    predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=RESULT_TYPE, env_manager="local")
    inputs = [*FEATURE_NAMES, *(["kind"] if "kind" in features.columns else [])]
    predicted = features.withColumn("_model", predict(F.struct(*inputs)))
    predicted = predicted.select(*features.columns, "_model.probability", "_model.tier")
    held = spark.sparkContext.broadcast(served)
    keys = tuple(name for name in KEY_COLUMNS if name in features.columns)
    explained = predicted.mapInPandas(partial(partition_scores, held=held, explain=explain, keys=keys),
                                      output_schema(served, explain, keys))
    return with_capacity(explained, served.model.cutoffs.places() if places is None else places)


def partition_scores(batches: Iterator[pd.DataFrame], held, explain: bool,
                     keys: tuple[str, ...] = ("youth_id", "as_of")) -> Iterator[pd.DataFrame]:
    """One partition's output rows, by the in-process functions (each kind of event with its own model)."""
    from spark_jobs.session import ignore_known_warnings, spark_ready

    ignore_known_warnings()
    batches = list(batches)
    if not batches:
        return
    frame = pd.concat(batches, ignore_index=True)
    scored = frame[["probability", "tier"]]
    rows = output_rows(held.value, frame[list(keys)], frame[list(FEATURE_NAMES)], explain, threads=1, scored=scored)
    rows = with_group_exit(rows, frame[list(GROUP_EXIT_COLUMNS)])
    rows[ORDER] = frame[ORDER].to_numpy()
    yield spark_ready(rows)


def output_schema(served: ServedModel, explain: bool, keys: tuple[str, ...] = ("youth_id", "as_of")) -> str:
    """The Spark schema of `partition_scores`' rows, read off a dry run on the made-up example youth."""
    example = example_frame().assign(youth_id="example", as_of="2026-10-01", kind=STOCK_KIND, report_id="M1",
                                     probability=0.5, tier="low", leaves_group_on="2027-10-01",
                                     leaves_group_reason="max_age")
    example[ORDER] = np.int64(0)
    rows = next(partition_scores(iter([example]), Held(served), explain, keys))
    return ", ".join(f"{name} {SPARK_TYPES.get(dtype.kind, 'string')}" for name, dtype in rows.dtypes.items())


def with_capacity(scores, places: dict[str, int | None]):
    """`rank` and `within_capacity` after `route_nl`, as `serving.batch.mark_capacity` places them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ranked = scores.withColumn("rank", F.row_number().over(Window.orderBy(F.desc("probability"), F.asc(ORDER))).cast("bigint"))
    order_in_tier = F.row_number().over(Window.partitionBy("tier").orderBy("rank"))
    within = F.lit(True)
    for tier, count in places.items():
        if count:
            within = F.when(F.col("tier") == tier, order_in_tier <= count).otherwise(within)
    ranked = ranked.withColumn("within_capacity", within)
    columns = [c for c in scores.columns]
    after = columns.index("route_nl") + 1
    return ranked.select(*columns[:after], "rank", "within_capacity", *columns[after:])
