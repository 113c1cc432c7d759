"""The officers' page, in Dutch: the scored list, one youth's risk and reasons, and the decision (what all pages share:
`serving/page_base.py`; the work queue: `serving/case_pages.py`).

A FastAPI app mounted on the BentoML service (`@bentoml.asgi_app`); its handlers
get the running service's context (served model, scores, decision store) through
one dependency, so tests can run the page on its own. All assets are local.

Every `<form method="post">` includes `{{ csrf_field() }}` (the form token `serving.page_guard` checks), links
and redirects are relative (never built from the Host header), and the templates hold no inline script or
style (the content security policy refuses them).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi import Depends, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from casework.wording import youth_page_advice_nl
from serving import scoring
from serving.archive import archive_rescored, latest_report
from serving.audit import AuditUnavailable, record
from serving.auth import SESSION_COOKIE
from serving.case_pages import case_router
from serving.decisions import Advice, DecisionRefused, validate_decision
from serving.errors import RequestError, location
from serving.feature_words import factors_by_concept
from serving.feature_words import municipality as municipality_nl
from serving.freshness import days_ago_nl, dutch_date, left_group_nl, left_group_sentences
from serving.list_query import SORT_OPTIONS_NL, page_numbers, read_list_query
from serving.listed import list_records, youth_input
from serving.middleware import client_address
from serving.page_base import (
    PageContext,
    audit_unavailable,
    local_url,
    officer_of,
    page_app,
    page_context,
    redirect,
    render,
)
from serving.page_guard import secure_cookies
from serving.schemas import YouthInput
from serving.sessions import SESSION_SECONDS
from vsv_model.concepts import CONCEPTS
from vsv_model.feature_spec import SCHOOL_MUNICIPALITY_CATEGORIES
from vsv_model.plausibility import NO_SCHOOL_RECORDS
from vsv_model.policy import (
    DECISION_ROUTES,
    TIERS,
)
from vsv_model.target_group import TargetGroup

INLINE_STYLE = re.compile(r'\s+style="[^"]*"')

PROBLEM_NL = {
    "negative_hours": "het aantal uren is negatief",
    "end_before_start": "de einddatum ligt vóór de begindatum",
    "under_18": "valt buiten de doelgroep: jonger dan {group.min_age} jaar",
    "over_age": "valt buiten de doelgroep: {group.max_age} jaar of ouder",
    "has_startkwalificatie": "valt buiten de doelgroep: heeft al een startkwalificatie",
    "bsn": "dit lijkt een burgerservicenummer (BSN). Gebruik alleen het pseudoniem van de jongere, nooit een BSN",
}
PYDANTIC_NL = {
    "missing": "ontbreekt", "date_parsing": "is geen geldige datum (JJJJ-MM-DD)",
    "date_from_datetime_parsing": "is geen geldige datum (JJJJ-MM-DD)", "float_parsing": "is geen getal",
    "int_parsing": "is geen geheel getal", "extra_forbidden": "is geen bekend veld", "literal_error": "heeft geen toegestane waarde",
    "json_invalid": "is geen geldige JSON", "string_too_long": "is te lang", "string_too_short": "is leeg",
    "finite_number": "moet een gewoon getal zijn", "less_than_equal": "is te groot", "greater_than_equal": "is te klein",
    "list_type": "moet een lijst zijn", "string_type": "moet tekst zijn", "model_type": "heeft niet de juiste vorm",
    "value_error": "geef de geschiedenis ('history') van één jongere",
    "string_pattern_mismatch": "mag alleen letters, cijfers, '-' en '_' bevatten (1 tot 64 tekens)",
}
EXAMPLE_YOUTH = {"youth_id": "J0000001", "as_of": "2026-10-01", "history": {
    "birth_date": "2006-03-14",
    "enrollments": [{"school_id": "30AB01", "school_municipality": "Dordrecht", "education_type": "mbo-2",
                     "learning_path": "BOL", "start_date": "2022-08-15"}],
    "diplomas": [{"diploma_date": "2022-07-08", "level": "vmbo-kb"}],
    "absence_reports": [{"report_date": "2026-09-10", "kind": "18plus", "hours": 34}]}}



@page_app.get("/login", response_class=HTMLResponse)
def login_form(request: Request):
    return render(request, "login.html", problem=None)


def sessions_unavailable(request: Request) -> HTMLResponse:
    return render(request, "message.html", status=503, title="Inloggen nu niet mogelijk",
                  message="De sessies kunnen nu niet worden gelezen of vastgelegd. Probeer het later opnieuw of meld het "
                          "bij de beheerder.")


@page_app.post("/login", response_class=HTMLResponse)
def login(request: Request, sleutel: str = Form(""), context: PageContext = Depends(page_context)):
    """Open a server-side session for a known key (503 when the sessions cannot be written)."""
    try:
        return open_session(request, sleutel.strip(), context)
    except sa.exc.SQLAlchemyError:
        return sessions_unavailable(request)


def open_session(request: Request, key: str, context: PageContext) -> HTMLResponse:
    """Failures are counted per client address (the request log has the address and the 401); after too many the
    address waits (429)."""
    client = client_address(request.scope) or "onbekend"
    wait = context.sessions.seconds_refused(client)
    if wait:
        response = render(request, "login.html", status=429, problem=f"Te veel mislukte pogingen om in te loggen. Probeer het "
                                                                    f"over {-(-wait // 60)} minuten opnieuw.")
        response.headers["retry-after"] = str(wait)
        return response
    principal = context.keys.authenticate(key)
    if principal is None:
        context.sessions.note_failure(client)
        return render(request, "login.html", status=401, problem="Deze sleutel is onbekend. Controleer de sleutel of vraag een nieuwe aan.")
    response = redirect(request, "population")
    response.set_cookie(SESSION_COOKIE, context.sessions.open(principal, key, client), max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict", secure=secure_cookies(request.scope, context.cookie_secure), path="/ui")
    return response


@page_app.post("/logout")
def logout(request: Request, context: PageContext = Depends(page_context)):
    """End the session on the server: the cookie, replayed, opens nothing any more (503 when it cannot be ended)."""
    try:
        context.sessions.end(request.cookies.get(SESSION_COOKIE))
    except sa.exc.SQLAlchemyError:
        return sessions_unavailable(request)
    response = redirect(request, "login_form")
    response.delete_cookie(SESSION_COOKIE, path="/ui", httponly=True, samesite="strict",
                           secure=secure_cookies(request.scope, context.cookie_secure))
    return response




@page_app.get("/", response_class=HTMLResponse)
def population(request: Request, risico: str = "", tier: str = "", gemeente: str = "", ingeschreven: str = "",
               zoek: str = "", sorteer: str = "", volgorde: str = "", pagina: int = 1,
               context: PageContext = Depends(page_context)):
    """The list: search by id (an exact id opens the youth), filters by code or Dutch word (`tier` is the old
    name of `risico`), sorting and page numbers; whatever is asked is kept in every link."""
    query = read_list_query(risico or tier, gemeente, ingeschreven, zoek, sorteer, volgorde, pagina)
    exact = context.scores.exact_id(query.wanted.search or "")
    if exact is not None:
        return redirect(request, "youth_from_list", youth_id=exact)
    listing = context.scores.page(query.wanted)
    today = context.today()
    if listing is not None:
        try:  # the list shows each youth's chance and advice: no list without its record
            audit_listed(request, context, "list", listing.rows)
        except AuditUnavailable:
            return audit_unavailable(request, context)
        listing.rows = listing.rows.assign(left_group_nl=left_group_sentences(listing.rows, today, context.served.group),
                                           main_reason_nl=main_reasons(listing.rows),
                                           data_gap=data_gaps(listing.rows))
    return render(request, "list.html", status=400 if query.problems else 200, listing=listing, wanted=query.wanted,
                  tiers=TIERS, ingeschreven=query.params["ingeschreven"], problems=query.problems,
                  link=list_link(request, query.params), sort_options=SORT_OPTIONS_NL,
                  numbers=page_numbers(listing.page, listing.pages) if listing else [],
                  as_of_nl=dutch_date(listing.as_of) if listing and listing.as_of else "",
                  age_nl=days_ago_nl(listing.as_of, today) if listing and listing.as_of else "",
                  group=context.served.group, served=context.served,
                  discussable=[c.name for c in CONCEPTS if not c.background],
                  municipalities={m: municipality_nl(m) for m in SCHOOL_MUNICIPALITY_CATEGORIES},
                  capacity=context.served.model.cutoffs.places(),
                  exits_known=listing is None or "leaves_group_on" in listing.rows.columns,
                  left_since=context.scores.left_since(today) if listing else 0)


DISCUSSABLE = tuple(c.name for c in CONCEPTS if not c.background)


def data_gaps(rows) -> pd.Series:
    """Per listed youth, whether it has no school record at all (a file scored without reasons has no checks: none)."""
    if "data_quality" not in rows:
        return pd.Series(False, index=rows.index)
    return rows["data_quality"].astype(str).str.contains(NO_SCHOOL_RECORDS)


def main_reasons(rows) -> list[str]:
    """Per listed youth, the largest reason to discuss that raises the chance ('' when none): the list's "Belangrijkste
    reden" never shows what helps beside a high chance."""
    found = np.full(len(rows), "", dtype=object)
    for k in range(5, 0, -1):  # the columns hold the reasons largest first: the last match written is the largest
        concept, direction = rows.get(f"reason_{k}_concept"), rows.get(f"reason_{k}_direction")
        if concept is None or direction is None:
            continue
        raising = (concept.isin(DISCUSSABLE) & (direction == "raises")).to_numpy()
        found = np.where(raising, rows[f"reason_{k}_sentence_nl"].astype(str).to_numpy(), found)
    return found.tolist()


def list_link(request: Request, params: dict[str, str]) -> Callable[..., str]:
    """A link to the list with the current question, some of it changed (`link(pagina=3)`); empty values left out."""
    def link(**changes) -> str:
        return local_url(request, "population", params | changes)
    return link


def audit_listed(request: Request, context: PageContext, event: str, rows: pd.DataFrame) -> None:
    """One audit record per youth a list shows (`list`) or scored again (`rescore`); AuditUnavailable if not written."""
    if len(rows):
        context.audit.append(list_records(event, rows, getattr(request.state, "request_id", None), officer_name(request)))


def officer_name(request: Request) -> str | None:
    officer = officer_of(request)
    return officer.name if officer else None


@page_app.get("/jongere/{youth_id}", response_class=HTMLResponse)
def youth_from_list(request: Request, youth_id: str, opgeslagen: int = 0, context: PageContext = Depends(page_context)):
    row = context.scores.row(youth_id)
    if row is None:
        return render(request, "message.html", status=404, title="Jongere niet gevonden",
                      message="Deze jongere staat niet in de laatst berekende lijst.")  # the id is never repeated
    youth = youth_input(row)
    left = left_group_of(row, context)
    if left:  # no advice once out of the group: nothing is scored or shown to be audited
        return render(request, "youth.html", youth=youth, left=left, source="lijst", saved=bool(opgeslagen),
                      history=context.decisions.history(youth.youth_id), served=context.served, listed=None)
    return show_youth(request, context, youth, source="lijst", saved=bool(opgeslagen), listed=listed_model(row))


def left_group_of(row, context: PageContext) -> str | None:
    """The sentence for a listed youth who has left the target group since the reference date, else None."""
    return left_group_nl(row.get("leaves_group_on"), row.get("leaves_group_reason"), context.today(), context.served.group)


@dataclass(frozen=True)
class Listed:
    """How the list scored a youth: compared with the served model, so a page never silently shows another number."""

    probability: float
    version: str
    run_id: str
    fingerprint: str


def listed_model(row) -> Listed:
    return Listed(float(row["probability"]), str(row["model_version"]), str(row.get("model_run_id", "")),
                  str(row.get("model_fingerprint", "")))


@page_app.post("/herbereken", response_class=HTMLResponse)
def rescore_list(request: Request, context: PageContext = Depends(page_context)):
    """Score the list again with the served model (analyst): the same youths, reference date and features. Like
    `vsv score`, the run is archived (a yearly list: its scoring-run record) and every youth's new advice is in the
    audit log before the list changes; when either cannot be written the list stays as it was."""
    officer = officer_of(request)
    if officer is None or not officer.may("analyst"):
        return render(request, "message.html", status=403, title="Niet toegestaan",
                      message="Alleen een analist kan de lijst opnieuw laten berekenen.")
    scored = context.scores.rescored(context.served)
    if scored is None:
        return render(request, "message.html", status=404, title="Geen lijst",
                      message="Er is nog geen berekende lijst om opnieuw te berekenen.")
    try:
        archive_rescored(context.decisions.engine, scored, context.served)
        audit_listed(request, context, "rescore", scored)
    except (AuditUnavailable, sa.exc.SQLAlchemyError):
        return audit_unavailable(request, context)
    context.scores.replace(scored)
    return render(request, "message.html", title="Lijst opnieuw berekend",
                  message=f"De lijst ({len(scored)} jongeren) is opnieuw berekend met modelversie {context.served.version} "
                          f"({context.served.fingerprint}).")


def show_youth(request: Request, context: PageContext, youth: YouthInput, source: str, saved: bool = False,
               problems: list[str] | None = None, form: dict | None = None, status: int = 200,
               listed: Listed | None = None) -> HTMLResponse:
    """The youth's advice and reasons; shown only once the showing is in the audit log."""
    today = context.today()
    result = scoring.score(context.served, [youth], today, explain=True)[0]
    officer = officer_of(request)
    try:
        context.audit.append([record("explain", result, getattr(request.state, "request_id", None),
                                     officer.name if officer else None, youth.model_dump_json())])
    except AuditUnavailable:
        return audit_unavailable(request, context)
    # bars against the largest concept, shown or not: a single small reason is not drawn as if it were everything
    scale = max((abs(c) for c in result.concept_contributions.values()), default=1.0) or 1.0
    return render(request, "youth.html", status=status, youth=youth, result=result, source=source, saved=saved,
                  factors=factors_by_concept(result.features, result.contributions), scale=scale, today=today,
                  as_of_age=days_ago_nl(result.as_of, today),
                  history=context.decisions.history(youth.youth_id), routes=DECISION_ROUTES, problems=problems or [],
                  form=form or {}, served=context.served, youth_json=youth.model_dump_json(),
                  advice_in_force=youth_page_advice_nl(context.advice.name),
                  trained_at=context.served.model.info.get("trained_at", "")[:10], listed=listed)


@page_app.get("/monitor", response_class=HTMLResponse)
def monitor_report(request: Request, context: PageContext = Depends(page_context)):
    """The latest `vsv monitor` report as stored in the database (analysts): findings, drift over time, estimated
    and realised performance, tier counts against capacity; aggregates only, plots as data: images."""
    report = latest_report(context.decisions.engine)
    if report is not None:  # pandas writes `style` attributes into its tables; the page's policy allows no inline style
        report = dataclasses.replace(report, fragment=INLINE_STYLE.sub("", report.fragment))
    return render(request, "monitor.html", report=report)


@page_app.get("/nieuw", response_class=HTMLResponse)
def paste_form(request: Request):
    return render(request, "paste.html", example=json.dumps(EXAMPLE_YOUTH, indent=2, ensure_ascii=False), problems=[], text="")


@page_app.post("/nieuw", response_class=HTMLResponse)
async def paste_submit(request: Request, gegevens: str = Form(""), bestand: UploadFile | None = None,
                       context: PageContext = Depends(page_context)):
    text = gegevens
    if bestand is not None and bestand.filename:
        text = (await bestand.read()).decode("utf-8", errors="replace")
    try:
        youth = parse_youth(text)
        return show_youth(request, context, youth, source="geplakt")
    except (ValidationError, RequestError, ValueError) as error:
        status = 422 if isinstance(error, RequestError) and error.status == 422 else 400
        return render(request, "paste.html", status=status, example=json.dumps(EXAMPLE_YOUTH, indent=2, ensure_ascii=False),
                      problems=problems_nl(error, context.served.group), text="" if names_the_id(error) else text)


def names_the_id(error: Exception) -> bool:
    """A refused identifier (a BSN, or not a pseudonymous key) or a BSN in any field is not shown again, not even in
    the form."""
    if isinstance(error, RequestError):
        return any(p.loc.endswith("youth_id") or p.code == "bsn" for p in error.problems)
    return isinstance(error, ValidationError) and any(e["loc"][-1:] == ("youth_id",) for e in error.errors())


def parse_youth(text: str) -> YouthInput:
    """One youth as pasted: the API's youth object, or a request holding exactly one."""
    data = json.loads(text) if text.strip() else None
    if isinstance(data, dict) and isinstance(data.get("youths"), list) and len(data["youths"]) == 1:
        data = data["youths"][0]
    if not isinstance(data, dict):
        raise ValueError("Plak de gegevens van één jongere als JSON-object (zie het voorbeeld).")
    return YouthInput.model_validate(data)


def problem_nl(problem, group: TargetGroup) -> str:
    return PROBLEM_NL[problem.code].format(group=group) if problem.code in PROBLEM_NL else problem.msg


def problems_nl(error: Exception, group: TargetGroup) -> list[str]:
    """The problems of a bad paste, in Dutch, each with the field it concerns."""
    if isinstance(error, ValidationError):
        return [f"{location(e['loc']) or 'de gegevens'}: {PYDANTIC_NL.get(e['type'], e['msg'])}" for e in error.errors()]
    if isinstance(error, RequestError):
        return [f"{p.loc.removeprefix('youths[0]').lstrip('.') or 'de jongere'}: {problem_nl(p, group)}"
                for p in error.problems]
    if isinstance(error, json.JSONDecodeError):
        return [f"Dit is geen geldige JSON (regel {error.lineno}, kolom {error.colno})."]
    return [str(error)]


@page_app.post("/besluit", response_class=HTMLResponse)
def record_decision(request: Request, youth: str = Form(...), bron: str = Form(...), route: str = Form(""),
                    houding: str = Form(""), reden: str = Form(""), context: PageContext = Depends(page_context)):
    """Record a decision; the advice is recomputed here from the same input, never taken from the form,
    and the officer is the owner of the key, never a typed name."""
    try:
        subject = YouthInput.model_validate_json(youth)
        result = scoring.score(context.served, [subject], context.today())[0]
    except (ValidationError, RequestError):
        return render(request, "message.html", status=400, title="Besluit niet vastgelegd",
                      message="De gegevens van de jongere in het formulier zijn niet geldig. Open de jongere opnieuw.")
    listed_row = context.scores.row(subject.youth_id) if bron == "lijst" else None
    left = left_group_of(listed_row, context) if listed_row is not None else None
    if left:
        return render(request, "message.html", status=409, title="Besluit niet vastgelegd",
                      message=f"{left} Er is geen advies meer en er wordt geen besluit vastgelegd.")
    advice = Advice(result.tier, result.route, result.probability, result.model_version, result.model_run_id)
    officer = officer_of(request)
    try:
        decision = validate_decision(subject.youth_id, officer.name if officer else "", advice, route or None, houding or None, reden)
    except DecisionRefused as refused:
        form = {"route": route, "houding": houding, "reden": reden}
        return show_youth(request, context, subject, bron, problems=refused.problems, form=form, status=422)
    row = record("decision", result, getattr(request.state, "request_id", None), decision.officer, subject.model_dump_json(),
                 decision_route=decision.chosen_route, decision_follows=decision.follows_advice, decision_reason=decision.reason)
    try:
        context.decisions.append(decision, context.audit, row)
    except AuditUnavailable:
        return audit_unavailable(request, context)
    if bron == "lijst":
        return redirect(request, "youth_from_list", {"opgeslagen": 1}, youth_id=subject.youth_id)
    return show_youth(request, context, subject, bron, saved=True)



PARAMETER_NL = {"pagina": "het paginanummer", "youth": "de gegevens van de jongere", "bron": "de bron"}


@page_app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, error: RequestValidationError) -> HTMLResponse:
    """A request the page cannot read (`?pagina=abc`): a Dutch page naming the parameter, never its value."""
    problems = sorted({f"{parameter_nl(str(e['loc'][-1]))} {PYDANTIC_NL.get(e['type'], 'is niet geldig')}"
                       for e in error.errors() if e.get("loc")})
    return render(request, "message.html", status=400, title="Deze vraag klopt niet",
                  message=f"De pagina kan dit niet tonen: {'; '.join(problems) or 'de invoer is niet geldig'}.")


def parameter_nl(name: str) -> str:
    return PARAMETER_NL.get(name, f"de waarde van '{name}'")


HTTP_NL = {404: ("Pagina niet gevonden", "Deze pagina bestaat niet. Gebruik het menu of ga terug naar de lijst."),
           405: ("Niet mogelijk", "Deze handeling is op deze pagina niet mogelijk.")}


@page_app.exception_handler(HTTPException)
async def http_problem(request: Request, error: HTTPException) -> HTMLResponse:
    """Unknown paths under /ui and other refusals of the framework, as a Dutch page."""
    title, message = HTTP_NL.get(error.status_code, ("Er ging iets mis", "Deze pagina kan nu niet worden getoond."))
    return render(request, "message.html", status=error.status_code, title=title, message=message)


page_app.include_router(case_router)  # before the catch-all below, which takes every other path


@page_app.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown_page(request: Request, rest: str):
    """Any other path under /ui: BentoML hands the page only paths one of its routes matches, so this last route
    takes the rest and answers in Dutch (the path is not repeated)."""
    return render(request, "message.html", status=404, title=HTTP_NL[404][0], message=HTTP_NL[404][1])
