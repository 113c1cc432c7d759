"""`vsv score`: the whole target group of a data directory scored in-process by the champion."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import (
    IN_PROCESS,
    SPARK,
    EngineOption,
    MasterOption,
    fail,
    parse_date,
    read_checked,
    spark_output,
    table_path,
)


def load_scoring_model(settings, version: str | None):
    """The champion (or `version`) from the registry, with its run id; exits 2 with the reason when there is none
    or it is damaged."""
    from registry import mlflow_registry as registry
    from serving.scoring import ServedModel
    from vsv_model.risk_model import ModelLoadError

    version = version or registry.version_by_alias(settings, registry.CHAMPION)
    if version is None:
        fail("no champion model: train (vsv train) and promote (vsv promote) first")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            model = registry.load_version(settings, version, Path(scratch))
    except ModelLoadError as exc:
        fail(str(exc))
    return ServedModel(model, settings.model_name, version, registry.run_of_version(settings, version))


def score(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables.")],
    as_of: Annotated[str, typer.Option(help="Reference date (peildatum), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.", callback=table_path)],
    explain: Annotated[bool, typer.Option("--explain", help="Add the top-5 reasons with Dutch sentences.")] = False,
    version: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
    max_age: Annotated[int | None, typer.Option(help="Refuse unless the model was trained for this target group "
                                                "(completed age below it); default: the model's own group.")] = None,
    archive: Annotated[bool, typer.Option(help="Archive the scores in the database (VSV_DATABASE_URL) for `vsv monitor`.")] = True,
    engine: EngineOption = IN_PROCESS,
    master: MasterOption = "local[2]",
) -> None:
    """Score the model's whole target group in-process: probability, risk category, advised route (and reasons)."""
    from serving.batch import describe_counts, score_dataset
    from vsv_model.settings import Settings
    from vsv_model.table_io import write_frame

    settings = Settings.from_env()
    if engine == SPARK:
        served = require_group(load_scoring_model(settings, version), max_age)
        score_on_spark(data, parse_date(as_of), out, served, explain, master)
        if archive:  # the dataset Spark wrote, read back whole: the archive is the database's, on the driver
            import pandas as pd

            typer.echo(archive_run(settings, pd.read_parquet(out), served, parse_date(as_of)))
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the model loads (imports, registry, artifacts) while the data is read: reading runs mostly outside the GIL
        loading = pool.submit(load_scoring_model, settings, version)
        started = time.perf_counter()
        dataset, problem = read_checked(data)  # read once
        read_seconds = time.perf_counter() - started
        served = require_group(loading.result(), max_age)  # no model, or the wrong group: said before any data problem
    if problem is not None:
        fail(problem)
    result = score_dataset(served, dataset, parse_date(as_of), explain)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the archive fills while the file is written
        archiving = pool.submit(archive_run, settings, result.frame, served, parse_date(as_of)) if archive else None
        started = time.perf_counter()
        write_frame(result.frame, out)
        write_seconds = time.perf_counter() - started
        typer.echo(f"Scored {len(result.frame):,} youths of the target group ({served.group.describe()}) with model "
                   f"version {served.version} ({served.fingerprint}) (reading {read_seconds:.1f} s, features {result.feature_seconds:.1f} s, "
                   f"scoring{' and explaining' if explain else ''} {result.scoring_seconds:.1f} s, writing {write_seconds:.1f} s)")
        for line in describe_counts(result):
            typer.echo(line)
        typer.echo(f"Wrote {out}")
        if archiving is not None:
            typer.echo(archiving.result())


def require_group(served, max_age: int | None):
    """The model, when it was trained for the target group `--max-age` asks for; exits 2 with the reason otherwise."""
    from vsv_model.target_group import TargetGroupMismatch, target_group_for

    if max_age is not None:
        try:
            served.group.require(target_group_for(max_age), f"--max-age {max_age}")
        except TargetGroupMismatch as exc:
            fail(str(exc))
    return served


def archive_run(settings, frame, served, as_of) -> str:
    """Keep the scored population and what was expected of it in the database (`serving/archive.py`); returns the
    line that says so."""
    from serving.archive import archive_scores, open_archive

    started = time.perf_counter()
    run = archive_scores(open_archive(settings.database_url), frame, served, as_of)
    return f"Archived {run.youths:,} scores as run {run.id} ({time.perf_counter() - started:.1f} s)"


def score_on_spark(data: Path, as_of, out: Path, served, explain: bool, master: str) -> None:
    """The same scores on Spark: the registry's version through `mlflow.pyfunc.spark_udf`, reasons per partition."""
    from serving.batch import BatchResult, describe_counts
    from spark_jobs.jobs import run_scores
    from vsv_model.contract import ContractError
    from vsv_model.policy import RISK_CATEGORIES, TIERS
    from vsv_model.settings import Settings

    spark_output(out)
    settings = Settings.from_env()
    try:
        run = run_scores(data, out, as_of, served, f"models:/{served.name}/{served.version}", settings, explain, master)
    except ContractError as exc:
        fail(str(exc))
    seconds = run.seconds
    typer.echo(f"Scored {run.rows:,} youths of the target group ({served.group.describe()}) with model version "
               f"{served.version} ({served.fingerprint}) on Spark {master} (reading {seconds['reading']:.1f} s, features "
               f"{seconds['features']:.1f} s, scoring{' and explaining' if explain else ''} and writing "
               f"{seconds['scoring']:.1f} s)")
    counts = {t: run.tier_counts.get(t, 0) for t in TIERS}
    categories = {c: run.category_counts.get(c, 0) for c in RISK_CATEGORIES}
    for line in describe_counts(BatchResult(None, counts, served.model.cutoffs.places(), 0.0, 0.0, categories)):
        typer.echo(line)
    typer.echo(f"Wrote {out} (a Parquet dataset)")
