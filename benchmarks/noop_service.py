"""A BentoML service that does nothing, configured as the risk service is (workers, access log, tracing):
the ceiling of any `@bentoml.api` endpoint on this machine. `benchmarks/bentoml_ceiling.py` serves it."""

from __future__ import annotations

import os

import bentoml
from pydantic import BaseModel


class Youth(BaseModel):
    youth_id: str


@bentoml.service(
    name="vsv-noop",
    workers=int(os.environ.get("VSV_WORKERS", "2")),
    traffic={"timeout": 30},
    tracing={"excluded_urls": ".*"},
    logging={"access": {"enabled": False}},
)
class Noop:
    @bentoml.api(route="/score")
    async def score(self, youths: list[Youth]) -> dict:
        """Validates the body like any pydantic-typed API, then answers at once: no model, no key, no audit."""
        return {"scored": len(youths)}
