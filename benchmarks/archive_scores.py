"""Benchmark: archiving a whole scored population (`vsv score`'s last step) and reading it back for `vsv monitor`.

Made-up scores for --rows youths (probability, tier, three reason concepts) go through `serving.archive.archive_scores`
into SQLite (a temporary file) and PostgreSQL (a private cluster from Debian's package, as the tests start it), in
transactions of 100,000 rows; then one run is read back. Prints the seconds of each and rows per second.

Usage: python benchmarks/archive_scores.py [--rows 1000000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from serving.archive import archive_scores, archived_scores, open_archive  # noqa: E402

SERVED = SimpleNamespace(name="vsv-risk", version="1", run_id="0" * 32, booster_sha256="0" * 64,
                         fingerprint="00000000-00000000", model=SimpleNamespace(cutoffs=SimpleNamespace(details={})))


def population(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    p = rng.beta(1, 8, rows)
    concepts = np.array(["verzuim", "schoolsituatie", "schoolloopbaan", "diploma", "leeftijd", "schoollocatie"])
    frame = pd.DataFrame({"youth_id": [f"Y{k:08d}" for k in range(rows)], "probability": p,
                          "tier": np.where(p > 0.4, "high", np.where(p > 0.2, "medium", "low"))})
    for k in range(1, 4):
        frame[f"reason_{k}_concept"] = concepts[rng.integers(0, len(concepts), rows)]
    return frame


def measure(url: str, frame: pd.DataFrame, label: str) -> None:
    engine = open_archive(url)
    started = time.perf_counter()
    run = archive_scores(engine, frame, SERVED, dt.date(2026, 10, 1))
    written = time.perf_counter() - started
    started = time.perf_counter()
    back = archived_scores(engine, run.id)
    read = time.perf_counter() - started
    assert len(back) == len(frame)
    print(f"{label:<11} archive {len(frame):>9,} rows {written:6.1f} s ({len(frame) / written:>9,.0f} rows/s); "
          f"read back {read:5.1f} s", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    frame = population(args.rows)
    with tempfile.TemporaryDirectory() as scratch:
        measure(f"sqlite:///{Path(scratch) / 'vsv.db'}", frame, "SQLite")
    if not args.no_postgres:
        from tests.postgres import temporary_server

        with temporary_server() as url:
            measure(url, frame, "PostgreSQL")


if __name__ == "__main__":
    main()
