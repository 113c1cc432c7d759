"""`vsv demo` (`make run`): the main job on the embedded defaults, generate -> train -> promote -> learn which route
works for whom (and promote a route policy only if its gates pass) -> score -> the work queue's cases -> serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.cases import sync as sync_cases
from vsv_cli.data import generate
from vsv_cli.model import promote, train
from vsv_cli.routes import evaluate as evaluate_routes
from vsv_cli.scores import score
from vsv_cli.service import serve

DATA_END = "2026-10-01"  # the synthetic region's data end: outcomes known up to it, and the date the office scores
# The office's cases whose 365-day outcome the data know (a year before the data's end), from the first full years.
ROUTE_PERIOD = ("2008-01-01", "2025-09-30")


def demo(
    data: Annotated[Path, typer.Option(help="Where the synthetic population lives (generated when absent).")] = Path("data/synthetic"),
    youths: Annotated[int | None, typer.Option(min=1000, help="Youths to generate (default: the region at 1:1, about "
                                               "186,000; the capacities of 470 and 1,500 places are the region's).")] = None,
    seed: Annotated[int, typer.Option()] = 1,
    port: Annotated[int, typer.Option()] = 3000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the service at the end.")] = True,
) -> None:
    """The main job on the embedded defaults: generate -> train -> promote -> learn which route works for whom (`vsv
    routes evaluate --promote`) -> score -> make the work queue's cases of the last events (`vsv cases sync`) ->
    serve."""
    from serving.auth import add_key
    from vsv_model.settings import Settings

    if not (data / "youths.csv").exists():
        generate(out=data, youths=youths, seed=seed, format="csv", mess_rate=0.02, data_end=DATA_END, no_drift=False,
                 drift=None, planted_bias=None,
                 cohorts_at=None, brief=True)
    train(data=data, as_of=None, config=None, max_age=None, search=False, end_date=DATA_END)
    try:
        promote(version=None, force=False, reason=None, config=None, data=None)
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    learn_routes(data)
    score(data=data, as_of=DATA_END, out=Path("data/scores/latest.parquet"), explain=True, version=None, max_age=None)
    sync_cases(data=data, since=None, config=None, version=None)
    key = add_key(Path(Settings.from_env().api_keys_file), "officer", "demo-officer", replace=True)
    typer.echo(f"A local officer key (shown once; log in at /ui/ with it, or export VSV_KEY={key}):\n  {key}")
    if serve_after:
        serve(port=port)


def learn_routes(data: Path) -> None:
    """`vsv routes evaluate --promote` on the office's recorded cases, so the case pages show what is known of each
    route; the route policy advises only if its gates pass. Skipped, said, without office_cases.csv."""
    if not (data / "office_cases.csv").is_file():
        typer.echo(f"No office_cases.csv in {data} (a world made with --no-office): no route learning; the advice "
                   "follows the risk groups.")
        return
    evaluate_routes(data=data, from_=ROUTE_PERIOD[0], to=ROUTE_PERIOD[1], outcome="school_365", seed=0, depth=2,
                    out=None, promote=True)
