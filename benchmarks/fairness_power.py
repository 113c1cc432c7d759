"""Benchmark: how often the fairness gate finds a planted harm (its power) and how often it raises a false alarm.

For each condition (the clean world, and each planted harm at its size) and each seed, the region is generated at
1:1 (`vsv generate --planted-bias ...`), a model is trained with the temporal design, and the promotion's fairness
gates (error-rate ratios and calibration per group, see README "The fairness gate, exactly") judge it on the
held-out cohort. Prints per condition: how many seeds flag the harmed group (origin=buiten_europa), how many flag
any group, and the harmed group's observed/expected with its z. The gate cannot do better than the physical
floor: the last column is the same gate fed the exact truth p_true instead of the model.
Usage: python benchmarks/fairness_power.py [--seeds 1 2 3 4 5] [--conditions clean underreporting=0.6 ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_END  # noqa: E402

from data_synthetic.generate import WorldConfig, generate_world, write_world  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.dataset import OUTCOME, build_training_data  # noqa: E402
from training.evaluation_report import evaluate_model  # noqa: E402
from training.fairness import calibration_failures, fairness_audit, fairness_failures  # noqa: E402
from training.model import train_risk_model  # noqa: E402

HARMED = "origin=buiten_europa"
CONDITIONS = ["clean", "underreporting=0.6", "hidden_gap=1.0", "hidden_gap=1.5"]


def planted(condition: str) -> tuple[tuple[str, float], ...]:
    if condition == "clean":
        return ()
    kind, size = condition.split("=")
    return ((kind, float(size)),)


def judged(condition: str, seed: int, config: TrainConfig) -> dict:
    """Generate, train, audit: the gate's failures for the model and for the exact truth."""
    directory = Path(tempfile.mkdtemp(prefix="fairness-"))
    try:
        write_world(directory, generate_world(WorldConfig(seed=seed, data_end=dt.date.fromisoformat(DATA_END), planted_bias=planted(condition))))
        data = build_training_data(directory, None, replace(config, seed=seed))
        model, _ = train_risk_model(data, replace(config, seed=seed))
        test = data.part("test")
        evaluation = evaluate_model(model, test)
        failures = fairness_failures(evaluation.audit, config.gates) + calibration_failures(evaluation.audit, config.gates)
        p_true = test["p_true"].to_numpy()
        truth_audit = fairness_audit(test, test[OUTCOME].to_numpy(), p_true, model.tiers(p_true))
        truth_failures = fairness_failures(truth_audit, config.gates) + calibration_failures(truth_audit, config.gates)
        row = evaluation.audit.query("attribute == 'origin' and group == 'buiten_europa'").iloc[0]
        z = (row["outcome_rate"] - row["mean_p"]) * row["n"] / np.sqrt(row["outcome_variance"])
        return {"harmed": any(f.startswith(HARMED) for f in failures), "any": bool(failures),
                "truth_any": bool(truth_failures), "oe": row["observed_expected"], "z": z, "failures": failures}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--conditions", nargs="+", default=CONDITIONS)
    args = parser.parse_args()
    config = TrainConfig()
    print(f"{'condition':<20} {'seed':>4} {'O/E':>6} {'z':>6}  flagged")
    summary = []
    for condition in args.conditions:
        results = []
        for seed in args.seeds:
            r = judged(condition, seed, config)
            results.append(r)
            print(f"{condition:<20} {seed:>4} {r['oe']:6.3f} {r['z']:6.2f}  {'; '.join(r['failures']) or '-'}", flush=True)
        summary.append((condition, results))
    n = len(args.seeds)
    print(f"\n{'condition':<20} {'harmed group flagged':>21} {'any group flagged':>18} {'mean O/E':>9} {'gate on p_true':>15}")
    for condition, results in summary:
        harmed = sum(r["harmed"] for r in results)
        label = "(false alarms)" if condition == "clean" else "(power)"
        print(f"{condition:<20} {harmed:>4} of {n} {label:<14} {sum(r['any'] for r in results):>5} of {n:<8} "
              f"{np.mean([r['oe'] for r in results]):9.3f} {sum(r['truth_any'] for r in results):>6} of {n} flagged")


if __name__ == "__main__":
    main()
