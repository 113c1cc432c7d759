"""The `vsv` command: one Typer app, one module per command group, importing the stages it drives.

The CLI is the top layer: it may import every stage, and no stage imports it.
"""
