"""BSN-shaped numbers in free text, route templates for metrics and logs, the rule for `Secure` cookies, and the
checks on a record's date: pure functions, hand-made cases with exact answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from fastapi import FastAPI

from serving.metrics import OTHER, route_templates
from serving.page_guard import same_origin, secure_cookies, security_headers
from vsv_model.contract import contains_bsn
from vsv_model.plausibility import CHECK_CODES, record_date_flags

# 123456782: 9*1 + 8*2 + 7*3 + 6*4 + 5*5 + 4*6 + 3*7 + 2*8 - 2 = 154 = 14 * 11; 123456789 gives 147, not a multiple


@pytest.mark.parametrize(("text", "holds"), [
    ("123456782", True), ("BSN 123456782.", True), ("zie 1234.56.782", True), ("123 456 782", True), ("123-456-782", True),
    ("(123456782)", True), ('{"youth_id":"123456782"}', True), ("/ui/jongere/123456782", True),
    ("123456789", False),  # fails the 11-test
    ("000000000", False), ("0612345678", False), ("1234567820", False),  # zeros; ten digits: a phone number
    ("J123456782", False), ("P-123456782", False), ("x_123456782", False),  # an identifier, judged whole by is_bsn
    ("3.123456782", False), ("123456782.5", False), ("1234.56789", False),  # decimal numbers
    ("1234.56-782", False),  # groups written with two different separators
    ("", False), ("verhuisd naar Gorinchem op 12-03-2026", False),
])
def test_contains_bsn_finds_the_number_alone_or_in_groups_never_inside_another_number_or_word(text, holds):
    assert contains_bsn(text) is holds


def test_paths_are_named_by_their_route_template_and_the_rest_is_other():
    page = FastAPI()
    page.add_api_route("/jongere/{youth_id}", lambda youth_id: None)
    page.add_api_route("/", lambda: None)
    page.add_api_route("/{rest:path}", lambda rest: None)  # the catch-all: what only it answers is (other)
    routes = route_templates(["/score"], {"/ui": page})
    assert [routes.template(p) for p in ("/score", "/metrics", "/ui", "/ui/", "/ui/jongere/J1", "/ui/jongere/123456782",
                                         "/ui/jongere/a/b", "/ui/elders", "/123456782", "/score/x")] == [
        "/score", "/metrics", "/ui", "/ui/", "/ui/jongere/{youth_id}", "/ui/jongere/{youth_id}", OTHER, OTHER, OTHER, OTHER]


@pytest.mark.parametrize(("server", "scheme", "force", "secure"), [
    (("127.0.0.1", 3000), "http", False, False), (("::1", 3000), "http", False, False), (("localhost", 3000), "http", False, False),
    (("127.0.0.1", 3000), "http", True, True), (("127.0.0.1", 3000), "https", False, True),
    (("192.0.2.2", 3000), "http", False, True), (("testserver", 80), "http", False, True), (None, "http", False, True),
])
def test_cookies_are_secure_unless_on_loopback_over_plain_http(server, scheme, force, secure):
    assert secure_cookies({"server": server, "scheme": scheme}, force) is secure


def scope(origin: str | None = None, referer: str | None = None, fetch_site: str | None = None,
          host: str = "127.0.0.1:3000") -> dict:
    given = {b"host": host, b"origin": origin, b"referer": referer, b"sec-fetch-site": fetch_site}
    return {"scheme": "http", "headers": [(name, value.encode()) for name, value in given.items() if value]}


@pytest.mark.parametrize(("request_scope", "public", "same"), [
    (scope("http://127.0.0.1:3000"), (), True), (scope(referer="http://127.0.0.1:3000/ui/"), (), True),
    (scope("https://evil.example"), (), False), (scope(referer="https://evil.example/"), (), False),
    (scope("null", "http://127.0.0.1:3000/ui/"), (), True),  # an opaque origin: its referer decides
    (scope("null"), (), False), (scope(), (), False),
    (scope("null", fetch_site="same-origin"), (), True),  # the page's own form under Referrer-Policy: no-referrer
    (scope("null", fetch_site="cross-site"), (), False), (scope("null", fetch_site="same-site"), (), False),
    (scope("http://127.0.0.1:3000", fetch_site="cross-site"), (), False), (scope(fetch_site="none"), (), False),
    (scope("https://evil.example", fetch_site="same-origin"), (), False),
    (scope("https://vsv.example.nl"), ("https://vsv.example.nl",), True),  # behind a proxy: VSV_PUBLIC_ORIGIN
    (scope("http://127.0.0.1:3000"), ("https://vsv.example.nl",), False),
])
def test_a_form_comes_from_the_page_itself_by_its_origin_or_referer(request_scope, public, same):
    assert same_origin(request_scope, public) is same


def test_every_answer_gets_the_headers_and_the_page_its_policy():
    page, api, style = (dict(security_headers(p)) for p in ("/ui/jongere/J1", "/score", "/ui/static/style.css"))
    assert page[b"x-frame-options"] == api[b"x-frame-options"] == style[b"x-frame-options"] == b"DENY"
    assert page[b"cache-control"] == api[b"cache-control"] == b"no-store" and b"cache-control" not in style
    assert b"script-src" not in page[b"content-security-policy"] and b"content-security-policy" not in api
    docs = dict(security_headers("/docs"))[b"content-security-policy"].decode()
    assert "script-src 'self';" in docs and "frame-ancestors 'none'" in docs and "googletagmanager" not in docs


def day(date: str) -> int:
    return (dt.date.fromisoformat(date) - dt.date(1970, 1, 1)).days


def test_records_dated_before_1990_or_before_the_birth_are_flagged_per_youth_and_table():
    births = np.array([day("1985-05-01"), day("2001-01-01"), day("2002-02-02")])  # the first: only to test 1 January 1990
    tables = {"enrollments": (np.array([0, 1, 1]), np.array([day("2016-08-15"), day("1989-12-31"), day("2017-08-01")])),
              "diplomas": (np.array([2]), np.array([day("2002-02-01")])),  # the day before the birth
              "absence_reports": (np.array([0, 2]), np.array([day("1990-01-01"), day("0001-01-01")]))}
    flags = record_date_flags(tables, births)
    column = {code: flags[:, CHECK_CODES.index(code)].tolist() for code in
              ("enrolment_date_implausible", "diploma_date_implausible", "report_date_implausible")}
    assert column == {"enrolment_date_implausible": [False, True, False], "diploma_date_implausible": [False, False, True],
                      "report_date_implausible": [False, False, True]}
    assert flags.sum() == 3  # no other check fails on records
