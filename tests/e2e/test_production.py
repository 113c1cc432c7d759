"""The service as it runs in production, through real `vsv serve` servers (two workers) on loopback:
schemathesis against its OpenAPI document, 60 s of mixed load, a SIGKILL under load, a champion moved
while serving, a read-only audit database, PostgreSQL as the audit database, and refusing to start
without a champion or with a corrupt model. Figures go to test-artifacts/ and the test output."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import httpx
import mlflow
import pytest
import sqlalchemy as sa
from mlflow import MlflowClient

from serving.auth import hash_key
from tests.commands import run
from tests.load import generate_load, load_in_background
from tests.servers import ARTIFACTS, free_port, kill_tree, start_server, stop

pytestmark = pytest.mark.slow
VSV = [sys.executable, "-m", "vsv_cli"]
API = ("/score", "/explain", "/model", "/reload", "/audit_export")
LOAD_SECONDS = float(os.environ.get("VSV_LOAD_SECONDS", "60"))
EXAMPLES = 200
LOG_FIELDS = {"ts", "request_id", "method", "path", "status", "latency_ms", "client", "key_name"}  # README, "Logs"
BENTOML_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \[[A-Z]+\] \[[^\]]+\] ")  # its own one-line logs


def isolated_env(root: Path, champion_store, scored_current, api_keys, database: str | None = None) -> dict:
    """A server environment of its own: a copy of the registry (so aliases can move), a BentoML home, an
    audit database; the session's keys and batch scores."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(champion_store["root"] / "mlruns" / "mlflow.db", root / "mlflow.db")
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "BENTOML_HOME": str(root / "bentoml"),
                        "VSV_DATABASE_URL": database or f"sqlite:///{root / 'vsv.db'}", "VSV_WORKERS": "2",
                        "VSV_SCORES": str(scored_current["scores"]), "VSV_API_KEYS_FILE": str(api_keys["file"])}
    env.pop("VSV_MODEL_TAG", None)
    return env


def serve(env: dict, log: Path):
    port = free_port()
    return start_server([*VSV, "serve", "--port", str(port)], port, env, log_path=log)


def log_since(log: Path, offset: int) -> str:
    with open(log, "rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", errors="replace")


def log_with_requests(log: Path, offset: int, request_ids: set[str], patience: float = 30.0) -> str:
    """The log after `offset` once it holds every one of `request_ids` (a line is written just after its
    answer is sent, so the last few may still be on their way); as it is after `patience` seconds otherwise."""
    deadline = time.monotonic() + patience
    while True:
        text = log_since(log, offset)
        if request_ids <= {entry["request_id"] for entry in parse_log(text)} or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def parse_log(text: str) -> list[dict]:
    """The request-log entries of a stretch of server log. Every line must be either a request-log JSON line with
    exactly the documented fields or one of BentoML's own one-line messages (time, level, component): a traceback
    or a dumped body would be neither."""
    entries = []
    for line in text.splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
            assert set(entries[-1]) == LOG_FIELDS, line
        else:
            assert BENTOML_LINE.match(line), f"a log line of unknown form: {line[:300]!r}"
    return entries


def secrets_of(api_keys) -> dict[str, str]:
    """What must never reach a log, by a label that may be printed: every key, and every key's hash (whose first
    characters also identify a page session)."""
    return {f"the {role} key": key for role, key in api_keys["keys"].items()} | {
        f"the hash of the {role} key": hash_key(key)[:16] for role, key in api_keys["keys"].items()}


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    """The labels of the secrets found in `text`, as sent or as JSON would escape them."""
    return [label for label, value in secrets.items() if value in text or json.dumps(value)[1:-1] in text]


def audit_request_ids(database_url: str) -> Counter:
    with sa.create_engine(database_url).connect() as connection:
        return Counter(connection.execute(sa.text("select request_id from audit_log")).scalars())


def save_figures(name: str, figures: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2))
    print(f"\n{name}: {json.dumps(figures)}")


@pytest.fixture(scope="module")
def shared(champion_store, scored_current, api_keys, tmp_path_factory):
    root = tmp_path_factory.mktemp("production")
    env = isolated_env(root, champion_store, scored_current, api_keys)
    process, url = serve(env, root / "serve.log")
    yield {"url": url, "log": root / "serve.log", "database": env["VSV_DATABASE_URL"]}
    stop(process)


# --- hostile input: schemathesis -------------------------------------------------------

def run_schemathesis(url: str, key: str, path_regex: str, checks: list[str], report: Path, cwd: Path) -> subprocess.CompletedProcess:
    """`st run` with two reports: the JSON run summary and the NDJSON events (every generated case, its request
    and the answer, with the key filtered out)."""
    command = [str(Path(sys.executable).with_name("st")), "run", f"{url}/docs.json", "-H", f"Authorization: Bearer {key}",
               "--max-examples", str(EXAMPLES), "--include-path-regex", path_regex, "--seed", "1", "--report", "json,ndjson",
               "--report-json-path", str(report.with_suffix(".json").resolve()),  # st runs in `cwd`: absolute paths
               "--report-ndjson-path", str(report.with_suffix(".ndjson").resolve()), *checks]
    return run(command, cwd=cwd, timeout=900)


def schemathesis_cases(events: Path) -> list[dict]:
    """Every case schemathesis generated and sent, from its NDJSON report: the operation, the status and request
    id of the answer (None: no answer) and the youth ids in the body and the path."""
    cases = []
    with open(events, encoding="utf-8") as handle:
        for line in handle:
            scenario = json.loads(line).get("ScenarioFinished")
            if scenario is None:
                continue
            recorder = scenario["recorder"]
            for case_id, case in recorder.get("cases", {}).items():
                interaction = recorder.get("interactions", {}).get(case_id)
                if interaction is not None:
                    response = interaction.get("response") or {}
                    cases.append({"operation": recorder["label"], "status": response.get("status_code"),
                                  "request_id": (response.get("headers", {}).get("x-request-id") or [None])[0],
                                  "youth_ids": youth_ids_in(case["value"])})
    return cases


def youth_ids_in(case: dict) -> list[str]:
    """The `youth_id` strings anywhere in a case's body and path parameters (those arrive URL-encoded)."""
    found, stack = [], [case.get("body")]
    found += [unquote(value) for name, value in (case.get("path_parameters") or {}).items() if name == "youth_id"]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found += [value for name, value in item.items() if name == "youth_id" and isinstance(value, str)]
            stack += [value for name, value in item.items() if name != "youth_id"]
        elif isinstance(item, list):
            stack += item
    return found


def test_schemathesis_finds_no_5xx_and_answers_match_the_document(shared, api_keys, tmp_path):
    """Every API endpoint gets >= 200 generated requests past the key check (valid and invalid bodies, odd
    content types; a few more go without a key): all checks pass but positive_data_acceptance, since scope (a
    422) and 'history or features' are rules no JSON schema can state. Then the page's routes, for server
    errors. Counted from schemathesis' own report, case by case. The server's log meanwhile holds request-log
    lines and BentoML's one-liners only, and neither the key nor a youth id schemathesis sent."""
    offset = shared["log"].stat().st_size
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    api = run_schemathesis(shared["url"], api_keys["keys"]["admin"], "^/(score|explain|model|reload|audit_export)$",
                           ["--checks", "all", "--exclude-checks", "positive_data_acceptance"],
                           ARTIFACTS / "schemathesis-api.json", tmp_path)
    assert api.returncode == 0, api.stdout[-4000:]
    page = run_schemathesis(shared["url"], api_keys["keys"]["admin"], "^/ui/", ["--checks", "not_a_server_error"],
                            ARTIFACTS / "schemathesis-page.json", tmp_path)
    assert page.returncode == 0, page.stdout[-4000:]
    cases = schemathesis_cases(ARTIFACTS / "schemathesis-api.ndjson") + schemathesis_cases(ARTIFACTS / "schemathesis-page.ndjson")
    past_the_key = Counter(case["operation"] for case in cases if case["status"] not in (None, 401))
    statuses = Counter(case["status"] for case in cases)
    save_figures("schemathesis", {"cases_past_the_key_check": dict(past_the_key), "cases": len(cases),
                                  "statuses": {str(status): count for status, count in statuses.items()}})
    assert all(past_the_key[f"POST {path}"] >= EXAMPLES for path in API), past_the_key
    assert None not in statuses and not [status for status in statuses if status >= 500], statuses
    answered = {case["request_id"]: case["status"] for case in cases if case["request_id"]}
    text = log_with_requests(shared["log"], offset, set(answered))
    logged = {entry["request_id"]: entry["status"] for entry in parse_log(text)}
    assert len(answered) > len(cases) / 2 and {i: logged.get(i) for i in answered} == answered  # one line per answer
    sent_ids = {i for case in cases for i in case["youth_ids"] if len(i) >= 6 and len(set(i)) > 1}  # short ids occur by chance
    assert len(sent_ids) > 20
    assert leaked(text, secrets_of(api_keys) | {f"sent youth id {n}": i for n, i in enumerate(sorted(sent_ids))}) == []


# --- load ------------------------------------------------------------------------------

def test_load_sixty_seconds_at_concurrency_32_without_an_error(shared, api_keys):
    before, offset = audit_request_ids(shared["database"]), shared["log"].stat().st_size
    result = asyncio.run(generate_load(shared["url"], api_keys["headers"]["officer"], LOAD_SECONDS, 32))
    figures = result.summary(LOAD_SECONDS) | {"seconds": LOAD_SECONDS, "concurrency": 32}
    after = audit_request_ids(shared["database"])
    new = after - before
    figures["audit_records_added"] = sum(new.values())
    save_figures("load", figures)
    assert result.failed == [], result.failed[:3]
    assert len(result.answered) > 100
    answered = Counter(o.request_id for o in result.answered)
    assert new == answered  # exactly one record per successful request, and none for anything else
    assert_load_logged_cleanly(shared["log"], offset, result, api_keys)


def assert_load_logged_cleanly(log: Path, offset: int, result, api_keys) -> None:
    """One request-log line per answer, under the key's name; no key, key hash or youth id of the load anywhere."""
    text = log_with_requests(log, offset, {o.request_id for o in result.answered})
    logged = {entry["request_id"]: entry for entry in parse_log(text)}
    assert [o.request_id for o in result.answered if o.request_id not in logged] == []
    assert {(logged[o.request_id]["path"], logged[o.request_id]["status"], logged[o.request_id]["key_name"])
            for o in result.answered} == {("/score", 200, "test-officer"), ("/explain", 200, "test-officer")}
    assert leaked(text, secrets_of(api_keys)) == []
    sent_ids = {o.youth_id for o in result.outcomes}
    assert len(sent_ids) == len(result.outcomes)
    assert sorted(set(re.findall(r"L\d{7}", text)) & sent_ids)[:5] == []  # the ids look like this: one pass, not 20,000


# --- faults ----------------------------------------------------------------------------

def test_sigkill_under_load_loses_no_acknowledged_record(champion_store, scored_current, api_keys, tmp_path):
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys)
    process, url = serve(env, tmp_path / "serve.log")
    thread, result = load_in_background(url, api_keys["headers"]["officer"], 120, 16, until_failure=True)
    time.sleep(8)
    killed = kill_tree(process)
    thread.join(timeout=120)
    acknowledged = {o.request_id for o in result.answered}
    cut = [o for o in result.outcomes if o.status is None]
    assert len(acknowledged) > 50 and cut, "the kill must land while requests are in flight"
    database = tmp_path / "vsv.db"
    with sqlite3.connect(database) as connection:  # what the next start finds, before it touches anything
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
    restarted, url = serve(env, tmp_path / "serve.log")
    try:
        recorded = audit_request_ids(env["VSV_DATABASE_URL"])
        missing = acknowledged - set(recorded)
        save_figures("sigkill", {"processes_killed": killed, "acknowledged": len(acknowledged), "cut_in_flight": len(cut), "audit_records": sum(recorded.values()),
                                 "acknowledged_missing": len(missing)})
        assert missing == set()
        assert httpx.post(f"{url}/score", json={"youths": [{"youth_id": "NA-HERSTART", "as_of": "2019-10-01", "history": {
            "birth_date": "2000-05-01"}}]}, headers=api_keys["headers"]["officer"]).status_code == 200
    finally:
        stop(restarted)


def register_copy(tracking_uri: str, version: str, destination: Path, corrupt: bool = False) -> str:
    """Register the files of `version` again as a new version (optionally with a damaged booster); make it champion."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)  # never the process-wide store
    old = client.get_model_version("vsv-risk", version)
    files = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/vsv-risk/{version}", dst_path=str(destination),
                                                     tracking_uri=tracking_uri, registry_uri=tracking_uri))
    if corrupt:
        booster = files / "artifacts" / "risk_model" / "model.txt"
        booster.write_text(booster.read_text()[:2000])
    new = client.create_model_version("vsv-risk", source=str(files), run_id=old.run_id, tags=old.tags)
    client.set_registered_model_alias("vsv-risk", "champion", new.version)
    return str(new.version)


def test_reload_swaps_a_moved_champion_without_a_failed_request(champion_store, scored_current, api_keys, tmp_path):
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys)
    process, url = serve(env, tmp_path / "serve.log")
    try:
        old = champion_store["version"]
        new = register_copy(env["MLFLOW_TRACKING_URI"], old, tmp_path / "v-new")
        stop_load = threading.Event()  # the load goes on until two seconds after the swap, however long the reload takes
        thread, result = load_in_background(url, api_keys["headers"]["officer"], 120, 4, stop=stop_load)
        time.sleep(3)
        for role in ("officer", "analyst"):
            assert httpx.post(f"{url}/reload", json={}, headers=api_keys["headers"][role]).status_code == 403
        asked_at = time.monotonic()
        reloaded = httpx.post(f"{url}/reload", json={}, headers=api_keys["headers"]["admin"], timeout=60)
        swapped_at = time.monotonic()
        time.sleep(2)
        stop_load.set()
        thread.join()
        assert reloaded.status_code == 200 and reloaded.json() == {"previous_version": old, "version": new}
        assert result.failed == []
        versions_before = {o.version for o in result.answered if o.started < asked_at - 1}
        versions_after = {o.version for o in result.answered if o.started > swapped_at}
        save_figures("reload", {"requests": len(result.outcomes), "errors": len(result.failed), "from": old, "to": new})
        assert versions_before == {old} and versions_after == {new}
        served = {httpx.post(f"{url}/model", json={}, headers=api_keys["headers"]["analyst"]).json()["version"] for _ in range(20)}
        assert served == {new}  # every worker
    finally:
        stop(process)


def test_a_read_only_audit_database_means_503_not_silent_loss(champion_store, scored_current, api_keys, tmp_path):
    from serving.database import open_database

    path = tmp_path / "vsv.db"
    open_database(f"sqlite:///{path}").dispose()
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys, database=f"sqlite:///file:{path}?mode=ro&uri=true")
    process, url = serve(env, tmp_path / "serve.log")
    try:
        headers = api_keys["headers"]["officer"]
        youth = {"youth_id": "RO-1", "as_of": "2019-10-01", "history": {"birth_date": "2000-05-01"}}
        scored = httpx.post(f"{url}/score", json={"youths": [youth]}, headers=headers)
        assert scored.status_code == 503
        assert scored.json()["error"].endswith("no advice without a record")
        assert httpx.post(f"{url}/explain", json={"youth": youth}, headers=headers).status_code == 503
        page = httpx.get(f"{url}/ui/jongere/{scored_current['frame'].iloc[0]['youth_id']}", headers=headers)
        assert page.status_code == 503 and "het auditlog) is niet beschikbaar" in page.text
        assert httpx.get(f"{url}/livez").status_code == 200
    finally:
        stop(process)
    assert sum(audit_request_ids(f"sqlite:///{path}").values()) == 0


def test_the_service_audits_into_postgresql(champion_store, scored_current, api_keys, postgres_url, tmp_path):
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys, database=postgres_url)
    process, url = serve(env, tmp_path / "serve.log")
    try:
        result = asyncio.run(generate_load(url, api_keys["headers"]["officer"], 5, 4))
    finally:
        stop(process)
    assert result.failed == [] and result.answered
    assert audit_request_ids(postgres_url) == Counter(o.request_id for o in result.answered)


def test_no_champion_is_a_clear_message_and_a_non_zero_exit(tmp_path):
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "BENTOML_HOME": str(tmp_path / "bentoml")}
    done = run([*VSV, "serve", "--port", str(free_port())], env=env, timeout=120)
    assert done.returncode == 2
    assert "no 'champion' alias on vsv-risk" in done.stderr and "vsv promote" in done.stderr


def test_a_corrupt_model_is_refused_at_start(champion_store, scored_current, api_keys, tmp_path):
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys)
    register_copy(env["MLFLOW_TRACKING_URI"], champion_store["version"], tmp_path / "damaged", corrupt=True)
    done = run([*VSV, "serve", "--port", str(free_port())], env=env, timeout=120)
    assert done.returncode == 2 and "cannot load the risk model" in done.stderr, done.stderr[-2000:]


def test_a_model_damaged_after_import_is_refused_at_start(champion_store, scored_current, api_keys, tmp_path):
    env = isolated_env(tmp_path, champion_store, scored_current, api_keys)
    script = ("import bentoml; from serving.model_store import import_champion; from vsv_model.settings import Settings; "
              "print(bentoml.models.get(import_champion(Settings.from_env())).path)")
    model_path = run([sys.executable, "-c", script], env=env, check=True).stdout.strip()
    booster = Path(model_path) / "model.txt"
    assert booster.exists()
    booster.write_text("tree\nnonsense")
    done = run([*VSV, "serve", "--port", str(free_port())], env=env, timeout=120)
    assert done.returncode == 2 and "cannot load the risk model" in done.stderr, done.stderr[-2000:]
