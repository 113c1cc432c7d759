"""`vsv score`: the whole target group of a data directory on one reference date (the yearly list), or the office's
events of a period each as of its own day, scored in-process (or on Spark) by the champion."""

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


EVENTS_HELP = ("Score the office's events instead of a reference date: every 18+ absence report (first of a period, "
               "repeat) and new leaver from --from to --to, each as of its own day with its kind's calibration and "
               "cut-offs (the events of `vsv events`).")


def score(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.", callback=table_path)],
    as_of: Annotated[str | None, typer.Option(help="Reference date (peildatum), YYYY-MM-DD: the model's whole target "
                                              "group on that day (the yearly list, kind stock).")] = None,
    events: Annotated[bool, typer.Option("--events", help=EVENTS_HELP)] = False,
    from_: Annotated[str | None, typer.Option("--from", help="With --events: the first event day, YYYY-MM-DD.")] = None,
    to: Annotated[str | None, typer.Option(help="With --events: the last event day, YYYY-MM-DD (events after the "
                                           "data's end are not known yet).")] = None,
    events_file: Annotated[Path | None, typer.Option(help="Score the events of this file (`vsv events --out`: "
                                                     "youth_id, event_date, kind, report_id) instead of deriving them; "
                                                     "implies --events; --from/--to then select from it.")] = None,
    repeat_days: Annotated[int, typer.Option(min=1, help="With --events: a report within this many days of the "
                                             "youth's previous one is a repeat (as `vsv events`).")] = 91,
    explain: Annotated[bool, typer.Option("--explain", help="Add the top-5 reasons with Dutch sentences.")] = False,
    version: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
    max_age: Annotated[int | None, typer.Option(help="Refuse unless the model was trained for this target group "
                                                "(completed age below it); default: the model's own group.")] = None,
    archive: Annotated[bool, typer.Option(help="Archive the scores in the database (VSV_DATABASE_URL) for `vsv monitor` "
                                          "(the yearly list only: events are not archived).")] = True,
    engine: EngineOption = IN_PROCESS,
    master: MasterOption = "local[2]",
) -> None:
    """Score the model's whole target group on --as-of (the yearly list), or with --events every office event of a
    period as of its own day: probability, risk category, advised route (and reasons).

    Event rows add kind and report_id after youth_id, their as_of is the event's day, and each uses its kind's
    calibration, cut-offs and category meaning; rank orders the period's events and within_capacity marks those the
    period's places hold (the events' places a year times the period's share of a year). Events are not archived.

    Examples: `vsv score --data DIR --as-of 2026-10-01 --out list.parquet`;
    `vsv score --data DIR --events --from 2026-09-01 --to 2026-09-07 --out week.csv --explain`;
    `vsv score --data DIR --events-file events.csv --out scored.parquet`."""
    from vsv_model.settings import Settings

    window = event_window(as_of, events or events_file is not None, from_, to)
    settings = Settings.from_env()
    if engine == SPARK:
        served = require_group(load_scoring_model(settings, version), max_age)
        if window is not None:
            if events_file is not None:
                fail("--events-file runs in-process only: on Spark the events are derived from the data (--events)")
            score_events_on_spark(data, window, repeat_days, out, served, explain, master)
            return
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
    if window is not None:
        score_events_in_process(dataset, window, events_file, repeat_days, out, served, explain, read_seconds)
        return
    score_reference_date(settings, dataset, parse_date(as_of), out, served, explain, archive, read_seconds)


def event_window(as_of: str | None, events: bool, from_: str | None, to: str | None):
    """The events' period (first and last day, either open with --events-file), or None for a reference date;
    exits 2 naming the options when they do not make one of the two."""
    if events and as_of is not None:
        fail("give --as-of (the target group on one day) or --events (the events of a period), not both")
    if not events:
        if from_ is not None or to is not None:
            fail("--from and --to select events: add --events (or --events-file)")
        if as_of is None:
            fail("give --as-of YYYY-MM-DD (the target group on one day) or --events --from YYYY-MM-DD --to YYYY-MM-DD")
        return None
    return (None if from_ is None else parse_date(from_), None if to is None else parse_date(to))


def score_reference_date(settings, dataset, as_of, out: Path, served, explain: bool, archive: bool,
                         read_seconds: float) -> None:
    """The yearly list: the target group on `as_of`, written, counted and archived."""
    from serving.batch import describe_counts, score_dataset
    from vsv_model.table_io import write_frame

    result = score_dataset(served, dataset, as_of, explain)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the archive fills while the file is written
        archiving = pool.submit(archive_run, settings, result.frame, served, as_of) if archive else None
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


def score_events_in_process(dataset, window, events_file: Path | None, repeat_days: int, out: Path, served,
                            explain: bool, read_seconds: float) -> None:
    """The events of the window (derived, or read from `events_file`), each scored as of its own day."""
    from serving.batch import describe_counts, score_events
    from vsv_model.table_io import write_frame

    office, window = window_events(dataset, window, events_file, repeat_days, served)
    try:
        result = score_events(served, dataset, office, explain, window)
    except ValueError as exc:  # a kind the model has no calibration for, an event of an unknown youth
        fail(str(exc))
    started = time.perf_counter()
    write_frame(result.frame, out)
    write_seconds = time.perf_counter() - started
    typer.echo(f"Scored {len(result.frame):,} events from {window[0]} to {window[1]} ({served.group.describe()}), each as "
               f"of its own day, with model version {served.version} ({served.fingerprint}) (reading {read_seconds:.1f} s, "
               f"features {result.feature_seconds:.1f} s, scoring{' and explaining' if explain else ''} "
               f"{result.scoring_seconds:.1f} s, writing {write_seconds:.1f} s)")
    if result.out_of_scope:
        typer.echo(f"{result.out_of_scope:,} event(s) of youths outside the target group on their day: not scored")
    for line in describe_counts(result):
        typer.echo(line)
    typer.echo(f"Wrote {out}")
    typer.echo("Not archived: the archive holds the yearly list, scored on one reference date, for `vsv monitor`")


def window_events(dataset, window, events_file: Path | None, repeat_days: int, served):
    """The events to score and their window (both ends known): derived by `features.office_events` with the model's
    target group's ages, or read from a `vsv events` file and selected by the window; exits 2 with the reason."""
    import pandas as pd

    from features.office_events import EventRules, office_events

    if events_file is None:
        if None in window:
            fail("--events needs --from and --to (or --events-file FILE)")
        rules = EventRules(repeat_days=repeat_days, min_age=served.group.min_age, max_age=served.group.max_age)
        return office_events(dataset, window[0], window[1], rules), window
    office = read_events_file(events_file)
    days = pd.to_datetime(office["event_date"]).dt.date
    keep = pd.Series(True, index=office.index)
    if window[0] is not None:
        keep &= days >= window[0]
    if window[1] is not None:
        keep &= days <= window[1]
    office = office[keep].reset_index(drop=True)
    first = window[0] or (days[keep].min() if keep.any() else None)
    last = window[1] or (days[keep].max() if keep.any() else None)
    if first is None or last is None:
        fail(f"{events_file.name}: no events to score in the window")
    return office, (first, last)


def read_events_file(path: Path):
    """A `vsv events` output (youth_id, event_date, kind; report_id optional), checked: every kind an event kind,
    every date a date. Exits 2 naming the file and the problem."""
    import pandas as pd

    from features.office_events import EVENT_KINDS
    from vsv_model.table_io import read_frame

    if not path.exists():
        fail(f"{path}: no such events file")
    office = read_frame(path)
    missing = [c for c in ("youth_id", "event_date", "kind") if c not in office]
    if missing:
        fail(f"{path.name}: not a `vsv events` file: column(s) {', '.join(missing)} missing")
    unknown = sorted(set(office["kind"].astype(str)) - set(EVENT_KINDS))
    if unknown:
        fail(f"{path.name}: unknown kind(s) of event {', '.join(unknown)}; the kinds are {', '.join(EVENT_KINDS)}")
    dates = pd.to_datetime(office["event_date"], errors="coerce", format="ISO8601")
    bad = (dates.isna() & office["event_date"].notna()).to_numpy() | office["event_date"].isna().to_numpy()
    if bad.any():
        row = int(bad.argmax()) + (2 if path.suffix.lower() == ".csv" else 1)  # as the file shows it (CSV: header is row 1)
        fail(f"{path.name}: row {row}: event_date {office['event_date'].iloc[int(bad.argmax())]!r} is not a date YYYY-MM-DD")
    report_id = office["report_id"] if "report_id" in office else pd.Series(None, index=office.index, dtype=object)
    return pd.DataFrame({"youth_id": office["youth_id"].astype(str), "event_date": dates.astype("datetime64[s]"),
                         "kind": office["kind"].astype(str).to_numpy(dtype=object),
                         "report_id": report_id.astype(object).where(report_id.notna(), None)})


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


def score_events_on_spark(data: Path, window, repeat_days: int, out: Path, served, explain: bool, master: str) -> None:
    """The events of the window on Spark: derived per partition of youths, each scored as of its own day with its
    kind's calibration (the `kind` column goes into `mlflow.pyfunc.spark_udf`)."""
    from features.office_events import EventRules
    from serving.batch import BatchResult, describe_counts
    from spark_jobs.features import EventFeatureJob
    from spark_jobs.jobs import run_event_scores
    from vsv_model.contract import ContractError
    from vsv_model.settings import Settings

    if None in window:
        fail("--events needs --from and --to")
    spark_output(out)
    rules = EventRules(repeat_days=repeat_days, min_age=served.group.min_age, max_age=served.group.max_age)
    job = EventFeatureJob(window[0], window[1], served.group, rules)
    try:
        run = run_event_scores(data, out, job, served, f"models:/{served.name}/{served.version}", Settings.from_env(),
                               explain, master)
    except ContractError as exc:
        fail(str(exc))
    seconds = run.seconds
    typer.echo(f"Scored {run.rows:,} events from {window[0]} to {window[1]} ({served.group.describe()}), each as of its "
               f"own day, with model version {served.version} ({served.fingerprint}) on Spark {master} (reading "
               f"{seconds['reading']:.1f} s, features {seconds['features']:.1f} s, scoring"
               f"{' and explaining' if explain else ''} and writing {seconds['scoring']:.1f} s)")
    outside = run.quality.out_of_scope.get("event_out_of_scope", 0)
    if outside:
        typer.echo(f"{outside:,} event(s) of youths outside the target group on their day: not scored")
    result = BatchResult(None, run.tier_counts, run.capacity, 0.0, 0.0, run.category_counts, run.kind_counts)
    for line in describe_counts(result):
        typer.echo(line)
    typer.echo(f"Wrote {out} (a Parquet dataset)")
    typer.echo("Not archived: the archive holds the yearly list, scored on one reference date, for `vsv monitor`")


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
