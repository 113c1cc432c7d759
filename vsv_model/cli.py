"""The `vsv` command: one entry point, one subcommand per pipeline stage.

Imports of the stages happen inside the commands, so `vsv --help` is quick and
nothing runs at import time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="vsv-risk: early-school-leaving risk for the Doorstroompunt Zuid-Holland Zuid.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: role:name:sha256 lines in VSV_API_KEYS_FILE (only hashes are stored).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of scores, explanations and decisions.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


@app.callback()
def root() -> None:
    """vsv-risk: generate data, build features, train, promote, score and serve."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from exc


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the four tables and truth.csv to.")],
    youths: Annotated[int, typer.Option(min=1, help="Number of youths in the youths table.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives identical files.")] = 1,
    format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    mess_rate: Annotated[float, typer.Option(min=0.0, max=0.5, help="Share of messy records (duplicates, old names, unknown values...).")] = 0.02,
    historical_as_of: Annotated[str, typer.Option(help="Reference date of the historical cohort.")] = "2019-10-01",
    current_as_of: Annotated[str, typer.Option(help="Reference date of the current cohort (the data's end).")] = "2026-10-01",
) -> None:
    """Generate a synthetic Zuid-Holland Zuid population with known truth."""
    from data_synthetic.generate import GeneratorConfig, generate_population
    from data_synthetic.summary import describe_population
    from data_synthetic.writer import FORMATS, write_tables, write_truth

    if format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    try:
        config = GeneratorConfig(youths=youths, seed=seed, mess_rate=mess_rate,
                                 historical_as_of=_date(historical_as_of), current_as_of=_date(current_as_of))
    except ValueError as exc:  # a configuration the generator refuses: a message, not a traceback
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    population = generate_population(config)
    write_tables(out, population.tables, format)
    write_truth(out, population.truth)
    summary = describe_population(population)
    (out / "generation_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"Wrote {', '.join(f'{k}: {v} rows' for k, v in summary['rows'].items())} to {out}")
    for as_of, cohort in summary["cohorts"].items():
        typer.echo(f"  cohort {as_of}: {cohort['in_scope']} in scope, outcome rate {cohort['outcome_rate']:.1%}, "
                   f"best possible AUC {cohort['bayes_auc']}, Brier {cohort['bayes_brier']}")


@app.command()
def features(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (CSV or Parquet).")],
    as_of: Annotated[str, typer.Option(help="Reference date (peildatum), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    labels: Annotated[bool, typer.Option("--labels", help="Add no_sq_by_23 (empty where not yet known).")] = False,
    end_date: Annotated[str | None, typer.Option(help="The data's end date for labels (default: latest date in the data).")] = None,
    max_age: Annotated[int, typer.Option(help="Upper age bound of the target group (exclusive).")] = 23,
) -> None:
    """Build one feature row per in-scope youth at a reference date, with a data-quality report."""
    from features.build import build_feature_table
    from features.output import write_feature_table

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter("--out must end in .csv or .parquet")
    dataset = _read(data)
    table = build_feature_table(dataset, _date(as_of), with_label=labels,
                                end_date=_date(end_date) if end_date else None, max_age=max_age)
    quality_path = write_feature_table(table, out, with_label=labels)
    typer.echo(table.quality.describe())
    typer.echo(f"Wrote {len(table)} in-scope youths to {out} and the data-quality summary to {quality_path}")


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (and truth.csv when synthetic).")],
    as_of: Annotated[list[str], typer.Option(help="Reference date(s); repeat for several. The test set is taken at the latest.")],
    config: Annotated[Path | None, typer.Option(help="TOML file overriding the training defaults.")] = None,
) -> None:
    """Train, evaluate, audit and register a model version (alias: challenger)."""
    from training.config import load_config
    from training.dataset import TrainingDataError
    from training.pipeline import run_training
    from vsv_model.contract import ContractError
    from vsv_model.settings import Settings

    try:
        result = run_training(data, [_date(d) for d in as_of], load_config(config), Settings.from_env())
    except (ContractError, TrainingDataError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    m = result.metrics
    typer.echo(f"Registered version {result.version} (run {result.run_id}) as challenger; fit {result.fit_seconds:.1f} s")
    typer.echo(f"  AUC {m['roc_auc']:.4f}  PR-AUC {m['pr_auc']:.4f}  Brier {m['brier']:.4f}  ECE {m['ece']:.4f}  "
               f"precision/recall at capacity {m['precision_at_capacity']:.3f}/{m['recall_at_capacity']:.3f}")
    typer.echo("  outcome rate per tier: " + ", ".join(f"{t} {m[f'outcome_rate_{t}']:.3f} ({m[f'share_{t}']:.1%})" for t in ("low", "medium", "high")))
    if "truth_auc_gap" in m:
        typer.echo(f"  gap to truth: AUC {m['truth_auc_gap']:+.4f}, Brier {m['truth_brier_gap_pct']:+.2f}%, mean |p - p_true| {m['truth_mean_abs_p_gap']:.4f}")
    for name, b in result.baselines.items():
        typer.echo(f"  baseline {name}: AUC {b['roc_auc']:.4f}, precision at capacity {b['precision_at_capacity']:.3f}")


def _echo_gate(gate, min_group_size: int) -> None:
    typer.echo(f"  {'pass' if gate.passed else 'FAIL'}  {gate.name}: {gate.detail}")
    if gate.not_judged:
        typer.echo(f"        not judged (fewer than {min_group_size} youths in the test set): {', '.join(gate.not_judged)}")


@app.command()
def promote(
    version: Annotated[str | None, typer.Option(help="Version to promote (default: the challenger).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even when a gate fails (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why the gates are overridden; recorded on the version.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with the [gates] bounds.")] = None,
) -> None:
    """Move the champion alias to a challenger whose gates pass."""
    from mlflow.exceptions import MlflowException

    from training.config import load_config
    from training.promote import PromotionError
    from training.promote import promote as run_promotion
    from vsv_model.risk_model import ModelLoadError
    from vsv_model.settings import Settings

    settings = Settings.from_env()
    try:
        gates = load_config(config).gates
    except (OSError, ValueError) as exc:  # a missing or bad TOML file
        typer.echo(f"error: {config}: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    try:
        result = run_promotion(settings, gates, version, force, reason)
    except (PromotionError, ModelLoadError) as exc:
        for gate in getattr(exc, "gates", ()):
            _echo_gate(gate, gates.min_group_size)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    except MlflowException as exc:
        typer.echo(f"error: the MLflow store {settings.tracking_uri} failed: {exc.message}", err=True)
        raise typer.Exit(code=1) from exc
    for gate in result.gates:
        _echo_gate(gate, gates.min_group_size)
    forced = " (forced)" if result.forced else ""
    typer.echo(f"Version {result.version} is now champion{forced} (was: {result.previous_champion or 'none'})")


@app.command()
def score(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables.")],
    as_of: Annotated[str, typer.Option(help="Reference date (peildatum), YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
    explain: Annotated[bool, typer.Option("--explain", help="Add the top-5 reasons with Dutch sentences.")] = False,
    version: Annotated[str | None, typer.Option(help="Model version (default: the champion).")] = None,
) -> None:
    """Score the whole in-scope population in-process: probability, tier, route (and reasons)."""
    import tempfile
    import time

    from serving.batch import describe_counts, score_dataset, write_scores
    from training import registry
    from vsv_model.risk_model import ModelLoadError
    from vsv_model.settings import Settings

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter("--out must end in .csv or .parquet")
    settings = Settings.from_env()
    registry.configure_tracking(settings)
    version = version or registry.version_by_alias(settings, registry.CHAMPION)
    if version is None:
        typer.echo("error: no champion model: train (vsv train) and promote (vsv promote) first", err=True)
        raise typer.Exit(code=2)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            model = registry.load_version(settings, version, Path(scratch))
    except ModelLoadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    started = time.perf_counter()
    dataset = _read(data)  # read once; a contract violation stops here with its message
    read_seconds = time.perf_counter() - started
    result = score_dataset(model, dataset, _date(as_of), explain, version)
    write_scores(result.frame, out)
    typer.echo(f"Scored {len(result.frame):,} in-scope youths with model version {version} (reading {read_seconds:.1f} s, "
               f"features {result.feature_seconds:.1f} s, scoring{' and explaining' if explain else ''} {result.scoring_seconds:.1f} s)")
    for line in describe_counts(result):
        typer.echo(line)
    typer.echo(f"Wrote {out}")


EXAMPLE_REQUEST = {"youths": [{"youth_id": "J0000001", "as_of": "2026-10-01", "history": {
    "birth_date": "2006-03-14",
    "enrollments": [
        {"school_id": "25LH00", "school_municipality": "Dordrecht", "education_type": "vmbo-kb", "start_date": "2018-08-01", "end_date": "2022-07-31"},
        {"school_id": "30AB01", "school_municipality": "Dordrecht", "education_type": "mbo-2", "learning_path": "BOL", "start_date": "2022-08-15"}],
    "diplomas": [{"diploma_date": "2022-07-08", "level": "vmbo-kb"}],
    "absence_reports": [{"report_date": "2026-09-10", "school_id": "30AB01", "kind": "18plus", "hours": 34}]}}]}


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """Serve the champion: import it from the registry into BentoML's store, then become `bentoml serve`."""
    import os
    import sys

    tag = _champion_tag()
    typer.echo(f"Serving {tag} at http://{host}:{port}  (officers' page: http://{host}:{port}/ui/, API docs: http://{host}:{port}/docs)")
    typer.echo("Example request:")
    typer.echo(f"  curl -s -X POST http://{host}:{port}/score -H \"Authorization: Bearer $VSV_KEY\" "
               f"-H 'Content-Type: application/json' -d '{json.dumps(EXAMPLE_REQUEST)}'")
    command = [sys.executable, "-m", "bentoml", "serve", "serving.service:VsvRisk", "--host", host, "--port", str(port)]
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process (and the registry client it loaded) with bentoml's: no idle Python parent stays
    # resident, and signals reach bentoml directly. VSV_MODEL_TAG pins the workers to the imported champion.
    os.execve(sys.executable, command, os.environ | {"VSV_MODEL_TAG": tag})


@app.command()
def bento() -> None:
    """Build a Bento that carries the champion model (runs where the registry cannot be reached)."""
    import os
    import subprocess
    import sys

    tag = _champion_tag()
    typer.echo(f"Building a Bento with {tag}")
    raise typer.Exit(subprocess.call([sys.executable, "-m", "bentoml", "build", "."], env=os.environ | {"VSV_MODEL_TAG": tag}))


def _champion_tag() -> str:
    from serving.model_store import import_champion
    from vsv_model.risk_model import ModelLoadError
    from vsv_model.settings import Settings

    try:
        return import_champion(Settings.from_env())
    except ModelLoadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


@app.command()
def demo(
    data: Annotated[Path, typer.Option(help="Where the synthetic population lives (generated when absent).")] = Path("data/synthetic"),
    youths: Annotated[int, typer.Option(min=1000, help="Youths to generate; 50,000 gives a test set large enough "
                                        "for the calibration gate (at 20,000 its noise alone is near 0.03).")] = 50_000,
    seed: Annotated[int, typer.Option()] = 1,
    port: Annotated[int, typer.Option()] = 3000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the service at the end.")] = True,
) -> None:
    """The main job on the embedded defaults: generate -> train -> promote -> score -> serve."""
    if not (data / "youths.csv").exists():
        generate(out=data, youths=youths, seed=seed)
    train(data=data, as_of=["2019-10-01"], config=None)
    try:
        promote(version=None, force=False, reason=None, config=None)
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    score(data=data, as_of="2026-10-01", out=Path("data/scores/latest.parquet"), explain=True, version=None)
    from serving.auth import add_key
    from vsv_model.settings import Settings

    key = add_key(Path(Settings.from_env().api_keys_file), "officer", "demo-officer", replace=True)
    typer.echo(f"A local officer key (shown once; log in at /ui/ with it, or export VSV_KEY={key}):\n  {key}")
    if serve_after:
        serve(port=port)


@keys_app.command("add")
def keys_add(
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
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"Added {role} key '{name}' to {path}. The key (shown only now):", err=True)
    typer.echo(key)


@audit_app.command("export")
def audit_export(
    since: Annotated[str, typer.Option(help="First day to export, YYYY-MM-DD (UTC).")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .parquet.")],
) -> None:
    """Export audit records from a date on, for analysts."""
    from serving.audit import AuditLog
    from serving.database import open_database
    from vsv_model.settings import Settings

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter("--out must end in .csv or .parquet")
    frame = AuditLog(open_database(Settings.from_env().database_url)).export(_date(since))
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out, index=False) if out.suffix == ".parquet" else frame.to_csv(out, index=False)
    typer.echo(f"Wrote {len(frame)} audit records since {since} to {out}")


def _read(directory: Path):
    """Read a data directory; a contract violation ends the run with its message, not a traceback."""
    from vsv_model.contract import ContractError
    from vsv_model.reader import read_data_dir

    try:
        return read_data_dir(directory)
    except ContractError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


def main() -> None:
    app()


if __name__ == "__main__":
    main()
