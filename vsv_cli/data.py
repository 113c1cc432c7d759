"""`vsv generate` and `vsv features`: the synthetic region, and point-in-time features of a data directory."""

from __future__ import annotations

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
    read_data,
    spark_output,
    table_path,
)
from vsv_model.target_group import CURRENT_LAW


def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the four tables, truth.csv, truth_events.csv, realism.csv and the summary to.")],
    youths: Annotated[int | None, typer.Option(min=1, help="Youths in the youths table (default: the region at 1:1, "
                                               "about 186,000); fewer or more scale every birth cohort.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives identical files.")] = 1,
    format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    mess_rate: Annotated[float, typer.Option(min=0.0, max=0.5, help="Share of messy records (duplicates, old names, unknown values...).")] = 0.02,
    data_end: Annotated[str, typer.Option(help="The data's end (the 1st of a month): nothing is dated after it.")] = "2026-10-01",
    no_drift: Annotated[bool, typer.Option("--no-drift", help="Every calendar effect off (closures, labour market, "
                                           "reporting practice, trends).")] = False,
    drift: Annotated[list[str] | None, typer.Option("--drift", help="Inject a shift NAME=SIZE from a year before the data's "
                                                    "end (absence_level, reporting_stop, mbo_mix, dropout_hazard); repeat for more.")] = None,
    planted_bias: Annotated[list[str] | None, typer.Option("--planted-bias", help="Plant a documented harm KIND[=SIZE] "
                                                           "(underreporting, hidden_gap) for the fairness audit; "
                                                           "hidden_gap=SIZE@ATTRIBUTE=VALUE harms another group "
                                                           "(@origin=europa, @gender=V).")] = None,
    cohorts_at: Annotated[str | None, typer.Option(help="Simulate only the birth cohorts aged 18-22 on this date "
                                                   "(YYYY-MM-DD), as large as in the whole world; --youths then counts "
                                                   "only them (scale benchmarks).")] = None,
    no_office: Annotated[bool, typer.Option("--no-office", help="Today's world: no office reacting inside it, no route "
                                            "effects, no office_cases.csv, no route columns in truth_events.csv.")] = False,
    route_effects: Annotated[float, typer.Option(min=0.0, help="The size of every route's true effect (0: routes do "
                                                 "nothing; see docs/office-world.md).")] = 1.0,
    office_follow: Annotated[float, typer.Option(min=0.0, max=1.0, help="The chance the world's officer follows the "
                                                 "advice.")] = 0.8,
    office_refuse: Annotated[float, typer.Option(min=0.0, max=1.0, help="The share of randomised draws the world's "
                                                 "officer refuses.")] = 0.1,
    random_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="The randomised share of borderline "
                                                "cases.")] = 0.10,
    brief: Annotated[bool, typer.Option("--brief", help="One line for the realism check instead of one per "
                                        "published figure (realism.csv holds them all).")] = False,
) -> None:
    """Generate the synthetic Zuid-Holland Zuid region through time, with known truth."""
    from data_synthetic.generate import WorldConfig, generate_world, parse_named_size, parse_planted_bias, write_world
    from data_synthetic.office import OfficeSettings
    from vsv_model.route_draws import DrawRules
    from vsv_model.table_io import FORMATS

    if format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    try:
        harms, gap_group = parse_planted_bias(planted_bias or [])
        config = WorldConfig(youths=youths, seed=seed, mess_rate=mess_rate, data_end=parse_date(data_end), drift=not no_drift,
                             shifts=tuple(parse_named_size(d) for d in drift or ()),
                             planted_bias=harms, hidden_gap_group=gap_group,
                             cohorts_at=parse_date(cohorts_at) if cohorts_at else None, office=not no_office,
                             route_effects=route_effects,
                             office_settings=OfficeSettings(follow=office_follow, refuse=office_refuse,
                                                            draws=DrawRules(share=random_share)))
    except ValueError as exc:  # a configuration the generator refuses: a message, not a traceback
        fail(str(exc))
    world = generate_world(config)
    write_world(out, world, format)
    echo_world(world, out, brief)


def echo_world(world, out: Path, brief: bool = False) -> None:
    """What a user needs to know of a generated world, in a few lines."""
    from data_synthetic.realism import outside_tolerance, realism_lines, verdict
    from features.office_events import EVENT_KINDS

    summary = world.summary()
    rows = summary["rows"]
    scale = "the region at 1:1" if world.config.youths is None else f"the region scaled to {rows['youths']:,} youths"
    if world.config.cohorts_at:
        scale += f" (only the birth cohorts aged 18-22 on {world.config.cohorts_at})"
    typer.echo(f"Generated {scale} (seed {world.config.seed}, data to {world.config.data_end}, calendar effects "
               f"{'on' if world.config.drift else 'off'}) into {out}")
    typer.echo("  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))
    dates = summary["reference_dates"]
    known = {d: v["by_23"] for d, v in dates.items() if v["by_23"].get("labelled") == v["in_scope"] > 0}
    sizes = [v["in_scope"] for v in dates.values()]
    outcome = "outcome fully known for no date" if not known else (
        f"outcome fully known for {len(known)} dates ({min(known)[:4]}-{max(known)[:4]}): rate "
        f"{min(v['outcome_rate'] for v in known.values()):.1%}-{max(v['outcome_rate'] for v in known.values()):.1%}, "
        f"AUC of the known truth {min(v['auc_p_true'] for v in known.values()):.3f}-"
        f"{max(v['auc_p_true'] for v in known.values()):.3f}")
    typer.echo(f"  target group 18-22 on 1 October {min(dates)[:4]}-{max(dates)[:4]}: {min(sizes):,}-{max(sizes):,} youths; "
               + outcome)
    kinds = world.events["kind"].value_counts()
    typer.echo(f"  office events: {len(world.events):,} (" + ", ".join(f"{kind} {kinds.get(kind, 0):,}" for kind in
               EVENT_KINDS) + "), the exact truth at each in truth_events.csv")
    outside = outside_tolerance(world.realism) if world.config.youths is None else ""
    if world.config.youths is None and brief:
        typer.echo(f"  the region's published figures: {verdict(world.realism['within'])} their tolerance "
                   f"({out / 'realism.csv'}; `vsv generate` prints each)")
    elif world.config.youths is None:
        for line in realism_lines(world.realism):
            typer.echo(f"  {line}")
    if outside:
        typer.echo(f"  outside its tolerance: {outside}")
    else:
        typer.echo("  realism.csv compares the region's published figures at 1:1 only (this world is scaled)")


def features(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (CSV or Parquet).")],
    as_of: Annotated[str, typer.Option(help="Reference date (peildatum), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.", callback=table_path)],
    labels: Annotated[bool, typer.Option("--labels", help="Add the outcome label (empty where not yet known).")] = False,
    end_date: Annotated[str | None, typer.Option(help="The data's end date for labels (default: latest date in the data).")] = None,
    max_age: Annotated[int, typer.Option(help="Target group: completed age below this (23 today, 27 after the law change; "
                                         "the outcome is judged by the same age).")] = CURRENT_LAW.max_age,
    engine: EngineOption = IN_PROCESS,
    master: MasterOption = "local[2]",
) -> None:
    """Build one feature row per youth of the target group at a reference date, with a data-quality report."""
    from features.build import build_feature_table
    from features.output import write_feature_table
    from vsv_model.target_group import target_group_for

    group = target_group_for(max_age)
    if engine == SPARK:
        features_on_spark(data, parse_date(as_of), out, group, labels, parse_date(end_date) if end_date else None, master)
        return
    dataset = read_data(data)
    table = build_feature_table(dataset, parse_date(as_of), group=group, with_label=labels,
                                end_date=parse_date(end_date) if end_date else None)
    quality_path = write_feature_table(table, out, with_label=labels)
    typer.echo(table.quality.describe())
    typer.echo(f"Wrote {len(table):,} youths of the target group ({group.describe()}) to {out} "
               f"and the data-quality summary to {quality_path}")


def features_on_spark(data: Path, as_of, out: Path, group, labels: bool, end_date, master: str) -> None:
    from features.output import quality_path_for
    from spark_jobs.features import FeatureJob
    from spark_jobs.jobs import run_features
    from vsv_model.contract import ContractError

    spark_output(out)
    try:
        run = run_features(data, out, FeatureJob(as_of, group, labels, end_date), master)
    except ContractError as exc:
        fail(str(exc))
    quality_path = quality_path_for(out)
    run.quality.write_json(quality_path)
    typer.echo(run.quality.describe())
    typer.echo(f"Wrote {run.rows:,} youths of the target group ({group.describe()}) to {out} (a Parquet dataset, Spark "
               f"{master}) and the data-quality summary to {quality_path}")
