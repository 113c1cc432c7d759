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
