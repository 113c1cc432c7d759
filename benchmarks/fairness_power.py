"""Benchmark: how often the per-group calibration gate finds a planted harm (its power) and how often it raises a
false alarm.

For each condition (the clean world, and `hidden_gap=SIZE[@ATTRIBUTE=VALUE]`) and each seed, a world is generated
(the region at 1:1 by default, `--youths N` for a scaled one), a model is trained with the default temporal design
(as tests/model/test_fairness_audit.py does), and the calibration-by-group gate (training/group_calibration.py:
the log-odds offset per group, alone and within the current education, on the held-out youths' rows of every date)
judges it. Prints per run: found (the harmed group, or a group crossed from it, failed), any other failure (a false
alarm), the harmed group's offset in mbo with its 95% and gate (Bonferroni) intervals. Each run's per-group table
(aggregates only) is written to --out, so other bounds can be judged afterwards without retraining.
Usage: python benchmarks/fairness_power.py [--seeds 1 2 3 4 5] [--conditions clean hidden_gap=0.5] [--youths N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from data_synthetic.generate import DEFAULT_GAP_GROUP, WorldConfig, generate_world, parse_planted_bias, write_world
from training.config import GateConfig, TemporalConfig, TrainConfig
from training.dataset import build_training_data
from training.evaluation_report import evaluate_model
from training.group_calibration import judged_interval, offset_failures
from training.model import train_risk_model

CONDITIONS = ["clean", "hidden_gap=0.5"]
CONFIG = TrainConfig(temporal=TemporalConfig(data_end="2026-10-01"), gates=GateConfig(bootstrap_samples=200))


def world_config(condition: str, seed: int, youths: int | None) -> tuple[WorldConfig, str]:
    """The world of a condition and the label of its harmed group (`origin=buiten_europa` by default)."""
    if condition == "clean":
        return WorldConfig(youths=youths, seed=seed), "=".join(DEFAULT_GAP_GROUP)
    (bias,), group = parse_planted_bias([condition])
    return WorldConfig(youths=youths, seed=seed, planted_bias=(bias,), hidden_gap_group=group), "=".join(group)


def judged_run(condition: str, seed: int, youths: int | None, out: Path) -> dict:
    """Generate, train, audit: whether the harmed group failed, other failures, the harmed group's offset in mbo."""
    world, harmed = world_config(condition, seed, youths)
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
    failures = offset_failures(table, config.gates)
    found = [f for f in failures if f.startswith(harmed)]
    gated, _ = judged_interval(table, config.gates)
    row = gated[gated["label"] == f"{harmed} & education=mbo"].iloc[0]
    return {"found": bool(found), "other": [f for f in failures if not f.startswith(harmed)], "row": row}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--conditions", nargs="+", default=CONDITIONS)
    parser.add_argument("--youths", type=int, default=None, help="a scaled world (default: the region at 1:1)")
    parser.add_argument("--out", type=Path, default=Path("data/bench/fairness_power"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{'condition':<22} {'seed':>4} {'found':>5} {'delta (mbo)':>11} {'95% interval':>17} {'gate interval':>17}  "
          "other failures", flush=True)
    for seed in args.seeds:  # seeds outermost: an interrupted run still compares the conditions
        for condition in args.conditions:
            r = judged_run(condition, seed, args.youths, args.out)
            row = r["row"]
            print(f"{condition:<22} {seed:>4} {'yes' if r['found'] else 'no':>5} {row.delta:+11.3f} "
                  f"[{row.delta_low:+.3f}, {row.delta_high:+.3f}] [{row.gate_low:+.3f}, {row.gate_high:+.3f}]  "
                  f"{'; '.join(r['other']) or '-'}", flush=True)


if __name__ == "__main__":
    main()
