"""Benchmark: the exact truth at the office's events (truth_events.csv) and what it costs the generator.

Generates a world (the region at 1:1 by default, seed 1, data to 2026-10-01) and writes it. Prints per kind of event
the events and youths, the labelled rows, the truth's AUC and its mean p_true against the observed rate (a z whose
variance counts a youth's events as one cluster: they share one outcome), for the outcome by 23 and by 27; checks that
the events equal those `features.office_events` derives from the written files read back; and prints the cost of the
event truth: the stages of the generator that carry it (timed inside the run), the simulation again without keeping
the event states and the induction again for the reference months only, and the peak memory (CPU seconds beside the
wall: the machine is shared).
Usage: python benchmarks/event_truth.py [--youths N] [--seed S] [--out DIR] [--no-overhead]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_END, peak_rss_gb  # noqa: E402

from data_synthetic import generate as world_module  # noqa: E402
from data_synthetic import truth  # noqa: E402
from data_synthetic.generate import WorldConfig, auc, generate_world, write_world  # noqa: E402
from data_synthetic.truth_events import EARLIEST, EVENT_TRUTH_COLUMNS  # noqa: E402
from features.office_events import EVENT_KINDS, office_events  # noqa: E402
from vsv_model.reader import read_data_dir  # noqa: E402

STAGES = {  # generate.py's names -> label: the stages that carry the event truth, timed by wrapping them
    "simulate": "simulation (keeps the event states)",
    "value_tables_and_reads": "induction (back to the first event month, with its reads)",
    "tables_as_read": "event columns as the reader gives them",
    "events_of": "office events",
    "write_truth_events": "truth at the events, written",
}
OUTCOMES = (("p_true", "no_sq_by_23"), ("p_true_27", "no_sq_by_27"))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_stages(results: dict, kept: dict) -> None:
    """Wrap generate.py's stages: each one's wall and CPU seconds go to `results`, its arguments to `kept`."""
    for name, label in STAGES.items():
        original = getattr(world_module, name)

        def timed(*args, _original=original, _name=name, _label=label, **kwargs):
            kept[_name] = args
            wall, cpu = time.perf_counter(), cpu_seconds()
            try:
                return _original(*args, **kwargs)
            finally:
                results[_label] = (time.perf_counter() - wall, cpu_seconds() - cpu)
        setattr(world_module, name, timed)


def seconds(label: str, wall: float, cpu: float) -> str:
    return f"  {label:<62} {wall:7.2f} s wall {cpu:7.2f} s CPU"


def timed_run(label: str, function) -> str:
    wall, cpu = time.perf_counter(), cpu_seconds()
    function()
    return seconds(label, time.perf_counter() - wall, cpu_seconds() - cpu)


def overhead(world, kept: dict) -> list[str]:
    """The simulation again without keeping event states, and the induction for the reference months only."""
    states = world.hidden.simulation.event_states.values()
    return [
        timed_run("simulation without the event states", lambda: world_module.simulate(*kept["simulate"][:7])),
        timed_run("induction, reference months only", lambda: truth.induce(*kept["value_tables_and_reads"][:3])),
        f"  event states kept: {sum(len(s.rows) for s in states):,} (youth, month) pairs, "
        f"{sum(s.rows.nbytes + s.keys.nbytes for s in states) / 1e6:.1f} MB",
    ]


def same_events_as_read_back(world, out: Path) -> bool:
    """The generator's events against `office_events` on the written files read back."""
    events = office_events(read_data_dir(out), EARLIEST, world.config.data_end)
    return events.equals(world.events)


def calibration_z(rows: pd.DataFrame, p: str, y: str) -> float:
    """(observed - mean p) over its standard error, clustered by youth (a youth's events share one outcome)."""
    residual = (rows[y] - rows[p]).groupby(rows["youth_id"]).sum()
    se = np.sqrt((residual ** 2).sum()) / len(rows)
    return float((rows[y].mean() - rows[p].mean()) / se) if se > 0 else float("nan")


def describe_kinds(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for kind in (*EVENT_KINDS, "all"):
        rows = frame if kind == "all" else frame[frame["kind"] == kind]
        line = {"kind": kind, "events": len(rows), "youths": rows["youth_id"].nunique()}
        for p, y in OUTCOMES:
            labelled = rows.dropna(subset=[p, y])
            age = y[-2:]
            line |= {f"labelled {age}": len(labelled), f"rate {age}": labelled[y].mean(), f"mean p {age}": labelled[p].mean(),
                     f"z {age}": calibration_z(labelled, p, y),
                     f"AUC {age}": auc(labelled[y].to_numpy(), labelled[p].to_numpy())}
        out.append(line)
    return pd.DataFrame(out).set_index("kind")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--youths", type=int, default=None, help="default: the region at 1:1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("data/bench/event-truth"))
    parser.add_argument("--no-overhead", action="store_true", help="skip timing the generator again without events")
    args = parser.parse_args()
    stages, kept = {}, {}
    time_stages(stages, kept)
    truth._MEMO.clear()
    config = WorldConfig(youths=args.youths, seed=args.seed, data_end=pd.Timestamp(DATA_END).date())
    wall, cpu = time.perf_counter(), cpu_seconds()
    world = generate_world(config)
    generated = seconds("generate (in memory)", time.perf_counter() - wall, cpu_seconds() - cpu)
    wall, cpu = time.perf_counter(), cpu_seconds()
    write_world(args.out, world)
    written = seconds("write (tables, truth.csv, truth_events.csv, realism, summary)", time.perf_counter() - wall,
                      cpu_seconds() - cpu)
    peak = peak_rss_gb()
    frame = pd.read_csv(args.out / "truth_events.csv", dtype={"youth_id": str, "report_id": str})
    assert list(frame.columns) == list(EVENT_TRUTH_COLUMNS)
    size = "the region at 1:1" if args.youths is None else f"{args.youths:,} youths"
    print(f"{size}, seed {args.seed}: {len(frame):,} office events, {frame['event_date'].min()} to "
          f"{frame['event_date'].max()} (written to {args.out / 'truth_events.csv'})")
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print(describe_kinds(frame).to_string())
    print(f"the events equal office_events on the written files read back: {same_events_as_read_back(world, args.out)}")
    print(f"generation, with the event truth (peak memory {peak:.2f} GB):")
    print("\n".join([generated, written] + [seconds(label, *stages[label]) for label in STAGES.values()]))
    if not args.no_overhead:
        print("for comparison, without the event truth:")
        print("\n".join(overhead(world, kept)))


if __name__ == "__main__":
    main()
