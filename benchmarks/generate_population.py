"""Benchmark: generate a synthetic population (default 1,000,000 youths) and write it as CSV.

Target (issue "Foundation"): 1,000,000 youths in <= 120 s on the 2-core machine.
Usage: python benchmarks/generate_population.py [--youths N] [--out DIR] [--format csv|parquet]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_gb, timed  # noqa: E402

from data_synthetic.generate import GeneratorConfig, generate_population  # noqa: E402
from data_synthetic.summary import describe_population  # noqa: E402
from data_synthetic.writer import write_tables, write_truth  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--youths", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("data/bench/population-1m"))
    parser.add_argument("--format", default="csv")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with timed("generate (in memory)", results):
        population = generate_population(GeneratorConfig(youths=args.youths, seed=args.seed))
    with timed("write tables + truth", results):
        write_tables(args.out, population.tables, args.format)
        write_truth(args.out, population.truth)
    total = sum(results.values())
    rows = {name: len(table["youth_id"]) for name, table in population.tables.items()}
    print(f"{'total':<28} {total:8.2f} s   target <= 120 s: {'met' if total <= 120 else 'NOT met'}")
    print(f"rows: {rows} (event rows: {sum(rows.values()) - rows['youths']:,})")
    print(f"peak memory: {peak_rss_gb():.2f} GB")
    print(json.dumps(describe_population(population)["cohorts"], indent=1))


if __name__ == "__main__":
    main()
