"""`vsv audit`: the audit log of scores, explanations and decisions, exported for analysts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import parse_date, table_path

audit_app = typer.Typer(help="The audit log of scores, explanations and decisions.", no_args_is_help=True, rich_markup_mode=None)


@audit_app.command("export")
def export(
    since: Annotated[str, typer.Option(help="First day to export, YYYY-MM-DD (UTC).")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.", callback=table_path)],
) -> None:
    """Export audit records from a date on, for analysts."""
    from serving.audit import AuditLog
    from serving.database import open_database
    from vsv_model.settings import Settings
    from vsv_model.table_io import write_frame

    frame = AuditLog(open_database(Settings.from_env().database_url)).export(parse_date(since))
    write_frame(frame, out)
    typer.echo(f"Wrote {len(frame)} audit records since {since} to {out}")
