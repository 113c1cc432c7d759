"""Benchmark: the work queue's daily sync and its inbox (issue 24 "The officers' work queue").

Targets: a day's 18+ reports and new leavers of the region synced (events derived, scored as of their days by the
champion with reasons, made into cases) in <= 2 s; the inbox page p95 <= 300 ms with 20,000 open cases.

**The day.** On the region (`--data`, default: the region at 1:1, seed 1, generated under `--root`), the office
events of the data's last year are counted per working day; the busiest and the median working day are taken (the
counts are printed). Each is synced into a fresh SQLite database twice: empty, and after the repeat period before
it was synced (untimed), so repeats find their open cases as they would in daily use. The time is
`casework.sync.sync_cases` for that one day, split into deriving the events, scoring and ingesting. The floors,
measured in the same run: the bare insert of the same cases, events and records (prepared rows, one transaction,
no reading), and LightGBM's own `pred_contrib` on the day's feature rows.

**The inbox.** 20,000 open cases (first reports of 20,000 youths over 91 days, a quarter assigned to ten officers),
ingested in one call; then `CaseStore.inbox` for a mix of pages (the first, a deep one, each filter, a youth and a
report search), each repeated, with p50 and p95; the case view and the capacity too. The floor: the same first
page read by a bare `SELECT ... ORDER BY deadline, probability DESC LIMIT 50`.

No asserts on time: the script prints figures.
Usage: python benchmarks/cases_sync.py [--data DIR] [--root data/bench] [--champion-youths N] [--repeats 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench_environment, ensure_champion, ensure_population, population_dir  # noqa: E402

OPEN_CASES = 20_000


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="a data directory (default: the region at 1:1, seed 1, under --root)")
    parser.add_argument("--root", default="data/bench")
    parser.add_argument("--champion-youths", type=int, default=None,
                        help="train the benchmark's champion on a world of this many youths (default: the region)")
    parser.add_argument("--repeats", type=int, default=50, help="inbox calls per kind of page")
    return parser.parse_args()


def load_champion(root: str, youths: int | None):
    env = bench_environment(root)
    ensure_champion(env, root, youths)
    os.environ.update(env | {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"})
    from vsv_cli.scores import load_scoring_model
    from vsv_model.settings import Settings

    return load_scoring_model(Settings.from_env(), None)


def fresh_engine(directory: Path, name: str):
    from casework.store import create_schema
    from vsv_model.database import create_engine

    return create_schema(create_engine(f"sqlite:///{directory / name}.db"))


# --- the day ---------------------------------------------------------------------------------------------------


def busy_days(data, served) -> tuple[pd.Series, dt.date, dt.date]:
    """Events per working day in the data's last year; the busiest and the median day."""
    from features.office_events import EventRules, office_events

    end = data.end_date()
    rules = EventRules(min_age=served.group.min_age, max_age=served.group.max_age)
    events = office_events(data, end - dt.timedelta(days=364), end, rules)
    days = pd.to_datetime(events["event_date"])
    per_day = days[days.dt.day_of_week < 5].dt.date.value_counts().sort_index()
    median = per_day.sort_values(kind="stable").index[len(per_day) // 2]
    return per_day, per_day.idxmax(), median


def timed_sync(engine, data, served, rules, day: dt.date, twin) -> dict:
    """One day's sync (`sync_cases`) timed whole on `engine`, and its steps timed one by one on `twin` (a copy of
    the same database): deriving the events, scoring them, ingesting them."""
    from casework.store import CaseStore
    from casework.sync import period_events, sync_cases
    from features.office_events import EventRules
    from serving.case_events import case_scorer

    scorer, event_rules = case_scorer(served), EventRules(repeat_days=rules.repeat_days, min_age=served.group.min_age,
                                                          max_age=served.group.max_age)
    start, cpu = time.perf_counter(), time.process_time()
    result = sync_cases(engine, data, scorer, rules, since=day, until=day, event_rules=event_rules)
    parts = {"total": time.perf_counter() - start, "cpu": time.process_time() - cpu, "result": result}
    start = time.perf_counter()
    events = period_events(data, day, day, event_rules)
    parts["events"] = time.perf_counter() - start
    start = time.perf_counter()
    scored = scorer(data, events)
    parts["scoring"] = time.perf_counter() - start
    start = time.perf_counter()
    CaseStore(twin).ingest(scored, rules, "bench", window=(day, day))
    parts["ingest"] = time.perf_counter() - start
    return parts


def insert_floor(directory: Path, engine, name: str) -> float:
    """The bare insert of every row a day's sync wrote into a fresh database (its cases, events and records, read
    back beforehand), again into a fresh database, in one transaction."""
    import sqlalchemy as sa

    from casework.tables import case_events_table, case_records_table, cases_table
    from vsv_model.database import writing

    tables = (cases_table, case_events_table, case_records_table)
    with engine.connect() as connection:
        rows = [[dict(r) for r in connection.execute(sa.select(t)).mappings()] for t in tables]
    target = fresh_engine(directory, f"floor-{name}")
    start = time.perf_counter()
    with writing(target) as connection:
        for table, table_rows in zip(tables, rows):
            if table_rows:
                connection.execute(table.insert(), table_rows)
    return time.perf_counter() - start


def booster_floor(data, served, day: dt.date) -> float:
    """LightGBM's own pred_contrib on the day's feature rows (one thread per core)."""
    from features.build import build_event_table
    from features.office_events import EventRules, office_events
    from vsv_model.risk_model import encode_frame

    rules = EventRules(min_age=served.group.min_age, max_age=served.group.max_age)
    matrix = encode_frame(build_event_table(data, office_events(data, day, day, rules), group=served.group).features)
    start = time.perf_counter()
    served.model.booster.predict(matrix, pred_contrib=True, num_threads=os.cpu_count() or 1)
    return time.perf_counter() - start


def bench_day(directory: Path, data, served, rules, day: dt.date, label: str) -> None:
    from casework.sync import sync_cases
    from serving.case_events import case_scorer

    empty = fresh_engine(directory, f"{label}-empty")
    cold = timed_sync(empty, data, served, rules, day, fresh_engine(directory, f"{label}-empty-twin"))
    warm_engine = fresh_engine(directory, f"{label}-warm")
    sync_cases(warm_engine, data, case_scorer(served), rules, since=day - dt.timedelta(days=rules.repeat_days),
               until=day - dt.timedelta(days=1))
    shutil.copy(directory / f"{label}-warm.db", directory / f"{label}-warm-twin.db")
    warm = timed_sync(warm_engine, data, served, rules, day, fresh_engine(directory, f"{label}-warm-twin"))
    result = warm["result"]
    print(f"{label} {day} ({day:%A}): {result.events_read} events, {result.scored} scored; after the repeat period "
          f"before it: {result.opened} cases opened, {result.attached} attached ({result.escalated} escalated)")
    for name, parts in (("fresh database", cold), ("after the period", warm)):
        print(f"  {name:<18} sync_cases {parts['total']:.3f} s (CPU {parts['cpu']:.3f} s); its steps alone: events {parts['events']:.3f} s, "
              f"scoring {parts['scoring']:.3f} s, ingest {parts['ingest']:.3f} s")
    print(f"  floors: bare insert of the same rows {insert_floor(directory, empty, label):.4f} s; "
          f"pred_contrib on the day's rows {booster_floor(data, served, day):.4f} s")


# --- the inbox -------------------------------------------------------------------------------------------------


def open_cases(count: int, end: dt.date, seed: int = 3) -> pd.DataFrame:
    """`count` first reports of as many youths over the 91 days up to `end`, with plausible scores."""
    from vsv_model.contract import REGION_MUNICIPALITIES

    rng = np.random.default_rng(seed)
    probability = rng.beta(2, 5, count)
    route = np.select([probability > 0.6, probability > 0.35], ["matchmaker", "gesprek"], "waarschuwingsbrief")
    return pd.DataFrame({
        "youth_id": [f"Y{k:07d}" for k in range(count)],
        "event_date": pd.Timestamp(end) - pd.to_timedelta(rng.integers(0, 91, count), unit="D"),
        "kind": "report_first", "report_id": [f"M{k:08d}" for k in range(count)], "probability": probability,
        "risk_category": np.select([probability > 0.6, probability > 0.3], ["high", "medium"], "low"),
        "tier": pd.Series(route).map({"waarschuwingsbrief": "low", "gesprek": "medium", "matchmaker": "high"}),
        "route": route, "reasons": [["Het verzuim is hoog."]] * count, "model_version": "1", "model_fingerprint": "f",
        "municipality": rng.choice(list(REGION_MUNICIPALITIES), count), "leaves_group_on": "2030-01-01"})


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(np.array(values) * 1000, share))


def bench_inbox(directory: Path, rules, repeats: int) -> None:
    import sqlalchemy as sa

    from casework.queries import UNASSIGNED, InboxQuery
    from casework.store import CaseStore
    from casework.tables import cases_table

    engine = fresh_engine(directory, "inbox")
    store = CaseStore(engine)
    end = dt.date(2026, 10, 1)
    start = time.perf_counter()
    store.ingest(open_cases(OPEN_CASES, end), rules, "bench")
    print(f"\ninbox: {OPEN_CASES:,} open cases ingested in one call in {time.perf_counter() - start:.2f} s")
    with engine.begin() as connection:  # a quarter on ten officers' names (set-up, not the store's API)
        connection.execute(sa.text("update cases set officer = 'consulent' || (id % 10) where id % 4 = 0"))
    pages = {"first page": InboxQuery(), "page 200": InboxQuery(page=200), "unassigned": InboxQuery(officer=UNASSIGNED),
             "one officer": InboxQuery(officer="consulent4"), "overdue": InboxQuery(overdue=True),
             "municipality": InboxQuery(municipality="Dordrecht"), "high risk": InboxQuery(risk_category="high"),
             "status in progress": InboxQuery(status="in_progress"), "youth search": InboxQuery(search="y00123"),
             "report search": InboxQuery(search="M000045")}
    today, everything = dt.date(2026, 10, 5), []
    for name, query in pages.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            page = store.inbox(query, today)
            times.append(time.perf_counter() - start)
        everything += times
        print(f"  {name:<20} {page.total:>7,} cases: p50 {percentile(times, 50):6.1f} ms, p95 {percentile(times, 95):6.1f} ms")
    print(f"  all pages            p50 {percentile(everything, 50):6.1f} ms, p95 {percentile(everything, 95):6.1f} ms "
          f"(target: the page as a whole <= 300 ms)")
    c = cases_table.c
    bare = sa.select(cases_table).where(c.status != "closed").order_by(c.deadline, c.probability.desc()).limit(50)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with engine.connect() as connection:
            connection.execute(bare).all()
        times.append(time.perf_counter() - start)
    print(f"  floor: the first page by a bare SELECT ... LIMIT 50: p50 {percentile(times, 50):.1f} ms, "
          f"p95 {percentile(times, 95):.1f} ms")
    bench_inbox_page(store, rules, today, repeats)
    for name, call in (("case view", lambda: store.case(OPEN_CASES // 2, today)),
                       ("capacity", lambda: store.capacity(today, rules))):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        print(f"  {name:<20} p50 {percentile(times, 50):6.1f} ms, p95 {percentile(times, 95):6.1f} ms")


def bench_inbox_page(store, rules, today: dt.date, repeats: int) -> None:
    """The inbox as an officer gets it: the page's handler, the query, the capacity view and the HTML, through the
    page's ASGI app in-process (no network, no login: the service's middleware is measured by its own benchmarks)."""
    from types import SimpleNamespace

    from starlette.testclient import TestClient

    from serving.page import page_app
    from serving.page_base import page_context

    page_app.dependency_overrides[page_context] = lambda: SimpleNamespace(cases=store, rules=rules, today=lambda: today)
    asked = {"first page": {}, "page 200": {"pagina": 200}, "overdue": {"te_laat": "ja"}, "high risk": {"risico": "high"},
             "report search": {"zoek": "M000045"}, "municipality": {"gemeente": "Dordrecht"}}
    everything = []
    with TestClient(page_app) as client:
        for name, params in asked.items():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                response = client.get("/werkbak", params=params)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text[:300]
            everything += times
            print(f"  page {name:<15} {len(response.content) / 1024:6.0f} KiB: p50 {percentile(times, 50):6.1f} ms, "
                  f"p95 {percentile(times, 95):6.1f} ms")
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.get("/static/style.css")
            times.append(time.perf_counter() - start)
    page_app.dependency_overrides.pop(page_context, None)
    print(f"  the whole inbox page, all asked: p50 {percentile(everything, 50):6.1f} ms, p95 {percentile(everything, 95):6.1f} ms "
          f"(target <= 300 ms); floor: a static file through the same app p50 {percentile(times, 50):.1f} ms")


def main() -> None:
    args = parse_arguments()
    from casework.model import CaseworkRules
    from vsv_model.reader import read_data_dir

    data_dir = args.data or ensure_population(population_dir(args.root, None), None)
    served = load_champion(args.root, args.champion_youths)
    start = time.perf_counter()
    data = read_data_dir(data_dir)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared)")
    print(f"read {data_dir} in {time.perf_counter() - start:.1f} s ({len(data.youths):,} youths); model version "
          f"{served.version} ({served.fingerprint}); {os.cpu_count()} cores")
    rules = CaseworkRules()
    per_day, busiest, median = busy_days(data, served)
    print(f"office events on the {len(per_day)} working days of the data's last year: median "
          f"{statistics.median(per_day):.0f} a day, busiest {per_day.max()} ({busiest}), total {per_day.sum():,}")
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        for label, day in (("busiest day", busiest), ("median day", median)):
            bench_day(directory, data, served, rules, day, label)
        bench_inbox(directory, rules, args.repeats)


if __name__ == "__main__":
    main()
