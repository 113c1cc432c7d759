"""Benchmark: the CPU one /score request's own work costs, in-process, stage by stage (no HTTP, no framework).

For "/score (one youth) at concurrency 8 >= 50% of /livez" a /score request may cost at most twice a /livez
request, which does nothing: on the 2-core machine /livez serves ~10,000 req/s, about 0.1-0.15 ms of CPU
each. This prints what /score does on top of the HTTP stack, per youth, for both forms: validating the
body, building the features (the history form runs the same `features/` builders as training), TreeSHAP
with the Dutch reasons, the audit row (canonical JSON and its SHA-256) and the response. The audit commit
itself (a fsync), the key check and BentoML's own API dispatch come on top (`bentoml_ceiling.py`).
Usage: python benchmarks/score_cost.py [--repeats 3000] [--root data/bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import bench_environment, ensure_champion  # noqa: E402

STAGES = ("validate", "features", "TreeSHAP + reasons", "audit row", "response")


def stage_costs(served, body: bytes, repeats: int) -> list[float]:
    """Mean microseconds per stage for one request of `body` (a list of youths as JSON)."""
    from pydantic import TypeAdapter

    from serving import scoring
    from serving.audit import records
    from serving.schemas import ScoreResponse, YouthInput

    youths_of = TypeAdapter(list[YouthInput])
    totals = [0.0] * len(STAGES)
    for _ in range(repeats):
        marks = [time.perf_counter()]
        youths = youths_of.validate_json(body)
        marks.append(time.perf_counter())
        prepared = scoring.prepare(youths, dt.date.today(), served.group)
        marks.append(time.perf_counter())
        results = scoring.score_prepared(served, youths, prepared)
        marks.append(time.perf_counter())
        records("score", results, "request", "key", [y.model_dump_json() for y in youths])
        marks.append(time.perf_counter())
        ScoreResponse(model_version=served.version, model_run_id=served.run_id, model_fingerprint=served.fingerprint,
                      results=results).model_dump_json()
        marks.append(time.perf_counter())
        for k in range(len(STAGES)):
            totals[k] += marks[k + 1] - marks[k]
    return [1e6 * t / repeats for t in totals]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3000)
    parser.add_argument("--root", default="data/bench", help="the benchmark's stores and data")
    args = parser.parse_args()
    env = bench_environment(args.root)
    ensure_champion(env, args.root)
    os.environ.update(env)  # before BentoML is imported: its home is read once

    from service_latency import FEATURES_REQUEST

    from serving import model_store
    from vsv_cli.service import EXAMPLE_REQUEST
    from vsv_model.settings import Settings

    settings = Settings.from_env()
    served = model_store.load_tag(model_store.import_champion(settings), settings)
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)  # as in the service's workers
    print(f"model version {served.version}: {served.model.n_trees} trees; microseconds of CPU per one-youth request")
    for name, request in (("features", FEATURES_REQUEST), ("history", EXAMPLE_REQUEST)):
        body = json.dumps(request["youths"]).encode()
        stage_costs(served, body, 50)  # warm-up
        costs = stage_costs(served, body, args.repeats)
        print(f"{name} form: " + ", ".join(f"{stage} {cost:.0f}" for stage, cost in zip(STAGES, costs, strict=True))
              + f"; total {sum(costs):.0f} us")


if __name__ == "__main__":
    main()
