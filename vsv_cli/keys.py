"""`vsv keys`: API keys with roles (only their hashes are stored)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail

keys_app = typer.Typer(help="API keys: role:name:sha256 lines in VSV_API_KEYS_FILE (only hashes are stored).", no_args_is_help=True, rich_markup_mode=None)


@keys_app.command("add")
def add(
    role: Annotated[str, typer.Option(help="officer, analyst or admin.")],
    name: Annotated[str, typer.Option(help="Who holds the key (logged and audited instead of the key).")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing key of that name.")] = False,
) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    from serving.auth import KeyFileError, add_key
    from vsv_model.settings import Settings

    path = Path(Settings.from_env().api_keys_file)
    try:
        key = add_key(path, role, name, replace=replace)
    except KeyFileError as exc:
        fail(str(exc))
    typer.echo(f"Added {role} key '{name}' to {path}. The key (shown only now):", err=True)
    typer.echo(key)
