"""One officer, one new report, end to end in headless Chromium against a real `vsv serve`: DUO's link delivers an
18+ absence report (`POST /events`), and the officer goes inbox → case → letter (PDF, its text extracted and
checked) → decision → status → closing with an outcome. The registry holds the hand-made route policy
(`tests/route_policies.py`) as the latest evaluation only (alias `evaluated`, its value check failed): the advice
stays the risk group's and the case page shows that evaluation's evidence, checked as visible text. Screenshots of
the inbox, the case page and its route evidence (`casework-route-evidence.png`, kept in docs/screenshots/), and the
letter's text, go to test-artifacts/."""

from __future__ import annotations

import io
import os
import sys

import httpx
import pytest
import sqlalchemy as sa

from tests.builders import api_record, enrolment, history, report
from tests.route_policies import (
    EVIDENCE,
    LETTER,
    MATCH,
    TALK,
    hand_made_policy,
    register_hand_made,
    remove_route_aliases,
)
from tests.servers import ARTIFACTS, free_port, running_server

pytestmark = pytest.mark.slow
YOUTH, REPORT_ID = "WALK-01", "MELD-2026-0917"
FORBIDDEN = ("risico", "kans", "model", "%", "matchmaker", "reden")  # a letter speaks to the youth, not about the model


@pytest.fixture(scope="module")
def evaluated_route_policy(champion_store):
    """The hand-made route policy as the registry's latest evaluation (not promoted) while this module's server runs;
    the session's store has no route policy again afterwards."""
    settings = champion_store["settings"]
    yield register_hand_made(settings, hand_made_policy(failed=("value",)), promoted=False)
    remove_route_aliases(settings)


@pytest.fixture(scope="module")
def site(scored_current, tmp_path_factory, api_keys, evaluated_route_policy):
    """A real server (today: Thursday 1 October 2026) with one delivered report: Tuesday 29 September."""
    root = tmp_path_factory.mktemp("casework-browser")
    database = f"sqlite:///{root / 'vsv.db'}"
    env = os.environ | {"VSV_SCORES": str(scored_current["scores"]), "VSV_DATABASE_URL": database, "VSV_WORKERS": "1",
                        "VSV_TODAY": "2026-10-01"}
    port = free_port()
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env,
                        log_path=root / "serve.log") as url:
        delivered = {"youth_id": YOUTH, "report": api_record(report("2026-09-29", report_id=REPORT_ID, youth_id=YOUTH)),
                     "history": history("2006-03-01", enrollments=[enrolment("2024-08-01", None, youth_id=YOUTH)])}
        response = httpx.post(f"{url}/events", json={"deliveries": [delivered]}, headers=api_keys["headers"]["analyst"],
                              timeout=60)
        assert response.status_code == 200, response.text
        answer = response.json()["results"][0]
        assert (answer["status"], answer["kind"], answer["deadline"]) == ("opened", "report_first", "2026-10-06")
        yield {"url": url, "database": database, "case_id": answer["case_id"], "advised": answer["advised_route"]}



def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def logged_in_page(site, browser, api_keys):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{site['url']}/ui/werkbak")
    page.fill("#sleutel", api_keys["keys"]["officer"])
    page.get_by_role("button", name="Inloggen").click()
    return page


def test_the_case_page_shows_the_latest_evaluations_route_evidence(site, browser, api_keys):
    with sa.create_engine(site["database"]).connect() as connection:
        category, policy = connection.execute(sa.text("select risk_category, policy from cases where id = :case"),
                                              {"case": site["case_id"]}).one()
    assert policy == "tier"  # an evaluation that is not promoted never advises
    page = logged_in_page(site, browser, api_keys)
    page.goto(f"{site['url']}/ui/zaak/{site['case_id']}")
    section = page.locator("#routes-bewijs")
    section.scroll_into_view_if_needed()
    assert section.is_visible() and page.locator("#routes-tabel").is_visible()
    for route, (count, effect, low, high) in zip((LETTER, TALK, MATCH), EVIDENCE[category]):
        row = page.locator(f"#route-{route}")
        assert row.is_visible() and row.locator(".zaken").inner_text() == str(count)
        if count >= 20 and route != LETTER:
            shown = row.locator(".effect").inner_text()
            assert f"ongeveer {abs(round(100 * effect))} van de 100 jongeren" in shown
            assert f"tussen {round(100 * low)} en {round(100 * high)} van de 100" in shown
    note = page.locator("#routes-herkomst")
    assert note.is_visible() and note.inner_text().startswith(
        "Deze cijfers komen uit de laatste evaluatie (periode 1 januari 2024 tot en met 31 december 2025).")
    assert "het verschil met het advies volgens de risicogroep is nog te onzeker" in note.inner_text()
    assert page.locator("#u-beslist").inner_text() == "U beslist, niet het model."
    bottom = section.evaluate("element => element.getBoundingClientRect().bottom + window.scrollY")
    page.screenshot(path=str(ARTIFACTS / "casework-route-evidence.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": bottom + 24})  # the page down to the evidence
    page.close()


def test_an_officer_takes_a_new_report_from_the_inbox_to_a_closed_case(site, browser, api_keys):
    page = logged_in_page(site, browser, api_keys)
    page.goto(f"{site['url']}/ui/werkbak")

    # inbox: the new case, unassigned, with its deadline; found again by its report number
    assert page.locator("h1").inner_text() == "Werkbak: meldingen en nieuwe voortijdig schoolverlaters"
    row = page.locator("#werkbak tbody tr").first
    assert YOUTH in row.inner_text() and "6 oktober 2026" in row.inner_text() and "niet toegewezen" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "casework-inbox.png"), full_page=True)
    page.fill("#zoek", REPORT_ID.lower())
    page.get_by_role("button", name="Toon").click()
    assert page.locator("#werkbak tbody tr").count() == 1
    page.click("#werkbak tbody tr:first-child a")

    # case page: the event, the risk and reasons as of the report's day, the advice, and who decides
    assert page.locator("h1").inner_text() == f"Zaak {site['case_id']} · jongere {YOUTH}"
    assert REPORT_ID in page.locator("#meldingen").inner_text()
    assert page.locator("#redenen li").count() >= 1
    assert "U beslist, niet het model" in page.locator("#model-weet-niet").inner_text()
    page.screenshot(path=str(ARTIFACTS / "casework-case.png"), full_page=True)

    # the letter: previewed (not stored), then made and stored; its text speaks to the youth, never of the model
    preview = page.request.get(site["url"] + page.locator("#voorbeeld-informatiebrief").get_attribute("href"))
    assert preview.status == 200 and preview.headers["content-type"] == "application/pdf"
    page.locator("#brief-informatie button").click()
    assert page.locator("#opgeslagen").is_visible()
    stored = page.request.get(site["url"] + page.locator("#brieven a").first.get_attribute("href"))
    text = pdf_text(stored.body())
    (ARTIFACTS / "casework-letter.txt").write_text(text, encoding="utf-8")
    assert YOUTH in text and "Je school heeft ons laten weten" in text
    assert not [word for word in FORBIDDEN if word in text.lower()]
    assert text == pdf_text(preview.body())  # the stored letter is the one previewed

    # assign, follow the advice with a follow-up date, then close: first without an outcome (refused), then with one
    page.locator("#aan-mij").click()
    assert page.locator("#zaak-consulent").inner_text() == "test-officer"
    page.check("input[name=keuze][value=volg]")
    page.fill("#vervolg", "2026-10-15")
    page.get_by_role("button", name="Besluit vastleggen").click()
    assert page.locator("#zaak-status").inner_text() in ("route gekozen", "traject loopt")
    page.select_option("#naar", "closed")
    page.get_by_role("button", name="Status vastleggen").click()
    assert "uitkomst" in page.locator("#zaak-fouten").inner_text().lower()
    page.select_option("#naar", "closed")
    page.select_option("#uitkomst", "back_in_school")
    page.get_by_role("button", name="Status vastleggen").click()
    assert page.locator("#zaak-status").inner_text() == "afgesloten"
    assert page.locator("#zaak-uitkomst").inner_text() == "terug naar school (mbo)"
    page.screenshot(path=str(ARTIFACTS / "casework-case-closed.png"), full_page=True)

    with sa.create_engine(site["database"]).connect() as connection:
        history_rows = connection.execute(sa.text(
            "select officer, action, status_to, chosen_route, follows_advice, outcome from case_records "
            "where case_id = :case order by id"), {"case": site["case_id"]}).all()
    assert [tuple(r) for r in history_rows] == [
        ("systeem", "opened", "new", None, None, None),
        ("test-officer", "letter", None, None, None, None),
        ("test-officer", "assigned", None, None, None, None),
        ("test-officer", "decision", history_rows[3][2], site["advised"], True, None),
        ("test-officer", "status", "closed", None, None, "back_in_school"),
    ]
