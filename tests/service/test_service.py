"""The risk service through `VsvRisk.to_asgi()`: happy paths, every bad-input class, additivity against
the model's own prediction, agreement of the history form, the feature form and batch scoring, `vsv score`,
the served-model marker and the Bento's packages."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.builders import enrolment, feature_values, history, request_youth
from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.policy import RISK_CATEGORY_LABELS_NL, ROUTES
from vsv_model.settings import Settings

AS_OF = "2019-10-01"


@pytest.fixture(scope="module")
def client(asgi_client):
    return asgi_client


TYPICAL = history(enrollments=[enrolment("2016-08-15", "2018-02-01")],
                  diplomas=[{"diploma_date": "2016-07-01", "level": "vmbo-bb"}],
                  reports=[{"report_date": "2019-08-01", "kind": "18plus", "hours": 34}])


# --- happy paths -----------------------------------------------------------------------

def test_score_returns_tier_route_and_five_dutch_reasons(client, champion_store):
    response = client.post("/score", json={"youths": [request_youth(history=TYPICAL), request_youth("J2", features=feature_values())]})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == champion_store["version"] and body["model_run_id"] == champion_store["run_id"]
    first = body["results"][0]
    assert first["youth_id"] == "J1" and first["as_of"] == AS_OF
    assert 0 < first["probability"] < 1
    expected_route = {"low": "waarschuwingsbrief", "medium": "gesprek", "high": "matchmaker"}[first["tier"]]
    assert first["route"] == expected_route
    assert first["model_fingerprint"] == f"{champion_store['run_id'][:8]}-{champion_store['model'].booster_sha256[:8]}"
    shown = first["reasons"] + first["background"]
    assert {r["concept"] for r in shown} <= {"schoolsituatie", "verzuim", "schoolloopbaan", "diploma", "leeftijd", "schoollocatie"}
    assert {r["concept"] for r in first["background"]} <= {"leeftijd", "schoollocatie"}
    contributions = [abs(r["contribution"]) for r in first["reasons"]]
    assert contributions == sorted(contributions, reverse=True)
    sentences = {r["concept"]: r["sentence_nl"] for r in shown}
    assert sentences["verzuim"] == ("De school meldde in het afgelopen jaar 1 keer dat de jongere zonder geldige reden afwezig was, "
                                    "samen 34 uur (waarvan 34 uur in de laatste 13 weken). De laatste melding was 8 weken geleden. "
                                    "Dit maakt de kans groter.")
    assert "vóór hun 23e verjaardag geen diploma van mbo-niveau 2 of hoger" in first["probability_nl"]


def test_model_describes_the_served_version(client, champion_store, api_keys):
    from mlflow import MlflowClient

    body = client.post("/model", headers=api_keys["headers"]["analyst"]).json()
    champion = MlflowClient(champion_store["settings"].tracking_uri).get_model_version_by_alias("vsv-risk", "champion")
    assert body["version"] == str(champion.version) and body["run_id"] == champion.run_id
    assert body["booster_sha256"] == champion.tags["booster_sha256"] == champion_store["model"].booster_sha256
    assert body["fingerprint"] == f"{champion.run_id[:8]}-{body['booster_sha256'][:8]}"
    assert [f["name"] for f in body["features"]] == list(FEATURE_NAMES)
    assert body["features"][0]["label_nl"] == "Leeftijd"
    assert 0 <= body["tier_cutoffs"]["medium"] <= body["tier_cutoffs"]["high"] <= 1
    assert "roc_auc" in body["metrics"]


def models_own_prediction(champion_store, features: dict) -> tuple[float, float]:
    """Calibrated log-odds and probability of one youth straight from the served model's booster (raw score
    through the calibration), not from the contributions."""
    from serving.model_store import load_tag
    from vsv_model.risk_model import encode_records

    model = load_tag(champion_store["tag"], Settings()).model
    matrix = encode_records([features])
    return float(model.log_odds(matrix)[0]), float(model.probability(matrix)[0])


@pytest.mark.parametrize("form", ["history", "features"])
def test_explanation_adds_up_to_the_models_own_prediction(client, champion_store, form):
    given = request_youth(history=TYPICAL) if form == "history" else request_youth(features=feature_values(absence_hours_13w=34.0))
    body = client.post("/explain", json={"youth": given}).json()
    features = body["features"] if form == "history" else given["features"]
    log_odds, probability = models_own_prediction(champion_store, features)
    assert body["base_value"] + sum(body["contributions"].values()) == pytest.approx(log_odds, abs=1e-6)
    assert body["base_value"] + sum(body["concept_contributions"].values()) == pytest.approx(body["log_odds"], abs=1e-9)
    assert body["log_odds"] == pytest.approx(log_odds, abs=1e-6)
    assert body["probability"] == pytest.approx(probability, abs=1e-6)
    assert set(body["contributions"]) == set(FEATURE_NAMES)
    assert body["features"]["absence_hours_13w"] == 34.0


def test_exact_duplicate_records_count_once_and_are_reported(client):
    doubled = copy.deepcopy(TYPICAL)
    doubled["absence_reports"] = TYPICAL["absence_reports"] * 2
    near = copy.deepcopy(TYPICAL)
    near["absence_reports"] = TYPICAL["absence_reports"] + [TYPICAL["absence_reports"][0] | {"hours": 35}]
    once, twice, different = (client.post("/explain", json={"youth": request_youth(history=h)}).json() for h in (TYPICAL, doubled, near))
    assert twice["probability"] == once["probability"]
    assert twice["features"]["absence_hours_13w"] == 34.0
    assert "1 exact duplicate record(s) in absence_reports counted once" in twice["warnings"]
    assert twice["warnings_nl"] == ["Er stond 1 melding van verzuim dubbel in de gegevens; die telt één keer mee."]
    assert not any("duplicate" in w for w in once["warnings"] + different["warnings"])
    assert different["features"]["absence_hours_13w"] == 69.0  # not exact: both count


def test_unknown_values_are_kept_and_reported(client):
    messy = history(reports=[{"report_date": "2019-08-01", "kind": "ziekte", "hours": 3}],
                    enrollments=[enrolment("2018-08-01", education_type="mbo 2")])
    result = client.post("/score", json={"youths": [request_youth(history=messy)]}).json()["results"][0]
    assert result["warnings"] == [  # the field named, never the value (a BSN typed into it would come back)
        "enrollments[0].education_type is unknown (the value is not repeated here): counted as 'onbekend'",
        "absence_reports[0].kind is unknown (the value is not repeated here): counted as 'onbekend'"]
    assert result["warnings_nl"] == [  # Dutch for the page: the record and field, never the unknown value itself
        "Inschrijving 1: het soort opleiding is onbekend; de inschrijving telt wel mee.",
        "Melding van verzuim 1: de soort melding is onbekend en telt als gewone melding."]


def test_the_page_shows_the_record_warnings_in_dutch(client):
    messy = history(reports=[{"report_date": "2019-08-01", "kind": "16-uurs", "hours": 3}],
                    enrollments=[enrolment("2018-08-01")])
    page = client.post("/ui/nieuw", data={"gegevens": json.dumps(request_youth(history=messy))})
    assert page.status_code == 200, page.text
    shown = re.search(r'<ul class="warnings">(.*?)</ul>', page.text, re.S).group(1)  # the form keeps the raw input
    assert shown == "<li>Melding van verzuim 1: de soort melding is onbekend en telt als gewone melding.</li>"
    assert "is unknown" not in page.text


def test_records_after_the_reference_date_change_nothing(client):
    later = copy.deepcopy(TYPICAL)
    later["absence_reports"] = TYPICAL["absence_reports"] + [{"report_date": "2019-12-01", "kind": "18plus", "hours": 80}]
    later["diplomas"] = TYPICAL["diplomas"] + [{"diploma_date": "2020-06-01", "level": "mbo-2"}]
    before = client.post("/score", json={"youths": [request_youth(history=TYPICAL)]}).json()["results"][0]
    after = client.post("/score", json={"youths": [request_youth(history=later)]}).json()["results"][0]
    assert after["probability"] == before["probability"]
    assert any("2 record(s) dated after the reference date were ignored" in w for w in after["warnings"])
    assert "Er zijn 2 inschrijvingen, diploma's of meldingen van na de peildatum niet meegeteld." in after["warnings_nl"]


@pytest.mark.parametrize(("changed", "code", "concept"), [
    ({"enrollments": [enrolment("1900-08-15", "2018-02-01")]}, "enrolment_date_implausible", "schoolloopbaan"),
    ({"reports": [{"report_date": "0001-01-01", "kind": "18plus", "hours": 34}]}, "report_date_implausible", "verzuim"),
    ({"diplomas": [{"diploma_date": "1999-07-01", "level": "vmbo-bb"}]}, "diploma_date_implausible", "diploma"),
    ({"enrollments": [enrolment("1999-08-15", "2018-02-01")]}, "enrolment_date_implausible", "schoolloopbaan"),
])
def test_a_record_dated_before_1990_or_before_the_birth_is_a_data_quality_warning(client, changed, code, concept):
    parts = {"enrollments": [enrolment("2016-08-15", "2018-02-01")], "diplomas": [{"diploma_date": "2016-07-01", "level": "vmbo-bb"}],
             "reports": [{"report_date": "2019-08-01", "kind": "18plus", "hours": 34}]} | changed
    response = client.post("/score", json={"youths": [request_youth(history=history(**parts))]})  # born 2000-05-01
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    warning = next(w for w in result["data_quality"] if w["code"] == code)
    assert warning["concept"] == concept and "vóór 1990 of vóór de geboortedatum" in warning["message_nl"]
    assert concept not in [r["concept"] for r in result["reasons"]]  # flagged: never read out as a reason
    normal = client.post("/score", json={"youths": [request_youth(history=TYPICAL)]}).json()["results"][0]
    assert not any(w["code"].endswith("_date_implausible") for w in normal["data_quality"])


# --- bad input: always a 4xx that names the field --------------------------------------

# Every bad-input class, defined once: tests/test_service_e2e.py sends the same cases to a real server.
BAD_INPUTS = [
    ({"youths": [{"youth_id": "J1", "history": {"enrollments": []}}]}, 400, r"youths\[0\]\.history\.birth_date: Field required"),
    ({"youths": [{"history": TYPICAL}]}, 400, r"youths\[0\]\.youth_id: Field required"),
    ({"youths": [request_youth(history=history(birth="15-05-2000"))]}, 400, r"youths\[0\]\.history\.birth_date: Input should be a valid date"),
    ({"youths": [request_youth(history=history(reports=[{"report_date": "2019-08-01", "kind": "16uur", "hours": "veel"}]))]}, 400,
     r"absence_reports\[0\]\.hours: Input should be a valid number"),
    ({"youths": [request_youth(features=feature_values(age="twintig"))]}, 400, r"youths\[0\]\.features\.age: Input should be a valid integer"),
    ({"youths": [request_youth(features=feature_values(school_municipality="Rotterdam"))]}, 400,
     r"youths\[0\]\.features\.school_municipality: Input should be 'Alblasserdam'"),
    ({"youths": [request_youth(history=TYPICAL, features=feature_values())]}, 400, r"give either 'history' or 'features'"),
    ({"youths": [request_youth(history=history(reports=[{"report_date": "2019-08-01", "kind": "16uur", "hours": -3}]))]}, 400,
     r"youths\[0\]\.history\.absence_reports\[0\]\.hours: negative hours \(-3\)"),
    ({"youths": [request_youth(history=history(enrollments=[enrolment("2018-08-01", "2018-07-01")]))]}, 400,
     r"youths\[0\]\.history\.enrollments\[0\]\.end_date: end_date 2018-07-01 lies before start_date 2018-08-01"),
    ({"youths": [request_youth(history=history(birth="2003-01-01"))]}, 422, r"youths\[0\]: out of scope \(under_18\): age 16"),
    ({"youths": [request_youth(history=history(birth="1996-01-01"))]}, 422, r"youths\[0\]: out of scope \(over_age\): age 23"),
    ({"youths": [request_youth(history=history(diplomas=[{"diploma_date": "2018-06-01", "level": "mbo-2"}]))]}, 422,
     r"out of scope \(has_startkwalificatie\)"),
    ({"youths": [request_youth(features=feature_values(age=17))]}, 422, r"youths\[0\]: out of scope \(under_18\): age 17"),
    ({"youths": [request_youth(features=feature_values(age=23))]}, 422, r"out of scope \(over_age\)"),
    ({"youths": [request_youth(features=feature_values(last_diploma="havo"))]}, 422, r"out of scope \(has_startkwalificatie\)"),
    ({"youths": []}, 400, r"youths: List should have at least 1 item"),
    ({"youths": [request_youth(f"J{i}", features=feature_values()) for i in range(1001)]}, 400, r"youths: List should have at most 1000 items"),
    ({"youths": [request_youth(features=feature_values(absence_hours_4w=float("inf")))]}, 400, r"absence_hours_4w"),
    ({"youths": [request_youth(history=TYPICAL, extra_field=1)]}, 400, r"youths\[0\]\.extra_field: Extra inputs are not permitted"),
]
MALFORMED_BODIES = [b"{bad json", b"", b"[1, 2]", b'{"youths": "all"}', b"\xff\xfe"]


@pytest.mark.parametrize(("body", "status", "message"), BAD_INPUTS)
def test_bad_input_gets_a_4xx_naming_the_field(client, body, status, message):
    response = client.post("/score", content=json.dumps(body, allow_nan=True))
    assert response.status_code == status, response.text
    assert re.search(message, response.json()["error"]), response.json()["error"]


@pytest.mark.parametrize("raw", MALFORMED_BODIES)
def test_malformed_bodies_are_400_not_5xx(client, raw):
    response = client.post("/score", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]


def test_wrong_content_type_is_a_4xx(client):
    response = client.post("/score", content=b"youth_id=J1", headers={"content-type": "application/x-www-form-urlencoded"})
    assert 400 <= response.status_code < 500


# --- the three roads to a probability agree --------------------------------------------

def test_history_form_feature_form_and_batch_scoring_agree(client, champion_store, population_dir, tmp_path):
    from registry import mlflow_registry as registry
    from serving.batch import score_population
    from serving.scoring import ServedModel

    model = registry.load_version(champion_store["settings"], champion_store["version"], tmp_path / "m")
    served = ServedModel(model, "vsv-risk", champion_store["version"], champion_store["run_id"])
    batch = score_population(served, population_dir, dt.date.fromisoformat(AS_OF), explain=True).frame
    raw = {name: pd.read_csv(population_dir / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("youths", "enrollments", "diplomas", "absence_reports")}
    doubled = pd.concat([raw[t].loc[raw[t].duplicated(), "youth_id"] for t in ("enrollments", "diplomas", "absence_reports")])
    with_duplicates = batch[batch["youth_id"].isin(doubled)].head(5)
    sample = pd.concat([batch.sample(20, random_state=3), with_duplicates])
    youths = [request_youth(row.youth_id, history=raw_history(raw, row.youth_id)) for row in sample.itertuples()]
    by_history = client.post("/score", json={"youths": youths}).json()["results"]
    assert len(with_duplicates) == 5 and all(any("exact duplicate" in w for w in r["warnings"]) for r in by_history[-5:])
    features = [request_youth(row["youth_id"], features=feature_dict(row)) for _, row in sample.iterrows()]
    by_features = client.post("/score", json={"youths": features}).json()["results"]
    np.testing.assert_allclose([r["probability"] for r in by_history], sample["probability"], rtol=0, atol=1e-12)
    np.testing.assert_allclose([r["probability"] for r in by_features], sample["probability"], rtol=0, atol=1e-12)
    assert [r["tier"] for r in by_history] == list(sample["tier"])
    shown = [([r["sentence_nl"] for r in y["reasons"]] + [r["sentence_nl"] for r in y["background"]])[0] for y in by_history]
    assert shown == list(sample["reason_1_sentence_nl"])


def raw_history(raw: dict, youth_id: str) -> dict:
    """One youth's records exactly as the files hold them (file order, raw strings, exact duplicates too)."""
    def rows(name, columns):
        table = raw[name][raw[name]["youth_id"] == youth_id]
        return [{c: (v if v != "" else None) for c, v in zip(columns, r)} for r in table[columns].itertuples(index=False)]

    reports = rows("absence_reports", ["report_date", "school_id", "kind", "hours"])
    for report in reports:
        report["hours"] = None if report["hours"] is None else float(report["hours"])
    birth = raw["youths"].loc[raw["youths"]["youth_id"] == youth_id, "birth_date"].iloc[0]
    return {"birth_date": birth,
            "enrollments": rows("enrollments", ["school_id", "school_municipality", "education_type", "learning_path", "start_date", "end_date"]),
            "diplomas": rows("diplomas", ["diploma_date", "level"]), "absence_reports": reports}


def feature_dict(row: pd.Series) -> dict:
    out = {}
    for spec in FEATURES:
        value = row[spec.name]
        if spec.is_categorical:
            out[spec.name] = str(value)
        elif pd.isna(value):
            out[spec.name] = None
        else:
            out[spec.name] = int(value) if spec.kind in ("count", "flag") else float(value)
    return out


# --- vsv score ---------------------------------------------------------------------------

def run_vsv(*args: str):
    from typer.testing import CliRunner

    from vsv_cli.app import app

    return CliRunner().invoke(app, list(args))


def test_vsv_score_writes_every_in_scope_youth_and_counts_tiers_against_capacity(champion_store, scored_current,
                                                                                  population_dir, tmp_path):
    out = tmp_path / "scores.parquet"
    result = run_vsv("score", "--data", str(population_dir), "--as-of", "2026-10-01", "--out", str(out), "--explain")
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    reasons = [f"reason_{r}_{part}" for r in range(1, 6) for part in ("concept", "sentence_nl", "contribution", "direction")]
    concepts = [f"contribution_{c}" for c in ("schoolsituatie", "verzuim", "schoolloopbaan", "diploma", "leeftijd", "schoollocatie")]
    assert list(frame.columns) == ["youth_id", "as_of", "probability", "risk_category", "risk_category_nl",
                                   "risk_category_meaning_nl", "tier", "tier_nl", "route", "route_nl", "rank",
                                   "within_capacity", "approach_note_nl", "model_version", "model_run_id", "model_fingerprint", *reasons, *concepts,
                                   "data_quality", "base_value", "log_odds", *FEATURE_NAMES, "leaves_group_on",
                                   "leaves_group_reason"]
    assert sorted(frame["rank"]) == list(range(1, len(frame) + 1))
    assert (frame.sort_values("rank")["probability"].diff().dropna() <= 0).all()
    assert (frame["model_run_id"] == champion_store["run_id"]).all()
    np.testing.assert_allclose(frame["base_value"] + frame[concepts].sum(axis=1), frame["log_odds"], rtol=0, atol=1e-9)
    expected = scored_current["frame"]  # the same cohort scored by the same model through serving.batch
    assert len(frame) == len(expected) > 1000
    np.testing.assert_allclose(frame["probability"], expected["probability"], rtol=0, atol=1e-12)
    details = champion_store["model"].cutoffs.details
    routes, risks = result.stdout.split("Advised route (sized by capacity):")[1], result.stdout.split("Advised route")[0]
    for tier in ("high", "medium"):
        count, capacity = int((frame["tier"] == tier).sum()), details[f"{tier}_capacity"]
        verdict = ("within" if count <= capacity else  # ties at the cut-off can take more than the places
                   f"OVER by {count - capacity:,}; the {capacity:,} highest are marked within_capacity")
        assert re.search(rf"{ROUTES[tier].code}\s+{count:,} youths \(capacity {capacity:,}: {verdict}\)", routes), result.stdout
    assert re.search(rf"waarschuwingsbrief\s+{int((frame['tier'] == 'low').sum()):,} youths\n", routes)
    for category in ("high", "medium", "low"):  # counted by the probability alone, under a heading of their own
        count = int((frame["risk_category"] == category).sum())
        assert re.search(rf"\n  {RISK_CATEGORY_LABELS_NL[category]}\s+{count:,} youths\n", risks), result.stdout
    assert re.search(r"\(reading [\d.]+ s, features [\d.]+ s, scoring and explaining [\d.]+ s, writing [\d.]+ s\)", result.stdout)


def test_vsv_score_without_a_champion_exits_2_with_a_clear_message(champion_store, tracking, population_dir, tmp_path):
    result = run_vsv("score", "--data", str(population_dir), "--as-of", "2026-10-01", "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 2
    assert "error: no champion model: train (vsv train) and promote (vsv promote) first" in result.stderr
    assert not (tmp_path / "s.csv").exists()


def test_vsv_score_says_the_missing_model_before_a_data_problem(champion_store, tracking, tmp_path):
    """The model loads while the data is read; without a champion that is what the user hears, not the bad date."""
    from tests.builders import enrolment, write_data_dir, youth

    data = write_data_dir(tmp_path / "data", youths=[youth("A")], enrollments=[enrolment("2016-13-01")])
    result = run_vsv("score", "--data", str(data), "--as-of", "2026-10-01", "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 2
    assert "error: no champion model" in result.stderr and "unparseable date" not in result.stderr
    assert not (tmp_path / "s.csv").exists()


# --- which model a server serves -------------------------------------------------------

def test_the_served_marker_is_parsed_again_only_when_replaced(tmp_path):
    from serving.model_store import ServedMarker

    marker = ServedMarker(tmp_path / "vsv-served" / "server.json")
    assert marker.tag() is None
    marker.mark("vsv-risk:v1")
    assert marker.tag() == "vsv-risk:v1"
    stamp = marker.path.stat()
    marker.path.write_text('{"tag": "vsv-risk:v9"}')  # changed in place with its old time stamp: not replaced
    os.utime(marker.path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert marker.tag() == "vsv-risk:v1"
    ServedMarker(marker.path).mark("vsv-risk:v2")  # another worker's /reload
    assert marker.tag() == "vsv-risk:v2"


def test_a_marker_of_another_server_is_not_followed(client, champion_store, api_keys):
    from serving.model_store import ServedMarker

    mine = ServedMarker.for_this_server()
    mine.path.unlink(missing_ok=True)  # a /reload of an earlier test in this process (route advice) marked this server
    other = ServedMarker(mine.path.with_name("1-1.json"))
    other.mark("vsv-risk:vno-such-model")
    assert mine.tag() is None
    assert client.post("/model", headers=api_keys["headers"]["analyst"]).json()["version"] == champion_store["version"]


def test_the_bento_installs_the_projects_runtime_dependencies():
    """Every dependency but uv, which only builds the Bento (installed with the project, so a build needs no network)."""
    import tomllib

    import yaml
    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parents[2]
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    build_only = [d for d in dependencies if Requirement(d).name == "uv"]
    assert len(build_only) == 1
    runtime = [d for d in dependencies if d not in build_only]
    assert yaml.safe_load((root / "bentofile.yaml").read_text())["python"]["packages"] == runtime
