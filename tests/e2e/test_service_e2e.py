"""End to end through real servers: `vsv serve` (bentoml serve) on a free loopback port, and a Bento
exported and served from a fresh BentoML home where the MLflow registry cannot be reached (and where
another server left a served-model marker)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from mlflow import MlflowClient

from tests.commands import run
from tests.servers import free_port, running_server
from tests.service.test_service import BAD_INPUTS, MALFORMED_BODIES, models_own_prediction

pytestmark = pytest.mark.slow
BODY = {"youths": [{"youth_id": "J1", "as_of": "2019-10-01", "history": {
    "birth_date": "2000-05-01",
    "enrollments": [{"school_id": "25LH00", "school_municipality": "Dordrecht", "education_type": "mbo-2",
                     "learning_path": "BOL", "start_date": "2016-08-15", "end_date": "2018-02-01"}],
    "absence_reports": [{"report_date": "2019-08-01", "kind": "18plus", "hours": 34}]}}]}
VSV = [sys.executable, "-m", "vsv_cli"]
PROJECT = Path(__file__).resolve().parents[2]  # where bentofile.yaml is
OFFLINE = ["unshare", "--net", "--map-root-user"]  # a network namespace of its own, with no interface up


@pytest.fixture(scope="module")
def served(champion_store, scored_current, tmp_path_factory):
    port = free_port()
    env = os.environ | {"VSV_WORKERS": "1"}
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    with running_server([*VSV, "serve", "--port", str(port)], port, env, log_path=log) as url:
        yield url


def test_served_version_is_the_registry_champion(served, champion_store, api_keys):
    champion = MlflowClient(champion_store["settings"].tracking_uri).get_model_version_by_alias("vsv-risk", "champion")
    body = httpx.post(f"{served}/model", json={}, headers=api_keys["headers"]["analyst"]).json()
    assert body["version"] == str(champion.version) and body["run_id"] == champion.run_id


def test_health_is_open_metrics_need_an_analyst_everything_else_a_key(served, api_keys):
    for path in ("/livez", "/readyz"):
        assert httpx.get(f"{served}{path}").status_code == 200, path
    assert httpx.get(f"{served}/metrics").status_code == 401
    assert httpx.get(f"{served}/metrics", headers=api_keys["headers"]["officer"]).status_code == 403
    metrics = httpx.get(f"{served}/metrics", headers=api_keys["headers"]["analyst"])
    assert metrics.status_code == 200 and 'vsv_http_requests_total{route="/metrics",status="403"}' in metrics.text
    assert httpx.post(f"{served}/score", json=BODY).status_code == 401
    assert httpx.get(f"{served}/ui/", follow_redirects=False).headers["location"] == "/ui/login"


def test_score_over_http(served, api_keys):
    response = httpx.post(f"{served}/score", json=BODY, headers=api_keys["headers"]["officer"])
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["tier"] in ("low", "medium", "high") and result["reasons"]
    assert {r["concept"] for r in result["background"]} <= {"leeftijd", "schoollocatie"}


def test_serve_becomes_bentoml_with_no_python_parent_left(served):
    """`vsv serve` replaces itself with `bentoml serve`: the server's main process is the one this test started."""
    port = served.rsplit(":", 1)[1]
    servers = [p for p in psutil.process_iter(["cmdline"])
               if p.info["cmdline"] and "bentoml" in p.info["cmdline"] and port in p.info["cmdline"]]
    assert len(servers) == 1, [p.info["cmdline"] for p in servers]
    assert servers[0].ppid() == os.getpid()


def test_explanation_over_http_adds_up_to_the_models_own_prediction(served, champion_store, api_keys):
    body = httpx.post(f"{served}/explain", json={"youth": BODY["youths"][0]}, headers=api_keys["headers"]["officer"]).json()
    log_odds, probability = models_own_prediction(champion_store, body["features"])
    assert body["base_value"] + sum(body["contributions"].values()) == pytest.approx(log_odds, abs=1e-6)
    assert body["probability"] == pytest.approx(probability, abs=1e-6)


@pytest.mark.parametrize(("body", "status", "message"), BAD_INPUTS)
def test_bad_input_over_http_is_a_4xx_naming_the_field(served, api_keys, body, status, message):
    response = httpx.post(f"{served}/score", content=json.dumps(body, allow_nan=True),
                          headers={"content-type": "application/json", **api_keys["headers"]["officer"]})
    assert response.status_code == status, response.text
    assert re.search(message, response.json()["error"]), response.json()["error"]


@pytest.mark.parametrize("raw", MALFORMED_BODIES)
def test_malformed_bodies_over_http_are_400(served, api_keys, raw):
    response = httpx.post(f"{served}/score", content=raw, headers={"content-type": "application/json", **api_keys["headers"]["officer"]})
    assert response.status_code == 400, response.text
    assert response.json()["error"]


def test_wrong_content_type_over_http_is_a_4xx(served, api_keys):
    response = httpx.post(f"{served}/score", content=b"youth_id=J1",
                          headers={"content-type": "application/x-www-form-urlencoded", **api_keys["headers"]["officer"]})
    assert 400 <= response.status_code < 500


def test_bento_runs_where_the_registry_cannot_be_reached(champion_store, api_keys, tmp_path):
    root = champion_store["root"]
    run([*OFFLINE, *VSV, "bento"], check=True, cwd=PROJECT)  # built without any network
    archive = tmp_path / "vsv-risk.bento"
    run([sys.executable, "-m", "bentoml", "export", "vsv-risk:latest", str(archive)], check=True)
    isolated = os.environ | {"BENTOML_HOME": str(tmp_path / "elsewhere"), "MLFLOW_TRACKING_URI": "http://127.0.0.1:9/unreachable",
                             "VSV_WORKERS": "1"}
    isolated.pop("VSV_MODEL_TAG", None)
    run([sys.executable, "-m", "bentoml", "import", str(archive)], check=True, env=isolated)
    leave_another_servers_marker(champion_store["tag"], isolated)
    port = free_port()
    command = [sys.executable, "-m", "bentoml", "serve", "vsv-risk:latest", "--port", str(port), "--host", "127.0.0.1"]
    with running_server(command, port, isolated, cwd=tmp_path, log_path=tmp_path / "bento.log") as url:
        info = httpx.post(f"{url}/model", json={}, headers=api_keys["headers"]["analyst"]).json()
        assert info["version"] == champion_store["version"] and info["run_id"] == champion_store["run_id"]
        assert info["fingerprint"] == champion_store["served"].fingerprint  # the Bento carries and reports its model's identity
        assert httpx.post(f"{url}/score", json=BODY, headers=api_keys["headers"]["officer"]).status_code == 200
        assert httpx.post(f"{url}/score", json=BODY).status_code == 401
    assert (root / "bentoml").exists()


DECOY = """
import json, shutil, sys
from pathlib import Path
import bentoml
from serving.model_store import ServedMarker
with bentoml.models.create("vsv-risk:vdecoy") as model:
    shutil.copytree(sys.argv[1], model.path, dirs_exist_ok=True)
    (Path(model.path) / "served.json").write_text(json.dumps({"name": "vsv-risk", "version": "decoy", "run_id": "decoy"}))
home = Path(sys.argv[2])
ServedMarker(home / "vsv-served" / "1-1.json").mark("vsv-risk:vdecoy")
(home / "vsv-served.json").write_text(json.dumps({"tag": "vsv-risk:vdecoy"}))  # the marker's earlier, shared form
"""


def leave_another_servers_marker(tag: str, env: dict) -> None:
    """As on a machine where `vsv serve` ran and reloaded: a newer model in the store, marked as served."""
    import bentoml

    source = bentoml.models.get(tag).path  # from the session's BentoML home
    run([sys.executable, "-c", DECOY, source, env["BENTOML_HOME"]], check=True, env=env)
