"""`vsv train` and `vsv promote`: a new model version in the registry, and the champion alias moved to it when
its gates pass."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date


def train(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (and truth.csv when synthetic).")],
    as_of: Annotated[list[str], typer.Option(help="Reference date(s); repeat for several. The test set is taken at the latest.")],
    config: Annotated[Path | None, typer.Option(help="TOML file overriding the training defaults.")] = None,
    max_age: Annotated[int | None, typer.Option(help="Target group: completed age below this, outcome judged by the same "
                                                "age (default: the config's [target_group], else today's group).")] = None,
) -> None:
    """Train, evaluate, audit and register a model version (alias: challenger)."""
    from training.config import load_config
    from training.dataset import TrainingDataError
    from training.pipeline import run_training
    from vsv_model.contract import ContractError
    from vsv_model.settings import Settings
    from vsv_model.target_group import target_group_for

    try:
        loaded = load_config(config)
        if max_age is not None:
            loaded = replace(loaded, target_group=target_group_for(max_age))
        result = run_training(data, [parse_date(d) for d in as_of], loaded, Settings.from_env())
    except (ContractError, TrainingDataError, ValueError, OSError) as exc:
        fail(str(exc))
    echo_training(result)


def echo_training(result) -> None:
    m = result.metrics
    typer.echo(f"Registered version {result.version} (run {result.run_id}) as challenger for "
               f"{result.model.target_group.describe()}; fit {result.fit_seconds:.1f} s")
    typer.echo(f"  AUC {m['roc_auc']:.4f}  PR-AUC {m['pr_auc']:.4f}  Brier {m['brier']:.4f}  ECE {m['ece']:.4f}  "
               f"precision/recall at capacity {m['precision_at_capacity']:.3f}/{m['recall_at_capacity']:.3f}")
    typer.echo("  outcome rate per tier: " + ", ".join(f"{t} {m[f'outcome_rate_{t}']:.3f} ({m[f'share_{t}']:.1%})"
                                                     for t in ("low", "medium", "high")))
    if "truth_auc_gap" in m:
        typer.echo(f"  gap to truth: AUC {m['truth_auc_gap']:+.4f}, Brier {m['truth_brier_gap_pct']:+.2f}%, "
                   f"mean |p - p_true| {m['truth_mean_abs_p_gap']:.4f}")
    for name, b in result.baselines.items():
        typer.echo(f"  baseline {name}: AUC {b['roc_auc']:.4f}, precision at capacity {b['precision_at_capacity']:.3f}")


def echo_gate(gate, min_group_size: int) -> None:
    typer.echo(f"  {'pass' if gate.passed else 'FAIL'}  {gate.name}: {gate.detail}")
    if gate.not_judged:
        typer.echo(f"        not judged (fewer than {min_group_size} youths in the test set): {', '.join(gate.not_judged)}")


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
        fail(f"{config}: {exc}")
    try:
        result = run_promotion(settings, gates, version, force, reason)
    except (PromotionError, ModelLoadError) as exc:
        for gate in getattr(exc, "gates", ()):
            echo_gate(gate, gates.min_group_size)
        fail(str(exc), code=1)
    except MlflowException as exc:
        fail(f"the MLflow store {settings.tracking_uri} failed: {exc.message}", code=1)
    for gate in result.gates:
        echo_gate(gate, gates.min_group_size)
    forced = " (forced)" if result.forced else ""
    typer.echo(f"Version {result.version} is now champion{forced} (was: {result.previous_champion or 'none'})")
