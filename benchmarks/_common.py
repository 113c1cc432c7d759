"""Small helpers shared by the benchmark scripts: timing, peak memory, the benchmark's own stores and data."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

VSV = [sys.executable, "-m", "vsv_cli"]


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
    print(f"{label:<28} {results[label]:8.2f} s   (peak memory so far {peak_rss_gb():.2f} GB)", flush=True)


def bench_environment(root: str | Path = "data/bench") -> dict:
    """A benchmark's own MLflow store, BentoML home, keys file and audit database under `root` (the
    project's stay untouched)."""
    base = Path(root).resolve()
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{base / 'mlruns' / 'mlflow.db'}", "BENTOML_HOME": str(base / "bentoml"),
            "VSV_API_KEYS_FILE": str(base / "vsv-keys.txt"), "VSV_DATABASE_URL": f"sqlite:///{base / 'vsv.db'}"}


DATA_END = "2026-10-01"  # the benchmarks' worlds end here, so their figures do not move with the calendar


def population_dir(root: str | Path, youths: int | None) -> Path:
    """Where a benchmark keeps the world of `youths` youths (None: the region at 1:1)."""
    name = "region" if youths is None else "population-1m" if youths == 1_000_000 else f"population-{youths}"
    return Path(root) / name


def ensure_population(directory: Path, youths: int | None) -> Path:
    """Generate the world (seed 1, `vsv generate`, ending at DATA_END; `youths` None: the region at 1:1) unless
    it is there already."""
    if not (directory / "youths.csv").exists():
        print(f"generating {'the region at 1:1' if youths is None else f'{youths:,} youths'} into {directory} ...", flush=True)
        size = [] if youths is None else ["--youths", str(youths)]
        subprocess.run([*VSV, "generate", "--out", str(directory), "--data-end", DATA_END, *size], check=True,
                       stdout=subprocess.DEVNULL)
    return directory


def ensure_champion(env: dict, root: str | Path = "data/bench", youths: int | None = None) -> None:
    """Train and promote a champion on the region (or a `youths` population) when the bench store has none. A
    small population's test cohort can fail a gate on noise alone: then the promotion is forced (and says so)."""
    merged = os.environ | env
    check = subprocess.run([sys.executable, "-c", "import mlflow, sys; from mlflow import MlflowClient; mlflow.set_tracking_uri(sys.argv[1]);"
                            " MlflowClient().get_model_version_by_alias('vsv-risk', 'champion')", env["MLFLOW_TRACKING_URI"]],
                           env=merged, capture_output=True)
    if check.returncode == 0:
        return
    Path(env["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    population = ensure_population(population_dir(root, youths), youths)
    print(f"training a champion for the benchmark on {population} ...", flush=True)
    quiet = {"env": merged, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([*VSV, "train", "--data", str(population)], check=True, **quiet)
    if subprocess.run([*VSV, "promote"], **quiet).returncode != 0:
        print("  a promotion gate failed on this population: promoted with --force for the benchmark", flush=True)
        subprocess.run([*VSV, "promote", "--force", "--reason", f"benchmark store, {youths} youths"], check=True, **quiet)


# --- populations with a given number of youths in scope --------------------------------------------------------
#
# Only about 5% of a whole world's youths are in the target group at a date, so a million in scope would take a
# world of some 19 million youths: too big for this machine. A scale benchmark's population is therefore built
# from the real simulator run on only the birth cohorts aged 18-22 at the scoring date (`vsv generate
# --cohorts-at`): the same month-by-month lives, so histories and features are as realistic as in the whole
# world, without the twenty other birth years nobody scores. Of those cohorts about IN_SCOPE_SHARE are in scope
# (the others hold a startkwalificatie). Above PART_IN_SCOPE youths in scope the population is several such
# worlds (seeds 1, 2, ...) side by side, each id's first letter replaced by its part's, so the parts' ids
# never meet (the simulator's memory grows with its youths; the parts are generated one after the other).

SCORING_DATE = "2026-10-01"
IN_SCOPE_SHARE = 0.36  # in scope on SCORING_DATE among the youths aged 18-22 then (seed 1, 40,000 youths: 0.361)
PART_IN_SCOPE = 500_000
PART_LETTERS = "ABCDEFGH"


def scaled_population(root: str | Path, in_scope: int, fmt: str = "csv") -> Path:
    """A data directory with about `in_scope` youths in the target group on SCORING_DATE (CSV or Parquet),
    generated once under `root` (see above)."""
    parts = max(1, -(-in_scope // PART_IN_SCOPE))
    youths = round(in_scope / parts / IN_SCOPE_SHARE)
    sources = [ensure_cohorts(Path(root) / "parts" / f"cohorts-{youths}-seed{seed}", youths, seed)
               for seed in range(1, parts + 1)]
    target = Path(root) / f"in-scope-{in_scope}-{fmt}"
    if parts == 1 and fmt == "csv":
        return sources[0]
    if not (target / f"youths.{fmt}").exists():
        print(f"assembling {parts} part(s) into {target} ({fmt}) ...", flush=True)
        combine_parts(sources, target, fmt, relabel=parts > 1)
    return target


def ensure_cohorts(directory: Path, youths: int, seed: int) -> Path:
    """`vsv generate --cohorts-at SCORING_DATE --youths N --seed S` into `directory`, unless it is there."""
    if not (directory / "youths.csv").exists():
        print(f"generating the cohorts aged 18-22 on {SCORING_DATE}: {youths:,} youths, seed {seed} ...", flush=True)
        subprocess.run([*VSV, "generate", "--out", str(directory), "--data-end", DATA_END, "--cohorts-at", SCORING_DATE,
                        "--youths", str(youths), "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
    return directory


def combine_parts(sources: list[Path], target: Path, fmt: str, relabel: bool) -> None:
    """The parts' tables one after the other (ids relabelled by part), written as CSV or as typed Parquet."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from vsv_model.contract import TABLES

    target.mkdir(parents=True, exist_ok=True)
    for schema in TABLES:
        types = {c.name: pa.date32() if c.kind == "date" else pa.float64() if c.kind == "number" else pa.string()
                 for c in schema.columns}
        tables = []
        for letter, source in zip(PART_LETTERS, sources):
            table = pa_csv.read_csv(source / f"{schema.name}.csv", convert_options=pa_csv.ConvertOptions(column_types=types))
            if relabel:
                ids = pc.binary_join_element_wise(letter, pc.utf8_slice_codeunits(table["youth_id"], 1), "")
                table = table.set_column(table.column_names.index("youth_id"), "youth_id", ids)
            tables.append(table)
        combined = pa.concat_tables(tables)
        if fmt == "parquet":
            pq.write_table(combined, target / f"{schema.name}.parquet")
        else:
            pa_csv.write_csv(combined, target / f"{schema.name}.csv",
                             pa_csv.WriteOptions(quoting_style="none", quoting_header="none"))
