"""The service's OpenAPI document, completed: the Bearer scheme and every error answer the API gives.

BentoML documents 400/404/500 with a string `detail`; the service also answers
401, 403, 413, 422 and 503, and its errors carry a list of problems. Clients
(and schemathesis) read `/docs.json`, so the document must say what the service
really does. The patch runs once per document request on a small JSON body.
"""

from __future__ import annotations

import json

from serving.auth import ROUTE_ROLES

PROBLEM_SCHEMA = {
    "type": "object", "title": "Problem", "required": ["error"],
    "properties": {
        "error": {"type": "string", "title": "Message", "description": "What is wrong, in plain words."},
        "detail": {"type": "array", "title": "Problems", "items": {
            "type": "object", "required": ["loc", "msg"],
            "properties": {"loc": {"type": "string", "description": "The field, e.g. youths[0].history.birth_date"},
                           "msg": {"type": "string"}}}},
    },
}
ERRORS = {
    "400": "Bad request: malformed JSON, a missing field, a wrong type, an impossible value or a youth given twice; the "
           "message names the field, never the value sent",
    "401": "No valid key: send 'Authorization: Bearer <key>'",
    "403": "The key's role may not use this endpoint (or send this many youths)",
    "413": "The request body is larger than the configured limit (default 5 MB)",
    "415": "The body is not sent as application/json",
    "422": "Valid input, but the youth is outside the model's target group (too young, too old, or holding a "
           "startkwalificatie), or a field holds a BSN (named, never repeated)",
    "500": "An unexpected server error",
    "503": "The audit log cannot be written (no advice without a record), or the model cannot be loaded",
}
DOCUMENT_PATH = "/docs.json"


def complete_document(document: dict) -> dict:
    """Add the Problem schema, the Bearer scheme, and the real error answers to every API operation."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http", "scheme": "bearer", "description": "An API key from `vsv keys add`; roles officer < analyst < admin."}
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, role in ROUTE_ROLES.items():
        operation = document.get("paths", {}).get(path, {}).get("post")
        if operation is None:
            continue
        operation["security"] = [{"bearerAuth": []}]
        operation["description"] = f"{operation.get('description', '')}\n\nNeeds the role '{role}' or higher.".strip()
        responses = operation.setdefault("responses", {})
        responses.pop("404", None)  # an API route exists; BentoML's 404 is for its task endpoints
        responses.update({code: {"description": text, "content": problem} for code, text in ERRORS.items()})
    return document


class CompleteOpenApi:
    """ASGI middleware: serve `/docs.json` completed by `complete_document`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != DOCUMENT_PATH or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        start, chunks = {}, []

        async def buffer(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await flush()

        async def flush():
            body = b"".join(chunks)
            if start.get("status") == 200:
                body = json.dumps(complete_document(json.loads(body))).encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)
