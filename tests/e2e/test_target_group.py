"""The target group is one policy, taken from the model: a model trained for 18-27 (outcome by 27) is scored,
served and shown for 18-27 everywhere, and a model for 18-23 refuses a 25-year-old, giving the reason."""

from __future__ import annotations

import os
import sys

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.builders import fast_config, feature_values, request_youth
from tests.commands import run
from tests.servers import free_port, page_session, running_server
from vsv_cli.app import app
from vsv_model.target_group import CURRENT_LAW, EXTENDED_TO_27

pytestmark = pytest.mark.slow
SCORED_AT = "2019-10-01"


@pytest.fixture(scope="module")
def store_27(population_dir, tmp_path_factory):
    """A registry whose champion was trained with `vsv train --max-age 27`, scored with `vsv score`."""
    root = tmp_path_factory.mktemp("group27")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlruns' / 'mlflow.db'}", "BENTOML_HOME": str(root / "bentoml"),
           "VSV_SCORES": str(root / "scores.parquet"), "VSV_DATABASE_URL": f"sqlite:///{root / 'vsv.db'}"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        runner = CliRunner()
        config = root / "train.toml"
        config.write_text(f"[tiers]\nhigh_capacity = {fast_config().tiers.high_capacity}\nmedium_capacity = "
                          f"{fast_config().tiers.medium_capacity}\n[lightgbm]\nnum_boost_round = 150\n")
        trained = runner.invoke(app, ["train", "--data", str(population_dir), "--max-age", "27", "--end-date", "2026-10-01",
                                      "--config", str(config)])
        assert trained.exit_code == 0, trained.output
        assert "ages 18-26, outcome by 27" in trained.output
        promoted = runner.invoke(app, ["promote", "--force", "--reason", "test of the 18-27 target group"])
        assert promoted.exit_code == 0, promoted.output
        scored = runner.invoke(app, ["score", "--data", str(population_dir), "--as-of", SCORED_AT, "--out", env["VSV_SCORES"]])
        refused = runner.invoke(app, ["score", "--data", str(population_dir), "--as-of", SCORED_AT, "--out",
                                      str(root / "other.parquet"), "--max-age", "23"])
    return {"env": env, "root": root, "scored": scored, "refused": refused}


def test_vsv_score_scores_the_models_group_and_refuses_another(store_27):
    assert store_27["scored"].exit_code == 0, store_27["scored"].output
    assert "ages 18-26, outcome by 27" in store_27["scored"].output
    ages = pd.read_parquet(store_27["env"]["VSV_SCORES"])["age"]
    assert ages.min() == 18 and ages.max() <= 26 and (ages >= 23).sum() > 0
    refused = store_27["refused"]
    assert refused.exit_code == 2
    assert "--max-age 23 asks for the target group ages 18-22, outcome by 23, but the model was trained for ages 18-26, " \
           "outcome by 27" in refused.output
    assert not (store_27["root"] / "other.parquet").exists()


def test_the_service_and_the_page_use_the_models_group(store_27, api_keys):
    # the page is read on the list's reference date: on a later day a youth of 26 may have turned 27 and get no advice
    env = os.environ | store_27["env"] | {"VSV_WORKERS": "1", "VSV_TODAY": SCORED_AT}
    port = free_port()
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env,
                        log_path=store_27["root"] / "serve.log") as url:
        analyst, officer = api_keys["headers"]["analyst"], api_keys["headers"]["officer"]
        info = httpx.post(f"{url}/model", json={}, headers=analyst).json()
        assert info["target_group"] == EXTENDED_TO_27.to_dict()
        body = {"youths": [request_youth("J25", as_of=SCORED_AT, features=feature_values(age=25))]}
        scored = httpx.post(f"{url}/score", json=body, headers=officer)
        assert scored.status_code == 200, scored.text
        assert "vóór hun 27e verjaardag" in scored.json()["results"][0]["probability_nl"]
        too_old = httpx.post(f"{url}/score", json={"youths": [request_youth("J27", features=feature_values(age=27))]},
                             headers=officer)
        assert too_old.status_code == 422 and "ages 18-26, outcome by 27" in too_old.json()["error"]
        page = page_session(url, api_keys["keys"]["officer"], follow_redirects=True)
        listing = page.get("/ui/")
        assert "Doelgroep: jongeren van 18 tot 27 jaar" in listing.text
        older = pd.read_parquet(store_27["env"]["VSV_SCORES"]).query("age >= 23").iloc[0]
        youth_page = page.get(f"/ui/jongere/{older['youth_id']}")
        assert youth_page.status_code == 200 and "vóór hun 27e" in youth_page.text


def test_a_model_for_18_to_23_refuses_a_25_year_old_giving_the_reason(asgi_client, champion_store):
    assert champion_store["model"].target_group == CURRENT_LAW
    response = asgi_client.post("/score", json={"youths": [request_youth("J25", features=feature_values(age=25))]})
    assert response.status_code == 422
    assert response.json()["error"] == ("youths[0]: out of scope (over_age): age 25, the model's target group is "
                                         "ages 18-22, outcome by 23")


def test_vsv_serve_refuses_a_setting_for_another_group(champion_store, tmp_path):
    env = os.environ | {"VSV_MAX_AGE": "27", "VSV_WORKERS": "1"}
    done = run([sys.executable, "-m", "vsv_cli", "serve", "--port", str(free_port())], env=env, timeout=120)
    assert done.returncode == 2
    assert "VSV_MAX_AGE=27 asks for the target group ages 18-26, outcome by 27, but the model was trained for " \
           "ages 18-22, outcome by 23" in done.stderr
