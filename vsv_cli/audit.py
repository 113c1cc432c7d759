"""`vsv audit`: the audit log of scores, explanations and decisions, exported for analysts, its hash chain verified."""

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


@audit_app.command("verify")
def verify() -> None:
    """Walk the audit log's hash chain (VSV_DATABASE_URL): exit 0 with the counts and the head's hash (keep it
    elsewhere: it anchors the chain), or 1 naming the first record that was changed, removed or added behind it."""
    from serving.audit_chain import verify as verify_chain
    from serving.database import open_database
    from vsv_model.settings import Settings

    result = verify_chain(open_database(Settings.from_env().database_url))
    if not result.ok:
        typer.echo(f"BROKEN at audit record id {result.broken_id}: {result.problem}. "
                   f"{result.records - 1} records before it verified.", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"OK: {result.records} audit records verified ({result.chained} chained, {result.before_chain} from "
               f"before the chain, folded into it). Head: record {result.head_id}, hash {result.head_hash}")
