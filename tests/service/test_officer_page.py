"""The officer page through the service's ASGI app: list, youth view, paste, decisions, in Dutch."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from serving.page import EXAMPLE_YOUTH
from tests.builders import fast_config


@pytest.fixture(scope="module")
def scored(scored_current):
    return scored_current["frame"]


@pytest.fixture(scope="module")
def client(asgi_client):
    return asgi_client


def test_list_is_sorted_by_risk_and_counts_categories_apart_from_routes_against_capacity(client, scored):
    page = client.get("/ui/").text
    ids = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', page)
    assert ids == list(scored.sort_values("probability", ascending=False, kind="stable")["youth_id"][:50])
    by_risk = page.split('id="aantallen-risico"')[1].split("</ul>")[0]
    for code, word in (("high", "hoog"), ("medium", "midden"), ("low", "laag")):
        count = int((scored["risk_category"] == code).sum())
        assert re.search(rf'tier-{code}">{word}</span>\s*<strong>{count}</strong> jongeren</li>', by_risk), code
    by_route = page.split('id="aantallen-advies"')[1].split("</ul>")[0]
    high = int((scored["tier"] == "high").sum())
    places = fast_config().tiers.high_capacity  # the capacity the test champion was trained with
    assert re.search(rf'Matchmaker: intensieve begeleiding met huisbezoeken</span>\s*<strong>{high}</strong> jongeren\s*'
                     rf'<span class="capacity">\(capaciteit: {places}\b', by_route)
    assert "badge" not in by_route  # the routes are never shown as a risk word


def test_the_lists_risk_column_shows_the_category_from_the_probability_not_the_tier(client, scored):
    ordered = scored.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)
    first_differing = int((ordered["risk_category"] != ordered["tier"]).to_numpy().argmax())
    page = client.get("/ui/", params={"pagina": first_differing // 50 + 1}).text  # the page holding such a youth
    rows = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*<td><span class="badge tier-(\w+)">(\w+)</span>',
                      page)
    listed = scored.set_index("youth_id")
    assert len(rows) == 50
    assert [(code, word) for _, code, word in rows] == [
        (listed.loc[y, "risk_category"], {"low": "laag", "medium": "midden", "high": "hoog"}[listed.loc[y, "risk_category"]])
        for y, _, _ in rows]
    assert any(listed.loc[y, "tier"] != code for y, code, _ in rows)  # shown: the category, where the tier differs


def test_a_high_risk_youth_advised_a_conversation_reads_both_apart(client, scored):
    row = scored[(scored["risk_category"] == "high") & (scored["tier"] == "medium")].iloc[0]
    page = client.get(f"/ui/jongere/{row['youth_id']}").text
    summary = page.split('<section class="summary"')[1].split("</section>")[0]
    percent = f"{round(100 * float(row['probability']))}%"
    assert re.search(rf'Kans {percent} — risico <span class="badge big tier-high" id="risico">hoog</span>', summary)
    assert html.escape(row["risk_category_meaning_nl"], quote=False) in summary
    assert 'Advies: <strong id="advies">Uitnodiging voor een gesprek met een consulent</strong>' in summary
    assert ('id="advies-toelichting">Het risico is hoog, maar de matchmakers hebben geen plaats meer: daarom is het advies '
            'een gesprek.</p>') in summary
    assert "Risico:" not in page and ">midden<" not in summary  # the tier is never shown as the risk


def test_a_youth_whose_advice_matches_the_risk_has_no_approach_note(client, scored):
    row = scored[scored["risk_category"] == scored["tier"]].iloc[0]
    page = client.get(f"/ui/jongere/{row['youth_id']}").text
    assert 'id="advies-toelichting"' not in page
    assert f'id="risico">{row["risk_category_nl"]}</span>' in page


def test_filters_combine(client, scored):
    page = client.get("/ui/", params={"tier": "high", "ingeschreven": "nee", "gemeente": "Dordrecht"}).text
    expected = scored[(scored["tier"] == "high") & (scored["enrolled"] == 0) & (scored["school_municipality"] == "Dordrecht")]
    assert f"{len(expected)} jongeren gevonden" in page
    assert set(re.findall(r'badge tier-(\w+)">', page.split("<tbody>")[1])) <= {"high"}


def test_youth_view_shows_tier_route_reasons_and_reminder(client, scored):
    youth_id = scored.iloc[0]["youth_id"]
    page = client.get(f"/ui/jongere/{youth_id}").text
    assert 'id="risico">' in page and "Het model adviseert; u beslist." in page
    row = scored.iloc[0]
    shown = [row[f"reason_{k}_sentence_nl"] for k in range(1, 6) if isinstance(row[f"reason_{k}_sentence_nl"], str)]
    background = [s for k, s in enumerate(shown, start=1) if row[f"reason_{k}_concept"] in ("leeftijd", "schoollocatie")]
    assert page.count('class="reason ') == len(shown) - len(background) > 0
    assert all(html.escape(sentence, quote=False) in page for sentence in shown)  # the list's sentences, word for word
    assert "Wat de kans groter maakt" in page and "Wat helpt" in page and "Achtergrond" in page
    assert "vergelijkbare jongeren" in page and f"modelversie {row['model_version']} ({row['model_fingerprint']})" in page
    assert 'id="ander-model"' not in page  # the list was scored by the served model


def test_unknown_youth_is_a_dutch_404(client):
    response = client.get("/ui/jongere/BESTAATNIET")
    assert response.status_code == 404 and "Jongere niet gevonden" in response.text


def test_override_without_reason_is_refused_then_stored_with_one(client, scored):
    row = scored[scored["tier"] == "medium"].iloc[0]
    page = client.get(f"/ui/jongere/{row['youth_id']}").text
    youth_json = re.search(r'name="youth" value="([^"]+)"', page).group(1).replace("&#34;", '"')
    form = {"youth": youth_json, "bron": "lijst", "route": "matchmaker", "houding": "wijkt_af", "reden": ""}
    refused = client.post("/ui/besluit", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "Geef een reden als u afwijkt van het advies." in refused.text
    stored = client.post("/ui/besluit", data=form | {"reden": "zorgen over thuissituatie"}, follow_redirects=False)
    assert stored.status_code == 303
    after = client.get(stored.headers["location"]).text
    assert "Uw besluit is vastgelegd." in after and "zorgen over thuissituatie" in after
    assert "test-officer" in after.split('id="historie"')[1]  # recorded on the key's name, never a typed one


def test_pasted_history_is_scored_and_bad_paste_explained_in_dutch(client):
    import json

    good = client.post("/ui/nieuw", data={"gegevens": json.dumps(EXAMPLE_YOUTH)})
    assert good.status_code == 200 and "Jongere J0000001" in good.text and "ingevoerde gegevens" in good.text
    bad = dict(EXAMPLE_YOUTH, history=dict(EXAMPLE_YOUTH["history"], birth_date="14-03-2006"))
    refused = client.post("/ui/nieuw", data={"gegevens": json.dumps(bad)})
    assert refused.status_code == 400 and "history.birth_date: is geen geldige datum (JJJJ-MM-DD)" in refused.text
    young = dict(EXAMPLE_YOUTH, history=dict(EXAMPLE_YOUTH["history"], birth_date="2012-01-01"))
    assert "valt buiten de doelgroep: jonger dan 18 jaar" in client.post("/ui/nieuw", data={"gegevens": json.dumps(young)}).text
    assert "Dit is geen geldige JSON" in client.post("/ui/nieuw", data={"gegevens": "{niet"}).text


@pytest.mark.parametrize(("youth_id", "status", "message"), [
    ("123456782", 422, "youth_id: dit lijkt een burgerservicenummer (BSN). Gebruik alleen het pseudoniem van de jongere, nooit een BSN"),
    ('=HYPERLINK("http://evil","x")<script>alert(1)</script>', 400,
     "youth_id: mag alleen letters, cijfers, &#39;-&#39; en &#39;_&#39; bevatten (1 tot 64 tekens)"),
])
def test_a_pasted_or_uploaded_hostile_id_is_refused_and_never_shown_again(client, youth_id, status, message):
    import json

    text = json.dumps(dict(EXAMPLE_YOUTH, youth_id=youth_id))
    for response in (client.post("/ui/nieuw", data={"gegevens": text}),
                     client.post("/ui/nieuw", files={"bestand": ("jongere.json", text.encode(), "application/json")})):
        assert response.status_code == status and message in response.text
        assert "123456782" not in response.text and "HYPERLINK" not in response.text and "<script>" not in response.text


def test_pasted_file_upload_works(client):
    import json

    response = client.post("/ui/nieuw", files={"bestand": ("jongere.json", json.dumps(EXAMPLE_YOUTH).encode(), "application/json")})
    assert response.status_code == 200 and "Jongere J0000001" in response.text


def test_every_visible_input_has_a_label(client, scored):
    pages = [client.get("/ui/").text, client.get(f"/ui/jongere/{scored.iloc[0]['youth_id']}").text, client.get("/ui/nieuw").text]
    for page in pages:
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
            if 'type="hidden"' in tag:
                continue
            element_id = re.search(r'id="([^"]+)"', tag).group(1)
            assert f'for="{element_id}"' in page, tag
    assert all('lang="nl"' in page for page in pages)


def test_assets_are_local(client):
    page = client.get("/ui/").text
    assert not re.search(r'(src|href)="https?://(?!testserver)', page)
    assert client.get("/ui/static/style.css").status_code == 200


def test_times_are_shown_in_dutch_local_time():
    from serving.page import local_time

    assert local_time(dt.datetime(2026, 11, 23, 1, 23)) == "23-11-2026 02:23"  # stored UTC, winter time
    assert local_time(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)) == "01-07-2026 14:00"  # summer time
