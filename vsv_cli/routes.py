"""`vsv routes`: which reaction works for whom, from the office's recorded cases (`office_cases.csv`) and the
registrations; the route policy's gates and its promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date, read_data

routes_app = typer.Typer(help="Route learning: effects per route, policies at equal capacity, promotion.",
                         no_args_is_help=True, rich_markup_mode=None)


def outcome_name(value: str) -> str:
    from features.route_outcomes import OUTCOMES

    if value not in OUTCOMES:
        raise typer.BadParameter(f"{value!r}: the outcome is one of {', '.join(OUTCOMES)}")
    return value


@routes_app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="Data directory: the four tables and office_cases.csv (truth_events.csv, "
                                       "when present, is read only to judge the estimates afterwards).")],
    from_: Annotated[str, typer.Option("--from", help="First case date, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option(help="Last case date, YYYY-MM-DD.")],
    outcome: Annotated[str, typer.Option(help="school_365 (in school or SQ 365 days after the event) or no_sq_by_23 "
                                         "(judged as its opposite, SQ by 23: higher is better).",
                                         callback=outcome_name)] = "school_365",
    seed: Annotated[int, typer.Option(help="Seed of the folds, econml and the bootstrap.")] = 0,
    depth: Annotated[int, typer.Option(min=1, max=3, help="Depth of the benefit policy tree (explainable: 1-3).")] = 2,
    out: Annotated[Path | None, typer.Option(help="JSON summary file (aggregates only).")] = None,
    promote: Annotated[bool, typer.Option(help="Register the benefit policy as vsv-route-policy@champion when "
                                          "every gate passes.")] = False,
) -> None:
    """Effects per route and cell, econml's heterogeneous effects and Qini, three policies' values at equal capacity,
    the promotion gates; to stdout, the JSON summary and MLflow (never a youth row). The evaluation is registered as
    vsv-route-policy@evaluated (its evidence is what the case page shows while no policy is promoted)."""
    from route_learning.cases import CasesError
    from route_learning.run import run_routes
    from vsv_model.settings import Settings

    start, end = parse_date(from_), parse_date(to)
    if not (data / "office_cases.csv").is_file():
        fail(f"{data / 'office_cases.csv'}: not found. It is written by `vsv generate` with the office (not "
             "--no-office) or by `vsv cases export`.")
    dataset = read_data(data)
    try:
        result = run_routes(data, dataset, start, end, Settings.from_env(), outcome, seed, promote, out, depth)
    except (CasesError, ValueError) as exc:
        fail(str(exc))
    typer.echo(result.text)
    typer.echo(f"\nMLflow run {result.run_id}" + (f"; summary written to {out}" if out else ""))


@routes_app.command()
def promote(
    data: Annotated[Path, typer.Option(help="Data directory: the four tables and office_cases.csv.")],
    from_: Annotated[str, typer.Option("--from", help="First case date, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option(help="Last case date, YYYY-MM-DD.")],
    outcome: Annotated[str, typer.Option(help="school_365 or no_sq_by_23.", callback=outcome_name)] = "school_365",
    seed: Annotated[int, typer.Option(help="Seed of the folds, econml and the bootstrap.")] = 0,
    depth: Annotated[int, typer.Option(min=1, max=3, help="Depth of the benefit policy tree.")] = 2,
    out: Annotated[Path | None, typer.Option(help="JSON summary file (aggregates only).")] = None,
) -> None:
    """`evaluate --promote`: the benefit policy becomes vsv-route-policy@champion only when its value, stability and
    groups gates pass; otherwise it says which gate failed and the tier advice stands."""
    evaluate(data, from_, to, outcome, seed, depth, out, promote=True)
