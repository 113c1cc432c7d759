"""`vsv generate` and `vsv features`: the synthetic region, and point-in-time features of a data directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date, read_data, table_path
from vsv_model.target_group import CURRENT_LAW


def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the four tables and truth.csv to.")],
    youths: Annotated[int, typer.Option(min=1, help="Number of youths in the youths table.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives identical files.")] = 1,
    format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    mess_rate: Annotated[float, typer.Option(min=0.0, max=0.5, help="Share of messy records (duplicates, old names, unknown values...).")] = 0.02,
    historical_as_of: Annotated[str, typer.Option(help="Reference date of the historical cohort.")] = "2019-10-01",
    current_as_of: Annotated[str, typer.Option(help="Reference date of the current cohort (the data's end).")] = "2026-10-01",
) -> None:
    """Generate a synthetic Zuid-Holland Zuid population with known truth."""
    from data_synthetic.generate import GeneratorConfig, generate_population
    from data_synthetic.summary import describe_population
    from data_synthetic.writer import write_tables, write_truth
    from vsv_model.table_io import FORMATS

    if format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    try:
        config = GeneratorConfig(youths=youths, seed=seed, mess_rate=mess_rate,
                                 historical_as_of=parse_date(historical_as_of), current_as_of=parse_date(current_as_of))
    except ValueError as exc:  # a configuration the generator refuses: a message, not a traceback
        fail(str(exc))
    population = generate_population(config)
    write_tables(out, population.tables, format)
    write_truth(out, population.truth)
    summary = describe_population(population)
    (out / "generation_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"Wrote {', '.join(f'{k}: {v:,} rows' for k, v in summary['rows'].items())} to {out}")
    for as_of, cohort in summary["cohorts"].items():
        typer.echo(f"  cohort {as_of}: {cohort['in_scope']:,} in scope, outcome rate {cohort['outcome_rate']:.1%}, "
                   f"best possible AUC {cohort['bayes_auc']}, Brier {cohort['bayes_brier']}")


def features(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (CSV or Parquet).")],
    as_of: Annotated[str, typer.Option(help="Reference date (peildatum), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.", callback=table_path)],
    labels: Annotated[bool, typer.Option("--labels", help="Add the outcome label (empty where not yet known).")] = False,
    end_date: Annotated[str | None, typer.Option(help="The data's end date for labels (default: latest date in the data).")] = None,
    max_age: Annotated[int, typer.Option(help="Target group: completed age below this (23 today, 27 after the law change; "
                                         "the outcome is judged by the same age).")] = CURRENT_LAW.max_age,
) -> None:
    """Build one feature row per youth of the target group at a reference date, with a data-quality report."""
    from features.build import build_feature_table
    from features.output import write_feature_table
    from vsv_model.target_group import target_group_for

    group = target_group_for(max_age)
    dataset = read_data(data)
    table = build_feature_table(dataset, parse_date(as_of), group=group, with_label=labels,
                                end_date=parse_date(end_date) if end_date else None)
    quality_path = write_feature_table(table, out, with_label=labels)
    typer.echo(table.quality.describe())
    typer.echo(f"Wrote {len(table):,} youths of the target group ({group.describe()}) to {out} "
               f"and the data-quality summary to {quality_path}")
