"""The risk word never contradicts the percentage: the batch file and the API carry the risk category (from the
probability alone) apart from the advised approach (the tier, sized by capacity), with the sentence that says why
they differ."""

from __future__ import annotations

import pandas as pd
import pytest

from serving.listed import features_of
from tests.builders import request_youth
from vsv_model.policy import APPROACH_NOTES_NL, RISK_CATEGORY_LABELS_NL, RiskCategories


@pytest.fixture(scope="module")
def scored(scored_current):
    return scored_current["frame"]


def lighter_than_risk(scored: pd.DataFrame) -> pd.Series:
    """A youth of high risk whose advice is a conversation (the matchmakers' places went to higher chances)."""
    rows = scored[(scored["risk_category"] == "high") & (scored["tier"] == "medium")]
    assert len(rows) > 0, "the test world must hold a high-risk youth advised a conversation"
    return rows.iloc[0]


def test_the_batch_file_has_the_risk_category_beside_the_advice(scored, champion_store):
    model = champion_store["model"]
    columns = list(scored.columns)
    assert columns[columns.index("probability"):columns.index("route_nl") + 1] == [
        "probability", "risk_category", "risk_category_nl", "risk_category_meaning_nl", "tier", "tier_nl", "route", "route_nl"]
    assert "approach_note_nl" in columns
    expected = RiskCategories(0.30, 0.70).assign(scored["probability"].to_numpy())
    assert scored["risk_category"].tolist() == expected.tolist()
    assert (scored["risk_category_nl"] == scored["risk_category"].map(RISK_CATEGORY_LABELS_NL)).all()
    meaning = {c: model.categories.meaning_nl(c, 23) for c in ("low", "medium", "high")}
    assert (scored["risk_category_meaning_nl"] == scored["risk_category"].map(meaning)).all()
    assert meaning["high"].startswith("Wat risico hoog betekent: van de ")


def test_the_approach_note_is_written_exactly_where_the_advice_differs_from_the_risk(scored):
    same = scored["risk_category"] == scored["tier"]
    assert (scored.loc[same, "approach_note_nl"] == "").all()
    assert (~same).sum() > 0  # capacity and probability disagree for some youths in the test world
    notes = [APPROACH_NOTES_NL[(c, t)] for c, t in zip(scored.loc[~same, "risk_category"], scored.loc[~same, "tier"])]
    assert scored.loc[~same, "approach_note_nl"].tolist() == notes
    assert ((scored["probability"] >= 0.5) & (scored["risk_category"] == "low")).sum() == 0  # never "laag" at 50%+


def test_the_api_names_the_risk_by_the_probability_and_the_advice_by_capacity(client_of_service, scored, champion_store):
    row = lighter_than_risk(scored)
    response = client_of_service.post("/score", json={"youths": [request_youth(
        str(row["youth_id"]), str(row["as_of"]), features=features_of(row))]})
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["probability"] == pytest.approx(float(row["probability"]), abs=1e-9)
    assert (result["risk_category"], result["risk_category_nl"]) == ("high", "hoog")
    assert (result["tier"], result["route"]) == ("medium", "gesprek")
    assert result["approach_note_nl"] == ("Het risico is hoog, maar de matchmakers hebben geen plaats meer: daarom is het "
                                          "advies een gesprek.")
    assert result["risk_category_meaning_nl"] == champion_store["model"].categories.meaning_nl("high", 23)


def test_the_api_document_describes_the_new_fields(client_of_service):
    document = client_of_service.get("/docs.json").json()
    scored = document["components"]["schemas"]["ScoredYouth"]["properties"]
    for name in ("risk_category", "risk_category_nl", "risk_category_meaning_nl", "approach_note_nl"):
        assert scored[name].get("description"), name
    assert "not the risk" in scored["tier"]["description"]


def test_model_reports_the_risk_categories_with_their_meaning(client_of_service, api_keys, champion_store):
    body = client_of_service.post("/model", headers=api_keys["headers"]["analyst"]).json()
    assert body["risk_categories"] == champion_store["model"].categories.to_dict()
    assert (body["risk_categories"]["medium"], body["risk_categories"]["high"]) == (0.30, 0.70)


@pytest.fixture(scope="module")
def client_of_service(asgi_client):
    return asgi_client
