"""Benchmark: how many requests per second an `@bentoml.api` endpoint that does nothing serves, against the
same server's `/livez`, at concurrency 8. It is the ceiling of the risk service's "/score at >= 50% of
/livez" target: /score is an `@bentoml.api` as well, and pays for the key, the model, TreeSHAP, the Dutch
reasons and the audit record on top.

The no-op service (`benchmarks/noop_service.py`) is configured as `serving.service` is: the same workers,
no access log, no tracing. Load comes from wrk in its own process; the measurements alternate, so a
noisy neighbour on this shared machine hits both.
Usage: python benchmarks/bentoml_ceiling.py [--seconds 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from service_latency import wrk  # noqa: E402

from tests.servers import free_port, stop, wait_ready  # noqa: E402

BODY = {"youths": [{"youth_id": "J0000001"}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=6, help="wrk's duration per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating /livez and no-op measurements")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the load: apt-get install wrk")
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        process = subprocess.Popen([sys.executable, "-m", "bentoml", "serve", "noop_service:Noop", "--port", str(port)],
                                   cwd=ROOT / "benchmarks", env=os.environ | {"BENTOML_HOME": home},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process, 60)
            ratios = []
            for round_ in range(1, args.rounds + 1):
                livez = wrk(f"{url}/livez", 8, args.seconds)
                noop = wrk(f"{url}/score", 8, args.seconds, BODY)
                ratios.append(noop["rps"] / livez["rps"])
                print(f"round {round_}: /livez {livez['rps']:.0f} req/s, no-op @bentoml.api {noop['rps']:.0f} req/s "
                      f"= {ratios[-1]:.0%} of /livez (non-2xx {noop['non_2xx']})", flush=True)
            print(f"no-op @bentoml.api at concurrency 8: median {statistics.median(ratios):.0%} of /livez "
                  f"(range {min(ratios):.0%}-{max(ratios):.0%}); the /score target asks for >= 50%")
        finally:
            stop(process)


if __name__ == "__main__":
    main()
