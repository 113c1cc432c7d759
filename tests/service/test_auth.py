"""Who may do what: keys with roles (401 without a valid key, 403 for the wrong role), the keys file,
`vsv keys add`, the page's server-side sessions, and request logs that carry ids, never keys or youth data.
Cross-site forms, replayed cookies and the metrics flood against a real server: tests/e2e/test_hostile_clients.py."""

from __future__ import annotations

import json
import logging
import os
import re
import sys

import pytest
from starlette.testclient import TestClient

from serving.auth import KeyFileError, KeyRing, Principal, add_key, hash_key, parse_keys, required_role
from serving.sessions import LOGIN_FAILURES, SESSION_SECONDS, SessionStore, form_token
from tests.commands import run
from vsv_model.database import create_engine

API = ["/score", "/explain", "/model", "/reload", "/audit_export"]
YOUTH = {"youth_id": "J1", "as_of": "2019-10-01", "history": {
    "birth_date": "2000-05-01", "absence_reports": [{"report_date": "2019-08-01", "kind": "18plus", "hours": 34}]}}
BODIES = {"/score": {"youths": [YOUTH]}, "/explain": {"youth": YOUTH}, "/model": {}, "/reload": {},
          "/audit_export": {"since": "2026-01-01"}}


@pytest.fixture(scope="module")
def client(asgi_client):
    return asgi_client


@pytest.fixture(scope="module")
def anonymous(asgi_client):
    """The same running app, without the officer's key."""
    return TestClient(asgi_client.app)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


# --- the keys file ---------------------------------------------------------------------

def test_add_key_stores_only_the_hash(tmp_path):
    path = tmp_path / "keys.txt"
    key = add_key(path, "analyst", "ann")
    assert key.startswith("vsv_") and len(key) > 40
    assert path.read_text() == f"analyst:ann:{hash_key(key)}\n"
    assert key not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert KeyRing(path).authenticate(key) == Principal("ann", "analyst")
    assert KeyRing(path).authenticate(key + "x") is None and KeyRing(path).authenticate("") is None


def test_add_key_refuses_a_second_key_of_the_same_name_unless_replaced(tmp_path):
    path = tmp_path / "keys.txt"
    old = add_key(path, "officer", "bo")
    with pytest.raises(KeyFileError, match="a key named 'bo' exists already"):
        add_key(path, "officer", "bo")
    new = add_key(path, "admin", "bo", replace=True)
    ring = KeyRing(path)
    assert ring.authenticate(old) is None and ring.authenticate(new) == Principal("bo", "admin")
    assert len(path.read_text().splitlines()) == 1


@pytest.mark.parametrize(("text", "message"), [
    ("boss:ann:" + "a" * 64, "line 1: expected role:name:sha256"),
    ("# comment\n\nofficer:ann:" + "a" * 63, "line 3: expected role:name:sha256"),
    ("officer:ann:" + "a" * 64 + "\nadmin:ann:" + "b" * 64, "line 2: the name 'ann' is used twice"),
    ("officer:a b:" + "a" * 64, "line 1: expected role:name:sha256"),
])
def test_a_malformed_keys_file_names_the_line(text, message):
    with pytest.raises(KeyFileError, match=message):
        parse_keys(text, "keys.txt")


def test_keys_are_reread_when_the_file_changes(tmp_path):
    path = tmp_path / "keys.txt"
    ring = KeyRing(path)
    assert ring.authenticate("vsv_anything") is None  # no file: nobody
    key = add_key(path, "officer", "cas")
    assert ring.authenticate(key) == Principal("cas", "officer")
    path.write_text("")  # revoked
    os.utime(path, ns=(1, 1))
    assert ring.authenticate(key) is None


def test_cli_keys_add_prints_the_key_once_and_stores_its_hash(tmp_path):
    path = tmp_path / "keys.txt"
    env = os.environ | {"VSV_API_KEYS_FILE": str(path)}
    done = run([sys.executable, "-m", "vsv_cli", "keys", "add", "--role", "officer", "--name", "dana"], env=env, check=True)
    key = done.stdout.strip()
    assert key.startswith("vsv_") and "\n" not in key
    assert key not in done.stderr and "Added officer key 'dana'" in done.stderr
    assert path.read_text() == f"officer:dana:{hash_key(key)}\n"
    again = run([sys.executable, "-m", "vsv_cli", "keys", "add", "--role", "chef", "--name", "eva"], env=env)
    assert again.returncode == 2 and "role must be one of officer, analyst, admin" in again.stderr


# --- the API ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", API)
def test_every_api_endpoint_needs_a_key(anonymous, path):
    response = anonymous.post(path, json=BODIES[path])
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "authentication required: send 'Authorization: Bearer <key>'"


@pytest.mark.parametrize("authorization", ["Bearer vsv_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "vsv_wrong"])
def test_an_unknown_key_or_scheme_is_401(anonymous, authorization):
    assert anonymous.post("/score", json=BODIES["/score"], headers={"Authorization": authorization}).status_code == 401


@pytest.mark.parametrize(("role", "path", "status"), [
    ("officer", "/score", 200), ("officer", "/explain", 200), ("officer", "/model", 403), ("officer", "/audit_export", 403),
    ("officer", "/reload", 403), ("analyst", "/model", 200), ("analyst", "/audit_export", 200), ("analyst", "/reload", 403),
    ("analyst", "/score", 200), ("admin", "/model", 200), ("admin", "/audit_export", 200),
])
def test_roles_nest_officer_analyst_admin(anonymous, api_keys, role, path, status):
    response = anonymous.post(path, json=BODIES[path], headers=api_keys["headers"][role])
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"].startswith(f"the role '{role}' may not use {path}")


def test_large_batches_are_for_analysts(anonymous, api_keys):
    body = {"youths": [dict(YOUTH, youth_id=f"J{i}") for i in range(26)]}
    refused = anonymous.post("/score", json=body, headers=api_keys["headers"]["officer"])
    assert refused.status_code == 403
    assert refused.json()["error"] == "more than 25 youths in one request is batch scoring: the analyst role"
    assert anonymous.post("/score", json=body, headers=api_keys["headers"]["analyst"]).status_code == 200


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/docs.json"])
def test_health_and_the_api_document_are_open(anonymous, path):  # /metrics: tests/test_service_e2e.py (a real server)
    assert anonymous.get(path).status_code == 200


def test_the_api_document_declares_the_bearer_scheme_and_every_error(anonymous):
    document = anonymous.get("/docs.json").json()
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API key from `vsv keys add`; roles officer < analyst < admin."}
    operation = document["paths"]["/score"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "413", "415", "422", "500", "503"]
    assert "Needs the role 'officer' or higher." in operation["description"]


# --- the page's session ----------------------------------------------------------------

def test_the_page_sends_strangers_to_the_login_form(anonymous):
    for path in ("/ui/", "/ui/jongere/J0000001", "/ui/nieuw"):
        response = anonymous.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/ui/login")
    assert anonymous.post("/ui/besluit", data={"youth": "{}", "bron": "lijst"}, follow_redirects=False).status_code == 401
    login = anonymous.get("/ui/login")
    assert login.status_code == 200 and 'for="sleutel"' in login.text and "Inloggen" in login.text


PAGE = "https://testserver"  # the in-process client is no loopback connection: its cookies are Secure, so HTTPS
FORM_TOKEN = re.compile(r'<input type="hidden" name="csrf" value="([0-9a-f]{64})">')


def form_token_on(browser: TestClient, path: str) -> str:
    return FORM_TOKEN.search(browser.get(path).text).group(1)


def post_form(browser: TestClient, path: str, data: dict, token_from: str = "/ui/"):
    """A form as the page's own browser sends it: from the page's origin, with the form token it was given."""
    return browser.post(path, data=data | {"csrf": form_token_on(browser, token_from)}, headers={"Origin": PAGE},
                        follow_redirects=False)


def test_login_opens_a_server_side_session_in_a_secure_httponly_strict_cookie(asgi_client, api_keys):
    browser = TestClient(asgi_client.app, base_url=PAGE)
    refused = post_form(browser, "/ui/login", {"sleutel": "vsv_niet-goed"}, "/ui/login")
    assert refused.status_code == 401 and "Deze sleutel is onbekend." in refused.text
    assert "vsv_sessie" not in refused.headers.get("set-cookie", "")
    response = post_form(browser, "/ui/login", {"sleutel": api_keys["keys"]["officer"]}, "/ui/login")
    assert (response.status_code, response.headers["location"]) == (303, "/ui/")  # relative, never from the Host header
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie and "Secure" in cookie
    token = browser.cookies["vsv_sessie"]
    assert api_keys["keys"]["officer"] not in cookie and hash_key(api_keys["keys"]["officer"])[:16] not in token
    page = browser.get("/ui/")
    assert page.status_code == 200 and "Ingelogd als <strong>test-officer</strong>" in page.text
    assert FORM_TOKEN.search(page.text).group(1) == form_token(token) != token  # the forms carry the session's token
    assert browser.post("/score", json=BODIES["/score"]).status_code == 401  # the API never accepts the page's cookie
    assert post_form(browser, "/ui/logout", {}).headers["location"] == "/ui/login"
    assert browser.get("/ui/", follow_redirects=False).status_code == 303
    replayed = TestClient(asgi_client.app, base_url=PAGE, cookies={"vsv_sessie": token})  # the cookie, kept after logout
    assert replayed.get("/ui/", follow_redirects=False).headers["location"] == "/ui/login"


def test_a_session_ends_when_it_expires_is_ended_or_its_key_is_replaced(tmp_path):
    path = tmp_path / "keys.txt"
    key, other = add_key(path, "officer", "fay"), add_key(path, "officer", "gus")
    ring, store = KeyRing(path), SessionStore(create_engine(f"sqlite:///{tmp_path / 'vsv.db'}"))
    token = store.open(Principal("fay", "officer"), key, "192.0.2.7", now=1_000_000)
    kept = store.open(Principal("gus", "officer"), other, "192.0.2.8", now=1_000_000)
    assert store.find(token, ring, now=1_000_000).principal == Principal("fay", "officer")
    assert store.find(token, ring, now=1_000_000 + SESSION_SECONDS - 1) is not None
    assert store.find(token, ring, now=1_000_000 + SESSION_SECONDS) is None  # ended by itself after 8 hours
    assert store.find(token[:-1] + ("A" if token[-1] != "A" else "B"), ring, now=1_000_000) is None  # another token
    assert store.find("garbage", ring, now=1_000_000) is None and store.find(None, ring) is None
    with store.engine.connect() as connection:  # the database holds the token's hash, never the token or the key
        stored = " ".join(str(v) for row in connection.exec_driver_sql("select * from page_sessions") for v in row)
    assert token not in stored and key not in stored and hash_key(key) not in stored
    add_key(path, "officer", "fay", replace=True)  # a new key for the same name and role
    assert store.find(token, ring, now=1_000_000) is None
    store.end(kept, now=1_000_001)
    store.end(kept, now=1_000_002)  # ended twice: still one end
    assert store.find(kept, ring, now=1_000_001) is None


def test_login_failures_are_limited_per_client_address(tmp_path):
    store = SessionStore(create_engine(f"sqlite:///{tmp_path / 'vsv.db'}"))
    for second in range(LOGIN_FAILURES - 1):
        store.note_failure("192.0.2.7", now=1_000_000 + second)
    assert store.seconds_refused("192.0.2.7", now=1_000_100) == 0
    store.note_failure("192.0.2.7", now=1_000_100)
    assert store.seconds_refused("192.0.2.7", now=1_000_100) == 800  # until the first failure is 15 minutes old
    assert store.seconds_refused("192.0.2.7", now=1_000_000 + 15 * 60 - 1) == 1
    assert store.seconds_refused("192.0.2.7", now=1_000_000 + 15 * 60) == 0
    assert store.seconds_refused("192.0.2.8", now=1_000_100) == 0  # another address


@pytest.fixture
def spare_keys(api_keys):
    """Adds keys to the session's keys file for one test, then puts the file back as it was."""
    path = api_keys["file"]
    original = path.read_text()
    yield lambda name: add_key(path, "officer", name)
    path.write_text(original)


def revoke(path, name: str) -> None:
    """What an admin does to revoke a key: delete its line from the keys file."""
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True) if line.split(":")[1:2] != [name]))


def logged_in(app, key: str) -> TestClient:
    browser = TestClient(app, base_url=PAGE)
    assert post_form(browser, "/ui/login", {"sleutel": key}, "/ui/login").status_code == 303
    return browser


def assert_logged_out(browser: TestClient) -> None:
    page = browser.get("/ui/", follow_redirects=False)
    assert (page.status_code, page.headers.get("location")) == (303, "/ui/login")
    assert browser.post("/ui/besluit", data={"youth": "{}", "bron": "lijst"}, follow_redirects=False).status_code == 401


def test_replacing_or_revoking_a_key_ends_its_page_sessions_at_once(asgi_client, api_keys, spare_keys):
    rotated, kept = spare_keys("test-rotated"), spare_keys("test-kept")
    rotated_session, kept_session = logged_in(asgi_client.app, rotated), logged_in(asgi_client.app, kept)
    assert rotated_session.get("/ui/").status_code == 200 and kept_session.get("/ui/").status_code == 200
    new = add_key(api_keys["file"], "officer", "test-rotated", replace=True)  # `vsv keys add --replace`: the key leaked
    assert_logged_out(rotated_session)
    assert kept_session.get("/ui/").status_code == 200  # an unchanged key keeps its session
    assert "Ingelogd als <strong>test-rotated</strong>" in logged_in(asgi_client.app, new).get("/ui/").text
    revoke(api_keys["file"], "test-kept")
    assert_logged_out(kept_session)


# --- logs ------------------------------------------------------------------------------

def test_request_logs_hold_ids_status_and_latency_never_keys_or_youth_data(anonymous, api_keys, caplog):
    caplog.set_level(logging.INFO, logger="vsv.requests")
    secret_youth = dict(YOUTH, youth_id="GEHEIM-123", history=dict(YOUTH["history"], birth_date="2001-02-03"))
    answered = anonymous.post("/score", json={"youths": [secret_youth]}, headers=api_keys["headers"]["officer"])
    anonymous.post("/score", json={"youths": [secret_youth]}, headers={"Authorization": "Bearer vsv_a-wrong-key"})
    anonymous.get("/ui/jongere/GEHEIM-123", headers=api_keys["headers"]["officer"])
    anonymous.get("/ui/jongere/GEHEIM%2FDEEL-2", headers=api_keys["headers"]["officer"])  # a slash in the id
    lines = [record.getMessage() for record in caplog.records if record.name == "vsv.requests"]
    assert len(lines) == 4
    entries = [json.loads(line) for line in lines]
    assert [set(e) for e in entries] == [{"ts", "request_id", "method", "path", "status", "latency_ms", "client", "key_name"}] * 4
    assert entries[0]["request_id"] == answered.headers["x-request-id"] and len(entries[0]["request_id"]) == 16
    assert [(e["path"], e["status"], e["key_name"], e["client"]) for e in entries] == [
        ("/score", 200, "test-officer", "testclient"), ("/score", 401, None, "testclient"),
        ("/ui/jongere/{youth_id}", 404, "test-officer", "testclient"),
        ("(other)", 404, "test-officer", "testclient")]  # no route answers an id with a slash: the page's 404
    everything = "\n".join(caplog.text.splitlines() + lines)
    for secret in [*api_keys["keys"].values(), "vsv_a-wrong-key", "GEHEIM-123", "DEEL-2", "2001-02-03"]:
        assert secret not in everything


def test_the_monitoring_page_is_for_analysts_and_the_other_pages_for_officers():
    assert required_role("/ui/monitor") == "analyst"
    assert [required_role(p) for p in ("/ui/", "/ui/jongere/J1", "/ui/nieuw")] == ["officer"] * 3
    assert required_role("/ui/login") is None and required_role("/reload") == "admin"
    assert required_role("/metrics") == "analyst"  # the metrics name no one, but say what the service does
