"""ASGI middleware of the service: request logs, a body-size limit and authentication.

Request logs are one JSON line per request with ids, the client's address, status and latency only:
never a body, a query value or a key; the path is named by the route that answers it
(`/ui/jongere/{youth_id}`, `(other)`: `serving.metrics.RouteTemplates`), so no youth id or typed
number reaches the log.
"""

from __future__ import annotations

import html
import json
import logging
import sys
import time
import uuid
from http.cookies import SimpleCookie

import anyio
import sqlalchemy as sa

from serving.auth import ROUTE_ROLES, SESSION_COOKIE, KeyFileError, KeyRing, Principal, required_role
from vsv_model.database import create_engine
from vsv_model.settings import Settings

request_log = logging.getLogger("vsv.requests")


def configure_request_log() -> None:
    """JSON lines on stderr, whatever BentoML does with its own loggers."""
    if not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)
        request_log.setLevel(logging.INFO)
        request_log.propagate = False


def client_address(scope) -> str | None:
    """The address the request came from (the proxy's, behind one)."""
    client = scope.get("client")
    return str(client[0])[:64] if client else None


def state_of(scope) -> dict:
    return scope.setdefault("state", {})


async def send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


class RequestLog:
    """Give every request an id (echoed as X-Request-ID) and log it once it is answered, by its route's template."""

    def __init__(self, app, routes):
        self.app = app
        self.routes = routes  # serving.metrics.RouteTemplates
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
                "method": scope["method"], "path": self.routes.template(scope["path"]), "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2), "client": client_address(scope),
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
    payload = PAGE_REFUSAL_NL.format(title=html.escape(title), message=html.escape(message)).encode()
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
    """Bearer keys (or the page's session cookie, `serving.sessions`) checked against the route's role: 401 or 403
    otherwise. A page session found is kept in `state["session"]` (its form token: `serving.page_guard`)."""

    def __init__(self, app):
        self.app = app
        self.keys: KeyRing | None = None
        self.sessions = None

    def _setup(self) -> None:
        if self.keys is None:
            from serving.sessions import SessionStore

            settings = Settings.from_env()
            self.keys, self.sessions = KeyRing(settings.api_keys_file), SessionStore(create_engine(settings.database_url))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        needed = required_role(scope["path"])
        if needed is None and not (scope["path"].startswith("/ui") and not scope["path"].startswith("/ui/static/")):
            return await self.app(scope, receive, send)
        self._setup()
        try:
            principal = await self.identify(scope)
        except KeyFileError:
            if needed is None:
                return await self.app(scope, receive, send)
            return await refuse_unavailable(scope, send, "De sleutels kunnen nu niet worden gelezen.",
                                            "the API keys file is unreadable: no access until it is fixed")
        except sa.exc.SQLAlchemyError:
            if needed is None:
                return await self.app(scope, receive, send)
            return await refuse_unavailable(scope, send, "De sessies kunnen nu niet worden gelezen.",
                                            "the sessions cannot be read: no access until the database is back")
        if needed is None:
            return await self.app(scope, receive, send)
        if principal is None:
            return await self.refuse_unknown(scope, send)
        if not principal.may(needed):
            if scope["path"].startswith("/ui"):
                return await send_page(send, 403, "Niet toegestaan", "U hebt geen toegang tot deze pagina.")
            return await send_json(send, 403, {"error": f"the role '{principal.role}' may not use {scope['path']} "
                                                        f"(needs '{needed}')"})
        state_of(scope)["principal"] = principal
        return await self.app(scope, receive, send)

    async def identify(self, scope) -> Principal | None:
        """The key's owner (Bearer), or on the page the owner of a live session (kept in `state["session"]`; looked
        up in a worker thread: the event loop never waits on the database)."""
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            return self.keys.authenticate(authorization[7:].strip())
        token = session_cookie(headers[b"cookie"]) if scope["path"].startswith("/ui") and b"cookie" in headers else None
        if token is not None:
            session = await anyio.to_thread.run_sync(self.sessions.find, token, self.keys)
            if session is not None:
                state_of(scope)["session"] = session
                return session.principal
        return None

    async def refuse_unknown(self, scope, send) -> None:
        if scope["path"].startswith("/ui") and scope["method"] == "GET":
            target = "/ui/login"
            await send({"type": "http.response.start", "status": 303, "headers": [(b"location", target.encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send_json(send, 401, {"error": "authentication required: send 'Authorization: Bearer <key>'"},
                        [(b"www-authenticate", b"Bearer")])


def session_cookie(raw: bytes) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(raw.decode("latin-1"))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no session
        return None
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


async def refuse_unavailable(scope, send, page_nl: str, api: str) -> None:
    if scope["path"].startswith("/ui"):
        return await send_page(send, 503, "Inloggen nu niet mogelijk", f"{page_nl} Meld het bij de beheerder.")
    return await send_json(send, 503, {"error": api})
