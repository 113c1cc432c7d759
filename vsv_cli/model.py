"""`vsv train` and `vsv promote`: a new model version in the registry, and the champion alias moved to it when
its gates pass."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from vsv_cli.common import fail, parse_date


def train(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (and truth.csv when synthetic).")],
    as_of: Annotated[list[str] | None, typer.Option(help="Reference dates to use (repeat); default every 1 October from the "
                                                    "config's first date to the data's end.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file overriding the training defaults.")] = None,
    max_age: Annotated[int | None, typer.Option(help="Target group: completed age below this, outcome judged by the same "
                                                "age (default: the config's [target_group], else today's group).")] = None,
    search: Annotated[bool, typer.Option("--search", help="Search the booster's settings on time-ordered folds first "
                                         "(the [search] grid, with the cost of an explanation counted).")] = False,
    end_date: Annotated[str | None, typer.Option(help="The data's end: outcomes are known up to it (default: the latest "
                                                 "date in the data).")] = None,
) -> None:
    """Train, evaluate, audit and register a model version (alias: challenger) with the temporal design."""
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
        if end_date is not None:
            loaded = replace(loaded, temporal=replace(loaded.temporal, data_end=parse_date(end_date).isoformat()))
        dates = [parse_date(d) for d in as_of] if as_of else None
        result = run_training(data, dates, loaded, Settings.from_env(), with_search=search)
    except (ContractError, TrainingDataError, ValueError, OSError) as exc:
        fail(str(exc))
    echo_training(result)


def interval(m: dict, name: str) -> str:
    return f"{m[name]:.4f} [{m[f'{name}_low']:.4f}, {m[f'{name}_high']:.4f}]" if f"{name}_low" in m else f"{m[name]:.4f}"


def echo_training(result) -> None:
    m, data = result.metrics, result.data
    maturity = data.maturity
    fit_dates = maturity[maturity["role"] == "fit"]
    typer.echo(f"Registered version {result.version} (run {result.run_id}) as challenger for "
               f"{result.model.target_group.describe()}; fit {result.fit_seconds:.1f} s")
    typer.echo(f"  fit: {len(data.fit):,} rows of {data.definition['fit_youths']:,} youths at {len(fit_dates)} dates "
               f"({fit_dates['as_of'].min()} .. {fit_dates['as_of'].max()}), {int(fit_dates['dropped_outcome_unknown'].sum()):,} rows "
               f"left out (outcome not known yet, rule '{data.definition['label_maturity']}'); test: the {data.test_date} cohort, "
               f"{len(data.test):,} youths")
    typer.echo(f"  test AUC {interval(m, 'roc_auc')} (ranking: 0.5 is chance, 1 is perfect)  Brier {interval(m, 'brier')} "
               f"(mean squared error of the chances: lower is better)  ECE {interval(m, 'ece')} (calibration: how far the "
               "stated chances lie from the observed rates)")
    typer.echo(f"  precision/recall at capacity {m['precision_at_capacity']:.3f}/{m['recall_at_capacity']:.3f}; outcome rate per "
               "tier: " + ", ".join(f"{t} {m[f'outcome_rate_{t}']:.3f} ({m[f'share_{t}']:.1%})" for t in ("low", "medium", "high")))
    if "truth_auc_gap" in m:
        typer.echo(f"  distance to the synthetic world's exact truth (the model minus the truth; part of the gap no "
                   f"model of the registrations can close): AUC {m['truth_auc_gap']:+.4f}, Brier {m['truth_brier_gap_pct']:+.2f}%, "
                   f"mean |p - p_true| {m['truth_mean_abs_p_gap']:.4f}")
    for name, b in result.baselines.items():
        d = result.differences[name]["roc_auc"]
        typer.echo(f"  baseline {name}: AUC {interval(b, 'roc_auc')}; LightGBM minus it {d['difference']:+.4f} "
                   f"[{d['low']:+.4f}, {d['high']:+.4f}]")
    echo_kinds(result)
    test_row = result.calibration[result.calibration["part"] == "test"].iloc[0]
    typer.echo(f"  calibration (cross-fitted on {len(data.fit):,} out-of-fold rows): test ECE {test_row['ece_before']:.4f} "
               f"before, {test_row['ece_after']:.4f} after")
    if result.search is not None:
        chosen = result.search[result.search["chosen"]].iloc[0]
        typer.echo(f"  search: {len(result.search)} candidates; chose {int(chosen['num_leaves'])} leaves, learning rate "
                   f"{chosen['learning_rate']}, min {int(chosen['min_data_in_leaf'])} per leaf, {int(chosen['trees'])} trees "
                   f"(validation log-loss {chosen['log_loss']:.4f}, AUC {chosen['roc_auc']:.4f}, one explanation "
                   f"{chosen['shap_microseconds']:.0f} us)")


def echo_kinds(result) -> None:
    """One line per kind of moment: its held-out rows, AUC, ECE and observed/expected with intervals."""
    if result.kinds is None or result.kinds.empty:
        return
    counts = result.data.row_counts()
    events = ", ".join(f"{counts[key]:,} {key.removeprefix('fit_rows_')}" for key in sorted(counts)
                       if key.startswith("fit_rows_") and key != "fit_rows_stock")
    typer.echo(f"  per kind of moment (fit rows besides the yearly stock: {events or 'none'}; held-out youths, each event as "
               "of its own day, with its kind's calibration):")
    for row in result.kinds.to_dict("records"):
        typer.echo(f"    {row['kind']:<14} {row['rows']:>6,} rows  AUC {interval(row, 'roc_auc')}  ECE {interval(row, 'ece')} "
                   f"(by chance alone {row['ece_if_calibrated']:.4f})  "
                   f"observed/expected {interval(row, 'observed_expected')}"
                   + (f"  truth's AUC {row['truth_auc']:.4f}" if not math.isnan(row.get("truth_auc", math.nan)) else ""))


GATE_WORDS = {"pass": "pass", "undecided": "undecided (the interval straddles the bound; passes)", "refuse": "FAIL"}


def echo_gate(gate, min_group_size: int) -> None:
    typer.echo(f"  {GATE_WORDS[gate.verdict]}  {gate.name}: {gate.detail}")
    if gate.not_judged:
        typer.echo(f"        shown, not judged (fewer than {min_group_size} youths, or a tier without test youths): "
                   f"{', '.join(gate.not_judged)}")


def promote(
    version: Annotated[str | None, typer.Option(help="Version to promote (default: the challenger).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even when a gate fails (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why the gates are overridden; recorded on the version.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with the [gates] bounds.")] = None,
    data: Annotated[Path | None, typer.Option(help="The challenger's data directory, when it moved (checked against its "
                                              "digest); default: where it was trained.")] = None,
) -> None:
    """Move the champion alias to a challenger whose gates pass, compared on youths neither model has seen."""
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
        result = run_promotion(settings, gates, version, force, reason, data)
    except (PromotionError, ModelLoadError) as exc:
        for gate in getattr(exc, "gates", ()):
            echo_gate(gate, gates.min_group_size)
        fail(str(exc), code=1)
    except MlflowException as exc:
        fail(f"the MLflow store {settings.tracking_uri} failed: {exc.message}", code=1)
    for gate in result.gates:
        echo_gate(gate, gates.min_group_size)
    if result.stability:
        echo_transitions(result.stability)
    if result.categories is not None:
        echo_categories(result.categories)
    forced = " (forced)" if result.forced else ""
    typer.echo(f"Version {result.version} is now champion{forced} (was: {result.previous_champion or 'none'})")


def echo_categories(categories) -> None:
    """The challenger's risk categories and what each meant on its test cohort (youths, observed rate)."""
    shown = ", ".join(f"{c} {m.rows:,} youths, observed {m.observed_rate:.3f}" if m.observed_rate is not None else
                      f"{c} 0 youths" for c, m in categories.measured.items())
    typer.echo(f"  risk categories (medium from p = {categories.medium:.2f}, high from {categories.high:.2f}) on the "
               f"{categories.measured_on}: {shown}")


def echo_transitions(figures: dict) -> None:
    moves = ", ".join(f"{k} {v:,}" for k, v in figures["transitions"].items() if k.split("->")[0] != k.split("->")[1] and v)
    typer.echo(f"  tier changes champion -> challenger: {moves or 'none'}")


def untreated_line(row) -> str:
    """The untreated events' observed/expected (training/backtest.py), when the office's cases were there."""
    value = getattr(row, "untreated_observed_expected", None)
    if value is None or math.isnan(value):
        return ""
    return (f"; untreated ({int(row.untreated_rows):,} events: no conversation or matchmaker) observed/expected "
            f"{row.untreated_observed_expected:.3f} [{row.untreated_observed_expected_low:.3f}, "
            f"{row.untreated_observed_expected_high:.3f}]")


def backtest(
    data: Annotated[Path, typer.Option(help="Data directory with the four tables (and truth.csv when synthetic).")],
    start: Annotated[int, typer.Option("--from", help="The first origin year (1 October).")],
    end: Annotated[int, typer.Option("--to", help="The last origin year.")],
    config: Annotated[Path | None, typer.Option(help="TOML file overriding the training defaults.")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the table to this .csv or .parquet file.")] = None,
) -> None:
    """Rolling-origin backtest: for each year, train on what was known then and judge the following cohorts."""
    import pandas as pd

    from training.backtest import log_backtest
    from training.config import load_config
    from training.dataset import TrainingDataError
    from vsv_model.contract import ContractError
    from vsv_model.settings import Settings
    from vsv_model.table_io import write_frame

    if end < start:
        raise typer.BadParameter("--to must not be before --from")
    try:
        table, run_id = log_backtest(data, start, end, load_config(config), Settings.from_env())
    except (ContractError, TrainingDataError, ValueError, OSError) as exc:
        fail(str(exc))
    for row in table.itertuples():
        if row.kind != "stock":
            typer.echo(f"    {row.kind} in {row.cohort[:4]}/{int(row.cohort[2:4]) + 1:02d} ({row.rows:,} events of {row.youths:,} youths, "
                       f"{row.outcome_known_share:.0%} with a known outcome): AUC {row.roc_auc:.3f} [{row.roc_auc_low:.3f}, "
                       f"{row.roc_auc_high:.3f}], ECE {row.ece:.4f} [{row.ece_low:.4f}, {row.ece_high:.4f}], observed/expected "
                       f"{row.observed_expected:.3f} [{row.observed_expected_low:.3f}, {row.observed_expected_high:.3f}]"
                       + untreated_line(row))
            continue
        typer.echo(f"  origin {row.origin[:4]} -> cohort {row.cohort[:4]} ({row.youths:,} youths, {row.outcome_known_share:.0%} with a "
                   f"known outcome): AUC {row.roc_auc:.3f} [{row.roc_auc_low:.3f}, {row.roc_auc_high:.3f}], Brier {row.brier:.4f}, "
                   f"ECE {row.ece:.4f} [{row.ece_low:.4f}, {row.ece_high:.4f}], precision at capacity {row.precision_at_capacity:.3f}"
                   + (f", AUC minus the truth's {row.truth_auc_gap:+.3f}" if pd.notna(getattr(row, "truth_auc_gap", None)) else ""))
    if out is not None:
        write_frame(table, out)
    typer.echo(f"Logged the backtest to MLflow (run {run_id})")
