"""The BentoML service: score youths with a tier, an advised route and SHAP reasons.

The champion is declared at class level (BentoML resolves it before the server
starts, and `bentoml build` packs it into the Bento); `vsv serve` imports the
registry's champion into BentoML's model store and points VSV_MODEL_TAG at it;
`/reload` moves every worker of this server to a new champion without a failed
request. Every answer is first written to the audit log. All scoring
work happens in `serving.scoring`; this class only speaks HTTP.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import anyio
import bentoml
import sqlalchemy as sa
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from casework.letters import OfficeSettings
from casework.model import CaseworkRules
from casework.store import CaseStore
from serving import model_store, route_advice, scoring
from serving.audit import AuditLog, AuditUnavailable, records
from serving.audit_chain import verify_tail
from serving.auth import OFFICER_MAX_YOUTHS, KeyRing, Principal
from serving.case_events import receive_deliveries
from serving.database import open_database
from serving.decisions import DecisionStore
from serving.errors import PlainValidationErrors, RequestError, quiet_validation_logs
from serving.metrics import MetricsEndpoint, RouteMetrics, route_templates
from serving.middleware import Authentication, BodyLimit, JsonBodies, RequestLog
from serving.openapi import CompleteOpenApi
from serving.page import page_app
from serving.page_base import PageContext
from serving.page_guard import FormGuard, PersonalNumbers, SecurityHeaders
from serving.retention import RetentionSchedule
from serving.schemas import (
    MAX_DELIVERIES,
    MAX_YOUTHS,
    Delivery,
    EventsResponse,
    Explanation,
    FeatureInfo,
    ModelInfo,
    ScoreResponse,
    YouthInput,
)
from serving.scores import ScoresSource
from serving.sessions import SessionStore
from vsv_model.database import database_problem
from vsv_model.feature_spec import FEATURES
from vsv_model.settings import Settings

log = logging.getLogger("vsv.service")
# BentoML's class decorator needs the worker count when this module loads: the settings are read once, here.
SETTINGS = Settings.from_env()
MODEL_TAG = SETTINGS.model_tag or f"{model_store.BENTO_MODEL}:latest"
# Tracing spans cost a fifth of a request and go nowhere without an exporter: off unless asked for.
TRACING = {} if SETTINGS.tracing else {"excluded_urls": ".*"}


class ReloadResult(BaseModel):
    previous_version: str
    version: str


class AuditExport(BaseModel):
    records: list[dict]


def refused(ctx: bentoml.Context | None, status: int, body: dict | str) -> JSONResponse:
    """An error answer. With a context in the API's signature BentoML overwrites the response's status
    with the context's, so it is set on both."""
    if ctx is not None:
        ctx.response.status_code = status
    return JSONResponse({"error": body} if isinstance(body, str) else body, status_code=status)


@bentoml.asgi_app(page_app, path="/ui")
@bentoml.service(
    name="vsv-risk",
    workers=SETTINGS.workers,
    traffic={"timeout": 30},
    tracing=TRACING,
    logging={"access": {"enabled": False}},  # serving.middleware.RequestLog writes the request log
    metrics={"enabled": False},  # BentoML labels by the raw path (youth ids, anything typed): serving.metrics counts
)
class VsvRisk:
    bento_model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        quiet_validation_logs()
        self.settings = Settings.from_env()
        self.marker = model_store.ServedMarker.for_this_server()
        self.served_tag = str(bentoml.models.get(self.starting_tag()).tag)
        self.served = model_store.load_tag(self.served_tag, self.settings)  # refused unless the run and checksum match
        # The advice in force: this server's /reload's, else the registry's promoted route policy, else the tier's
        # (a missing or unreadable policy is logged and never keeps the worker from being ready).
        self.advice_marker = route_advice.AdviceMarker.for_this_server()
        self.advice = self.advice_marker.advice() or route_advice.load_advice(self.settings)
        engine = open_database(self.settings.database_url)
        self.audit = AuditLog(engine)
        self.chain_problem = chain_tail_problem(engine)  # a chain broken behind the service: not ready, said in the log
        self.cases = CaseStore(engine, clock=office_clock(self.settings))
        self.case_rules = CaseworkRules.from_toml(self.settings.region_config)
        keys = KeyRing(Path(self.settings.api_keys_file))
        self.page = PageContext(self.served, ScoresSource(Path(self.settings.scores_path)), DecisionStore(engine), self.audit,
                                keys, SessionStore(engine), self.settings.cookie_secure,
                                self.settings.current_date, cases=self.cases, rules=self.case_rules,
                                office=OfficeSettings.from_toml(self.settings.region_config), advice=self.advice)
        # Retention once a day, shortly after the start and then hourly checks; the day's first worker does it.
        self.retention = RetentionSchedule(self.settings).start() if self.settings.retention else None
        # Everything loaded so far lives as long as the worker: keep it out of the garbage collector's
        # full passes, which otherwise stall a request for 100+ ms now and then (the p99).
        gc.collect()
        gc.freeze()
        # A 1,000-youth request allocates a few hundred thousand short-lived objects; at the default threshold
        # (700) the collector runs hundreds of times inside it (~15 ms). Requests free their objects by
        # reference counting, so collections are only for the rare cycle: run them far less often.
        gc.set_threshold(100_000, 50, 1000)

    def __is_ready__(self) -> bool:
        """BentoML's /readyz: ready only while the database is the one this worker opened, and answers (no advice
        without a record)."""
        problem = database_problem(self.audit.engine) or self.chain_problem or None
        if problem is not None:
            log.warning("not ready: %s", problem)
        return problem is None

    def starting_tag(self) -> str:
        """The model a worker starts with, in this order: this server's own /reload (a respawned worker must
        not fall back to the old model); VSV_MODEL_TAG (`vsv serve` pins the champion it imported); the model
        the Bento was built with; the latest in BentoML's store. A marker of another server is never read."""
        return (self.marker.tag() or self.settings.model_tag or carried_model_tag()
                or str(self.bento_model.tag))

    def refresh_model(self) -> None:
        """Follow this server's marker (a stat per request): another worker's /reload reaches this one."""
        tag = self.marker.tag()
        if tag is not None and tag != self.served_tag:
            self.served = self.page.served = model_store.load_tag(tag, self.settings)
            self.served_tag = tag
        advice = self.advice_marker.advice()
        if advice is not None and advice is not self.advice:
            self.advice = self.page.advice = advice

    async def audited(self, event: str, youths: list[YouthInput], results: list, ctx: bentoml.Context) -> None:
        state = ctx.request.state
        principal: Principal | None = getattr(state, "principal", None)
        await self.audit.append_async(records(event, results, getattr(state, "request_id", None),
                                              principal.name if principal else None, [y.model_dump_json() for y in youths]))

    @bentoml.api(route="/score")
    async def score(
        self, youths: Annotated[list[YouthInput], Field(min_length=1, max_length=MAX_YOUTHS)], ctx: bentoml.Context
    ) -> ScoreResponse:
        """Probability, tier, advised route and the top-5 reasons for 1 to 1,000 youths (officers: up to 25), each
        as of its `as_of` and with the calibration and cut-offs of its `kind` (default stock: the yearly list)."""
        principal = getattr(ctx.request.state, "principal", None)
        if len(youths) > OFFICER_MAX_YOUTHS and principal is not None and not principal.may("analyst"):
            return refused(ctx, 403, f"more than {OFFICER_MAX_YOUTHS} youths in one request is batch scoring: the analyst role")
        self.refresh_model()
        try:
            scoring.refuse_repeated_youths(youths)  # one answer per youth (DUO's deliveries may repeat a youth)
            results = scoring.score(self.served, youths, dt.date.today())
            await self.audited("score", youths, results, ctx)
        except RequestError as error:
            return refused(ctx, error.status, error.body())
        except AuditUnavailable as error:
            return refused(ctx, 503, f"{error}: no advice without a record")
        return ScoreResponse(model_version=self.served.version, model_run_id=self.served.run_id,
                             model_fingerprint=self.served.fingerprint, results=results)

    @bentoml.api(route="/explain")
    async def explain(self, youth: YouthInput, ctx: bentoml.Context) -> Explanation:
        """All contributions and the base value (they add up to the calibrated log-odds), plus the reasons."""
        self.refresh_model()
        try:
            result = scoring.score(self.served, [youth], dt.date.today(), explain=True)[0]
            await self.audited("explain", [youth], [result], ctx)
        except RequestError as error:
            return refused(ctx, error.status, error.body())
        except AuditUnavailable as error:
            return refused(ctx, 503, f"{error}: no advice without a record")
        return result

    @bentoml.api(route="/events")
    async def events(
        self, deliveries: Annotated[list[Delivery], Field(min_length=1, max_length=MAX_DELIVERIES)], ctx: bentoml.Context
    ) -> EventsResponse:
        """DUO's deliveries (analyst role: a machine link), 1 to 100: each an absence report (with its report_id) or
        a deregistration (an enrolment with its end), with the youth's history. Each event is scored as of its day
        with its kind's settings and made into a case, or attached to the youth's open case as a repeat; a report
        delivered again is `known` (the same case). A deregistration is a new leaver only from its end plus a month
        without a new enrolment (`not_yet` until then)."""
        self.refresh_model()
        state = ctx.request.state
        principal: Principal | None = getattr(state, "principal", None)
        try:
            answers = await anyio.to_thread.run_sync(
                receive_deliveries, self.served, self.cases, self.audit, self.case_rules, deliveries,
                self.settings.current_date(), getattr(state, "request_id", None), principal.name if principal else None,
                self.advice)
        except RequestError as error:
            return refused(ctx, error.status, error.body())
        except AuditUnavailable as error:
            return refused(ctx, 503, f"{error}: no case without a record")
        except sa.exc.SQLAlchemyError as error:
            return refused(ctx, 503, f"the cases cannot be stored ({type(error).__name__})")
        return EventsResponse(model_version=self.served.version, model_run_id=self.served.run_id,
                              model_fingerprint=self.served.fingerprint, results=answers)

    @bentoml.api(route="/model")
    async def model(self) -> ModelInfo:
        """Version, run id, training date, metrics, tier cut-offs and the features with their Dutch labels."""
        self.refresh_model()
        return model_info(self.served)

    @bentoml.api(route="/reload")
    async def reload(self) -> ReloadResult:
        """Serve the registry's current champion (admin), and its promoted route policy if any (else the tier
        advice). Requests keep the old model until the swap."""
        previous = self.served.version
        try:
            tag = await anyio.to_thread.run_sync(model_store.import_champion, self.settings)
        except Exception as error:  # noqa: BLE001 - any reason the registry cannot give a model
            return refused(None, 503, f"the champion cannot be loaded, still serving version {previous}: {error}")
        if tag != self.marker.tag():
            self.marker.mark(tag)
        self.advice_marker.mark(await anyio.to_thread.run_sync(route_advice.load_advice, self.settings))
        self.refresh_model()
        return ReloadResult(previous_version=previous, version=self.served.version)

    @bentoml.api(route="/audit_export")
    async def audit_export(self, since: Annotated[dt.date, Field(strict=True)]) -> AuditExport:
        """Audit records from a date on (analyst); `vsv audit export` writes them to a file."""
        frame = await anyio.to_thread.run_sync(self.audit.export, since)
        return AuditExport(records=frame.astype(object).where(frame.notna(), None).to_dict("records"))


def chain_tail_problem(engine) -> str:
    """The audit chain's newest links, checked once at start-up ('' when they hold). A broken link keeps the worker
    from being ready (`/readyz` 503) and is logged: `vsv audit verify` then names every detail."""
    try:
        problem = verify_tail(engine)
    except sa.exc.SQLAlchemyError as error:  # an unreadable database is the readiness check's to report
        log.warning("the audit chain's tail was not checked: %s", type(error).__name__)
        return ""
    if problem:
        log.error("the audit log's hash chain is broken (%s): not ready; run `vsv audit verify`", problem)
    return problem


def office_clock(settings: Settings):
    """The time of a case record: now, or, when VSV_TODAY fixes the office's day, that day at the current time (so
    a page and the cases it changes agree on what today is)."""
    if settings.today is None:
        return None
    return lambda: dt.datetime.combine(settings.today, dt.datetime.now(dt.UTC).time(), tzinfo=dt.UTC)


def carried_model_tag() -> str | None:
    """The exact model tag a Bento was built with, when the service runs from one. BentoML itself would
    resolve the class-level `vsv-risk:latest` against the model store, where a newer model may be."""
    bento = getattr(VsvRisk, "bento", None)
    if bento is None:
        return None
    return next((str(m.tag) for m in bento.info.all_models if m.tag.name == model_store.BENTO_MODEL), None)


def model_info(served: scoring.ServedModel) -> ModelInfo:
    model = served.model
    return ModelInfo(
        name=served.name, version=served.version, run_id=served.run_id, booster_sha256=served.booster_sha256,
        fingerprint=served.fingerprint, target_group=served.group.to_dict(),
        trained_at=model.info.get("trained_at", ""), as_of_dates=model.info.get("as_of_dates", []),
        metrics=model.info.get("metrics", {}),
        tier_cutoffs={"medium": model.cutoffs.medium, "high": model.cutoffs.high},
        tier_sizing={"mode": model.cutoffs.mode, **model.cutoffs.details},
        risk_categories=model.categories.to_dict(),
        kinds={kind: {"calibration": asdict(settings.calibration), "tier_cutoffs": {"medium": settings.cutoffs.medium,
                                                                                  "high": settings.cutoffs.high},
                      "tier_sizing": {"mode": settings.cutoffs.mode, **settings.cutoffs.details}}
               for kind, settings in model.kinds.items()},
        features=[FeatureInfo(name=f.name, label_nl=f.label_nl, changeable=f.changeable, justification=f.justification)
                  for f in FEATURES],
    )


# Outermost first: every request is counted by its route's template, gets an id, a log line and the security
# headers; oversized bodies stop before anything reads them; a BSN in the address stops next; then the key (or
# the page's session) and its role are checked; /metrics is answered only after that; the page's forms are
# checked (origin, form token, BSN) before any page route reads them.
ROUTES = route_templates([api.route for api in VsvRisk.apis.values()], {"/ui": page_app})
VsvRisk.add_asgi_middleware(RouteMetrics, routes=ROUTES)
VsvRisk.add_asgi_middleware(RequestLog, routes=ROUTES)
VsvRisk.add_asgi_middleware(SecurityHeaders)
VsvRisk.add_asgi_middleware(BodyLimit)
VsvRisk.add_asgi_middleware(PersonalNumbers)
VsvRisk.add_asgi_middleware(Authentication)
VsvRisk.add_asgi_middleware(MetricsEndpoint)
VsvRisk.add_asgi_middleware(FormGuard)
VsvRisk.add_asgi_middleware(JsonBodies)
VsvRisk.add_asgi_middleware(PlainValidationErrors)
VsvRisk.add_asgi_middleware(CompleteOpenApi)
