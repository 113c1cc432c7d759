"""`vsv serve` and `vsv bento`: the champion in BentoML's store, served by `bentoml serve` or packed in a Bento."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Annotated

import typer

from vsv_cli.common import fail

EXAMPLE_REQUEST = {"youths": [{"youth_id": "J0000001", "as_of": "2026-10-01", "history": {
    "birth_date": "2006-03-14",
    "enrollments": [
        {"school_id": "25LH00", "school_municipality": "Dordrecht", "education_type": "vmbo-kb", "start_date": "2018-08-01", "end_date": "2022-07-31"},
        {"school_id": "30AB01", "school_municipality": "Dordrecht", "education_type": "mbo-2", "learning_path": "BOL", "start_date": "2022-08-15"}],
    "diplomas": [{"diploma_date": "2022-07-08", "level": "vmbo-kb"}],
    "absence_reports": [{"report_date": "2026-09-10", "school_id": "30AB01", "kind": "18plus", "hours": 34}]}}]}


def champion_tag() -> str:
    """Import the registry's champion into BentoML's store and check it fits the settings (VSV_MAX_AGE); exits 2
    with the reason when it does not."""
    from serving.model_store import import_champion, load_tag
    from vsv_model.risk_model import ModelLoadError
    from vsv_model.settings import Settings

    settings = Settings.from_env()
    try:
        tag = import_champion(settings)
        load_tag(tag, settings)
    except (ModelLoadError, ValueError) as exc:
        fail(str(exc))
    return tag


KEEP_ALIVE_SECONDS = 75


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """Serve the champion: import it from the registry into BentoML's store, then become `bentoml serve`."""
    tag = champion_tag()
    typer.echo(f"Serving {tag} at http://{host}:{port}  (officers' page: http://{host}:{port}/ui/, API docs: http://{host}:{port}/docs)")
    typer.echo("Example request:")
    typer.echo(f"  curl -s -X POST http://{host}:{port}/score -H \"Authorization: Bearer $VSV_KEY\" "
               f"-H 'Content-Type: application/json' -d '{json.dumps(EXAMPLE_REQUEST)}'")
    # Keep idle connections open longer than clients keep them in their pools (httpx 5 s, proxies up to 60 s).
    # With uvicorn's default of 5 s the server may close a connection just as a client sends its next request
    # on it, and that request fails without an answer (a ReadError under load).
    command = [sys.executable, "-m", "bentoml", "serve", "serving.service:VsvRisk", "--host", host, "--port", str(port),
               "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)]
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process (and the registry client it loaded) with bentoml's: no idle Python parent stays
    # resident, and signals reach bentoml directly. VSV_MODEL_TAG pins the workers to the imported champion.
    os.execve(sys.executable, command, os.environ | {"VSV_MODEL_TAG": tag})


def bento() -> None:
    """Build a Bento that carries the champion model (runs where the registry cannot be reached)."""
    tag = champion_tag()
    typer.echo(f"Building a Bento with {tag}")
    raise typer.Exit(subprocess.call([sys.executable, "-m", "bentoml", "build", "."], env=os.environ | {"VSV_MODEL_TAG": tag}))
