"""Metrics and logs without people in them: every path is named by the route that answers it.

A path as a client sends it may hold a youth id (`/ui/jongere/J0012345`) or anything a client types, a BSN
too. Metrics and the request log therefore name the route's template (`/ui/jongere/{youth_id}`); a path no
route answers is `(other)`. The series are bounded by the routes and the status codes the service gives:
5,000 random paths add no series.

BentoML's own HTTP metrics label by the raw path, so they are switched off (`metrics={"enabled": False}` on the
service) and `RouteMetrics` counts instead, with `prometheus_client` in BentoML's multiprocess directory when it
has one (the workers' counts add up). `/metrics` is answered by `MetricsEndpoint`, behind the key check: it
needs an analyst's (or admin's) key (`serving.auth.ROUTE_ROLES`).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from vsv_model.settings import Settings

OTHER = "(other)"
METRICS_PATH = "/metrics"
# The paths BentoML itself answers besides the service's APIs.
SYSTEM_PATHS = ("/", "/docs", "/docs.json", "/schema.json", "/livez", "/readyz", "/healthz", METRICS_PATH)
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class RouteTemplates:
    """Path -> the template of the route that answers it (exact paths first, then the mounted apps' patterns)."""

    exact: frozenset[str]
    patterns: tuple[tuple[re.Pattern, str], ...]

    def template(self, path: str) -> str:
        if path in self.exact:
            return path
        return next((template for pattern, template in self.patterns if pattern.match(path)), OTHER)


def mounted_patterns(prefix: str, app) -> list[tuple[re.Pattern, str]]:
    """The routes of an app mounted at `prefix` (a Starlette or FastAPI app), as (pattern on the full path,
    template). A catch-all route (`/{rest:path}`, the page's Dutch 404) is left out: what only it answers is
    `(other)`."""
    found = [(re.compile(f"^{re.escape(prefix)}$"), prefix)]
    for route in app.routes:
        path = getattr(route, "path", None)
        regex = getattr(route, "path_regex", None)
        if path is None or regex is None or re.fullmatch(r"/\{[^}]+:path\}", path):
            continue
        template = prefix + re.sub(r"\{([^}:]+)(:[^}]+)?\}", r"{\1}", path)
        if not hasattr(route, "methods") and not path.endswith("}"):  # a mounted app, such as the static files
            template += "/{path}"
        found.append((re.compile("^" + re.escape(prefix) + regex.pattern.lstrip("^")), template))
    return found


def route_templates(api_routes, mounted: dict[str, object]) -> RouteTemplates:
    """The templates of the service: its API routes, BentoML's own paths, and the apps mounted on it."""
    patterns = [p for prefix, app in mounted.items() for p in mounted_patterns(prefix, app)]
    return RouteTemplates(frozenset([*api_routes, *SYSTEM_PATHS]), tuple(patterns))


class Instruments:
    """The request counter and the latency histogram, created once per process (prometheus refuses a second
    metric of the same name), on first use: a BentoML worker sets its multiprocess directory after the service's
    module is imported."""

    _lock = threading.Lock()
    _made: tuple | None = None

    @classmethod
    def get(cls) -> tuple:
        with cls._lock:
            if cls._made is None:
                from prometheus_client import Counter, Histogram

                cls._made = (
                    Counter("vsv_http_requests", "HTTP requests answered, by route template and status",
                            ["route", "status"]),
                    Histogram("vsv_http_request_duration_seconds", "Time to answer, by route template", ["route"],
                              buckets=DURATION_BUCKETS))
            return cls._made


class RouteMetrics:
    """Count every request by its route's template and status, and time it."""

    def __init__(self, app, routes: RouteTemplates):
        self.app = app
        self.routes = routes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route = self.routes.template(scope["path"])
        started, status = time.perf_counter(), 500

        async def noting_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            requests, duration = Instruments.get()
            requests.labels(route=route, status=str(status)).inc()
            duration.labels(route=route).observe(time.perf_counter() - started)


def exposition(settings: Settings) -> tuple[bytes, str]:
    """The metrics text: every worker's, through BentoML's multiprocess directory when there is one."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    Instruments.get()  # a worker asked before its first request still shows the metrics' names
    if settings.prometheus_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=settings.prometheus_dir)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsEndpoint:
    """Answer GET /metrics (after `Authentication` has checked the key's role)."""

    def __init__(self, app):
        self.app = app
        self.settings: Settings | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != METRICS_PATH:
            return await self.app(scope, receive, send)
        self.settings = self.settings or Settings.from_env()
        import anyio

        body, content_type = await anyio.to_thread.run_sync(exposition, self.settings)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
