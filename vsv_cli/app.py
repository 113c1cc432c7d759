"""The `vsv` root command: every command group registered on one Typer app.

Imports of the stages happen inside the commands, so `vsv --help` is quick and nothing runs at import time.
"""

from __future__ import annotations

import typer

from vsv_cli import audit, cases, data, db, demo, events, keys, model, monitor, retention, routes, scores, service
from vsv_cli.common import quiet_libraries, quiet_mlflow

app = typer.Typer(help="vsv-risk: early-school-leaving risk for the Doorstroompunt Zuid-Holland Zuid.", no_args_is_help=True, rich_markup_mode=None)
app.command()(data.generate)
app.command()(data.features)
app.command()(events.events)
app.command()(model.train)
app.command()(model.promote)
app.command()(model.backtest)
app.command()(scores.score)
app.command()(monitor.monitor)
app.command()(service.serve)
app.command()(service.bento)
app.command()(demo.demo)
app.command()(retention.retention)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(cases.cases_app, name="cases")
app.add_typer(db.db_app, name="db")
app.add_typer(routes.routes_app, name="routes")


@app.callback()
def root() -> None:
    """vsv-risk: generate data, build features, train, promote, score and serve."""
    from vsv_model.settings import Settings

    quiet_libraries(Settings.from_env())


def main() -> None:
    import os

    quiet_mlflow(os.environ)
    app()
