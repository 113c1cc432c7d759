"""Benchmark: the risk service measured against a running `vsv serve` (bentoml serve), in one run.

Targets (issue "BentoML risk service"): one youth scored with reasons p50 <= 5 ms and p99 <= 25 ms at
concurrency 1; /score (one youth) requests per second at concurrency 8 >= 50% of /livez's; a
1,000-youth request <= 200 ms; start-up to ready <= 10 s; resident memory after load <= 1 GB.
Load comes from wrk (Debian package `wrk`) in its own process; the server runs one worker per core.
Every request is authenticated (an analyst key) and every scored youth is written to the audit log
(SQLite, WAL, synchronous=FULL) before the answer, as in production.
Usage: python benchmarks/service_latency.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import bench_environment, ensure_champion  # noqa: E402

from serving.auth import add_key  # noqa: E402
from tests.servers import free_port, stop, wait_ready  # noqa: E402
from vsv_model.cli import EXAMPLE_REQUEST  # noqa: E402

FEATURES_REQUEST = {"youths": [{"youth_id": "J0000001", "as_of": "2026-10-01", "features": {
    "age": 20, "school_municipality": "Dordrecht", "last_diploma": "vmbo-kb", "school_switches": 1, "school_switches_2y": 0,
    "enrolled": 1, "current_education": "mbo-2", "learning_path": "BOL", "months_not_enrolled": 0, "absence_hours_4w": 10,
    "absence_hours_13w": 34, "absence_hours_52w": 50, "absence_reports_52w": 2, "late_reports_52w": 0,
    "weeks_since_last_report": 3, "dropout_episodes": 0, "vo_mbo_transition_1y": 0}}]}


def wrk(url: str, connections: int, seconds: int, body: dict | None = None, key: str | None = None) -> dict:
    """Requests per second and latency percentiles from wrk (POST with a JSON body when given)."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body is not None:
            script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                         f'wrk.headers["Authorization"] = "Bearer {key}"\n'
                         f"wrk.body = [[{json.dumps(body)}]]\n")
    if body is not None:
        args[1:1] = ["-s", script.name]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{pct}_ms"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    return result


def resident_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-g", str(os.getpgid(pid))], capture_output=True, text=True).stdout.split()]
    total = 0
    for p in set(pids):
        try:
            total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


def thousand_youth_request(url: str, key: str, repeats: int = 10) -> list[float]:
    youth = EXAMPLE_REQUEST["youths"][0]
    body = {"youths": [youth | {"youth_id": f"J{i:07d}"} for i in range(1000)]}
    times = []
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
        for _ in range(repeats + 1):
            start = time.perf_counter()
            response = client.post(f"{url}/score", json=body)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
    return sorted(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the load: apt-get install wrk")
    env = bench_environment()
    ensure_champion(env)
    key = add_key(Path(env["VSV_API_KEYS_FILE"]), "analyst", "benchmark", replace=True)
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "vsv_model.cli", "serve", "--port", str(port)], env=os.environ | env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, 60)
        print(f"start-up to ready (vsv serve: champion check + bentoml serve): {time.monotonic() - started:.1f} s (target <= 10 s)")
        for body in (EXAMPLE_REQUEST, FEATURES_REQUEST):
            httpx.post(f"{url}/score", json=body, headers=headers).raise_for_status()
        print(f"resident memory after load (all processes): {resident_mb(process.pid):.0f} MB (target <= 1024 MB)")
        for name, body in (("history", EXAMPLE_REQUEST), ("features", FEATURES_REQUEST)):
            one = wrk(f"{url}/score", 1, args.seconds, body, key)
            print(f"one youth ({name} form), concurrency 1: p50 {one['p50_ms']:.2f} ms, p90 {one['p90_ms']:.2f} ms, "
                  f"p99 {one['p99_ms']:.2f} ms, {one['rps']:.0f} req/s, non-2xx {one['non_2xx']} (targets p50 <= 5, p99 <= 25)")
        livez = wrk(f"{url}/livez", 8, args.seconds)
        print(f"/livez concurrency 8: {livez['rps']:.0f} req/s")
        for name, body in (("history", EXAMPLE_REQUEST), ("features", FEATURES_REQUEST)):
            busy = wrk(f"{url}/score", 8, args.seconds, body, key)
            print(f"/score ({name} form) concurrency 8: {busy['rps']:.0f} req/s = {busy['rps'] / livez['rps']:.0%} of /livez "
                  f"(target >= 50%), p99 {busy['p99_ms']:.1f} ms, non-2xx {busy['non_2xx']}")
        times = thousand_youth_request(url, key)
        print(f"1,000-youth request (history form): median {times[len(times) // 2]:.0f} ms, max {times[-1]:.0f} ms (target <= 200 ms)")
        print(f"resident memory after the load (all processes): {resident_mb(process.pid):.0f} MB")
    finally:
        stop(process)


if __name__ == "__main__":
    main()
