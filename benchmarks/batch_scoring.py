"""Benchmark: `vsv score --explain` in-process on the 1,000,000-youth population.

Target (issue "BentoML risk service"): 1,000,000 youths scored with explanations in <= 120 s,
excluding feature building (whose time is printed too). The in-scope youths of a 1M population
are fewer than 1M, so the scoring is also timed on exactly 1,000,000 feature rows (the in-scope
rows repeated).
Usage: python benchmarks/batch_scoring.py [--data DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench_environment, ensure_champion, peak_rss_gb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/bench/population-1m"))
    args = parser.parse_args()
    env = bench_environment()
    ensure_champion(env)
    os.environ.update(env)
    if not (args.data / "youths.csv").exists():
        subprocess.run([sys.executable, str(Path(__file__).parent / "generate_population.py"), "--out", str(args.data)], check=True,
                       stdout=subprocess.DEVNULL)
    from serving.batch import CHUNK_ROWS, score_chunk, score_population
    from training import registry
    from vsv_model.settings import Settings

    settings = Settings.from_env()
    registry.configure_tracking(settings)
    version = registry.version_by_alias(settings, registry.CHAMPION)
    with tempfile.TemporaryDirectory() as scratch:
        model = registry.load_version(settings, version, Path(scratch))
    for as_of in (dt.date(2026, 10, 1), dt.date(2019, 10, 1)):
        result = score_population(model, args.data, as_of, explain=True, version=version)
        print(f"{as_of}: {len(result.frame):,} in-scope youths; features {result.feature_seconds:.1f} s, "
              f"scoring with top-5 reasons {result.scoring_seconds:.1f} s; tiers {result.tier_counts}")
    features = pd.concat([result.frame] * (1_000_000 // len(result.frame) + 1), ignore_index=True).iloc[:1_000_000]
    from vsv_model.feature_spec import FEATURE_NAMES

    features = features[list(FEATURE_NAMES)]
    threads = os.cpu_count() or 1
    start = time.perf_counter()
    for begin in range(0, len(features), CHUNK_ROWS):
        score_chunk(model, features.iloc[begin:begin + CHUNK_ROWS], explain=True, threads=threads)
    seconds = time.perf_counter() - start
    print(f"1,000,000 rows scored with top-5 reasons: {seconds:.1f} s (target <= 120 s: {'met' if seconds <= 120 else 'NOT met'}); "
          f"model {model.n_trees} trees; peak memory {peak_rss_gb():.1f} GB")


if __name__ == "__main__":
    main()
