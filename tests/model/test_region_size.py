"""A region of another size, as its data scientist runs it: a 40,000-youth world (`vsv generate --youths 40000`)
trained with the region's own places (`config/region-40k.toml`) and promoted by the default gates, without --force;
places that fill the target group are refused by name before anything is fitted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from training.config import TierConfig, load_config
from vsv_cli.app import app

pytestmark = pytest.mark.slow
REGION_40K = Path(__file__).resolve().parents[2] / "config" / "region-40k.toml"


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The world of 40,000 youths (seed 1, as config/region-40k.toml was sized on) and an MLflow store of its own."""
    root = tmp_path_factory.mktemp("region-40k")
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        run = lambda *args: CliRunner().invoke(app, [str(a) for a in args])  # noqa: E731
        done = run("generate", "--out", root / "data", "--youths", 40000)
        assert done.exit_code == 0, done.output
        yield {"root": root, "data": root / "data", "uri": uri, "run": run}


def test_the_region_config_sets_only_the_places():
    config = load_config(REGION_40K)
    assert (config.tiers.high_capacity, config.tiers.medium_capacity) == (95, 304)
    assert config.gates == load_config(None).gates and config.lightgbm == load_config(None).lightgbm


def test_places_that_fill_the_target_group_are_refused_before_anything_is_fitted(region, tmp_path):
    config = tmp_path / "too-many.toml"
    config.write_text("[tiers]\nhigh_capacity = 470\nmedium_capacity = 1700\n")
    done = region["run"]("train", "--data", region["data"], "--config", config)
    assert done.exit_code == 2
    refused = re.search(r"error: \[tiers\] high_capacity 470 \+ medium_capacity 1,700 = 2,170 places a year for a "
                        r"target group of ([\d,]+) youths: no youth would be left for the letter", done.stderr)
    assert refused and int(refused.group(1).replace(",", "")) <= 2170, done.stderr  # the world's group: 2,134 at seed 1
    assert "cross-fitting" not in done.stderr  # refused before the fit


def test_a_40k_world_with_its_places_is_promoted_by_the_default_gates(region):
    run = region["run"]
    trained = run("train", "--data", region["data"], "--config", REGION_40K)
    assert trained.exit_code == 0, trained.output
    assert "warning: [tiers]" not in trained.stderr
    promoted = run("promote", "--config", REGION_40K)
    assert promoted.exit_code == 0, promoted.output
    assert "Version 1 is now champion (was: none)" in promoted.stdout and "(forced)" not in promoted.stdout
    assert "FAIL" not in promoted.stdout
    client = MlflowClient(region["uri"], region["uri"])
    version = client.get_model_version("vsv-risk", "1")
    gates = json.loads(version.tags["promotion_gates"])
    assert {name: g["verdict"] for name, g in gates.items() if g["verdict"] == "refuse"} == {}
    assert set(gates) == {"calibration", "tiers_rising", "fairness", "calibration_by_group", "baseline"}
    assert "interval for the error itself [" in gates["calibration"]["detail"]
    metrics = client.get_run(version.run_id).data.metrics
    print(f"\n40k world: test youths {metrics['test_rows']:.0f}, AUC {metrics['roc_auc']:.3f} "
          f"[{metrics['roc_auc_low']:.3f}, {metrics['roc_auc_high']:.3f}], ECE {metrics['ece']:.4f} "
          f"[{metrics['ece_low']:.4f}, {metrics['ece_high']:.4f}]; " + "; ".join(f"{k} {g['verdict']}" for k, g in gates.items()))
    # the places are the region's: about 4.5% of the group in high and 14% in medium, the low tier holds the rest
    assert 0.7 < metrics["share_low"] < 0.9 and 0.02 < metrics["share_high"] < 0.08


def test_places_over_half_the_group_are_warned_about_and_places_that_fill_it_refused():
    assert TierConfig(high_capacity=95, medium_capacity=304).check_population(2106) == ""
    warning = TierConfig().check_population(2106)  # the 1:1 region's 1,970 places on a fifth of its group
    assert warning.startswith("[tiers] 1,970 places a year (470 + 1,500) for a target group of 2,106 youths: 94% of")
    with pytest.raises(ValueError, match=r"1,970 places a year for a target group of 1,970 youths: no youth would be left"):
        TierConfig().check_population(1970)
    assert TierConfig(population=20_000).check_population(1970) == ""  # the configured group, not the data's
    assert TierConfig(mode="thresholds").check_population(10) == ""
    with pytest.raises(ValueError, match="high_capacity must be at least 1"):
        TierConfig(high_capacity=0)
