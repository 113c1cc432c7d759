"""Benchmark: the risk service measured against a running `vsv serve` (bentoml serve), in one run.

Targets (issue "BentoML risk service"): one youth scored with reasons p50 <= 5 ms and p99 <= 25 ms at
concurrency 1; /score (one youth) requests per second at concurrency 8 >= 50% of /livez's; a
1,000-youth request <= 200 ms; start-up to ready <= 10 s; resident memory after load <= 1 GB.
Load comes from wrk (Debian package `wrk`) in its own process; the server runs one worker per core.
Every request is authenticated (an analyst key) and every scored youth is written to the audit log
(SQLite, WAL, synchronous=FULL) before the answer, as in production. The large request holds that many
different youths of the benchmark population (their own records, as the files hold them). Memory is
summed over the whole process tree of `vsv serve` (its workers included), as RSS and as PSS.
/model, an authenticated API that scores nothing, shows what the framework and the key check alone leave of
/livez's rate on the same server.
Usage: python benchmarks/service_latency.py [--seconds 10] [--youths 1000] [--root data/bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
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
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import bench_environment, ensure_champion, ensure_population, population_dir  # noqa: E402

from serving.auth import add_key  # noqa: E402
from tests.servers import free_port, stop, wait_ready  # noqa: E402
from vsv_cli.service import EXAMPLE_REQUEST  # noqa: E402

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
                         + (f'wrk.headers["Authorization"] = "Bearer {key}"\n' if key else "")
                         + f"wrk.body = [[{json.dumps(body)}]]\n")
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


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants. BentoML's workers run in sessions of their own, so the process group
    of `vsv serve` misses them: follow parent ids instead (psutil when installed, else /proc/*/stat)."""
    try:
        import psutil
    except ImportError:
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # the name in brackets may hold spaces
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(stat.parent.name))
        tree, todo = [], [pid]
        while todo:
            tree.append(todo.pop())
            todo.extend(children.get(tree[-1], []))
        return tree
    return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]


def tree_memory_mb(pid: int) -> tuple[float, float, int]:
    """RSS sum and PSS sum (shared pages divided among the processes sharing them) of the whole process
    tree, from /proc/PID/smaps_rollup, and how many processes it has."""
    rss = pss = 0
    pids = process_tree(pid)
    for p in pids:
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+) kB", rollup, re.M).group(1))
        pss += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
    return rss / 1024, pss / 1024, len(pids)


def print_memory(label: str, pid: int) -> None:
    rss, pss, processes = tree_memory_mb(pid)
    print(f"resident memory {label} ({processes} processes: vsv serve and every descendant): RSS sum {rss:.0f} MB, "
          f"PSS sum {pss:.0f} MB (target <= 1024 MB)")


def varied_youths(population: Path, count: int, as_of: str = "2026-10-01", seed: int = 7) -> list[dict]:
    """`count` different in-scope youths of the population, each with its own records as the files hold them
    (reasons are built once per distinct value in a request, so one youth repeated would flatter)."""
    from features.build import build_feature_table
    from vsv_model.reader import read_data_dir

    in_scope = build_feature_table(read_data_dir(population), dt.date.fromisoformat(as_of)).keys["youth_id"]
    if len(in_scope) < count:
        sys.exit(f"{population} has {len(in_scope)} in-scope youths at {as_of}, fewer than {count}")
    chosen = set(in_scope.sample(count, random_state=seed))
    raw = {name: pd.read_csv(population / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("youths", "enrollments", "diplomas", "absence_reports")}
    for table in raw.values():
        table["youth_id"] = table["youth_id"].str.strip()
    records = {name: records_by_youth(raw[name], chosen, columns) for name, columns in RECORD_COLUMNS.items()}
    births = raw["youths"].drop_duplicates("youth_id").set_index("youth_id")["birth_date"]  # exact duplicate rows
    return [{"youth_id": youth_id, "as_of": as_of, "history": {"birth_date": births[youth_id].strip(),
             **{name: records[name].get(youth_id, []) for name in RECORD_COLUMNS}}} for youth_id in sorted(chosen)]


RECORD_COLUMNS = {"enrollments": ["school_id", "school_municipality", "education_type", "learning_path", "start_date", "end_date"],
                  "diplomas": ["diploma_date", "level"], "absence_reports": ["report_date", "school_id", "kind", "hours"]}


def records_by_youth(table: pd.DataFrame, chosen: set, columns: list[str]) -> dict[str, list[dict]]:
    table = table[table["youth_id"].isin(chosen)]
    out: dict[str, list[dict]] = {}
    for youth_id, *values in table[["youth_id", *columns]].itertuples(index=False):
        record = {c: (v.strip() or None) for c, v in zip(columns, values)}
        if "hours" in record and record["hours"] is not None:
            record["hours"] = float(record["hours"])
        out.setdefault(youth_id, []).append(record)
    return out


def large_request(url: str, key: str, youths: list[dict], repeats: int = 10) -> list[float]:
    body = json.dumps({"youths": youths}).encode()  # encoded once: the client's JSON encoder is not the server's time
    times = []
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}) as client:
        for _ in range(repeats + 1):
            start = time.perf_counter()
            response = client.post(f"{url}/score", content=body)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text[:2000]
    return sorted(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk's duration per measurement")
    parser.add_argument("--youths", type=int, default=1000, help="different youths in the large request")
    parser.add_argument("--root", default="data/bench", help="the benchmark's stores and data")
    parser.add_argument("--champion-youths", type=int, default=None, help="population the champion is trained on, if none (default: the region at 1:1)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the load: apt-get install wrk")
    env = bench_environment(args.root)
    ensure_champion(env, args.root, args.champion_youths)
    many = varied_youths(ensure_population(population_dir(args.root, args.champion_youths), args.champion_youths), args.youths)
    key = add_key(Path(env["VSV_API_KEYS_FILE"]), "analyst", "benchmark", replace=True)
    headers = {"Authorization": f"Bearer {key}"}
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], env=os.environ | env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, 60)
        print(f"start-up to ready (vsv serve: champion check + bentoml serve): {time.monotonic() - started:.1f} s (target <= 10 s)")
        for body in (EXAMPLE_REQUEST, FEATURES_REQUEST):
            httpx.post(f"{url}/score", json=body, headers=headers).raise_for_status()
        print_memory("after the first requests", process.pid)
        for name, body in (("history", EXAMPLE_REQUEST), ("features", FEATURES_REQUEST)):
            one = wrk(f"{url}/score", 1, args.seconds, body, key)
            print(f"one youth ({name} form), concurrency 1: p50 {one['p50_ms']:.2f} ms, p90 {one['p90_ms']:.2f} ms, "
                  f"p99 {one['p99_ms']:.2f} ms, {one['rps']:.0f} req/s, non-2xx {one['non_2xx']} (targets p50 <= 5, p99 <= 25)")
        livez = wrk(f"{url}/livez", 8, args.seconds)
        print(f"/livez concurrency 8: {livez['rps']:.0f} req/s")
        info = wrk(f"{url}/model", 8, args.seconds, {}, key)
        print(f"/model (an authenticated @bentoml.api that scores nothing) concurrency 8: {info['rps']:.0f} req/s "
              f"= {info['rps'] / livez['rps']:.0%} of /livez, non-2xx {info['non_2xx']} "
              "(the ceiling of any API here: benchmarks/bentoml_ceiling.py)")
        for name, body in (("history", EXAMPLE_REQUEST), ("features", FEATURES_REQUEST)):
            busy = wrk(f"{url}/score", 8, args.seconds, body, key)
            print(f"/score ({name} form) concurrency 8: {busy['rps']:.0f} req/s = {busy['rps'] / livez['rps']:.0%} of /livez "
                  f"(target >= 50%), p99 {busy['p99_ms']:.1f} ms, non-2xx {busy['non_2xx']}")
        times = large_request(url, key, many)
        print(f"{len(many):,}-youth request ({len(many):,} different youths, history form): median {times[len(times) // 2]:.0f} ms, "
              f"max {times[-1]:.0f} ms (target for 1,000 <= 200 ms)")
        print_memory("after the load", process.pid)
    finally:
        stop(process)


if __name__ == "__main__":
    main()
