"""Small helpers shared by the benchmark scripts: timing and peak memory."""

from __future__ import annotations

import resource
import time
from contextlib import contextmanager


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
    print(f"{label:<28} {results[label]:8.2f} s   (peak memory so far {peak_rss_gb():.2f} GB)", flush=True)


def bench_environment(root: str = "data/bench") -> dict:
    """A benchmark's own MLflow store, BentoML home, keys file and audit database under data/bench (the
    project's stay untouched)."""
    from pathlib import Path

    base = Path(root).resolve()
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{base / 'mlruns' / 'mlflow.db'}", "BENTOML_HOME": str(base / "bentoml"),
            "VSV_API_KEYS_FILE": str(base / "vsv-keys.txt"), "VSV_DATABASE_URL": f"sqlite:///{base / 'vsv.db'}"}


def ensure_champion(env: dict, population: str = "data/bench/population-100000", youths: int = 100_000) -> None:
    """Train and promote a champion on the 100,000-youth population when the bench store has none."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    merged = os.environ | env
    vsv = [sys.executable, "-m", "vsv_model.cli"]
    check = subprocess.run([sys.executable, "-c", "import mlflow, sys; from mlflow import MlflowClient; mlflow.set_tracking_uri(sys.argv[1]);"
                            " MlflowClient().get_model_version_by_alias('vsv-risk', 'champion')", env["MLFLOW_TRACKING_URI"]],
                           env=merged, capture_output=True)
    if check.returncode == 0:
        return
    Path(env["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if not (Path(population) / "youths.csv").exists():
        subprocess.run([*vsv, "generate", "--out", population, "--youths", str(youths)], check=True, env=merged, stdout=subprocess.DEVNULL)
    print("training a champion for the benchmark ...", flush=True)
    subprocess.run([*vsv, "train", "--data", population, "--as-of", "2019-10-01"], check=True, env=merged, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run([*vsv, "promote"], check=True, env=merged, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
