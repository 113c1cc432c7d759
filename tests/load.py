"""A load generator for the production tests: mixed /score and /explain requests from asyncio tasks over
keep-alive connections, every answer recorded (status, latency, request id)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field

import httpx
import numpy as np

from tests.builders import enrolment, history, report, request_youth


def youth_id(number: int) -> str:
    return f"L{number:07d}"


def youth(number: int) -> dict:
    """A plausible youth whose history varies with `number`, so requests are not all alike."""
    hours = number % 60
    return request_youth(youth_id(number), history=history(
        birth=f"{1998 + number % 4}-0{1 + number % 9}-15",
        enrollments=[enrolment("2016-08-15", None if number % 3 else "2018-02-01")],
        reports=[report("2019-08-01", kind="18plus", hours=hours)] if hours else []))


def request_for(number: int) -> tuple[str, dict]:
    """Two scores to one explanation, in a fixed order."""
    return ("/explain", {"youth": youth(number)}) if number % 3 == 2 else ("/score", {"youths": [youth(number)]})


@dataclass
class Outcome:
    path: str
    status: int | None  # None: no answer (connection refused or cut)
    seconds: float
    request_id: str | None
    started: float  # time.monotonic() when sent
    version: str | None = None  # the model version that answered
    error: str | None = None
    youth_id: str | None = None  # the youth in the request body


@dataclass
class LoadResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def answered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 200]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != 200]

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile([o.seconds for o in self.answered], q) * 1000)

    def summary(self, seconds: float) -> dict:
        by_path = {p: sum(o.path == p for o in self.answered) for p in ("/score", "/explain")}
        return {"requests": len(self.outcomes), "ok": len(self.answered), "errors": len(self.failed),
                "by_path": by_path, "rps": round(len(self.answered) / seconds, 1),
                "p50_ms": round(self.percentile_ms(50), 1), "p99_ms": round(self.percentile_ms(99), 1)}


async def generate_load(url: str, headers: dict, seconds: float, concurrency: int, until_failure: bool = False,
                        start_number: int = 0, stop: threading.Event | None = None) -> LoadResult:
    """`concurrency` tasks, each sending its next request as soon as the previous one is answered, for `seconds`
    or until `stop` is set; with `until_failure` a task stops at its first unanswered request (the server was
    killed on purpose)."""
    result, numbers = LoadResult(), itertools.count(start_number)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60.0, limits=limits) as client:

        async def worker() -> None:
            while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
                number = next(numbers)
                path, body = request_for(number)
                sent, started, sent_id = time.monotonic(), time.perf_counter(), youth_id(number)
                try:
                    response = await client.post(path, json=body)
                except httpx.HTTPError as exc:
                    result.outcomes.append(Outcome(path, None, time.perf_counter() - started, None, sent, error=repr(exc),
                                                   youth_id=sent_id))
                    if until_failure:
                        return
                    continue
                seconds = time.perf_counter() - started
                if response.status_code == 200:
                    answer = response.json()
                    version = answer.get("model_version") or answer["results"][0]["model_version"]
                    result.outcomes.append(Outcome(path, 200, seconds, response.headers.get("x-request-id"), sent, version,
                                                   youth_id=sent_id))
                else:
                    result.outcomes.append(Outcome(path, response.status_code, seconds, response.headers.get("x-request-id"),
                                                   sent, error=response.text[:300], youth_id=sent_id))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


def load_in_background(url: str, headers: dict, seconds: float, concurrency: int, **options) -> tuple[threading.Thread, LoadResult]:
    """Start `generate_load` in a thread; join the thread, then read the result."""
    holder = LoadResult()

    def run() -> None:
        holder.outcomes = asyncio.run(generate_load(url, headers, seconds, concurrency, **options)).outcomes

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, holder
