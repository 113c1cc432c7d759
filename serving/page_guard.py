"""What the service holds against hostile clients, for every page and every request, whatever route answers.

- **No personal number in a request's words** (`PersonalNumbers`): a path, a query value or a form field holding a
  number that passes the 11-test (`vsv_model.contract.contains_bsn`) is refused (400) before any route sees it,
  naming the parameter, never repeating the value. JSON bodies are judged by the API's own schema
  (`serving.scoring.refuse_citizen_numbers`).
- **Forms that hold** (`FormGuard`): every state-changing request to the page (POST, PUT, PATCH, DELETE under
  `/ui`) must come from the page's own origin (`Sec-Fetch-Site`, the `Origin` header, the `Referer`: `same_origin`)
  and carry the form token
  of its session (`serving.sessions.form_token`) in the field `csrf` (or the header `X-CSRF-Token`). A template
  adds the field with `{{ csrf_field() }}` inside every `<form method="post">`. Before login a browser gets a
  form cookie of its own for the login form. Requests with an API key (`Authorization: Bearer`) are not
  authenticated by a cookie, so a site cannot forge them: they need neither.
- **Headers on every answer** (`SecurityHeaders`): no framing, no sniffing, no referrer, nothing stored in caches
  (but the page's static files), and on the page a content security policy without inline script or style.
- **Secure cookies off loopback** (`secure_cookies`): a cookie is marked `Secure` unless the request reached the
  server on a loopback address over plain HTTP (`VSV_COOKIE_SECURE=1`: always).
"""

from __future__ import annotations

import hmac
import ipaddress
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.requests import Request

from serving.auth import FORM_COOKIE
from serving.middleware import replay, send_json, send_page, state_of
from serving.sessions import form_token, new_token, plausible_token
from vsv_model.contract import contains_bsn
from vsv_model.settings import Settings

PAGE_PREFIX = "/ui"
STATIC_PREFIX = "/ui/static/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_FIELD, FORM_HEADER = "csrf", b"x-csrf-token"
UNCHECKED_FIELDS = frozenset({FORM_FIELD, "sleutel"})  # the form token and the key: never a personal number
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
# BentoML's API documentation (`/`, `/docs`, its `/static_content/`): Swagger's own scripts from the service, its
# inline style attributes; no inline script, so the Google Tag Manager snippet BentoML ships in that page never runs
# and no request leaves for a third party.
DOCS_CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-src 'none'; "
                                "frame-ancestors 'none'; base-uri 'none'")
DOCS_PATHS = ("/", "/docs")
DOCS_STATIC_PREFIX = "/static_content/"
BASE_HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
BSN_TITLE_NL = "Geen burgerservicenummer"
BSN_MESSAGE_NL = ("{where} staat een nummer dat op een burgerservicenummer (BSN) lijkt. Gebruik nooit een BSN, alleen het "
                  "nummer (pseudoniem) van de jongere. Er is niets opgeslagen of gezocht; het nummer wordt hier niet herhaald.")


def is_page(path: str) -> bool:
    return path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/")


def header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def has_api_key(scope) -> bool:
    return (header(scope, b"authorization") or "").lower().startswith("bearer ")


def cookie_value(scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    cookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header holds no cookie
        return None
    morsel = cookie.get(name)
    return morsel.value if morsel else None


# --- cookies -----------------------------------------------------------------------------


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def secure_cookies(scope, force: bool = False) -> bool:
    """`Secure` unless the request reached the server over plain HTTP on a loopback address (`force`: always)."""
    server = scope.get("server") or (None, None)
    return force or scope.get("scheme") == "https" or not is_loopback(server[0])


def cookie_header(name: str, value: str, path: str, secure: bool, max_age: int | None = None) -> tuple[bytes, bytes]:
    parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return b"set-cookie", "; ".join(parts).encode("latin-1")


# --- origins ----------------------------------------------------------------------------


def own_origin(scope) -> str:
    return f"{scope.get('scheme', 'http')}://{header(scope, b'host') or ''}".lower()


def sender_origin(scope) -> str | None:
    """Where a request comes from: its Origin header, else its Referer's origin (None when it says neither)."""
    origin = header(scope, b"origin")
    if origin and origin != "null":
        return origin.rstrip("/").lower()
    referer = urlsplit(header(scope, b"referer") or "")
    return f"{referer.scheme}://{referer.netloc}".lower() if referer.scheme and referer.netloc else None


def same_origin(scope, public_origins: tuple[str, ...]) -> bool:
    """Whether the request comes from the page itself. The browser's `Sec-Fetch-Site` must say `same-origin` when
    sent; an origin named (`Origin`, else the `Referer`'s) must be the page's public address(es) when configured,
    else the address the request was sent to. The page's `Referrer-Policy: no-referrer` makes browsers send
    `Origin: null` and no `Referer` with its own forms: then `Sec-Fetch-Site: same-origin` alone vouches for it."""
    fetch_site = header(scope, b"sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    sender = sender_origin(scope)
    if sender is None:
        return fetch_site == "same-origin"
    return sender in (public_origins or (own_origin(scope),))


# --- personal numbers -------------------------------------------------------------------


def numbers_in_address(scope) -> list[str]:
    """The parts of a request's address holding a BSN-shaped number: 'het adres' (the path) and the query's names."""
    found = ["het adres"] if contains_bsn(unquote(scope["path"])) else []
    query = scope.get("query_string", b"").decode("latin-1")
    return found + sorted({shown_name(name) for name, value in parse_qsl(query, keep_blank_values=True)
                           if contains_bsn(value) or contains_bsn(name)})


def numbers_in_form(form) -> list[str]:
    """The names of the form's text fields holding a BSN-shaped number (files are judged by what reads them)."""
    return sorted({shown_name(name) for name, value in form.multi_items()
                   if name not in UNCHECKED_FIELDS and isinstance(value, str) and (contains_bsn(value) or contains_bsn(name))})


def shown_name(name: str) -> str:
    """A parameter's name as a refusal may say it: never a name that itself holds the number, never a long one."""
    return "een naam" if contains_bsn(name) or len(name) > 40 else name


def where_nl(names: list[str]) -> str:
    shown = [n if n in ("het adres", "een naam") else f"'{n}'" for n in names]
    return f"In {' en '.join(shown)}" if len(shown) <= 2 else f"In {', '.join(shown[:-1])} en {shown[-1]}"


async def refuse_number(scope, send, names: list[str]) -> None:
    if is_page(scope["path"]):
        return await send_page(send, 400, BSN_TITLE_NL, BSN_MESSAGE_NL.format(where=where_nl(names)))
    await send_json(send, 400, {"error": f"{', '.join(names)}: looks like a BSN (9 digits that pass the 11-test): only "
                                         "pseudonymous ids are allowed, never a citizen service number (the value is not "
                                         "repeated here)"})


class PersonalNumbers:
    """Refuse a BSN-shaped number in any path or query value (forms: `FormGuard`, which reads the body once)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        names = numbers_in_address(scope)
        if names:
            return await refuse_number(scope, send, names)
        return await self.app(scope, receive, send)


# --- forms ------------------------------------------------------------------------------


async def read_body(receive) -> bytes | None:
    """The whole body (already held to the size limit by `BodyLimit`); None when the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def nothing_more():
    return {"type": "http.disconnect"}


async def read_form(scope, body: bytes):
    """The body's form fields (urlencoded or multipart; empty for anything else); None when it cannot be read."""
    request = Request(scope, replay(body, nothing_more))
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - a malformed multipart body is the client's error, answered with a 400
        return None
    await form.close()
    return form


def form_token_of(scope, force_secure: bool) -> tuple[str, tuple[bytes, bytes] | None]:
    """The form token this request's forms carry: its session's, or before login the browser's own form cookie's
    (a new one, with the header that sets it, when it has none yet)."""
    session = state_of(scope).get("session")
    if session is not None:
        return session.form_token, None
    cookie = cookie_value(scope, FORM_COOKIE)
    if plausible_token(cookie):
        return form_token(cookie), None
    fresh = new_token()
    return form_token(fresh), cookie_header(FORM_COOKIE, fresh, PAGE_PREFIX, secure_cookies(scope, force_secure))


def submitted_token(scope, form) -> str:
    return header(scope, FORM_HEADER) or (form.get(FORM_FIELD) if form is not None else None) or ""


FORM_REFUSED_NL = ("Dit formulier is geweigerd: het kwam niet van deze pagina of het is verlopen. Er is niets opgeslagen. "
                   "Open de pagina opnieuw en probeer het nog eens.")


class FormGuard:
    """The form token and the sender's origin on every state-changing request to the page; BSN-shaped numbers in
    any of its form fields. Puts the request's form token in `state["form_token"]` for `csrf_field()`."""

    def __init__(self, app):
        self.app = app
        self.settings: Settings | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not is_page(scope["path"]) or scope["path"].startswith(STATIC_PREFIX):
            return await self.app(scope, receive, send)
        self.settings = self.settings or Settings.from_env()
        by_key = has_api_key(scope)
        token, set_cookie = ("", None) if by_key else form_token_of(scope, self.settings.cookie_secure)
        state_of(scope)["form_token"] = token  # a client with a key posts without one: it gets none
        if set_cookie is not None:
            send = with_header(send, set_cookie)
        if scope["method"] not in UNSAFE_METHODS:
            return await self.app(scope, receive, send)
        if not by_key and not same_origin(scope, self.settings.public_origins):
            return await send_page(send, 403, "Formulier geweigerd", FORM_REFUSED_NL)
        body = await read_body(receive)
        if body is None:
            return None
        form = await read_form(scope, body)
        if form is None:
            return await send_page(send, 400, "Formulier niet leesbaar", "Het formulier kan niet worden gelezen. "
                                                                        "Er is niets opgeslagen.")
        names = numbers_in_form(form)
        if names:
            return await refuse_number(scope, send, names)
        if not by_key and not hmac.compare_digest(submitted_token(scope, form).encode(), token.encode()):
            return await send_page(send, 403, "Formulier geweigerd", FORM_REFUSED_NL)
        return await self.app(scope, replay(body, receive), send)


def with_header(send, extra: tuple[bytes, bytes]):
    async def sending(message):
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), extra]}
        await send(message)
    return sending


# --- headers ----------------------------------------------------------------------------


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer gets; the page also its content security policy, and all but its static files
    `no-store` (pages, API answers and exports hold personal data). BentoML's API documentation (`/`, `/docs`)
    gets a policy of its own (`DOCS_CONTENT_SECURITY_POLICY`)."""
    headers = list(BASE_HEADERS)
    if is_page(path):
        headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    elif path in DOCS_PATHS or path.startswith(DOCS_STATIC_PREFIX):
        headers.append((b"content-security-policy", DOCS_CONTENT_SECURITY_POLICY.encode()))
    if not path.startswith(STATIC_PREFIX):
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeaders:
    """Set `security_headers` on every answer, replacing any the app set for the same names."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = security_headers(scope["path"])
        names = {name for name, _ in extra}

        async def with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        return await self.app(scope, receive, with_headers)
