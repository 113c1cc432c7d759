"""`vsv retention`: remove what is due (cases, letters, archived scores, the youths' keys), or say what would go."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date


def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change nothing.")] = False,
    today: Annotated[str | None, typer.Option(help="The day to count from, YYYY-MM-DD (default: today in the "
                                                   "Netherlands, or VSV_TODAY).")] = None,
    config: Annotated[Path | None, typer.Option(help="The region's TOML file ([casework] retention_years; default "
                                                     "VSV_REGION_CONFIG, else 2 years).")] = None,
) -> None:
    """Remove the records of youths whose retention term has passed (the region's term after they leave the target
    group) from the database in VSV_DATABASE_URL. Prints counts per table, never a youth id."""
    from casework.model import CaseworkRules
    from serving.retention import open_retention, report_lines, run_retention, undated_group
    from vsv_model.settings import Settings

    settings = Settings.from_env()
    day = parse_date(today) if today else settings.current_date()
    try:
        rules = CaseworkRules.from_toml(config or settings.region_config)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    report = run_retention(open_retention(settings.database_url), rules, day, undated_group(settings), dry_run=dry_run)
    for line in report_lines(report):
        typer.echo(line)
