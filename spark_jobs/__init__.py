"""The same pipeline on Apache Spark: the contract's reader per file, the `features/` builders per partition of
youths, the champion through `mlflow.pyfunc.spark_udf` and the reasons from a broadcast booster.

Nothing here defines a feature, a check or a reason: every rule is the in-process code's, called per file or per
partition, so both engines give the same output and the same errors. Needs the `spark` extra (pyspark, Java 17).
"""
