"""Benchmark: the cost curve of `vsv score --explain`, in-process against Spark local[2], by youths in scope.

For each size (default 0.25, 0.5, 1 and 2 million youths in scope on 2026-10-01; populations built as in
`batch_scoring.py`, see `_common.scaled_population`) both engines run the real command as a subprocess, from
Parquet; this script prints wall time, the stages each command reports, and the peak memory of the whole process
tree (Spark's JVM is a child of the command), sampled every 0.2 s. From the in-process memory per million in
scope it estimates where in-process runs out on a 24 GB machine (an estimate from the measured slope, said so).
Usage: python benchmarks/cost_curve.py [--sizes 250000 500000 1000000 2000000] [--engines in-process spark]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SCORING_DATE, VSV, bench_environment, ensure_champion, scaled_population  # noqa: E402

STAGES = re.compile(r"\((reading [^)]*)\)")
MACHINE_GB = 24


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_sampled(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory of the process tree (GB) and the output of one command."""
    with tempfile.TemporaryFile("w+") as output:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        process, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            try:
                peak = max(peak, tree_rss(process))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        output.seek(0)
        text = output.read()
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with {child.returncode}:\n{text[-3000:]}")
    return seconds, peak / 1024**3, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[250_000, 500_000, 1_000_000, 2_000_000])
    parser.add_argument("--engines", nargs="+", default=["in-process", "spark"], choices=["in-process", "spark"])
    parser.add_argument("--root", default="data/bench")
    args = parser.parse_args()
    env = os.environ | bench_environment(args.root) | {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    ensure_champion(env, args.root)
    slope = []
    with tempfile.TemporaryDirectory(dir=args.root) as scratch:
        for size in args.sizes:
            data = scaled_population(args.root, size, "parquet")
            for engine in args.engines:
                out = Path(scratch) / f"scores-{engine}-{size}.parquet"
                command = [*VSV, "score", "--data", str(data), "--as-of", SCORING_DATE, "--out", str(out), "--explain",
                           "--engine", engine]
                seconds, peak_gb, text = run_sampled(command, env)
                stages = STAGES.search(text)
                scored = re.search(r"Scored ([\d,]+) youths", text).group(1)
                print(f"{size:>9,} in scope ({scored} scored)  {engine:<10}  {seconds:7.1f} s  peak {peak_gb:5.2f} GB  "
                      f"({stages.group(1) if stages else 'no split reported'})", flush=True)
                if engine == "in-process":
                    slope.append((int(scored.replace(",", "")), peak_gb))
    if len(slope) >= 2:
        (n0, m0), (n1, m1) = slope[0], slope[-1]
        per_million = (m1 - m0) / (n1 - n0) * 1e6
        limit = n1 + (MACHINE_GB - m1) / per_million * 1e6
        print(f"\nin-process memory: {per_million:.2f} GB per million in scope; on a {MACHINE_GB} GB machine it runs out "
              f"near {limit / 1e6:.1f} million in scope (an estimate from the measured slope, not measured)")


if __name__ == "__main__":
    main()
