"""How bad input is reported: the scorer's named problems (`RequestError`), and BentoML's pydantic validation
errors rewritten as `field: problem` (`PlainValidationErrors`).

BentoML answers a validation error with 400 and pydantic's error list; the ASGI
middleware keeps the status and the list, without the values sent, and adds one readable message, e.g.
`youths[0].history.birth_date: Field required`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    loc: str
    msg: str
    code: str = ""  # what went wrong, for readers in other languages (the officer page)


class RequestError(Exception):
    """Bad input, named field by field; `status` is 400 (malformed) or 422 (out of scope)."""

    def __init__(self, status: int, problems: list[Problem]):
        self.status, self.problems = status, problems
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = "; ".join(f"{p.loc}: {p.msg}" for p in self.problems[:10])
        more = len(self.problems) - 10
        return shown + (f" (and {more} more)" if more > 0 else "")

    def body(self) -> dict:
        return {"error": self.message, "detail": [{"loc": p.loc, "msg": p.msg} for p in self.problems]}


def location(loc) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def plain(detail: list[dict]) -> dict:
    problems = [{"loc": location(d.get("loc", ())), "msg": d.get("msg", "invalid")} for d in detail]
    shown = "; ".join(f"{p['loc']}: {p['msg']}" for p in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return {"error": shown + more, "detail": problems}


def is_pydantic_error(data) -> bool:
    """BentoML's validation body: a `detail` list whose `loc` entries are lists (ours are already strings)."""
    detail = data.get("detail") if isinstance(data, dict) else None
    return isinstance(detail, list) and all(isinstance(d, dict) and isinstance(d.get("loc", ()), list) for d in detail)


class QuietValidationErrors(logging.Filter):
    """Drop BentoML's traceback log of a client's validation error: it is the client's mistake, already
    answered with a 400, and pydantic's message would copy the request's values (youth data) into the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ValidationError)


def quiet_validation_logs() -> None:
    logging.getLogger("bentoml._internal.server.http_app").addFilter(QuietValidationErrors())


class PlainValidationErrors:
    """Rewrites 400 and 422 responses that carry pydantic's `detail` list to `loc` and `msg` only: pydantic's `input`
    (what the client sent, a BSN too) and `ctx` never go back. Everything else passes untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] in (400, 422):
                start = message
                return
            if start is None:
                return await send(message)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await send_rewritten(start, b"".join(chunks))

        async def send_rewritten(start_message, body: bytes):
            try:
                data = json.loads(body)
                rewritten = json.dumps(plain(data["detail"])).encode() if is_pydantic_error(data) else body
            except (ValueError, TypeError, KeyError, AttributeError):
                rewritten = body
            headers = [(k, v) for k, v in start_message["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(rewritten)).encode()))
            await send({**start_message, "headers": headers})
            await send({"type": "http.response.body", "body": rewritten})

        await self.app(scope, receive, capture)
