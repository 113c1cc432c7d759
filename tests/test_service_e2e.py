"""End to end through real servers: `vsv serve` (bentoml serve) on a free loopback port, and a Bento
exported and served from a fresh BentoML home where the MLflow registry cannot be reached."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from mlflow import MlflowClient

from tests.servers import free_port, running_server

pytestmark = pytest.mark.slow
BODY = {"youths": [{"youth_id": "J1", "as_of": "2019-10-01", "history": {
    "birth_date": "2000-05-01",
    "enrollments": [{"school_id": "25LH00", "school_municipality": "Dordrecht", "education_type": "mbo-2",
                     "learning_path": "BOL", "start_date": "2016-08-15", "end_date": "2018-02-01"}],
    "absence_reports": [{"report_date": "2019-08-01", "kind": "18plus", "hours": 34}]}}]}
VSV = [sys.executable, "-m", "vsv_model.cli"]


@pytest.fixture(scope="module")
def served(champion_store, scored_current, tmp_path_factory):
    port = free_port()
    env = os.environ | {"VSV_WORKERS": "1"}
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    with running_server([*VSV, "serve", "--port", str(port)], port, env, log_path=log) as url:
        yield url


def test_served_version_is_the_registry_champion(served, champion_store, api_keys):
    champion = MlflowClient().get_model_version_by_alias("vsv-risk", "champion")
    body = httpx.post(f"{served}/model", json={}, headers=api_keys["headers"]["analyst"]).json()
    assert body["version"] == str(champion.version) and body["run_id"] == champion.run_id


def test_health_and_metrics_are_open_everything_else_needs_a_key(served):
    for path in ("/livez", "/readyz", "/metrics"):
        assert httpx.get(f"{served}{path}").status_code == 200, path
    assert "bentoml_service_request_total" in httpx.get(f"{served}/metrics").text
    assert httpx.post(f"{served}/score", json=BODY).status_code == 401
    assert httpx.get(f"{served}/ui/", follow_redirects=False).headers["location"] == "/ui/login"


def test_score_over_http(served, api_keys):
    response = httpx.post(f"{served}/score", json=BODY, headers=api_keys["headers"]["officer"])
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["tier"] in ("low", "medium", "high") and len(result["reasons"]) == 5


def test_explain_over_http_is_additive(served, api_keys):
    body = httpx.post(f"{served}/explain", json={"youth": BODY["youths"][0]}, headers=api_keys["headers"]["officer"]).json()
    assert body["base_value"] + sum(body["contributions"].values()) == pytest.approx(body["log_odds"], abs=1e-6)


@pytest.mark.parametrize(("content", "status"), [
    (b"{not json", 400),
    (b'{"youths": [{"youth_id": "J1", "history": {}}]}', 400),
    (b'{"youths": [{"youth_id": "J1", "as_of": "2019-10-01", "history": {"birth_date": "2010-01-01"}}]}', 422),
])
def test_bad_input_over_http_is_a_4xx(served, api_keys, content, status):
    response = httpx.post(f"{served}/score", content=content,
                          headers={"content-type": "application/json", **api_keys["headers"]["officer"]})
    assert response.status_code == status
    assert response.json()["error"]


def test_bento_runs_where_the_registry_cannot_be_reached(champion_store, api_keys, tmp_path):
    root = champion_store["root"]
    subprocess.run([*VSV, "bento"], check=True, capture_output=True, cwd=os.getcwd())
    archive = tmp_path / "vsv-risk.bento"
    subprocess.run([sys.executable, "-m", "bentoml", "export", "vsv-risk:latest", str(archive)], check=True, capture_output=True)
    isolated = os.environ | {"BENTOML_HOME": str(tmp_path / "elsewhere"), "MLFLOW_TRACKING_URI": "http://127.0.0.1:9/unreachable",
                             "VSV_WORKERS": "1"}
    isolated.pop("VSV_MODEL_TAG", None)
    subprocess.run([sys.executable, "-m", "bentoml", "import", str(archive)], check=True, capture_output=True, env=isolated)
    port = free_port()
    command = [sys.executable, "-m", "bentoml", "serve", "vsv-risk:latest", "--port", str(port), "--host", "127.0.0.1"]
    with running_server(command, port, isolated, cwd=tmp_path, log_path=tmp_path / "bento.log") as url:
        assert httpx.post(f"{url}/model", json={}, headers=api_keys["headers"]["analyst"]).json()["version"] == champion_store["version"]
        assert httpx.post(f"{url}/score", json=BODY, headers=api_keys["headers"]["officer"]).status_code == 200
        assert httpx.post(f"{url}/score", json=BODY).status_code == 401
    assert (root / "bentoml").exists()
