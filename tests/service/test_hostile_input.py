"""Hostile input gets a clear 4xx, never a 5xx: oversized bodies (413, from the header or while streaming),
deep nesting, NaN and Infinity, huge numbers, odd unicode, control characters and wrong content types.
Schemathesis against the real server's OpenAPI document: tests/test_production.py."""

from __future__ import annotations

import json

import pytest

VALID_HISTORY = {"birth_date": "2000-05-01", "absence_reports": [{"report_date": "2019-08-01", "kind": "18plus", "hours": 3}]}


def score_body(hours: str = "3", youth_id: str = '"J1"') -> bytes:
    """Raw JSON text, so values JSON libraries refuse to write (NaN, 1e400) can be sent as they would arrive."""
    return (f'{{"youths": [{{"youth_id": {youth_id}, "as_of": "2019-10-01", "history": {{"birth_date": "2000-05-01", '
            f'"absence_reports": [{{"report_date": "2019-08-01", "kind": "18plus", "hours": {hours}}}]}}}}]}}').encode()


def post(client, content: bytes, content_type: str = "application/json", path: str = "/score"):
    return client.post(path, content=content, headers={"content-type": content_type})


@pytest.mark.parametrize("hours", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", str(10**400)])
def test_non_finite_and_huge_numbers_are_400(asgi_client, hours):
    response = post(asgi_client, score_body(hours))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "youths[0].history.absence_reports[0].hours: Input should be a finite number"


def test_a_large_but_finite_number_is_out_of_bounds(asgi_client):
    response = post(asgi_client, score_body("1e300"))
    assert response.status_code == 400
    assert response.json()["error"] == "youths[0].history.absence_reports[0].hours: Input should be less than or equal to 10000"


@pytest.mark.parametrize("content", [
    b"[" * 1_000_000 + b"]" * 1_000_000,
    b'{"youths": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
])
def test_deep_nesting_is_400(asgi_client, content):
    response = post(asgi_client, content)
    assert response.status_code == 400
    assert response.json()["error"].startswith("body: Invalid JSON: recursion limit exceeded")


ID_PATTERN_ERROR = "youths[0].youth_id: String should match pattern '^[A-Za-z0-9_-]{1,64}$'"


@pytest.mark.parametrize("youth_id", ['"\\u202eJ1\\u200b"', '"😀-jongere"', '"Zoë-Ünal"', '"ج١"', '"a\\u0000b"', '"tab\\there"',
                                      '"regel\\neinde"', '"\\u007f"', '"=HYPERLINK(\\"http://evil\\",\\"x\\")"',
                                      '"<script>alert(1)</script>"', '"J 1"', '""', '"' + "J" * 65 + '"'])
def test_an_identifier_that_is_not_a_pseudonymous_key_is_400_without_echoing_it(asgi_client, youth_id):
    response = post(asgi_client, score_body(youth_id=youth_id))
    assert response.status_code == 400
    assert response.json()["error"] == ID_PATTERN_ERROR
    assert "HYPERLINK" not in response.text and "script" not in response.text


@pytest.mark.parametrize("bsn", ["123456782", "111222333", "999999990"])
def test_a_bsn_as_identifier_is_422_without_echoing_it(asgi_client, scored_current, bsn):
    from tests.service.test_audit import audit_rows

    before = len(audit_rows(scored_current["database"]))
    response = post(asgi_client, score_body(youth_id=f'"{bsn}"'))
    assert response.status_code == 422
    assert response.json()["error"] == ("youths[0].youth_id: looks like a BSN (9 digits that pass the 11-test): only pseudonymous "
                                        "ids are allowed, never a citizen service number (the value is not repeated here)")
    assert bsn not in response.text
    assert len(audit_rows(scored_current["database"])) == before  # never stored


def test_nine_digits_that_fail_the_11_test_are_a_pseudonymous_key(asgi_client):
    response = post(asgi_client, score_body(youth_id='"123456789"'))
    assert response.status_code == 200 and response.json()["results"][0]["youth_id"] == "123456789"


def report_body(report_id: str) -> bytes:
    return score_body().replace(b'"hours": 3', b'"hours": 3, "report_id": ' + report_id.encode())


def test_a_bsn_as_report_id_is_422_without_echoing_it(asgi_client):
    response = post(asgi_client, report_body('"123456782"'))
    assert response.status_code == 422
    assert response.json()["error"] == ("youths[0].history.absence_reports[0].report_id: looks like a BSN (9 digits that pass "
                                        "the 11-test): only pseudonymous ids are allowed, never a citizen service number "
                                        "(the value is not repeated here)")
    assert "123456782" not in response.text


@pytest.mark.parametrize("report_id", ['"M 1"', '""', '"<b>"'])
def test_a_report_id_that_is_not_a_pseudonymous_key_is_400(asgi_client, report_id):
    response = post(asgi_client, report_body(report_id))
    assert response.status_code == 400
    assert response.json()["error"] == ("youths[0].history.absence_reports[0].report_id: String should match pattern "
                                        "'^[A-Za-z0-9_-]{1,64}$'")


@pytest.mark.parametrize("report_id", ['"M00000001"', "null"])
def test_a_report_id_is_optional_and_scores_like_none(asgi_client, report_id):
    with_id, without = post(asgi_client, report_body(report_id)), post(asgi_client, score_body())
    assert with_id.status_code == 200
    assert with_id.json()["results"][0]["probability"] == without.json()["results"][0]["probability"]


@pytest.mark.parametrize(("content", "message"), [
    (score_body(youth_id='"\\ud800"'), "body: Invalid JSON: unexpected end of hex escape"),
    (score_body(youth_id='"\xe9"').replace(b"\xc3\xa9", b"\xe9"), "body: Invalid JSON: invalid unicode code point"),
    (b"\xef\xbb\xbf" + score_body(), "body: Invalid JSON: expected value at line 1 column 1"),
])
def test_broken_unicode_is_400(asgi_client, content, message):
    response = post(asgi_client, content)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message), response.json()["error"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=x",
                                          "application/x-www-form-urlencoded", "application/json-patch+json"])
@pytest.mark.parametrize("path", ["/score", "/explain", "/model"])
def test_anything_but_json_is_415(asgi_client, api_keys, content_type, path):
    response = asgi_client.post(path, content=b"{}", headers={"content-type": content_type, **api_keys["headers"]["analyst"]})
    assert response.status_code == 415
    media_type = content_type.split(";")[0]
    assert response.json() == {"error": f"content type '{media_type}' is not accepted: send the body as application/json"}


def test_json_with_a_charset_is_json(asgi_client):
    assert post(asgi_client, score_body(), "application/json; charset=utf-8").status_code == 200


def test_a_body_over_the_limit_is_413_from_its_declared_length(asgi_client):
    response = post(asgi_client, b" " * 5_000_001)
    assert response.status_code == 413 and response.json() == {"error": "request body larger than 5000000 bytes"}


def test_a_streamed_body_over_the_limit_is_413_too(asgi_client):
    def chunks():
        for _ in range(6):
            yield b" " * 1_000_000

    response = asgi_client.post("/score", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json() == {"error": "request body larger than 5000000 bytes"}


def test_a_streamed_body_under_the_limit_is_read_whole(asgi_client):
    body = score_body()

    def chunks():
        for start in range(0, len(body), 7):
            yield body[start:start + 7]

    response = asgi_client.post("/score", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["results"][0]["youth_id"] == "J1"


def test_the_limit_comes_before_the_key(asgi_client):
    response = asgi_client.post("/score", content=b" " * 5_000_001, headers={"Authorization": "", "content-type": "application/json"})
    assert response.status_code == 413  # an anonymous client cannot make the server read 5 MB first


@pytest.mark.parametrize("body", [
    {"youths": [{"youth_id": "J1", "as_of": "2019-10-01", "history": VALID_HISTORY, "extra": 1}]},
    {"youths": [{"youth_id": "J1", "as_of": "2019-13-45", "history": VALID_HISTORY}]},
    {"youths": [{"youth_id": ["J1"], "history": VALID_HISTORY}]},
    {"youths": [{"youth_id": "J1", "history": dict(VALID_HISTORY, enrollments=[{}] * 201)}]},
    {"youths": None},
    {"youth": {"youth_id": "J1"}},
])
def test_structurally_wrong_bodies_are_400_naming_the_field(asgi_client, body):
    response = post(asgi_client, json.dumps(body).encode())
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("youths")


# --- no personal number in any field --------------------------------------------------------------------------

BSN = "123456782"  # passes the 11-test
FULL_HISTORY = {"birth_date": "2000-05-01",
                "enrollments": [{"school_id": "25LH00", "school_municipality": "Dordrecht", "education_type": "mbo-2",
                                 "learning_path": "BOL", "start_date": "2016-08-15", "end_date": "2018-02-01"}],
                "diplomas": [{"diploma_date": "2016-07-01", "level": "vmbo-bb"}],
                "absence_reports": [{"report_date": "2019-08-01", "school_id": "25LH00", "kind": "18plus", "hours": 34,
                                     "report_id": "M1"}]}
# Every identifier and code of a record, where a BSN might be typed or pasted by mistake (tests/e2e sends them too).
BSN_FIELDS = [("enrollments", "school_id"), ("enrollments", "school_municipality"), ("enrollments", "education_type"),
              ("enrollments", "learning_path"), ("diplomas", "level"), ("absence_reports", "school_id"),
              ("absence_reports", "kind"), ("absence_reports", "report_id")]


def youth_with(table: str, field: str, value: str) -> dict:
    history = json.loads(json.dumps(FULL_HISTORY))
    history[table][0][field] = value
    return {"youth_id": "J1", "as_of": "2019-10-01", "history": history}


def bsn_refusal(table: str, field: str) -> str:
    return (f"youths[0].history.{table}[0].{field}: looks like a BSN (9 digits that pass the 11-test): only pseudonymous "
            "ids are allowed, never a citizen service number (the value is not repeated here)")


@pytest.mark.parametrize(("table", "field"), BSN_FIELDS)
def test_a_bsn_in_any_field_of_a_record_is_422_naming_the_field_never_the_value(asgi_client, scored_current, table, field):
    from tests.service.test_audit import audit_rows

    before = len(audit_rows(scored_current["database"]))
    response = asgi_client.post("/score", json={"youths": [youth_with(table, field, BSN)]})
    assert (response.status_code, response.json()["error"]) == (422, bsn_refusal(table, field))
    assert BSN not in response.text and len(audit_rows(scored_current["database"])) == before


def test_an_unknown_code_is_named_but_not_repeated(asgi_client):
    result = asgi_client.post("/score", json={"youths": [youth_with("diplomas", "level", "MAVO-X 123456789")]}).json()
    assert result["results"][0]["warnings"] == [
        "diplomas[0].level is unknown (the value is not repeated here): counted as 'onbekend'"]
    assert "MAVO" not in json.dumps(result)


def test_validation_errors_carry_what_is_wrong_never_what_was_sent(asgi_client):
    response = asgi_client.post("/score", json={"youths": [youth_with("enrollments", "start_date", f"{BSN}-x")]})
    assert response.status_code == 400 and BSN not in response.text and '"input"' not in response.text
    assert response.json()["detail"] == [{"loc": "youths[0].history.enrollments[0].start_date",
                                          "msg": "Input should be a valid date or datetime, invalid date separator, expected `-`"}]


def test_a_youth_given_twice_in_one_request_is_400_naming_both_positions(asgi_client):
    other = youth_with("absence_reports", "hours", 80)
    twice = [youth_with("diplomas", "level", "vmbo-bb"), dict(other, youth_id="J2"), other]
    response = asgi_client.post("/score", json={"youths": twice})
    assert response.status_code == 400
    assert response.json()["error"] == ("youths[2].youth_id: the same youth_id as youths[0]: give each youth once per "
                                        "request (the value is not repeated here)")
