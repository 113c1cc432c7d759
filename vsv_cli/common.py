"""What every command shares: dates and paths from the command line, errors as messages (never tracebacks),
one reading of the data directory, and quiet libraries (their warnings and progress noise go to a log file)."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from vsv_model.settings import Settings

NOISY_LOGGERS = ("mlflow", "alembic", "bentoml", "urllib3", "git", "matplotlib", "shap", "numba", "py.warnings")


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from exc


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with `error: message` on stderr and the exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def table_path(path: Path) -> Path:
    """An output file the project can write (.csv or .parquet), refused by name otherwise."""
    from vsv_model.table_io import format_of

    try:
        format_of(path)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return path


IN_PROCESS, SPARK = "in-process", "spark"


def engine_name(value: str) -> str:
    if value not in (IN_PROCESS, SPARK):
        raise typer.BadParameter(f"{value!r}: the engine is {IN_PROCESS} or {SPARK}")
    return value


# The engine options of `vsv features` and `vsv score`, declared once.
EngineOption = Annotated[str, typer.Option(help="in-process, or spark (writes a Parquet dataset: a directory of part "
                                           "files; needs the spark extra and Java 17).", callback=engine_name)]
MasterOption = Annotated[str, typer.Option(help="Spark master URL with --engine spark.")]


def spark_output(out: Path) -> None:
    """The Spark engine writes Parquet datasets only: refuse another output by name, before Spark starts."""
    if out.suffix.lower() != ".parquet":
        fail(f"{out.name}: with --engine spark the output is a Parquet dataset: name it *.parquet")


def read_data(directory: Path):
    """Read a data directory; a contract violation ends the run with its message, not a traceback."""
    dataset, problem = read_checked(directory)
    if problem is not None:
        fail(problem)
    return dataset


def read_checked(directory: Path):
    """The data set and None, or None and the contract problem that stops the run (for a command that has
    something to say first)."""
    from vsv_model.contract import ContractError
    from vsv_model.reader import read_data_dir

    try:
        return read_data_dir(directory), None
    except ContractError as exc:
        return None, str(exc)


# Read by MLflow, not by this project: no download bars, and MLflow leaves its loggers to us.
MLFLOW_QUIET = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "MLFLOW_CONFIGURE_LOGGING": "false"}


def quiet_mlflow(environ: dict) -> None:
    """MLflow's switches for a `vsv` process (unless set): called by the entry point only, so a command run
    in-process (the tests) leaves the caller's environment as it was."""
    for name, value in MLFLOW_QUIET.items():
        environ.setdefault(name, value)


def quiet_libraries(settings: Settings) -> Path:
    """Send the libraries' warnings and log lines (MLflow's schema notes, alembic's migrations, BentoML's
    start-up) to `<log_dir>/vsv.log` instead of the console, and switch MLflow's download progress bars off:
    the console keeps the figures a user needs (MLflow's own switches are set by `quiet_mlflow`, at the process's
    start only). Returns the log file."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_file = (settings.log_dir / "vsv.log").resolve()
    handler = log_handler(log_file)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
    return log_file


_handlers: dict[Path, logging.Handler] = {}


def log_handler(log_file: Path) -> logging.Handler:
    """One file handler per log file in a process (commands run in-process, as in tests, share it)."""
    if log_file not in _handlers:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        _handlers[log_file] = handler
    return _handlers[log_file]
