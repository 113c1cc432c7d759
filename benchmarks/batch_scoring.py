"""Benchmark: the real `vsv score --explain` on 1,000,000 youths in scope, end to end, against the physical floors.

Target (issue 18 "National scale"): 1,000,000 in-scope youths end to end <= 60 s on a 2-core machine, peak memory
<= 6 GB; reading <= 3x a plain multithreaded pyarrow parse of the same files (and faster from Parquet); scoring
with reasons <= 1.5x LightGBM's own pred_contrib on the same rows; output Parquet.

The population: only about 5% of a whole world's youths are in scope on a date, so a million in scope would need a
world of some 19 million youths. Instead the real simulator runs on only the birth cohorts aged 18-22 on
2026-10-01 (`vsv generate --cohorts-at 2026-10-01`: the same month-by-month lives, so histories and features are
as realistic as in the whole world), about 36% of whom are in scope; above 500,000 in scope the population is
several such worlds (seeds 1, 2, ...) with disjoint ids (`_common.scaled_population`). It is generated once under
--root, as CSV and as Parquet (the same rows).

The command runs as the office runs it (a subprocess; its wall time and peak memory are measured from outside),
once from CSV and once from Parquet. The floors are measured in this same run: a plain `pyarrow.csv.read_csv` /
`pyarrow.parquet.read_table` of the four tables (multithreaded, no checks), and `Booster.predict(pred_contrib=True)`
on every in-scope row (the features read back from the command's output), both on all cores.
Usage: python benchmarks/batch_scoring.py [--in-scope 1000000] [--formats csv parquet] [--root data/bench]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SCORING_DATE, VSV, bench_environment, ensure_champion, scaled_population  # noqa: E402

SPLIT = re.compile(r"Scored ([\d,]+) youths .*\(reading ([\d.]+) s, features ([\d.]+) s, scoring and explaining "
                   r"([\d.]+) s, writing ([\d.]+) s\)")
TABLE_NAMES = ("youths", "enrollments", "diplomas", "absence_reports")


def run_command(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (GB) and standard output of one command."""
    with tempfile.TemporaryFile("w+") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # tqdm: off, not a terminal
        _, status, usage = os.wait4(process.pid, 0)  # this child's own resource use, not earlier children's
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with {process.returncode}:\n{text}")
    return seconds, usage.ru_maxrss / 1024**2, text


def parse_floor(data: Path, fmt: str) -> float:
    """Seconds of a plain multithreaded parse of the four tables: no checks, no conversion to pandas."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    for name in TABLE_NAMES:
        pq.read_table(data / f"{name}.parquet") if fmt == "parquet" else pa_csv.read_csv(data / f"{name}.csv")
    return time.perf_counter() - start


def reading_alone(data: Path) -> float:
    """Seconds of the contract's reader on its own (a fresh process, nothing beside it): inside `vsv score` the
    model loads while the data is read, so the command's own reading figure includes that contention."""
    code = ("import sys, time; from vsv_model.reader import read_data_dir; t = time.perf_counter(); "
            "read_data_dir(sys.argv[1]); print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code, str(data)], check=True, capture_output=True, text=True).stdout)


def contrib_floor(scores: Path, env: dict) -> tuple[float, int]:
    """Seconds of LightGBM's own pred_contrib on every scored row (the champion's booster, all cores)."""
    import pandas as pd

    os.environ.update(env | {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"})
    from vsv_cli.scores import load_scoring_model
    from vsv_model.feature_spec import FEATURE_NAMES
    from vsv_model.risk_model import encode_frame
    from vsv_model.settings import Settings

    served = load_scoring_model(Settings.from_env(), None)
    matrix = encode_frame(pd.read_parquet(scores, columns=list(FEATURE_NAMES)))
    start = time.perf_counter()
    served.model.booster.predict(matrix, pred_contrib=True, num_threads=os.cpu_count() or 1)
    return time.perf_counter() - start, len(matrix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-scope", type=int, default=1_000_000, help="youths in scope on 2026-10-01 (about)")
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    parser.add_argument("--root", default="data/bench", help="the benchmark's stores and data")
    args = parser.parse_args()
    env = bench_environment(args.root)
    ensure_champion(env, args.root)
    with tempfile.TemporaryDirectory(dir=args.root) as scratch:
        for fmt in args.formats:
            data = scaled_population(args.root, args.in_scope, fmt)
            out = Path(scratch) / f"scores-{fmt}.parquet"
            command = [*VSV, "score", "--data", str(data), "--as-of", SCORING_DATE, "--out", str(out), "--explain"]
            seconds, peak_gb, output = run_command(command, os.environ | env | {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"})
            print(output.rstrip())
            split = SPLIT.search(output)
            scored = int(split.group(1).replace(",", ""))
            reading, features, scoring, writing = (float(g) for g in split.groups()[1:])
            parse = parse_floor(data, fmt)
            alone = reading_alone(data)
            contrib, rows = contrib_floor(out, env)
            print(f"\nvsv score --explain from {fmt.upper()} ({data}): {scored:,} youths in scope at {SCORING_DATE}, "
                  f"{seconds:.1f} s end to end (target <= 60 s: {'met' if seconds <= 60 else 'NOT met'}), peak memory "
                  f"{peak_gb:.2f} GB (target <= 6 GB: {'met' if peak_gb <= 6 else 'NOT met'})")
            print(f"  reading            {reading:6.1f} s   (while the model loads beside it)")
            print(f"    the reader alone {alone:6.1f} s   floor: plain pyarrow {fmt} parse {parse:5.1f} s  -> {alone / parse:4.2f}x "
                  f"(target <= 3x{': met' if alone <= 3 * parse else ': NOT met'})")
            print(f"  features           {features:6.1f} s")
            print(f"  score + reasons    {scoring:6.1f} s   floor: LightGBM pred_contrib on the same {rows:,} rows "
                  f"{contrib:5.1f} s  -> {scoring / contrib:4.2f}x (target <= 1.5x{': met' if scoring <= 1.5 * contrib else ': NOT met'})")
            print(f"  write (Parquet)    {writing:6.1f} s")
            print(f"  the rest           {seconds - reading - features - scoring - writing:6.1f} s   (start-up, the archive's "
                  f"end after the file is written)\n",
                  flush=True)


if __name__ == "__main__":
    main()
