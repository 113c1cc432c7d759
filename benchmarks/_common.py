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
