"""The officer page through the service's ASGI app: list, youth view, paste, decisions, in Dutch."""

from __future__ import annotations

import datetime as dt
import html
import re

import pandas as pd
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
    # `tier` is the old name of the risk filter: it filters on the risk category shown, not on the advice
    expected = scored[(scored["risk_category"] == "high") & (scored["enrolled"] == 0)
                      & (scored["school_municipality"] == "Dordrecht")]
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


BSN_IN_FIELD = ("staat een nummer dat op een burgerservicenummer (BSN) lijkt. Gebruik nooit een BSN, alleen het nummer "
                "(pseudoniem) van de jongere. Er is niets opgeslagen of gezocht; het nummer wordt hier niet herhaald.")


@pytest.mark.parametrize(("youth_id", "pasted", "uploaded"), [
    # pasted, the form's field is refused before the page reads it; uploaded, the scorer names the JSON's field
    ("123456782", (400, f"In &#x27;gegevens&#x27; {BSN_IN_FIELD}"),
     (422, "youth_id: dit lijkt een burgerservicenummer (BSN). Gebruik alleen het pseudoniem van de jongere, nooit een BSN")),
    ('=HYPERLINK("http://evil","x")<script>alert(1)</script>', *[(
     400, "youth_id: mag alleen letters, cijfers, &#39;-&#39; en &#39;_&#39; bevatten (1 tot 64 tekens)")] * 2),
])
def test_a_pasted_or_uploaded_hostile_id_is_refused_and_never_shown_again(client, youth_id, pasted, uploaded):
    import json

    text = json.dumps(dict(EXAMPLE_YOUTH, youth_id=youth_id))
    for response, (status, message) in ((client.post("/ui/nieuw", data={"gegevens": text}), pasted),
                                        (client.post("/ui/nieuw", files={"bestand": ("jongere.json", text.encode(),
                                                                                      "application/json")}), uploaded)):
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
    from serving.page_base import local_time

    assert local_time(dt.datetime(2026, 11, 23, 1, 23)) == "23-11-2026 02:23"  # stored UTC, winter time
    assert local_time(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)) == "01-07-2026 14:00"  # summer time


# --- the list an officer works with: search, sorting, filters by Dutch word, page numbers, Dutch errors ---

LISTED_IDS = re.compile(r'<th scope="row"><a href="[^"]+">([^<]+)</a>')


def by_risk(scored):
    """The list's own order: highest chance first, ties in file order."""
    return scored.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def risk_of(scored):
    """The risk the list filters on: `risk_category` once the batch file has it, else the tier."""
    return scored["risk_category"] if "risk_category" in scored else scored["tier"]


@pytest.fixture
def today_is():
    """Set the page's today (the service reads Settings.current_date; VSV_TODAY in a real server)."""
    import dataclasses

    from serving.page_base import page_app, page_context

    def set_today(day: dt.date) -> None:
        page_app.dependency_overrides[page_context] = lambda: dataclasses.replace(page_context(), today=lambda: day)

    yield set_today
    page_app.dependency_overrides.pop(page_context, None)


def test_search_finds_ids_by_their_start_in_any_case_and_trimmed(client, scored):
    youth_id = by_risk(scored)["youth_id"].iloc[0]
    prefix = youth_id[:2]
    expected = by_risk(scored)["youth_id"][lambda ids: ids.str.upper().str.startswith(prefix.upper())].tolist()
    page = client.get("/ui/", params={"zoek": f"  {prefix.lower()} "}).text
    assert len(expected) > 1 and LISTED_IDS.findall(page) == expected[:50]
    assert f"{len(expected)} jongeren gevonden" in page


def test_an_exact_id_in_any_case_opens_the_youth(client, scored):
    youth_id = by_risk(scored)["youth_id"].iloc[3]
    response = client.get("/ui/", params={"zoek": f" {youth_id.lower()}"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith(f"/ui/jongere/{youth_id}")


def test_a_search_that_finds_nothing_or_is_refused_says_so_without_repeating_it(client):
    nothing = client.get("/ui/", params={"zoek": "QQ9QQ9"})
    assert nothing.status_code == 200 and "0 jongeren gevonden" in nothing.text
    assert "Er is geen jongere gevonden met dit nummer, of met een nummer dat zo begint." in nothing.text
    said = nothing.text.split('id="niets-gevonden">')[1].split("</p>")[0]
    assert 'value="QQ9QQ9"' in nothing.text and "QQ9QQ9" not in said  # kept in the box, never in the message
    for refused, message in (("123456782", f"In &#x27;zoek&#x27; {BSN_IN_FIELD}"),
                             ("Jan de Vries", "Zoek op het nummer van de jongere: alleen letters")):
        response = client.get("/ui/", params={"zoek": refused})
        assert response.status_code == 400 and message in response.text and refused not in response.text


@pytest.mark.parametrize(("sort", "direction", "column", "ascending"), [
    ("kans", "oplopend", "probability", True), ("leeftijd", "aflopend", "age", False), ("leeftijd", "oplopend", "age", True),
    ("maanden", "aflopend", "months_not_enrolled", False), ("melding", "", "weeks_since_last_report", True),
    ("melding", "aflopend", "weeks_since_last_report", False),
])
def test_sorting_on_every_column_both_ways_with_missing_values_last(client, scored, sort, direction, column, ascending):
    expected = by_risk(scored).sort_values(column, ascending=ascending, kind="stable", na_position="last")["youth_id"].tolist()
    pages = -(-len(expected) // 50)
    first = client.get("/ui/", params={"sorteer": sort, "volgorde": direction}).text
    last = client.get("/ui/", params={"sorteer": sort, "volgorde": direction, "pagina": pages}).text
    assert LISTED_IDS.findall(first) == expected[:50] and LISTED_IDS.findall(last) == expected[(pages - 1) * 50:]


def test_melding_puts_the_most_recent_first_and_the_never_reported_last(client, scored):
    weeks = by_risk(scored)["weeks_since_last_report"]
    pages = -(-len(weeks) // 50)
    first = client.get("/ui/", params={"sorteer": "melding"}).text.split("<tbody>")[1]
    last = client.get("/ui/", params={"sorteer": "melding", "pagina": pages}).text.split("<tbody>")[1]
    assert weeks.isna().any() and f"<td>{'deze week' if weeks.min() == 0 else f'{int(weeks.min())} '}" in first
    on_last_page = len(weeks) - (pages - 1) * 50
    assert weeks.isna().sum() >= on_last_page and "nooit gemeld" not in first and last.count("nooit gemeld") == on_last_page


def test_sorting_and_filters_are_kept_in_every_link(client):
    page = client.get("/ui/", params={"sorteer": "leeftijd", "volgorde": "oplopend", "risico": "midden"}).text
    kept = "risico=medium&amp;sorteer=leeftijd&amp;volgorde=oplopend"
    assert f"{kept}&amp;pagina=2" in page  # page numbers keep the sorting and the filter
    assert '<option value="leeftijd-oplopend" selected>' in page and '<option value="medium" selected>' in page
    assert 'aria-sort="ascending"><a href="/ui/?risico=medium&amp;sorteer=leeftijd&amp;volgorde=aflopend"' in page


@pytest.mark.parametrize("params", [{"tier": "laag"}, {"risico": "laag"}, {"risico": "LOW"}, {"tier": "low"}])
def test_the_risk_filter_accepts_the_dutch_word_and_the_code_under_both_names(client, scored, params):
    page = client.get("/ui/", params=params).text
    assert f"{int((risk_of(scored) == 'low').sum())} jongeren gevonden" in page
    assert LISTED_IDS.findall(page) == by_risk(scored)[risk_of(by_risk(scored)) == "low"]["youth_id"].tolist()[:50]


def test_the_municipality_filter_accepts_the_words_it_shows(client, scored):
    page = client.get("/ui/", params={"gemeente": "Buiten de regio"}).text
    assert f"{int((scored['school_municipality'] == 'buiten_regio').sum())} jongeren gevonden" in page
    assert '<option value="buiten_regio" selected>buiten de regio</option>' in page


def test_an_unknown_filter_value_is_said_in_dutch_and_not_repeated(client, scored):
    response = client.get("/ui/", params={"risico": "extreem", "ingeschreven": "misschien"})
    assert response.status_code == 400
    assert "Het filter &#39;risico&#39; kent deze waarde niet en is niet toegepast. Kies laag, midden of hoog." in response.text
    assert "Het filter &#39;ingeschreven&#39; kent deze waarde niet" in response.text
    assert "extreem" not in response.text and "misschien" not in response.text
    assert f"{len(scored)} jongeren gevonden" in response.text


def test_page_numbers_link_the_first_the_last_and_the_nearby_pages(client, scored):
    pages = -(-len(scored) // 50)
    page = client.get("/ui/", params={"pagina": 6}).text
    assert pages > 10
    assert [int(n) for n in re.findall(r'aria-label="Pagina (\d+)"', page)] == [1, 4, 5, 6, 7, 8, pages]
    assert re.findall(r'aria-label="Pagina (\d+)" aria-current="page"', page) == ["6"]
    assert LISTED_IDS.findall(page) == by_risk(scored)["youth_id"].tolist()[250:300]


@pytest.mark.parametrize("query", ["pagina=abc", "pagina=1e99999", "pagina="])
def test_a_bad_page_number_is_a_dutch_page_not_json_and_never_echoed(client, query):
    response = client.get(f"/ui/?{query}")
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "De pagina kan dit niet tonen: het paginanummer is geen geheel getal." in response.text
    assert '"detail"' not in response.text and "abc" not in response.text and "1e99999" not in response.text
    assert '<html lang="nl">' in response.text


def test_unknown_pages_under_ui_are_dutch(client):
    for path in ("/ui/bestaat-niet", "/ui/jongere/J1/extra"):
        response = client.get(path)
        assert response.status_code == 404 and "Pagina niet gevonden" in response.text and '"detail"' not in response.text
    wrong_method = client.get("/ui/besluit")  # a form's target is no page to open
    assert wrong_method.status_code == 404 and "Pagina niet gevonden" in wrong_method.text
    refused = client.get("/ui/monitor")  # analysts only
    assert refused.status_code == 403 and "U hebt geen toegang tot deze pagina." in refused.text and "{" not in refused.text
    missing = client.post("/ui/besluit", data={})
    assert missing.status_code == 400 and "de gegevens van de jongere ontbreekt" in missing.text


# --- freshness and age on the day the list is read ---

def test_the_list_says_its_reference_date_and_age_in_dutch(client, today_is):
    today_is(dt.date(2026, 12, 6))
    assert "Berekend op peildatum 1 oktober 2026 (<span id=\"leeftijd-lijst\">66 dagen geleden</span>)" in client.get("/ui/").text
    today_is(dt.date(2026, 10, 1))
    assert "(<span id=\"leeftijd-lijst\">vandaag</span>)" in client.get("/ui/").text


def first_to_turn_23(scored):
    """The youth who turns 23 first after the reference date (and has no startkwalificatie before it)."""
    by_age = scored[scored["leaves_group_reason"] == "max_age"].sort_values(["leaves_group_on", "youth_id"])
    row = by_age.iloc[0]
    return row["youth_id"], dt.date.fromisoformat(row["leaves_group_on"])


def test_the_batch_file_says_when_each_youth_leaves_the_group(scored):
    on = pd.to_datetime(scored["leaves_group_on"])
    assert on.notna().all() and (on > pd.Timestamp("2026-10-01")).all() and (on <= pd.Timestamp("2031-10-01")).all()  # 18 at the reference date: 23 within 5 years
    assert set(scored["leaves_group_reason"]) <= {"max_age", "startkwalificatie"}


def test_a_youth_who_turned_23_is_marked_and_gets_no_advice(client, scored, today_is):
    youth_id, birthday = first_to_turn_23(scored)
    sentence = f"Valt sinds {birthday.day} {MONTHS[birthday.month - 1]} {birthday.year} buiten de doelgroep: 23 jaar geworden."
    today_is(birthday - dt.timedelta(days=1))
    before = client.get(f"/ui/jongere/{youth_id}").text
    assert 'id="advies"' in before and "Valt sinds" not in before
    youth_json = re.search(r'name="youth" value="([^"]+)"', before).group(1).replace("&#34;", '"')
    today_is(birthday)
    page = client.get(f"/ui/jongere/{youth_id}").text
    assert f'<p id="buiten-doelgroep"><strong>{sentence}</strong></p>' in page
    assert 'id="advies"' not in page and 'name="route"' not in page and "Besluit vastleggen" not in page
    assert f"{sentence} Er is geen advies en er kan geen besluit worden vastgelegd." in page
    listed = client.get("/ui/", params={"zoek": youth_id[:-1]}).text
    row = next(r for r in listed.split("<tr>") if f">{youth_id}</a>" in r)
    assert f'<span class="left-group">Geen advies. {sentence}</span>' in row
    refused = client.post("/ui/besluit", data={"youth": youth_json, "bron": "lijst", "route": "gesprek", "houding": "wijkt_af",
                                               "reden": "te laat"})
    assert refused.status_code == 409 and "Besluit niet vastgelegd" in refused.text


# --- "Alle factoren" in plain Dutch ---

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november",
          "december")


def test_all_factors_are_in_words_without_codes_or_log_odds(client, scored):
    from vsv_model.feature_spec import FEATURES

    row = by_risk(scored)[lambda f: f["school_municipality"] == "buiten_regio"].iloc[0]
    page = client.get(f"/ui/jongere/{row['youth_id']}").text
    block = page.split('<details id="alle-factoren">')[1].split("</details>")[0]
    assert all(f'<th scope="row">{f.label_nl}' in block for f in FEATURES)
    assert "<td>buiten de regio</td>" in block and "buiten_regio" not in block
    assert f"<td>{'ja' if row['enrolled'] else 'nee'}</td>" in block
    months = row["months_not_enrolled"]
    assert f"<td>{'nooit ingeschreven' if months != months else f'{months:g} maand' + ('' if months == 1 else 'en')}</td>" in block
    assert not re.search(r"[+-]\d+\.\d", block) and "None" not in block and "nan" not in block
    assert not re.search(r"\b(mbo|vmbo)-\w+|\bgeen_|\bBOL\b(?!\))", block)
    # one effect per feature and one per concept ("samen"), each a direction in words
    from vsv_model.concepts import CONCEPTS

    assert block.count("maakt de kans groter") + block.count("maakt de kans kleiner") + block.count("geen invloed") == (
        len(FEATURES) + len(CONCEPTS))
    assert block.count("(samen)") == len(CONCEPTS)


def test_the_list_shows_the_largest_raising_reason_and_places_in_words(client, scored):
    from serving.page import main_reasons

    rows = scored.head(200)
    shown = main_reasons(rows)
    for (_, row), reason in zip(rows.iterrows(), shown, strict=True):
        raising = [row[f"reason_{k}_sentence_nl"] for k in range(1, 6)
                   if row[f"reason_{k}_direction"] == "raises" and row[f"reason_{k}_concept"] not in ("leeftijd", "schoollocatie")]
        assert reason == (raising[0] if raising else "")
    page = client.get("/ui/", params={"gemeente": "buiten_regio"}).text
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>buiten de regio</td>" in body and "buiten_regio" not in body


def test_a_list_without_the_exit_dates_says_so(client, scored, monkeypatch):
    """A scores file from before `leaves_group_on` cannot tell who turned 23 since: the list says so."""
    from serving.scores import ScoresSource

    old = scored.drop(columns=["leaves_group_on", "leaves_group_reason"]).sort_values("probability", ascending=False)
    page = client.get("/ui/").text
    assert 'id="doelgroep-onbekend"' not in page
    monkeypatch.setattr(ScoresSource, "frame", lambda self: old.reset_index(drop=True))
    page = client.get("/ui/").text
    assert 'id="doelgroep-onbekend"' in page and "(23 jaar geworden of een diploma gehaald)" in page


def test_a_list_scored_without_reasons_is_shown(client, scored, monkeypatch):
    """`vsv score` without --explain writes no reasons and no checks: the list still shows, with no reason column."""
    from serving.scores import ScoresSource

    bare = scored[[c for c in scored.columns if not c.startswith(("reason_", "contribution_")) and c != "data_quality"]]
    monkeypatch.setattr(ScoresSource, "frame", lambda self: bare.sort_values("probability", ascending=False).reset_index(drop=True))
    response = client.get("/ui/")
    assert response.status_code == 200 and "jongeren gevonden" in response.text
