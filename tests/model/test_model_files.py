"""A saved risk model carries a checksum of its booster: a damaged or changed file is refused with a clear
error before LightGBM parses it (a truncated file can crash LightGBM, and with it the server)."""

from __future__ import annotations

import shutil

import pytest

from vsv_model.risk_model import ModelLoadError, RiskModel


@pytest.fixture
def saved(champion_store, tmp_path):
    return champion_store["model"].save(tmp_path / "model")


def test_a_saved_model_loads_back_identically(saved, champion_store):
    loaded = RiskModel.load(saved)
    assert loaded.cutoffs == champion_store["model"].cutoffs
    assert loaded.booster.model_to_string() == champion_store["model"].booster.model_to_string()


@pytest.mark.parametrize("damage", ["truncate", "flip", "remove"])
def test_a_damaged_booster_is_refused_by_name(saved, damage):
    booster = saved / "model.txt"
    if damage == "truncate":
        booster.write_text(booster.read_text()[:2000])
    elif damage == "flip":
        text = booster.read_text()
        booster.write_text(text.replace("num_leaves=7", "num_leaves=8", 1) if "num_leaves=7" in text else text + " ")
    else:
        booster.unlink()
    with pytest.raises(ModelLoadError, match=f"cannot load the risk model from {saved}"):
        RiskModel.load(saved)


def test_a_model_for_other_features_is_refused(saved, tmp_path):
    import json

    other = tmp_path / "other"
    shutil.copytree(saved, other)
    meta = json.loads((other / "risk_model.json").read_text())
    (other / "risk_model.json").write_text(json.dumps(meta | {"features": meta["features"][:-1]}))
    with pytest.raises(ModelLoadError, match="was built for another feature list or format"):
        RiskModel.load(other)


def test_the_risk_categories_and_their_measured_meaning_round_trip(saved, champion_store):
    """Training measured each category on the test cohort; the saved files carry it back exactly."""
    trained = champion_store["model"].categories
    loaded = RiskModel.load(saved).categories
    assert loaded == trained
    assert (loaded.medium, loaded.high) == (0.30, 0.70)
    assert loaded.measured_on.startswith("test cohort ")
    assert sum(m.rows for m in loaded.measured.values()) == champion_store["model"].info["test_rows"]


def test_a_model_saved_before_risk_categories_still_loads_with_the_policys_cut_offs(saved):
    import json

    from vsv_model.policy import RiskCategories

    meta = json.loads((saved / "risk_model.json").read_text())
    del meta["risk_categories"]
    (saved / "risk_model.json").write_text(json.dumps(meta))
    old = RiskModel.load(saved)
    assert old.categories == RiskCategories() and old.categories.measured == {}
    assert old.categories.meaning_nl("high", 23) == "Wat risico hoog betekent, is voor dit model niet gemeten."
