"""Promotion through the command line, as a data scientist runs it (`vsv train --config`, `vsv promote --config`):
a retrain on the same data with another seed can be promoted, compared on youths neither model has seen, with the
stability of the list measured and logged; a deliberately crippled model is refused by name; --force needs a reason."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from tests.builders import fast_config
from vsv_cli.app import app

pytestmark = pytest.mark.slow
FAST = fast_config()
CAPACITY = f"[tiers]\nhigh_capacity = {FAST.tiers.high_capacity}\nmedium_capacity = {FAST.tiers.medium_capacity}\n"
GATES = "[gates]\nbootstrap_samples = 300\n"  # the default bounds, at a world of 40,000 youths
TEMPORAL = "[temporal]\ndata_end = '2026-10-01'\n"


def config_file(tmp_path, name: str, extra: str = "") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(extra + "\n" + CAPACITY + GATES + TEMPORAL)
    return str(path)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("promotion")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        yield {"root": root, "uri": uri, "run": lambda *args: CliRunner().invoke(app, list(args))}


def test_an_equal_retrain_is_promoted_on_clean_youths_and_a_crippled_one_refused(store, population_dir):
    run, root = store["run"], store["root"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", store["uri"])
        first = run("train", "--data", str(population_dir), "--config", config_file(root, "seed1", "seed = 1"))
        assert first.exit_code == 0, first.output
        assert run("promote", "--config", config_file(root, "gates")).exit_code == 0
        second = run("train", "--data", str(population_dir), "--config", config_file(root, "seed2", "seed = 2"))
        assert second.exit_code == 0, second.output
        promoted = run("promote", "--config", config_file(root, "gates"))
        assert promoted.exit_code == 0, promoted.output
        assert "Version 2 is now champion (was: 1)" in promoted.stdout
        auc_line = next(line for line in promoted.stdout.splitlines() if line.startswith("  pass  auc:"))
        test_youths = json.loads(MlflowClient(store["uri"], store["uri"]).get_model_version("vsv-risk", "2").tags["promotion_gates"])
        assert "neither has seen" in auc_line and "stability" in test_youths
        crippled = run("train", "--data", str(population_dir), "--config",
                       config_file(root, "crippled", "[lightgbm]\nnum_boost_round = 3\nnum_leaves = 2"))
        assert crippled.exit_code == 0, crippled.output
        refused = run("promote", "--config", config_file(root, "gates"))
        assert refused.exit_code == 1
        assert refused.stderr.splitlines()[-1].startswith("error: promotion refused, gate(s) failed: auc: challenger - champion AUC -")
        assert "  FAIL  auc:" in refused.stdout
        client = MlflowClient(store["uri"], store["uri"])
        assert str(client.get_model_version_by_alias("vsv-risk", "champion").version) == "2"
        assert "--force needs --reason" in run("promote", "--force").stderr
        forced = run("promote", "--force", "--reason", "test of the override", "--config", config_file(root, "gates"))
        assert forced.exit_code == 0 and "Version 3 is now champion (forced)" in forced.stdout
        assert client.get_model_version("vsv-risk", "3").tags["forced_reason"] == "test of the override"


def test_the_comparison_and_the_stability_are_logged_with_the_challengers_run(store):
    client = MlflowClient(store["uri"], store["uri"])
    version = client.get_model_version("vsv-risk", "2")
    logged = client.get_run(version.run_id).data.metrics
    youths = int(logged["promotion.n"])
    assert youths > 400 and logged["promotion.excluded_seen_by_champion"] == 0  # the held-out group is never fitted on
    assert logged["promotion.roc_auc_low"] <= logged["promotion.roc_auc_difference"] <= logged["promotion.roc_auc_high"]
    assert 0.5 < logged["promotion.jaccard_high"] <= 1.0 and 0 <= logged["promotion.route_change_share"] < 0.2
    card = client.download_artifacts(version.run_id, "model_card.md", str(store["root"]))
    text = open(card, encoding="utf-8").read()
    assert "## Promotion of version 2 (champion before: 1)" in text and "Tier transitions" in text
    promotion = json.loads(open(client.download_artifacts(version.run_id, "promotion/promotion.json", str(store["root"]))).read())
    assert promotion["comparison"]["n"] == youths and set(promotion["stability"]["transitions"]) == {
        f"{a}->{b}" for a in ("low", "medium", "high") for b in ("low", "medium", "high")}
