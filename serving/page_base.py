"""What every officers' page shares: the FastAPI app mounted on the service, the templates and their Dutch filters,
the running service's context, who is logged in, and rendering.

`serving/page.py` (the list, a youth, decisions, monitoring) and `serving/case_pages.py` (the work queue) add their
routes to `page_app`; the service mounts it under /ui.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import bentoml
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup

from casework.letters import OfficeSettings
from casework.model import CaseworkRules
from casework.store import CaseStore
from features.office_events import EVENT_KIND_LABELS_NL
from serving import scoring
from serving.audit import AuditLog
from serving.auth import KeyRing, Principal
from serving.decisions import DecisionStore
from serving.feature_words import last_report_nl, value_nl
from serving.freshness import dutch_date
from serving.page_guard import FORM_FIELD
from serving.route_advice import TIER_ADVICE, AdviceInForce
from serving.scores import ScoresSource
from serving.sessions import SessionStore
from vsv_model.database import DatabaseReplaced, require_same_database
from vsv_model.policy import DECISION_ROUTE_LABELS_NL, RISK_CATEGORY_LABELS_NL, TIER_LABELS_NL, TIERS, route_for
from vsv_model.wording import shown_percent

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
page_app = FastAPI(title="vsv-risk: pagina voor consulenten", docs_url=None, redoc_url=None, openapi_url=None)
page_app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


@dataclass
class PageContext:
    """What the page needs from the running service."""

    served: scoring.ServedModel
    scores: ScoresSource
    decisions: DecisionStore
    audit: AuditLog
    keys: KeyRing
    sessions: SessionStore
    cookie_secure: bool = False  # `Secure` cookies on loopback too (off loopback they always are)
    today: Callable[[], dt.date] = field(default=dt.date.today)  # the service passes Settings.current_date
    cases: CaseStore | None = None  # the work queue (in the same database); None: the page shows no work queue
    rules: CaseworkRules = field(default_factory=CaseworkRules)
    office: OfficeSettings = field(default_factory=OfficeSettings)
    advice: AdviceInForce = TIER_ADVICE  # which advice new cases get (`serving.route_advice`)


def page_context() -> PageContext:
    service = bentoml.get_current_service()
    service.refresh_model()
    return service.page


def officer_of(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def render(request: Request, name: str, status: int = 200, **values) -> HTMLResponse:
    user = officer_of(request)
    return templates.TemplateResponse(
        request, name, {"tier_nl": TIER_LABELS_NL, "category_nl": RISK_CATEGORY_LABELS_NL, "route_nl": DECISION_ROUTE_LABELS_NL,
                        "kind_nl": EVENT_KIND_LABELS_NL,
                        "route_of": {t: route_for(t).code for t in TIERS}, "user": user, **values}, status_code=status)


def local_url(request: Request, name: str, query: dict | None = None, **path_params) -> str:
    """A route's address on this server as a path (with `query`, empty values left out), never built from the Host
    header a client sent."""
    query = {k: v for k, v in (query or {}).items() if v not in ("", None)}
    return str(request.url_for(name, **path_params).include_query_params(**query).replace(scheme="", netloc=""))


def redirect(request: Request, name: str, query: dict | None = None, **path_params) -> RedirectResponse:
    """A 303 to a route of the page, relative (`Location: /ui/...`)."""
    return RedirectResponse(local_url(request, name, query, **path_params), status_code=303)


@pass_context
def relative_url_for(context, name: str, /, **path_params) -> str:
    """The templates' `url_for`: relative, like every link and redirect of the page."""
    return local_url(context["request"], name, **path_params)


@pass_context
def csrf_field(context) -> Markup:
    """The hidden field with the request's form token: `{{ csrf_field() }}` inside every `<form method="post">`."""
    token = getattr(context["request"].state, "form_token", "")
    return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_FIELD, token)


DATABASE_REPLACED_NL = ("Het advies kan nu niet worden getoond of vastgelegd. De database van de registratie is "
                        "verwijderd of vervangen sinds de dienst startte. Wat nu wordt vastgelegd, zou verloren gaan. "
                        "Daarom geeft de dienst geen advies en slaat hij niets op. Meld dit meteen bij de beheerder.")


def audit_unavailable(request: Request, context: PageContext) -> HTMLResponse:
    """503: no advice without a record. Says why when the database is no longer the one the service opened."""
    try:
        require_same_database(context.decisions.engine)
        message = ("Het advies kan nu niet worden getoond of vastgelegd: de registratie (het auditlog) is niet "
                   "beschikbaar. Er is niets opgeslagen. Probeer het later opnieuw of meld het bij de beheerder.")
    except DatabaseReplaced:
        message = DATABASE_REPLACED_NL
    except sa.exc.SQLAlchemyError:  # not even reachable: the general message holds
        message = ("Het advies kan nu niet worden getoond of vastgelegd: de registratie (het auditlog) is niet "
                   "bereikbaar. Er is niets opgeslagen. Probeer het later opnieuw of meld het bij de beheerder.")
    return render(request, "message.html", status=503, title="Advies nu niet beschikbaar", message=message)



def percent(value: float) -> str:
    """A probability as officers read it. No model is certain: 0.997 is "meer dan 99%", never "100%". The same whole
    percent as the words beside it (`vsv_model.wording.shown_percent`)."""
    shown = shown_percent(value)
    return {0: "minder dan 1%", 100: "meer dan 99%"}.get(shown, f"{shown}%")


def local_time(moment: dt.datetime) -> str:
    """A stored UTC time as officers read it: Dutch local time (databases may drop the zone: it is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y %H:%M")


templates.env.filters["percent"] = percent
templates.env.filters["local_time"] = local_time
templates.env.filters["nl_bool"] = lambda value: "ja" if value else "nee"
templates.env.filters["feature_nl"] = lambda value, name: value_nl(name, value)
templates.env.filters["last_report_nl"] = last_report_nl
templates.env.filters["nl_date"] = dutch_date
templates.env.globals["url_for"] = relative_url_for
templates.env.globals["csrf_field"] = csrf_field
