"""`vsv monitor`: the champion's target group at a reference date against its training, and the archived scoring
runs against the outcomes known since. Exit code 0 fine, 1 warnings, 2 an alarm (also when the run cannot start);
one console line per finding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date, read_data


def monitor(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (outcomes are read from it too).")],
    as_of: Annotated[str, typer.Option(help="Reference date (peildatum) to judge, YYYY-MM-DD.")],
    version: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with a [monitor] section (thresholds).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the offline HTML report here.")] = None,
    store: Annotated[bool, typer.Option(help="Store the report in the database for /ui/monitor and join the "
                                        "archived scoring runs.")] = True,
    track: Annotated[bool, typer.Option(help="Log the run (aggregates and the report) to MLflow.")] = True,
) -> None:
    """Drift, estimated and realised performance of the champion; exit 0 fine, 1 warnings, 2 alarm."""
    from monitoring.config import load_monitor_config
    from monitoring.measures import LEVELS
    from monitoring.report import fragment, page
    from monitoring.run import monitor as run_monitor
    from monitoring.tracking import log_monitor_run
    from serving.archive import StoredReport, open_archive, store_report
    from vsv_cli.scores import load_scoring_model
    from vsv_model.settings import Settings

    try:
        thresholds = load_monitor_config(config)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    settings = Settings.from_env()
    served = load_scoring_model(settings, version)
    dataset = read_data(data)
    engine = open_archive(settings.database_url) if store else None
    try:
        result = run_monitor(served, dataset, parse_date(as_of), thresholds, engine)
    except ValueError as exc:
        fail(str(exc))
    body = fragment(result, thresholds.psi_warn, thresholds.psi_alarm)
    html = page(body)
    for finding in result.findings:
        typer.echo(finding.line())
    typer.echo(f"Monitored model version {served.version} ({served.fingerprint}) at {result.as_of}: "
               f"{len(result.findings)} finding(s), status {result.status}")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(html, encoding="utf-8")
        typer.echo(f"Wrote {report}")
    if engine is not None:
        store_report(engine, StoredReport(dt.datetime.now(dt.UTC), result.as_of, result.model_version,
                                          result.model_fingerprint, result.status,
                                          [f.to_dict() for f in result.findings], body))
    if track:
        typer.echo(f"Logged to MLflow run {log_monitor_run(result, html, settings)}")
    raise typer.Exit(code=LEVELS[result.status])
