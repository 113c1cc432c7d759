"""Benchmark: generate the synthetic region scaled to 1,000,000 youths (default) and write it as CSV.

Target: 1,000,000 youths generated and written in <= 120 s on the 2-core machine. Prints the split
(population, simulation, tables, truth with its value iteration, realism, writing) and the peak memory.
Usage: python benchmarks/generate_population.py [--youths N | --region] [--seed S] [--out DIR] [--format csv|parquet]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_gb  # noqa: E402

from data_synthetic import generate as world_module  # noqa: E402
from data_synthetic.generate import WorldConfig, generate_world, write_world  # noqa: E402

STAGES = {  # module attribute -> label: the stages of generate_world, timed by wrapping them
    "draw_youths": "population", "simulate": "simulation (month by month)", "contract_tables": "tables and mess",
    "value_tables_and_reads": "truth: value iteration", "truth_frame": "truth: lookup", "realism_table": "realism figures",
}


def time_stages(results: dict[str, float]) -> None:
    """Wrap generate_world's stages so each one's wall time is added to `results`."""
    for name, label in STAGES.items():
        original = getattr(world_module, name)

        def timed(*args, _original=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                results[_label] = results.get(_label, 0.0) + time.perf_counter() - start
        setattr(world_module, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--youths", type=int, default=1_000_000)
    parser.add_argument("--region", action="store_true", help="the region at 1:1 instead of --youths")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("data/bench/population-1m"))
    parser.add_argument("--format", default="csv")
    args = parser.parse_args()
    stages: dict[str, float] = {}
    time_stages(stages)
    start = time.perf_counter()
    world = generate_world(WorldConfig(youths=None if args.region else args.youths, seed=args.seed))
    generated = time.perf_counter()
    write_world(args.out, world, args.format)
    written = time.perf_counter()
    for label, seconds in stages.items():
        print(f"  {label:<30} {seconds:8.2f} s")
    print(f"{'generate (in memory)':<32} {generated - start:8.2f} s")
    print(f"{'write tables, truths, realism':<32} {written - generated:8.2f} s")
    total = written - start
    print(f"{'total':<32} {total:8.2f} s   target <= 120 s: {'met' if total <= 120 else 'NOT met'}")
    summary = world.summary()
    print(f"youths: {summary['youths']:,}; rows: {summary['rows']}")
    print(f"peak memory: {peak_rss_gb():.2f} GB")
    print(f"written to {args.out} ({dt.datetime.now():%Y-%m-%d %H:%M})")


if __name__ == "__main__":
    main()
