"""Benchmark: read a data directory and build features at a reference date (default: 1,000,000 youths).

Target (issue "Point-in-time feature and label builders"): <= 60 s and peak memory <= 8 GB.
Generates the population first (in a separate process, so it does not count towards memory) when
the directory does not exist.
Usage: python benchmarks/build_features.py [--data DIR] [--as-of YYYY-MM-DD] [--youths N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import peak_rss_gb, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/bench/population-1m"))
    parser.add_argument("--as-of", default="2019-10-01")
    parser.add_argument("--youths", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("data/bench/features-1m.parquet"))
    args = parser.parse_args()
    if not (args.data / "youths.csv").exists() and not (args.data / "youths.parquet").exists():
        print(f"generating {args.youths} youths into {args.data} first ...", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).parent / "generate_population.py"),
                        "--youths", str(args.youths), "--out", str(args.data)], check=True, stdout=subprocess.DEVNULL)
    from features.build import build_feature_table
    from features.output import write_feature_table
    from vsv_model.reader import read_data_dir

    results: dict[str, float] = {}
    with timed("read + check tables", results):
        data = read_data_dir(args.data)
    with timed("build features + labels", results):
        table = build_feature_table(data, dt.date.fromisoformat(args.as_of), with_label=True)
    with timed("write output", results):
        write_feature_table(table, args.out, with_label=True)
    rows = {k: v for k, v in data.quality.rows_read.items()}
    total = sum(results.values())
    print(f"{'total':<28} {total:8.2f} s   target <= 60 s: {'met' if total <= 60 else 'NOT met'}")
    print(f"peak memory: {peak_rss_gb():.2f} GB   target <= 8 GB: {'met' if peak_rss_gb() <= 8 else 'NOT met'}")
    print(f"rows read: {rows} (event rows: {sum(rows.values()) - rows['youths']:,}); in scope: {len(table):,}")


if __name__ == "__main__":
    main()
