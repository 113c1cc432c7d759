"""`vsv db`: the service's PostgreSQL database, set up by its owner for a service role that may only append."""

from __future__ import annotations

from typing import Annotated

import typer

from vsv_cli.common import fail

db_app = typer.Typer(help="The service's database (PostgreSQL roles).", no_args_is_help=True, rich_markup_mode=None)


@db_app.command("grant")
def grant(
    role: Annotated[str, typer.Argument(metavar="ROLE", help="The role the service connects as (it must exist and must not own the tables).")],
) -> None:
    """Run as the tables' owner (VSV_DATABASE_URL connects as it): create every table the service uses, then let ROLE
    select and insert, and update only a case's current state (cases). ROLE cannot update, delete or truncate a
    record, nor drop a trigger. Retention runs as the owner."""
    from serving.grants import GrantRefused, grant_service_role
    from vsv_model.settings import Settings

    try:
        statements = grant_service_role(Settings.from_env().database_url, role)
    except GrantRefused as exc:
        fail(str(exc))
    for statement in statements:
        typer.echo(statement)
    typer.echo(f"{role} may now select and insert (cases: also update); point the service's VSV_DATABASE_URL at it.")
