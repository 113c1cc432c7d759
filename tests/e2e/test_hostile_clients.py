"""The hostile clients of issue 25 against a real `vsv serve` (two workers) on loopback: a cross-site form post with
the officer's cookie, a cookie replayed after logout or after its key was replaced, a flood of typed paths at the
metrics, a BSN in every field and parameter, the headers of every page, redirects under a hostile Host header,
repeated login failures, a youth given twice, records dated before 1990, and list views and re-scores that must
be in the audit log. Each one failed before the hardening; the figures of the flood go to test-artifacts/."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import os
import random
import re
import shutil
import string
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import psutil
import pytest
import sqlalchemy as sa

from serving.auth import add_key
from tests.servers import ARTIFACTS, FORM_TOKEN, form_token, free_port, page_post, page_session, running_server
from tests.service.test_hostile_input import BSN, BSN_FIELDS, bsn_refusal, youth_with

pytestmark = pytest.mark.slow
BSN_IN_GROUPS = "1234.56.782"  # the same number as an officer might write it
FLOOD = 5000
FORM_REFUSED = "Formulier geweigerd"


@dataclass
class Site:
    url: str
    database: str
    log: Path
    keys: dict[str, str]
    keys_file: Path
    listed: pd.DataFrame  # the list the server shows, highest chance first

    def bearer(self, name: str) -> dict:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def rows(self, query: str, **params) -> list:
        with sa.create_engine(self.database).connect() as connection:
            return connection.execute(sa.text(query), params).all()

    def count(self, table: str) -> int:
        return self.rows(f"select count(*) from {table}")[0][0]


@pytest.fixture(scope="module")
def site(champion_store, scored_current, tmp_path_factory):
    """A server of its own: its own keys (one is replaced by a test), list (re-scored by a test) and database."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(scored_current["scores"], root / "latest.parquet")
    keys_file = root / "keys.txt"
    keys = {name: add_key(keys_file, role, name) for name, role in
            (("officer", "officer"), ("analyst", "analyst"), ("rotated", "officer"))}
    env = os.environ | {"VSV_SCORES": str(root / "latest.parquet"), "VSV_DATABASE_URL": f"sqlite:///{root / 'vsv.db'}",
                        "VSV_API_KEYS_FILE": str(keys_file), "VSV_WORKERS": "2"}
    port = free_port()
    listed = scored_current["frame"].sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)
    with running_server([sys.executable, "-m", "vsv_cli", "serve", "--port", str(port)], port, env,
                        log_path=root / "serve.log") as url:
        yield Site(url, env["VSV_DATABASE_URL"], root / "serve.log", keys, keys_file, listed)


def decision_form(page: httpx.Response) -> dict:
    youth = html.unescape(re.search(r'name="youth" value="([^"]+)"', page.text).group(1))
    return {"youth": youth, "bron": "lijst", "route": "geen", "houding": "wijkt_af", "reden": "verhuisd naar het buitenland"}


# --- forms that hold --------------------------------------------------------------------------------------------

def test_a_cross_site_post_with_the_officers_cookie_stores_nothing(site):
    browser = page_session(site.url, site.keys["officer"])
    youth_id = site.listed["youth_id"].iloc[5]
    page = browser.get(f"/ui/jongere/{youth_id}")
    decision, token = decision_form(page), FORM_TOKEN.search(page.text).group(1)
    someone_else = form_token(page_session(site.url, site.keys["analyst"]), "/ui/")
    before = site.count("decisions")
    attempts = {  # the officer's cookie goes along with each (SameSite aside: an old browser, a subdomain)
        "another site, even with the token": ({"Origin": "https://evil.example"}, decision | {"csrf": token}),
        "another site's page as referer": ({"Referer": "https://evil.example/lokker"}, decision | {"csrf": token}),
        "an opaque origin": ({"Origin": "null"}, decision | {"csrf": token}),
        "another site, by the browser's fetch metadata": ({"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                                                          decision | {"csrf": token}),
        "no origin and no referer": ({}, decision | {"csrf": token}),
        "the page's origin without the token": ({"Origin": site.url}, decision),
        "the page's origin with another session's token": ({"Origin": site.url}, decision | {"csrf": someone_else}),
    }
    for label, (headers, data) in attempts.items():
        refused = browser.post("/ui/besluit", data=data, headers=headers)
        assert (refused.status_code, FORM_REFUSED in refused.text) == (403, True), label
    assert site.count("decisions") == before
    stored = browser.post("/ui/besluit", data=decision | {"csrf": token}, headers={"Origin": site.url})
    assert (stored.status_code, stored.headers["location"]) == (303, f"/ui/jongere/{youth_id}?opgeslagen=1")
    by_referer = browser.post("/ui/besluit", data=decision | {"csrf": token}, headers={"Referer": f"{site.url}/ui/"})
    assert by_referer.status_code == 303  # a browser that sends no Origin, but the page's own referer
    no_referrer = browser.post("/ui/besluit", data=decision | {"csrf": token},
                               headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert no_referrer.status_code == 303  # the page's own form as a browser sends it under Referrer-Policy: no-referrer
    assert site.count("decisions") == before + 3


def test_a_cookie_replayed_after_logout_or_after_its_key_was_replaced_opens_nothing(site):
    browser = httpx.Client(base_url=site.url)
    login = page_post(browser, "/ui/login", {"sleutel": site.keys["officer"]}, "/ui/login")
    assert login.status_code == 303 and "Secure" not in login.headers["set-cookie"]  # loopback, plain HTTP
    cookie = browser.cookies["vsv_sessie"]
    assert browser.get("/ui/").status_code == 200
    assert page_post(browser, "/ui/logout", {}).headers["location"] == "/ui/login"
    replayed = httpx.Client(base_url=site.url, cookies={"vsv_sessie": cookie})
    opened = replayed.get("/ui/")
    assert (opened.status_code, opened.headers.get("location")) == (303, "/ui/login")
    posted = replayed.post("/ui/besluit", data={"youth": "{}", "bron": "lijst"}, headers={"Origin": site.url})
    assert posted.status_code == 401
    rotated = page_session(site.url, site.keys["rotated"])
    assert rotated.get("/ui/").status_code == 200
    site.keys["rotated"] = add_key(site.keys_file, "officer", "rotated", replace=True)  # `vsv keys add --replace`
    assert rotated.get("/ui/").headers.get("location") == "/ui/login"
    assert page_session(site.url, site.keys["rotated"]).get("/ui/").status_code == 200  # the new key logs in


def test_redirects_are_relative_whatever_host_a_client_names(site):
    hostile = httpx.Client(base_url=site.url, headers={"Host": "evil.example"})
    assert hostile.get("/ui/").headers["location"] == "/ui/login"
    token = form_token(hostile, "/ui/login")
    login = hostile.post("/ui/login", data={"sleutel": site.keys["officer"], "csrf": token},
                         headers={"Origin": "http://evil.example"})
    assert (login.status_code, login.headers["location"]) == (303, "/ui/")
    youth_id = site.listed["youth_id"].iloc[0]
    found = hostile.get("/ui/", params={"zoek": youth_id.lower()})
    assert found.headers["location"] == f"/ui/jongere/{youth_id}"
    page = hostile.get(f"/ui/jongere/{youth_id}").text
    assert "evil.example" not in page and not re.search(r'(href|action|src)="https?://', page)


def test_every_answer_carries_the_security_headers_and_no_page_runs_inline_script(site):
    officer, analyst = page_session(site.url, site.keys["officer"]), page_session(site.url, site.keys["analyst"])
    youth_id = site.listed["youth_id"].iloc[0]
    pages = {"/ui/": officer.get("/ui/"), "/ui/jongere": officer.get(f"/ui/jongere/{youth_id}"),
             "/ui/nieuw": officer.get("/ui/nieuw"), "/ui/monitor": analyst.get("/ui/monitor"),
             "/ui/login": httpx.get(f"{site.url}/ui/login"), "a 404 page": officer.get("/ui/bestaat-niet"),
             "a refused form": officer.post("/ui/besluit", data={}, headers={"Origin": "https://evil.example"})}
    others = {"/score": httpx.post(f"{site.url}/score", json={"youths": [youth_with("diplomas", "level", "vmbo-bb")]},
                                   headers=site.bearer("officer")),
              "/livez": httpx.get(f"{site.url}/livez"), "/metrics": httpx.get(f"{site.url}/metrics", headers=site.bearer("analyst"))}
    for name, response in (pages | others).items():
        headers = response.headers
        assert (headers.get("x-frame-options"), headers.get("x-content-type-options"), headers.get("referrer-policy"),
                headers.get("cache-control")) == ("DENY", "nosniff", "no-referrer", "no-store"), name
    for name, response in pages.items():
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, name
        assert not re.search(r"<script|\sstyle=|\son[a-z]+=", response.text, re.I), name
    style = officer.get("/ui/static/style.css")
    assert style.status_code == 200 and style.headers["x-content-type-options"] == "nosniff"
    assert style.headers.get("cache-control") != "no-store"  # no personal data: the browser may keep it


def test_login_failures_are_limited_per_address_and_logged_with_it(site):
    elsewhere = httpx.Client(base_url=site.url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    offset = site.log.stat().st_size
    statuses = [page_post(elsewhere, "/ui/login", {"sleutel": f"vsv_geraden-{n}"}, "/ui/login").status_code for n in range(10)]
    assert statuses == [401] * 10
    limited = page_post(elsewhere, "/ui/login", {"sleutel": site.keys["officer"]}, "/ui/login")  # even the right key
    assert limited.status_code == 429 and "Te veel mislukte pogingen" in limited.text
    assert 840 <= int(limited.headers["retry-after"]) <= 900
    assert page_session(site.url, site.keys["officer"]).get("/ui/").status_code == 200  # another address logs in
    logged = [entry for entry in request_log(site, offset) if entry["path"] == "/ui/login" and entry["method"] == "POST"]
    assert [(e["client"], e["status"]) for e in logged if e["client"] == "127.0.0.2"] == [("127.0.0.2", 401)] * 10 + [
        ("127.0.0.2", 429)]
    assert all(e["client"] == "127.0.0.1" for e in logged if e["client"] != "127.0.0.2")


def request_log(site: Site, offset: int = 0) -> list[dict]:
    with open(site.log, "rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# --- metrics without people in them -----------------------------------------------------------------------------

def typed_paths(listed: pd.DataFrame, count: int) -> list[str]:
    """What clients type: random paths, BSN-shaped numbers, and every youth page of the list."""
    rng = random.Random(25)
    alphabet = string.ascii_letters + string.digits + "-_."
    kinds = [lambda: "/" + "".join(rng.choices(alphabet, k=rng.randint(4, 40))),
             lambda: "/ui/" + "".join(rng.choices(alphabet, k=rng.randint(4, 40))),
             lambda: f"/ui/jongere/{rng.choice(listed['youth_id'].tolist())}",
             lambda: f"/ui/jongere/{rng.randrange(10**8, 10**9)}",
             lambda: f"/{rng.randrange(10**8, 10**9)}/{BSN}"]
    return [f"/ui/jongere/{BSN}", f"/{BSN}", *(rng.choice(kinds)() for _ in range(count - 2))]


async def send_all(url: str, paths: list[str], headers: dict, concurrency: int = 16) -> list[int]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        async def one(n, path):
            async with limit:
                return (await client.get(path, headers=headers if n % 2 else {})).status_code  # half without a key
        return await asyncio.gather(*(one(n, p) for n, p in enumerate(paths)))


def metric_routes(text: str) -> set[str]:
    return set(re.findall(r'^vsv_http_requests_total\{route="([^"]*)"', text, re.M))


def workers_rss(url: str) -> int:
    """The resident memory of the server and its workers (a figure, never asserted on)."""
    port = url.rsplit(":", 1)[1]
    servers = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] and "serve" in p.info["cmdline"]
               and port in p.info["cmdline"]]
    processes = {q.pid: q for p in servers for q in [p, *p.children(recursive=True)]}
    return sum(q.memory_info().rss for q in processes.values())


def test_metrics_need_an_analyst_key_and_a_flood_of_typed_paths_adds_no_series(site):
    assert httpx.get(f"{site.url}/metrics").status_code == 401
    assert httpx.get(f"{site.url}/metrics", headers=site.bearer("officer")).status_code == 403
    before = httpx.get(f"{site.url}/metrics", headers=site.bearer("analyst")).text
    rss_before = workers_rss(site.url)
    paths = typed_paths(site.listed, FLOOD)
    statuses = asyncio.run(send_all(site.url, paths, site.bearer("officer")))
    assert not [s for s in statuses if s >= 500]
    after = httpx.get(f"{site.url}/metrics", headers=site.bearer("analyst")).text
    series = [line for line in after.splitlines() if line.startswith("vsv_http_requests_total{")]
    figures = {"paths_sent": FLOOD, "metrics_bytes_before": len(before), "metrics_bytes_after": len(after),
               "request_series_after": len(series), "routes": sorted(metric_routes(after)),
               "workers_rss_mb_before": round(rss_before / 2**20, 1), "workers_rss_mb_after": round(workers_rss(site.url) / 2**20, 1)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "metrics-flood.json").write_text(json.dumps(figures, indent=2))
    print(f"\nmetrics flood: {json.dumps(figures)}")
    assert metric_routes(after) <= {"(other)", "/ui/jongere/{youth_id}", "/ui/", "/ui/login", "/ui/nieuw", "/ui/monitor",
                                    "/ui/besluit", "/ui/logout", "/ui/herbereken", "/ui/static/{path}", "/ui", "/score",
                                    "/explain", "/model", "/reload", "/audit_export", "/metrics", "/livez", "/readyz",
                                    "/healthz", "/", "/docs", "/docs.json", "/schema.json"}
    assert len(series) <= 60 and len(after) < 64_000  # bounded by routes x statuses, whatever was typed
    assert BSN not in after and not [y for y in site.listed["youth_id"] if y in after]
    logged = site.log.read_text()
    assert BSN not in logged and not [y for y in site.listed["youth_id"][:200] if f"/{y}" in logged]


# --- no personal number anywhere --------------------------------------------------------------------------------

@pytest.mark.parametrize(("table", "field"), BSN_FIELDS)
def test_a_bsn_in_any_field_of_the_api_is_refused_naming_the_field(site, table, field):
    for path, body in (("/score", {"youths": [youth_with(table, field, BSN)]}), ("/explain", {"youth": youth_with(table, field, BSN)})):
        response = httpx.post(f"{site.url}{path}", json=body, headers=site.bearer("officer"))
        assert (response.status_code, response.json()["error"]) == (422, bsn_refusal(table, field)), path
        assert BSN not in response.text


@pytest.mark.parametrize("parameter", ["zoek", "risico", "gemeente", "ingeschreven", "sorteer", "volgorde", "pagina", "iets"])
def test_a_bsn_in_any_query_parameter_of_the_page_is_refused_without_repeating_it(site, parameter):
    officer = page_session(site.url, site.keys["officer"])
    for value in (BSN, BSN_IN_GROUPS, f"bsn: {BSN}"):
        response = officer.get("/ui/", params={parameter: value})
        assert response.status_code == 400 and value not in response.text
        assert f"In &#x27;{parameter}&#x27; staat een nummer dat op een burgerservicenummer (BSN) lijkt" in response.text


def test_a_bsn_in_a_path_a_form_field_or_an_api_query_is_refused_without_repeating_it(site):
    officer = page_session(site.url, site.keys["officer"])
    in_path = officer.get(f"/ui/jongere/{BSN}")
    assert in_path.status_code == 400 and "In het adres staat een nummer" in in_path.text and BSN not in in_path.text
    page = officer.get(f"/ui/jongere/{site.listed['youth_id'].iloc[7]}")
    decision, before = decision_form(page), site.count("decisions")
    for reason in (f"BSN {BSN} gevonden", f"zie {BSN_IN_GROUPS}"):
        refused = page_post(officer, "/ui/besluit", decision | {"reden": reason}, f"/ui/jongere/{site.listed['youth_id'].iloc[7]}")
        assert refused.status_code == 400 and "In &#x27;reden&#x27; staat een nummer" in refused.text
        assert BSN not in refused.text and BSN_IN_GROUPS not in refused.text
    assert site.count("decisions") == before
    pasted = page_post(officer, "/ui/nieuw", {"gegevens": json.dumps(youth_with("enrollments", "school_id", BSN))}, "/ui/nieuw")
    assert pasted.status_code == 400 and BSN not in pasted.text
    api = httpx.post(f"{site.url}/score", params={"bsn": BSN}, json={"youths": [youth_with("diplomas", "level", "vmbo-bb")]},
                     headers=site.bearer("officer"))
    assert api.status_code == 400 and api.json()["error"].startswith("bsn: looks like a BSN") and BSN not in api.text


def test_validation_errors_over_http_carry_no_input(site):
    wrong = youth_with("enrollments", "start_date", f"{BSN}-01")
    response = httpx.post(f"{site.url}/score", json={"youths": [wrong]}, headers=site.bearer("officer"))
    assert response.status_code == 400 and BSN not in response.text and '"input"' not in response.text
    page = httpx.get(f"{site.url}/ui/", params={"pagina": "tien"}, headers=site.bearer("officer"))
    assert page.status_code == 400 and "tien" not in page.text and '"detail"' not in page.text


def test_no_bsn_reached_the_database_or_the_log(site):
    """Last of the BSN probes: whatever was refused above left no trace."""
    with sa.create_engine(site.database).connect() as connection:
        tables = [t for t in sa.inspect(connection).get_table_names()]
        dump = "\n".join(pd.read_sql(sa.text(f"select * from {t}"), connection).to_csv() for t in tables)
    assert "audit_log" in tables and "decisions" in tables and "page_sessions" in tables
    for value in (BSN, BSN_IN_GROUPS):
        assert value not in dump and value not in site.log.read_text()


# --- small gaps -------------------------------------------------------------------------------------------------

def test_a_youth_given_twice_in_one_request_is_refused_naming_the_position(site):
    first = youth_with("diplomas", "level", "vmbo-bb")
    second = youth_with("absence_reports", "hours", 200)
    response = httpx.post(f"{site.url}/score", json={"youths": [first, second]}, headers=site.bearer("officer"))
    assert response.status_code == 400
    assert response.json()["error"].startswith("youths[1].youth_id: the same youth_id as youths[0]")


@pytest.mark.parametrize(("table", "field", "date", "code"), [
    ("enrollments", "start_date", "1900-08-15", "enrolment_date_implausible"),
    ("absence_reports", "report_date", "0001-01-01", "report_date_implausible"),  # was a 500
    ("diplomas", "diploma_date", "1999-07-01", "diploma_date_implausible"),  # before the birth (2000-05-01)
])
def test_a_record_dated_before_1990_or_the_birth_is_a_data_quality_warning(site, table, field, date, code):
    response = httpx.post(f"{site.url}/score", json={"youths": [youth_with(table, field, date)]}, headers=site.bearer("officer"))
    assert response.status_code == 200, response.text
    assert code in [w["code"] for w in response.json()["results"][0]["data_quality"]]


def audited(site, request_id: str, columns: list[str]) -> list[tuple]:
    """A request's audit records as an analyst exports them: the youth ids opened with their keys (stored sealed)."""
    from serving.audit import AuditLog
    from serving.database import open_database

    frame = AuditLog(open_database(site.database)).export(dt.date.today() - dt.timedelta(days=1))
    return list(frame.loc[frame["request_id"] == request_id, columns].itertuples(index=False, name=None))


def test_a_list_shown_and_a_list_scored_again_are_in_the_audit_log(site):
    officer = page_session(site.url, site.keys["officer"])
    shown = officer.get("/ui/", params={"pagina": 2})
    rows = audited(site, shown.headers["x-request-id"], ["event", "youth_id", "key_name", "probability"])
    assert [r[1] for r in rows] == site.listed["youth_id"].iloc[50:100].tolist()
    assert {(r[0], r[2]) for r in rows} == {("list", "officer")}
    assert [r[3] for r in rows] == pytest.approx(site.listed["probability"].iloc[50:100].tolist(), abs=1e-12)
    analyst = page_session(site.url, site.keys["analyst"])
    runs_before = site.count("score_runs") if "score_runs" in sa.inspect(sa.create_engine(site.database)).get_table_names() else 0
    rescored = page_post(analyst, "/ui/herbereken", {})
    assert rescored.status_code == 200 and "opnieuw berekend" in rescored.text
    records = audited(site, rescored.headers["x-request-id"], ["event", "youth_id", "key_name"])
    assert len(records) == len(site.listed) and {(r[0], r[2]) for r in records} == {("rescore", "analyst")}
    assert sorted(r[1] for r in records) == sorted(site.listed["youth_id"])
    (run,) = site.rows("select youths, as_of, model_run_id from score_runs order by archived_at desc limit 1")
    assert site.count("score_runs") == runs_before + 1
    assert run == (len(site.listed), str(site.listed["as_of"].iloc[0])[:10], site.listed["model_run_id"].iloc[0])


def test_the_api_documentation_renders_with_its_policy_and_calls_no_third_party(site, browser):
    page = browser.new_page()
    hosts = []
    page.on("response", lambda response: hosts.append(response.url.split("/")[2]))  # a request the policy let out
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))
    answer = page.goto(f"{site.url}/")  # BentoML's Swagger page
    try:
        page.wait_for_selector(".opblock", timeout=30_000)  # Swagger drew the service's operations
    except Exception as exc:
        raise AssertionError(f"Swagger did not draw the operations: {messages}") from exc
    refused = [text for text in messages if "Content Security Policy" in text]
    policy = answer.headers["content-security-policy"]
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    page.close()
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "/score" in " ".join(operations)
    assert set(hosts) == {site.url.split("/")[2]}  # no tag manager, no badge: nothing reached a third party
    assert any("inline script" in text for text in refused), refused
