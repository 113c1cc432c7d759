"""`vsv demo` (`make run`): the main job on the embedded defaults, generate -> train -> promote -> score -> serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.data import generate
from vsv_cli.model import promote, train
from vsv_cli.scores import score
from vsv_cli.service import serve


def demo(
    data: Annotated[Path, typer.Option(help="Where the synthetic population lives (generated when absent).")] = Path("data/synthetic"),
    youths: Annotated[int, typer.Option(min=1000, help="Youths to generate; 50,000 gives a test set large enough "
                                        "for the calibration gate (at 20,000 its noise alone is near 0.03).")] = 50_000,
    seed: Annotated[int, typer.Option()] = 1,
    port: Annotated[int, typer.Option()] = 3000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the service at the end.")] = True,
) -> None:
    """The main job on the embedded defaults: generate -> train -> promote -> score -> serve."""
    from serving.auth import add_key
    from vsv_model.settings import Settings

    if not (data / "youths.csv").exists():
        generate(out=data, youths=youths, seed=seed)
    train(data=data, as_of=["2019-10-01"], config=None, max_age=None)
    try:
        promote(version=None, force=False, reason=None, config=None)
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    score(data=data, as_of="2026-10-01", out=Path("data/scores/latest.parquet"), explain=True, version=None, max_age=None)
    key = add_key(Path(Settings.from_env().api_keys_file), "officer", "demo-officer", replace=True)
    typer.echo(f"A local officer key (shown once; log in at /ui/ with it, or export VSV_KEY={key}):\n  {key}")
    if serve_after:
        serve(port=port)
