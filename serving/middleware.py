"""ASGI middleware of the service: request logs, a body-size limit and authentication.

Request logs are one JSON line per request with ids, status and latency only:
never a body, a query value or a key; a youth id in a page path is replaced by
its placeholder.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from http.cookies import SimpleCookie

from serving.auth import (
    ROUTE_ROLES,
    SESSION_COOKIE,
    KeyFileError,
    KeyRing,
    Principal,
    read_session,
    required_role,
    session_secret,
)
from vsv_model.settings import Settings

request_log = logging.getLogger("vsv.requests")
YOUTH_IN_PATH = re.compile(r"^(/ui/jongere/).+")  # all of it: an id may hold a (percent-encoded) slash


def configure_request_log() -> None:
    """JSON lines on stderr, whatever BentoML does with its own loggers."""
    if not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False


def loggable_path(path: str) -> str:
    return YOUTH_IN_PATH.sub(r"\1{youth_id}", path)


def state_of(scope) -> dict:
    return scope.setdefault("state", {})


async def send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


class RequestLog:
    """Give every request an id (echoed as X-Request-ID) and log it once it is answered."""

    def __init__(self, app):
        self.app = app
        configure_request_log()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = uuid.uuid4().hex[:16]
        state_of(scope)["request_id"] = request_id
        started, status = time.perf_counter(), 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = state_of(scope).get("principal")
            request_log.info(json.dumps({
                "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "request_id": request_id,
                "method": scope["method"], "path": loggable_path(scope["path"]), "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                "key_name": principal.name if principal else None}))


class BodyLimit:
    """Refuse bodies over the limit with 413 before the app reads a byte: at once from Content-Length; a body
    without one (chunked) is read here up to the limit, then either refused or handed on whole."""

    def __init__(self, app, limit: int | None = None):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.limit is None:  # read once, on the first request (the service's settings are final by then)
            self.limit = Settings.from_env().max_body_bytes
        limit = self.limit
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                return await refuse_too_large(send, limit)
            return await self.app(scope, receive, send)  # the server holds the body to its declared length
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > limit:
                return await refuse_too_large(send, limit)
            if not message.get("more_body", False):
                break
        return await self.app(scope, replay(b"".join(chunks), receive), send)


async def refuse_too_large(send, limit: int) -> None:
    await send_json(send, 413, {"error": f"request body larger than {limit} bytes"})


PAGE_REFUSAL_NL = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{title} · Doorstroompunt Zuid-Holland Zuid</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p><a href="/ui/">Terug naar de lijst</a></p></main></body></html>"""


async def send_page(send, status: int, title: str, message: str) -> None:
    """A refusal on the officers' page, as a small Dutch page (the page's templates are not reachable here)."""
    payload = PAGE_REFUSAL_NL.format(title=title, message=message).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def replay(body: bytes, receive):
    """A receive channel that gives the already-read body once, then whatever the client sends next."""
    given = False

    async def replayed():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class JsonBodies:
    """The API speaks JSON only: any other declared content type gets a clear 415 before a parser sees it
    (BentoML would try to parse multipart bodies itself and fail with a 500 on a bad boundary)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in ROUTE_ROLES:
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        media_type = declared.split(";", 1)[0].strip().lower()
        if media_type not in ("", "application/json"):
            return await send_json(send, 415, {"error": f"content type {media_type!r} is not accepted: send the body as "
                                                        "application/json"})
        return await self.app(scope, receive, send)


class Authentication:
    """Bearer keys (or the page's session cookie) checked against the route's role: 401 or 403 otherwise."""

    def __init__(self, app):
        self.app = app
        self.keys: KeyRing | None = None
        self.secret: bytes | None = None

    def _setup(self) -> None:
        if self.keys is None:
            settings = Settings.from_env()
            self.keys, self.secret = KeyRing(settings.api_keys_file), session_secret(settings)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        needed = required_role(scope["path"])
        if needed is None:
            return await self.app(scope, receive, send)
        self._setup()
        try:
            principal = self.identify(scope)
        except KeyFileError:
            if scope["path"].startswith("/ui"):
                return await send_page(send, 503, "Inloggen nu niet mogelijk", "De sleutels kunnen nu niet worden gelezen. "
                                                                            "Meld het bij de beheerder.")
            return await send_json(send, 503, {"error": "the API keys file is unreadable: no access until it is fixed"})
        if principal is None:
            return await self.refuse_unknown(scope, send)
        if not principal.may(needed):
            if scope["path"].startswith("/ui"):
                return await send_page(send, 403, "Niet toegestaan", "U hebt geen toegang tot deze pagina.")
            return await send_json(send, 403, {"error": f"the role '{principal.role}' may not use {scope['path']} "
                                                        f"(needs '{needed}')"})
        state_of(scope)["principal"] = principal
        return await self.app(scope, receive, send)

    def identify(self, scope) -> Principal | None:
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            return self.keys.authenticate(authorization[7:].strip())
        if scope["path"].startswith("/ui") and b"cookie" in headers:
            cookie = SimpleCookie()
            try:
                cookie.load(headers[b"cookie"].decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                return None
            morsel = cookie.get(SESSION_COOKIE)
            return read_session(morsel.value if morsel else None, self.secret, self.keys)
        return None

    async def refuse_unknown(self, scope, send) -> None:
        if scope["path"].startswith("/ui") and scope["method"] == "GET":
            target = "/ui/login"
            await send({"type": "http.response.start", "status": 303, "headers": [(b"location", target.encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send_json(send, 401, {"error": "authentication required: send 'Authorization: Bearer <key>'"},
                        [(b"www-authenticate", b"Bearer")])
