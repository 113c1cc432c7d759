"""`vsv events`: the moments the office acts (18+ reports, new leavers), derived from the registrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import parse_date, read_data, table_path


def events(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (CSV or Parquet).")],
    from_: Annotated[str, typer.Option("--from", help="First event date, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option(help="Last event date, YYYY-MM-DD (events after the data's end are not known yet).")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.", callback=table_path)],
    repeat_days: Annotated[int, typer.Option(min=1, help="A report within this many days of the youth's previous one "
                                             "is a repeat.")] = 91,
) -> None:
    """Write one row per office event (report_first, report_repeat, new_leaver) and print the yearly counts."""
    from features.office_events import EventRules, office_events, yearly_counts
    from vsv_model.table_io import write_frame

    table = office_events(read_data(data), parse_date(from_), parse_date(to), EventRules(repeat_days=repeat_days))
    write_frame(table, out)
    typer.echo(f"Wrote {len(table):,} events to {out}; per school year (1 August to 31 July):")
    typer.echo(yearly_counts(table).to_string())
