"""Benchmark: how often the per-group calibration gate finds a planted harm (its power) and how often it raises a
false alarm.

For each condition (the clean world, and `hidden_gap=SIZE[@ATTRIBUTE=VALUE]`) and each seed, a world is generated
(the region at 1:1 by default, `--youths N` for a scaled one), a model is trained with the default temporal design
(as tests/model/test_fairness_audit.py does), and the calibration-by-group gate (training/group_calibration.py:
the log-odds offset per group, alone and within the current education, on the held-out youths' rows of every date)
judges it. Prints per run: found (the harmed group, or a group crossed from it, failed), any other failure (a false
alarm), the harmed group's offset in mbo with its 95% and gate (Bonferroni) intervals; then the table per
condition: runs, found, runs with a false alarm. Each run's per-group table (aggregates only) is written to --out;
`--judge` reads those tables back and judges them again (with `--bound`, another bound) without retraining.
Usage: python benchmarks/fairness_power.py [--seeds 1 2 3 4 5] [--conditions clean hidden_gap=0.5] [--youths N]
       python benchmarks/fairness_power.py --judge [--out DIR] [--bound 0.2]
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from data_synthetic.generate import DEFAULT_GAP_GROUP, WorldConfig, generate_world, parse_planted_bias, write_world
from training.config import GateConfig, TemporalConfig, TrainConfig
from training.dataset import build_training_data
from training.evaluation_report import evaluate_model
from training.group_calibration import judged_interval, offset_failures
from training.model import train_risk_model

CONDITIONS = ["clean", "hidden_gap=0.5"]
CONFIG = TrainConfig(temporal=TemporalConfig(data_end="2026-10-01"), gates=GateConfig(bootstrap_samples=200))
TABLE_NAME = re.compile(r"(?P<condition>.+)-seed(?P<seed>\d+)\.csv")


def world_config(condition: str, seed: int, youths: int | None) -> tuple[WorldConfig, str]:
    """The world of a condition and the label of its harmed group (`origin=buiten_europa` by default)."""
    if condition == "clean":
        return WorldConfig(youths=youths, seed=seed), "=".join(DEFAULT_GAP_GROUP)
    (bias,), group = parse_planted_bias([condition])
    return WorldConfig(youths=youths, seed=seed, planted_bias=(bias,), hidden_gap_group=group), "=".join(group)


def audit_table(condition: str, seed: int, youths: int | None, out: Path) -> pd.DataFrame:
    """Generate, train, audit; the per-group table is also written to `out`."""
    world, _ = world_config(condition, seed, youths)
    directory = Path(tempfile.mkdtemp(prefix="fairness-"))
    try:
        write_world(directory, generate_world(world))
        config = replace(CONFIG, seed=seed)
        data = build_training_data(directory, None, config)
        model, _ = train_risk_model(data, config)
        table = evaluate_model(model, data.part("test"), audit_rows=data.audit_rows()).group_calibration
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    table.to_csv(out / f"{condition.replace('@', '_at_')}-seed{seed}.csv", index=False)
    return table


def judged_run(condition: str, seed: int, table: pd.DataFrame, gates: GateConfig) -> dict:
    """Whether the harmed group failed, the other failures, and the harmed group's offset in mbo."""
    _, harmed = world_config(condition, seed, None)
    failures = offset_failures(table, gates)
    found = condition != "clean" and any(f.startswith(harmed) for f in failures)
    other = [f for f in failures if condition == "clean" or not f.startswith(harmed)]
    gated, _ = judged_interval(table, gates)
    row = gated[gated["label"] == f"{harmed} & education=mbo"].iloc[0]
    return {"condition": condition, "seed": seed, "found": found, "other": other, "row": row}


def print_run(run: dict) -> None:
    row = run["row"]
    print(f"{run['condition']:<30} {run['seed']:>4} {'yes' if run['found'] else 'no':>5} {row.delta:+11.3f} "
          f"[{row.delta_low:+.3f}, {row.delta_high:+.3f}] [{row.gate_low:+.3f}, {row.gate_high:+.3f}]  "
          f"{'; '.join(run['other']) or '-'}", flush=True)


def power_table(runs: list[dict]) -> pd.DataFrame:
    """Per condition: runs, found (harmed worlds), runs with a false alarm, the harmed group's offset in mbo."""
    frame = pd.DataFrame([{"condition": r["condition"], "found": r["found"], "false_alarm": bool(r["other"]),
                           "delta": r["row"].delta, "z": r["row"].delta / r["row"].delta_se} for r in runs])
    rows = []
    for condition, part in frame.groupby("condition", sort=False):
        n = len(part)
        rows.append({"condition": condition, "found": "-" if condition == "clean" else f"{part['found'].sum()}/{n}",
                     "false alarms": f"{part['false_alarm'].sum()}/{n}",
                     "delta (mbo), median": f"{part['delta'].median():+.3f}",
                     "z (mbo), range": f"{part['z'].min():+.2f} .. {part['z'].max():+.2f}"})
    return pd.DataFrame(rows)


def saved_tables(out: Path) -> list[tuple[str, int, pd.DataFrame]]:
    """The tables a previous run wrote to `out`: condition, seed, table (seeds outermost, as the runs were)."""
    found = [(m["condition"].replace("_at_", "@"), int(m["seed"]), path)
             for path in out.glob("*.csv") if (m := TABLE_NAME.fullmatch(path.name))]
    return [(c, s, pd.read_csv(p)) for c, s, p in sorted(found, key=lambda t: (t[1], t[0] != "clean", t[0]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--conditions", nargs="+", default=CONDITIONS)
    parser.add_argument("--youths", type=int, default=None, help="a scaled world (default: the region at 1:1)")
    parser.add_argument("--out", type=Path, default=Path("data/bench/fairness_power"))
    parser.add_argument("--judge", action="store_true", help="judge the tables already in --out; no generation")
    parser.add_argument("--bound", type=float, default=None, help="max_calibration_offset (default: GateConfig's)")
    args = parser.parse_args()
    gates = CONFIG.gates if args.bound is None else replace(CONFIG.gates, max_calibration_offset=args.bound)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"gate: whole interval beyond +-{gates.max_calibration_offset}, family-wise {gates.significance_level}")
    print(f"{'condition':<30} {'seed':>4} {'found':>5} {'delta (mbo)':>11} {'95% interval':>17} {'gate interval':>17}  "
          "other failures", flush=True)
    runs = []
    if args.judge:
        tables = saved_tables(args.out)
    else:  # seeds outermost: an interrupted run still compares the conditions
        tables = ((c, s, None) for s in args.seeds for c in args.conditions)
    for condition, seed, table in tables:
        table = audit_table(condition, seed, args.youths, args.out) if table is None else table
        runs.append(judged_run(condition, seed, table, gates))
        print_run(runs[-1])
    print(f"\n{power_table(runs).to_string(index=False)}")


if __name__ == "__main__":
    main()
