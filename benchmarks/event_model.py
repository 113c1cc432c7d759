"""Benchmark: the model at the moments the office acts (issue "Scoring at the moment the office acts").

On one world (`--data`, default: generate the default world, seed 5, at 1:1) it trains, with the default temporal
design:
- the **1-October model**: the yearly stock alone (`temporal.event_kinds = []`), one calibration for everything;
- the **event model** (the default): the stock and every event as of its own day, one booster, a calibration per
  kind of event;
- **one booster per kind**: the event model's design, but a booster fitted on each kind's rows alone (the stock,
  the reports, the new leavers), to decide by measurement whether one booster serves every kind;
- with `--reference-data` (a world five times larger, same settings): the event model fitted there, judged on the
  same held-out rows of `--data` (the AUC an ample world reaches with the same features).

It prints, per kind of moment and per model on the same held-out rows: rows, AUC, Brier, ECE and
observed/expected with 95% intervals over youths, the AUC within each age, the truth's AUC, the truth's split of
the observed/expected (the outcomes' luck x the model's bias) and the ECE floor (a perfect model's ECE on the same
rows by chance), and what the absence history adds; the report-day AUC against the reference model (paired interval); then the high tier's composition
by age and school status and the share of places (high and medium) going to youths whose true chance is at least
0.9, for the 1-October model on the 1 October list (before) and the event model on the last year's events (after).
The floor: the truth's own AUC on the same rows.
Usage: python benchmarks/event_model.py [--data DIR] [--reference-data DIR] [--samples 500]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from data_synthetic.generate import WorldConfig, generate_world, write_world
from training.bootstrap import auc_of, interval
from training.config import TemporalConfig, TrainConfig
from training.dataset import OUTCOME, STOCK, TrainingData, attach_truth, build_training_data
from training.kind_evaluation import evaluate_kinds, kind_rows, model_without_absence, youth_counts
from training.model import train_risk_model
from vsv_model.risk_model import RiskModel

CONFIG = TrainConfig(temporal=TemporalConfig(data_end="2026-10-01"))
STOCK_ONLY = replace(CONFIG, temporal=replace(CONFIG.temporal, event_kinds=()))
FAMILIES = {"stock": (STOCK,), "reports": ("report_first", "report_repeat"), "new leavers": ("new_leaver",)}
SHOWN = ["rows", "outcome_rate", "mean_probability", "roc_auc", "brier", "ece", "observed_expected", "truth_auc",
         "auc_without_absence"]


def default_world(directory: Path) -> Path:
    started = time.perf_counter()
    write_world(directory, generate_world(WorldConfig(seed=5)))
    print(f"generated the default world (seed 5, 1:1) in {time.perf_counter() - started:.0f} s")
    return directory


def only_fit_rows(data: TrainingData, kinds: tuple[str, ...]) -> TrainingData:
    """The same sets, with the fit set narrowed to rows of `kinds` (the test rows unchanged)."""
    keep = data.frame["kind"].iloc[data.fit].isin(kinds).to_numpy()
    fit_rows = data.fit[keep]
    order = np.r_[fit_rows, data.test, data.event_test]
    n_fit, n_test = len(fit_rows), len(data.test)
    recent = data.recent_events
    recent = recent[recent["kind"].isin(kinds)] if recent is not None and len(recent) else recent
    return replace(data, frame=data.frame.iloc[order].reset_index(drop=True), fit=np.arange(n_fit), recent_events=recent,
                   test=np.arange(n_fit, n_fit + n_test), event_test=np.arange(n_fit + n_test, len(order)),
                   folds=np.r_[data.folds[fit_rows], np.full(len(order) - n_fit, -1)])


def per_kind_table(models: dict[str, RiskModel], data: TrainingData, samples: int, without: RiskModel) -> pd.DataFrame:
    tables = []
    for name, model in models.items():
        table = evaluate_kinds(model, data, samples, 0, without if name == "event model" else None)
        tables.append(table.assign(model=name))
    return pd.concat(tables, ignore_index=True)


def per_kind_boosters(data: TrainingData, config: TrainConfig) -> dict[str, RiskModel]:
    """A booster per family of kinds, each fitted on its own rows (with the per-kind calibrations)."""
    return {family: train_risk_model(only_fit_rows(data, kinds), config)[0] for family, kinds in FAMILIES.items()}


def stitched_table(boosters: dict[str, RiskModel], data: TrainingData, samples: int) -> pd.DataFrame:
    """Each kind's rows judged with the booster of its own family."""
    rows = []
    for family, kinds in FAMILIES.items():
        table = evaluate_kinds(boosters[family], data, samples, 0)
        rows.append(table[table["kind"].isin(kinds)])
    return pd.concat(rows, ignore_index=True).assign(model="a booster per kind")


def print_figures(table: pd.DataFrame) -> None:
    for kind, part in table.groupby("kind", sort=False):
        print(f"\n{kind}")
        for row in part.to_dict("records"):
            cells = [f"{row['model']:<22}", f"rows {row['rows']:>6,}", f"rate {row['outcome_rate']:.3f}",
                     f"mean p {row['mean_probability']:.3f}"]
            cells += [f"{m} {row[m]:.3f} [{row[m + '_low']:.3f}, {row[m + '_high']:.3f}]"
                      for m in ("roc_auc", "brier", "ece", "observed_expected")]
            if pd.notna(row.get("truth_auc", np.nan)):
                cells.append(f"truth AUC {row['truth_auc']:.3f}")
            print("  " + "  ".join(cells))
            ages = [f"{c.removeprefix('auc_age_')}:{row[c]:.3f}" for c in part.columns
                    if c.startswith("auc_age_") and pd.notna(row.get(c, np.nan))]
            if ages:
                print("  " + " " * 22 + "  AUC within age " + " ".join(ages))
            if pd.notna(row.get("truth_observed_expected", np.nan)):
                print("  " + " " * 22 + f"  truth: O/E = the outcomes' luck {row['truth_observed_expected']:.3f} (a perfect model's O/E) x "
                      f"the model's bias {row['truth_expected']:.3f}; the truth's own ECE {row['truth_ece']:.3f}, a perfect "
                      f"model's ECE here by chance {row['ece_floor_truth']:.3f} (the floor)")
            if pd.notna(row.get("absence_gain", np.nan)):
                print("  " + " " * 22 + f"  without the absence history AUC {row['auc_without_absence']:.3f}: the history adds "
                      f"{row['absence_gain']:+.3f} [{row['absence_gain_low']:+.3f}, {row['absence_gain_high']:+.3f}]")


def reference_gap(model: RiskModel, reference: RiskModel, data: TrainingData, samples: int) -> None:
    """The event model's AUC minus the reference model's, paired on the same held-out rows and resamples."""
    print("\nthe event model against the reference (fitted on a world five times larger), same rows:")
    for kind, frame in kind_rows(data).items():
        y = frame[OUTCOME].to_numpy(dtype=np.float64)
        counts = youth_counts(frame["youth_id"], samples, 1)
        p, q = model.predict_frame(frame), reference.predict_frame(frame)
        full = np.ones((1, len(y)))
        gap = auc_of(y, p, full)[0] - auc_of(y, q, full)[0]
        low, high = interval(auc_of(y, p, counts) - auc_of(y, q, counts), 0.95)
        print(f"  {kind:<14} AUC {auc_of(y, p, full)[0]:.3f} vs reference {auc_of(y, q, full)[0]:.3f}: "
              f"{gap:+.3f} [{low:+.3f}, {high:+.3f}] (target: within 0.02)")


def composition(frame: pd.DataFrame, tiers: np.ndarray, label: str) -> None:
    """Who gets the places: the high tier by age and school status, and the places with p_true >= 0.9."""
    high = frame[tiers == "high"]
    placed = frame[np.isin(tiers, ["high", "medium"])]
    ages = high["age"].value_counts(normalize=True).sort_index()
    out_long = (high["enrolled"] == 0) & (high["months_not_enrolled"] >= 24)
    print(f"\n{label}: {len(frame):,} youths scored, {len(high):,} high, {len(placed):,} high or medium")
    print("  high tier by age: " + ", ".join(f"{a}: {s:.1%}" for a, s in ages.items()))
    print(f"  high tier enrolled {high['enrolled'].mean():.1%}, out of school 2 years or more {out_long.mean():.1%}")
    if "p_true" in frame and placed["p_true"].notna().any():
        known = placed["p_true"].notna()
        print(f"  places (high and medium) to youths with p_true >= 0.9: {(placed.loc[known, 'p_true'] >= 0.9).mean():.1%} "
              f"(of {int(known.sum()):,} with a known truth); high tier: {(high['p_true'] >= 0.9).mean():.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--reference-data", type=Path)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    scratch = None
    if args.data is None:
        scratch = Path(tempfile.mkdtemp(prefix="event-model-"))
        args.data = default_world(scratch)
    try:
        started = time.perf_counter()
        data = build_training_data(args.data, None, CONFIG)
        old_data = build_training_data(args.data, None, STOCK_ONLY)
        print(f"rows: {data.row_counts()} ({time.perf_counter() - started:.0f} s)")
        event_model, _ = train_risk_model(data, CONFIG)
        old_model, _ = train_risk_model(old_data, STOCK_ONLY)
        without = model_without_absence(data, CONFIG, event_model.n_trees)
        table = per_kind_table({"1-October model": old_model, "event model": event_model}, data, args.samples, without)
        table = pd.concat([table, stitched_table(per_kind_boosters(data, CONFIG), data, args.samples)], ignore_index=True)
        print_figures(table)
        if args.reference_data:
            reference, _ = train_risk_model(build_training_data(args.reference_data, None, CONFIG), CONFIG)
            reference_gap(event_model, reference, data, args.samples)
        current = attach_truth(data.current.assign(kind=STOCK), args.data)
        composition(current, old_model.tiers(old_model.predict_frame(current)), "before: the 1-October model on the 1 October list")
        recent = attach_truth(data.recent_events, args.data)
        composition(recent, event_model.tiers_of_rows(event_model.predict_frame(recent), recent),
                    "after: the event model on the last year's events (weekly and monthly capacity)")
        composition(current, event_model.tiers(event_model.predict_frame(current)), "the event model on the 1 October list")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
