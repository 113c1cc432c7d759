"""End to end in headless Chromium (Debian's package, driven by Playwright) against a real server:
open the list, filter to high, open a youth, see tier, route and reasons; an override without a
reason is refused, with one it is stored and shows in the history. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import sys

import pytest
import sqlalchemy as sa

from serving.database import open_database
from serving.decisions import DecisionStore
from tests.servers import ARTIFACTS, free_port, running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(scored_current, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    database = f"sqlite:///{root / 'vsv.db'}"
    env = os.environ | {"VSV_SCORES": str(scored_current["scores"]), "VSV_DATABASE_URL": database, "VSV_WORKERS": "1"}
    port = free_port()
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env,
                        log_path=root / "serve.log") as url:
        yield {"url": url, "database": database}



def log_in(browser, site, key: str, **options):
    """A new page, sent to the login form first (no session yet), logged in with the key."""
    page = browser.new_page(**options)
    page.goto(f"{site['url']}/ui/")
    assert page.locator("h1").inner_text() == "Inloggen"
    page.fill("#sleutel", key)
    page.get_by_role("button", name="Inloggen").click()
    return page


def test_login_refuses_a_wrong_key_and_sets_a_strict_httponly_cookie(site, browser, api_keys):
    page = browser.new_page()
    page.goto(f"{site['url']}/ui/jongere/J0000001")
    assert page.url.endswith("/ui/login")
    page.fill("#sleutel", "vsv_niet-goed")
    page.get_by_role("button", name="Inloggen").click()
    assert "Deze sleutel is onbekend." in page.locator(".problems").inner_text()
    page.screenshot(path=str(ARTIFACTS / "officer-login-refused.png"), full_page=True)
    page.fill("#sleutel", api_keys["keys"]["officer"])
    page.get_by_role("button", name="Inloggen").click()
    assert page.locator("h1").inner_text() == "Jongeren op volgorde van risico"
    assert "Ingelogd als test-officer" in page.locator("header").inner_text()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) == {"vsv_sessie", "vsv_formulier"}  # the session, and the login form's own token
    for cookie in cookies.values():
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"], cookie["secure"]) == (True, "Strict", "/ui", False)
    assert api_keys["keys"]["officer"] not in cookies["vsv_sessie"]["value"]
    assert page.evaluate("document.cookie") == ""  # out of reach of scripts
    page.get_by_role("button", name="Uitloggen").click()
    assert page.locator("h1").inner_text() == "Inloggen"
    page.goto(f"{site['url']}/ui/")
    assert page.url.endswith("/ui/login")
    page.context.add_cookies([cookies["vsv_sessie"]])  # the session's cookie, kept and replayed after logout
    page.goto(f"{site['url']}/ui/")
    assert page.url.endswith("/ui/login")


def test_officer_flow_from_list_to_recorded_override(site, browser, api_keys):
    page = log_in(browser, site, api_keys["keys"]["officer"], viewport={"width": 1280, "height": 900})
    assert page.locator("h1").inner_text() == "Jongeren op volgorde van risico"
    page.select_option("#filter-risico", "high")
    page.get_by_role("button", name="Filter toepassen").click()
    badges = page.locator("tbody .badge").all_inner_texts()
    assert badges and set(badges) == {"hoog"}
    page.screenshot(path=str(ARTIFACTS / "officer-list-high.png"), full_page=True)

    youth_id = page.locator("tbody tr:first-child th a").inner_text()
    page.click("tbody tr:first-child th a")
    assert page.locator("#risico").inner_text() == "hoog"
    assert page.locator("#advies").inner_text() == "Matchmaker: intensieve begeleiding met huisbezoeken"
    assert page.locator("#redenen-groter li").count() >= 1
    assert "Het model adviseert; u beslist." in page.content()
    assert "geen diploma haalt van mbo-niveau 2 of hoger, havo of vwo" in page.locator("#redenen-kop + p").inner_text()
    page.screenshot(path=str(ARTIFACTS / "officer-youth.png"), full_page=True)

    page.check("#route-gesprek")
    page.check("#houding-wijkt_af")
    page.get_by_role("button", name="Besluit vastleggen").click()
    assert "Geef een reden als u afwijkt van het advies." in page.locator("#besluit-fouten").inner_text()
    assert "Nog geen besluiten vastgelegd." in page.content()
    page.screenshot(path=str(ARTIFACTS / "officer-override-refused.png"), full_page=True)

    page.check("#route-gesprek")
    page.check("#houding-wijkt_af")
    page.fill("#reden", "Jongere heeft net werk gevonden; eerst een gesprek.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    assert page.locator(".saved").inner_text() == "Uw besluit is vastgelegd."
    history = page.locator("#historie tbody tr").first.inner_text()
    assert "test-officer" in history and "Jongere heeft net werk gevonden" in history
    page.screenshot(path=str(ARTIFACTS / "officer-override-stored.png"), full_page=True)

    with sa.create_engine(site["database"]).connect() as connection:  # stored under the youth's key: no id, no reason
        rows = connection.execute(sa.text("select youth_id, chosen_route, follows_advice, reason from decisions")).all()
    assert [(r.chosen_route, bool(r.follows_advice), r.reason) for r in rows] == [("gesprek", False, None)]
    assert youth_id not in str(rows)
    opened = DecisionStore(open_database(site["database"])).history(youth_id)
    assert [(d["youth_id"], d["chosen_route"], d["follows_advice"], d["reason"]) for d in opened] == [
        (youth_id, "gesprek", False, "Jongere heeft net werk gevonden; eerst een gesprek.")]


def test_the_list_and_the_youth_page_show_the_same_number_for_20_youths(site, browser, api_keys, scored_current):
    """One number per youth: for the same youth, reference date and model, the list and the page agree."""
    page = log_in(browser, site, api_keys["keys"]["officer"], viewport={"width": 1280, "height": 900})
    rows = page.locator("tbody tr")
    listed = [(rows.nth(i).locator("th a").inner_text(), rows.nth(i).locator("td").nth(1).inner_text(),
               rows.nth(i).locator(".badge").inner_text()) for i in range(20)]
    frame = scored_current["frame"].set_index("youth_id")
    for number, (youth_id, percent, tier) in enumerate(listed):
        page.goto(f"{site['url']}/ui/jongere/{youth_id}")
        assert page.locator("#kans").inner_text().startswith(f"Kans {percent} — risico "), youth_id
        assert page.locator("#risico").inner_text() == tier
        assert page.locator("#ander-model").count() == 0
        shown = page.locator(".reasons .sentence").all_inner_texts() + page.locator("#achtergrond li").all_inner_texts()
        expected = [frame.loc[youth_id, f"reason_{k}_sentence_nl"] for k in range(1, 6)]
        # the batch file keeps the first 5 of the (up to 6) concepts the page shows
        listed_reasons = sorted(e for e in expected if isinstance(e, str))
        page_reasons = sorted(s.split(" ✎")[0] for s in shown)
        assert set(listed_reasons) <= set(page_reasons) and len(listed_reasons) == min(5, len(page_reasons)), youth_id
        if number < 3:
            page.screenshot(path=str(ARTIFACTS / f"officer-same-number-{number + 1}.png"), full_page=True)


def tab_to(page, selector: str, presses: int = 80) -> None:
    """Press Tab until `selector` has the focus: proves it is reachable by keyboard, in tab order."""
    target = page.locator(selector).first
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
    .map(c => c.id || c.name || c.outerHTML)"""


def test_keyboard_only_and_tablet_width(site, browser, api_keys):
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.goto(f"{site['url']}/ui/")
    tab_to(page, "#sleutel")
    page.keyboard.type(api_keys["keys"]["officer"])
    page.keyboard.press("Enter")
    page.wait_for_selector("tbody")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Direct naar de inhoud"
    page.keyboard.press("Enter")
    tab_to(page, "tbody tr:first-child th a")
    page.keyboard.press("Enter")
    page.wait_for_selector("#risico")
    tab_to(page, "#route-waarschuwingsbrief")
    for _ in range(4):  # arrow keys move through a radio group: waarschuwingsbrief -> ... -> geen
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.id") == "route-geen"
    assert page.is_checked("#route-geen")
    tab_to(page, "#houding-volgt")  # Tab enters a radio group once; the arrow keys choose within it
    page.keyboard.press("ArrowDown")
    assert page.is_checked("#houding-wijkt_af")
    tab_to(page, "#reden")
    page.keyboard.type("Verhuisd naar buiten de regio.")
    tab_to(page, "button:has-text('Besluit vastleggen')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".saved")
    assert "Verhuisd naar buiten de regio." in page.locator("#historie").inner_text()
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820, "no horizontal scrolling on a tablet"
    page.screenshot(path=str(ARTIFACTS / "officer-tablet.png"), full_page=True)


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 820, "height": 1180}])
def test_every_page_is_labelled_and_fits_the_screen(site, browser, api_keys, viewport):
    page = log_in(browser, site, api_keys["keys"]["officer"], viewport=viewport)
    youth_id = page.locator("tbody tr:first-child th a").inner_text()
    for path in ("/ui/", f"/ui/jongere/{youth_id}", "/ui/nieuw"):
        page.goto(f"{site['url']}{path}")
        assert page.evaluate(UNLABELLED_CONTROLS) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path


def test_paste_a_youth_in_the_browser(site, browser, api_keys):
    import json

    from serving.page import EXAMPLE_YOUTH

    page = log_in(browser, site, api_keys["keys"]["officer"])
    page.goto(f"{site['url']}/ui/nieuw")
    page.fill("#gegevens", json.dumps(EXAMPLE_YOUTH))
    page.get_by_role("button", name="Risico berekenen").click()
    assert page.locator("h1").inner_text() == "Jongere J0000001"
    assert page.locator("#redenen-groter li, #redenen-helpt li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "officer-pasted.png"), full_page=True)


@pytest.fixture(scope="module")
def stale_site(scored_current, tmp_path_factory):
    """A server whose list was scored by another model than the one it serves (another run id)."""
    import pandas as pd

    root = tmp_path_factory.mktemp("stale")
    stale = pd.read_parquet(scored_current["scores"]).assign(model_version="0", model_run_id="0" * 32, model_fingerprint="00000000-00000000")
    stale["probability"] = stale["probability"] * 0.5
    stale.to_parquet(root / "scores.parquet", index=False)
    env = os.environ | {"VSV_SCORES": str(root / "scores.parquet"), "VSV_DATABASE_URL": f"sqlite:///{root / 'vsv.db'}", "VSV_WORKERS": "1"}
    port = free_port()
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env, log_path=root / "serve.log") as url:
        yield {"url": url, "scores": root / "scores.parquet"}


def test_a_list_from_another_model_is_said_plainly_and_an_analyst_can_rescore_it(stale_site, browser, api_keys, scored_current):
    import pandas as pd

    officer = log_in(browser, stale_site, api_keys["keys"]["officer"], viewport={"width": 1280, "height": 900})
    assert "deze lijst is berekend met een ander model" in officer.locator("#ander-model").inner_text()
    officer.click("tbody tr:first-child th a")
    notice = officer.locator("#ander-model").inner_text()
    assert "de lijst is berekend met een ander model" in notice and "Vraag een analist" in notice
    officer.screenshot(path=str(ARTIFACTS / "officer-other-model.png"), full_page=True)
    analyst = log_in(browser, stale_site, api_keys["keys"]["analyst"], viewport={"width": 1280, "height": 900})
    analyst.get_by_role("button", name="Lijst opnieuw berekenen met het huidige model").click()
    assert "Lijst opnieuw berekend" in analyst.locator("h1").inner_text()
    analyst.goto(f"{stale_site['url']}/ui/")
    assert analyst.locator("#ander-model").count() == 0
    rescored = pd.read_parquet(stale_site["scores"]).set_index("youth_id").sort_index()
    expected = scored_current["frame"].set_index("youth_id").sort_index()
    assert (rescored["model_run_id"] == expected["model_run_id"]).all()
    assert (rescored["probability"] - expected["probability"]).abs().max() < 1e-12


def stored_monitor_report(database: str) -> None:
    """A `vsv monitor` report in the site's database, built by the report's own code from made-up aggregates."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    from monitoring.measures import Finding
    from monitoring.report import fragment
    from monitoring.run import MonitorResult
    from serving.archive import StoredReport, open_archive, store_report
    from vsv_model.expected_performance import estimate

    p = np.linspace(0.01, 0.6, 400)
    tiers = np.where(p > 0.5, "high", np.where(p > 0.3, "medium", "low"))
    history = pd.DataFrame([{"as_of": f"{y}-10-01", "feature": f, "psi": v * (y - 2018) / 3}
                            for y in (2019, 2020, 2021) for f, v in (("absence_hours_52w", 0.3), ("age", 0.01))])
    findings = [Finding("alarm", "psi", "absence_hours_52w", "PSI 0.300 (warn 0.1, alarm 0.25)", 0.3)]
    result = MonitorResult("2021-10-01", "3", "01234567-89abcdef", findings,
                           history[history["as_of"] == "2021-10-01"].drop(columns="as_of"), history, pd.DataFrame(),
                           estimate(p, tiers, 0.1), estimate(p, tiers, 0.1), {"high": 40, "medium": 120},
                           {"verzuim": (0.3, 0.2)},
                           pd.DataFrame([{"as_of": "2019-10-01", "model_version": "3", "matured": 900,
                                          "expected_auc": 0.81, "realised_auc": 0.79}]))
    store_report(open_archive(database), StoredReport(dt.datetime.now(dt.UTC), result.as_of, "3", result.model_fingerprint,
                                                      result.status, [f.to_dict() for f in findings], fragment(result)))


def test_analysts_see_the_latest_monitoring_report_and_officers_may_not(site, browser, api_keys):
    officer = log_in(browser, site, api_keys["keys"]["officer"])
    assert "Monitoring" not in officer.locator("header nav").inner_text()
    assert officer.goto(f"{site['url']}/ui/monitor").status == 403
    analyst = log_in(browser, site, api_keys["keys"]["analyst"], viewport={"width": 1280, "height": 900})
    analyst.get_by_role("link", name="Monitoring").click()
    assert "Er is nog geen monitoringrapport" in analyst.locator("main").inner_text()
    stored_monitor_report(site["database"])
    analyst.reload()
    text = analyst.locator("main").inner_text()
    assert "status alarm" in text and "ALARM psi absence_hours_52w" in text and "Estimated against realised" in text
    images = analyst.locator(".monitor-report img")
    assert images.count() >= 3
    # every plot is a data: image that the page's policy lets the browser draw
    assert all(analyst.evaluate("i => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png')", images.nth(k)
                                .element_handle()) for k in range(images.count()))
    analyst.screenshot(path=str(ARTIFACTS / "analyst-monitor.png"), full_page=True)


@pytest.fixture(scope="module")
def dated_site(scored_current, tmp_path_factory):
    """A server whose today (VSV_TODAY) is the day the first youth of the list turns 23: read after that day, the
    list has one youth out of the group."""
    root = tmp_path_factory.mktemp("dated")
    frame = scored_current["frame"]
    leavers = frame[frame["leaves_group_reason"] == "max_age"].sort_values(["leaves_group_on", "youth_id"])
    youth_id, birthday = leavers.iloc[0]["youth_id"], leavers.iloc[0]["leaves_group_on"]
    env = os.environ | {"VSV_SCORES": str(scored_current["scores"]), "VSV_DATABASE_URL": f"sqlite:///{root / 'vsv.db'}",
                        "VSV_WORKERS": "1", "VSV_TODAY": birthday}
    port = free_port()
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env, log_path=root / "serve.log") as url:
        yield {"url": url, "left": youth_id, "birthday": birthday}


def listed(page) -> list[str]:
    return page.locator("tbody th a").all_inner_texts()


def test_search_sort_filter_and_a_bad_page_number_in_the_browser(dated_site, browser, api_keys, scored_current):
    from serving.page_base import percent

    frame = scored_current["frame"].sort_values("probability", ascending=False, kind="stable")
    page = log_in(browser, dated_site, api_keys["keys"]["officer"], viewport={"width": 1280, "height": 900})
    youth_id = frame["youth_id"].iloc[0]
    page.fill("#zoek", f" {youth_id[:2].lower()} ")
    page.get_by_role("button", name="Filter toepassen").click()
    expected = frame["youth_id"][frame["youth_id"].str.upper().str.startswith(youth_id[:2].upper())].tolist()
    assert listed(page) == expected[:50] and f"{len(expected)} jongeren gevonden" in page.locator("#aantal").inner_text()
    page.fill("#zoek", youth_id.lower())
    page.get_by_role("button", name="Filter toepassen").click()
    assert page.locator("h1").inner_text() == f"Jongere {youth_id}"

    page.goto(f"{dated_site['url']}/ui/")
    page.locator("thead a", has_text="Kans").click()  # sorted high to low: the header turns it around
    # a youth who has left the group by the site's today shows no chance ("—")
    left = frame["leaves_group_on"] <= dated_site["birthday"]
    shown = frame["probability"].map(percent).where(~left, "—")
    lowest_first = shown[frame.sort_values("probability", kind="stable").index].tolist()[:50]
    assert page.locator("tbody tr td:nth-of-type(2)").all_inner_texts() == lowest_first
    page.select_option("#sorteer", label="Kans: hoog naar laag")
    page.get_by_role("button", name="Filter toepassen").click()
    assert page.locator("tbody tr td:nth-of-type(2)").all_inner_texts() == shown.tolist()[:50]
    page.screenshot(path=str(ARTIFACTS / "officer-list-sorted.png"), full_page=True)

    page.goto(f"{dated_site['url']}/ui/?tier=laag")
    risk = frame["risk_category"] if "risk_category" in frame else frame["tier"]
    assert set(page.locator("tbody .badge").all_inner_texts()) == {"laag"}
    assert f"{int((risk == 'low').sum())} jongeren gevonden" in page.locator("#aantal").inner_text()

    response = page.goto(f"{dated_site['url']}/ui/?pagina=abc")
    assert response.status == 400 and page.locator("h1").inner_text() == "Deze vraag klopt niet"
    assert "het paginanummer is geen geheel getal" in page.locator("main").inner_text() and "abc" not in page.locator("body").inner_text()  # not the form token's hex


def test_a_youth_who_turned_23_after_the_reference_date_gets_no_advice(dated_site, browser, api_keys):
    from serving.freshness import dutch_date

    sentence = f"Valt sinds {dutch_date(dated_site['birthday'])} buiten de doelgroep: 23 jaar geworden."
    page = log_in(browser, dated_site, api_keys["keys"]["officer"], viewport={"width": 1280, "height": 900})
    assert "peildatum 1 oktober 2026 (" in page.locator("#peildatum").inner_text()
    page.goto(f"{dated_site['url']}/ui/?zoek={dated_site['left'][:-1]}")
    row = page.locator("tbody tr", has=page.locator(f"th a:text-is('{dated_site['left']}')"))
    assert row.locator(".left-group").inner_text() == f"Geen advies. {sentence}"
    row.locator("th a").click()
    assert page.locator("#buiten-doelgroep").inner_text() == sentence
    assert page.locator("#advies").count() == 0 and page.locator("input[name=route]").count() == 0
    assert page.get_by_role("button", name="Besluit vastleggen").count() == 0
    assert page.locator("#geen-besluit").inner_text() == f"{sentence} Er is geen advies en er kan geen besluit worden vastgelegd."
    page.screenshot(path=str(ARTIFACTS / "officer-left-group.png"), full_page=True)


def test_a_high_chance_never_reads_laag_and_a_youth_without_school_records_gets_the_data_gap_warning(
        site, browser, api_keys, scored_current):
    """The risk word follows the chance, whatever capacity advises (a letter for a youth at 78% says why), and a
    youth with only a youths row is flagged, not explained."""
    from serving.page_base import percent

    frame = scored_current["frame"]
    high = frame[(frame["probability"] >= 0.7) & (frame["tier"] == "low")].sort_values("probability")
    assert len(high), "the test population must hold a youth at 70% or more whom capacity gives a letter"
    chosen = high.iloc[0]
    page = log_in(browser, site, api_keys["keys"]["officer"], viewport={"width": 1280, "height": 900})
    page.goto(f"{site['url']}/ui/jongere/{chosen['youth_id']}")
    assert page.locator("#kans").inner_text() == f"Kans {percent(chosen['probability'])} — risico hoog"
    assert page.locator("#advies").inner_text() == "Waarschuwings- of informatiebrief"
    assert page.locator("#advies-toelichting").inner_text().startswith("Het risico is hoog, maar")
    page.goto(f"{site['url']}/ui/?risico=laag&sorteer=kans")
    shown = page.locator("tbody tr td:nth-of-type(2)").all_inner_texts()
    assert shown and all(int(p.rstrip("%").split()[-1]) < 30 for p in shown if p != "minder dan 1%")

    gap = frame[frame["data_quality"].astype(str).str.contains("no_school_records")]
    assert len(gap), "the test population must hold a youth without any school record"
    page.goto(f"{site['url']}/ui/jongere/{gap['youth_id'].iloc[0]}")
    warning = page.locator("#gegevenskwaliteit").inner_text()
    assert "geen schoolgegevens van deze jongere bekend. Ga na of de jongere in het buitenland naar school ging" in warning
    reasons = page.locator("#redenen-groter, #redenen-helpt").all_inner_texts()
    assert not any("ingeschreven" in r or "gestopt" in r or "gewisseld" in r for r in reasons)
    page.screenshot(path=str(ARTIFACTS / "officer-no-school-records.png"), full_page=True)
