"""A Spark session for the vsv jobs: `local[2]` by default, or any master URL.

On a local master the Python workers run this interpreter (the package and its pinned libraries are installed
here); on a cluster `spark-submit` decides (`spark.pyspark.python`, or the PYSPARK_PYTHON of the executors).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

LOCAL = "local[2]"

# pyspark 4.3 with pandas 3.1: each warning below is pyspark's own use of an API pandas 3 deprecates or changed,
# on data it converts itself; our frames are not affected. Filtered one by one, each by its exact text, so a new
# warning still shows.
PANDAS3_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    ("PySpark does not yet fully support pandas >= 3.0.0", FutureWarning,
     "pyspark's version check on every pandas UDF; the conversions this package relies on are covered by "
     "tests/spark (text columns go to Spark as plain objects, see `spark_ready`)"),
)


def spark_ready(frame):
    """A frame a pandas UDF can hand to Spark: pandas 3's Arrow-backed text columns as plain objects (pyspark 4.3
    cannot convert one that holds several Arrow chunks, as after a `pd.concat` of its batches)."""
    text = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    return frame.astype({name: object for name in text}) if text else frame


def ignore_known_warnings() -> None:
    """Filter exactly the warnings listed in PANDAS3_WARNINGS (also in the Python workers, which call this)."""
    for message, category, reason in PANDAS3_WARNINGS:
        del reason  # documentation only
        warnings.filterwarnings("ignore", message=message, category=category)


@contextmanager
def spark_session(master: str = LOCAL, app: str = "vsv-risk", driver_memory: str = "4g") -> Iterator:
    """A session for one job, stopped afterwards; a session already running in this process (a test module's, a
    notebook's) is used as it is and left running. The driver's memory only counts on a local master, where the
    driver's JVM holds the executors' shuffle too."""
    from pyspark.sql import SparkSession

    ignore_known_warnings()
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "8"))
    if master.startswith("local"):
        # pyspark starts its Python workers with PYSPARK_PYTHON (default `python3`, which lacks this venv's packages)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (builder.config("spark.pyspark.python", sys.executable)
                   .config("spark.pyspark.driver.python", sys.executable)
                   .config("spark.driver.memory", driver_memory))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
