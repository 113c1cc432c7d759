"""The officers' work queue, in Dutch: the inbox, one case, its decision, its status, its letters; and for analysts
the outcomes at fixed horizons and how often the advice is followed.

Everything a case page shows comes from the store (`casework.store.CaseStore`): the advice is the one the server
made when the event came in, and no form field carries it. A form may name a route, a status, an outcome, a date or
free text; the store checks each against the stored case, and refuses a BSN-shaped number without repeating it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from casework.letters import INVITATION, TEMPLATE_LABELS_NL, WARNING, letter_pdf, render_letter, store_letter
from casework.model import (
    ACTION_LABELS_NL,
    BENEFIT_POLICY,
    CLOSED,
    OPEN_STATUSES,
    OUTCOME_LABELS_NL,
    OUTCOMES,
    STATUS_LABELS_NL,
    STATUSES,
    TIER_POLICY,
)
from casework.outcomes import latest_outcomes
from casework.oversight import MIN_DECISIONS, draw_report, follow_shares
from casework.projection import CaseNotFound, CaseRefused
from casework.queries import UNASSIGNED, InboxQuery
from casework.store import CaseStore
from casework.wording import DRAW_EXPLAINED_NL, POLICY_EXPLAINED_NL, policy_nl
from features.office_events import EVENT_KINDS
from serving.page_base import PageContext, local_url, officer_of, page_context, redirect, render
from serving.route_advice import advice_words, evidence_note, route_evidence
from vsv_model.contract import contains_bsn
from vsv_model.policy import DECISION_ROUTES, RISK_CATEGORIES, approach_note_nl

case_router = APIRouter()
MAX_ID = 2**31 - 1  # ids are database integers: a larger number is a bad address (400), never a server error
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
LetterId = Annotated[int, Path(ge=1, le=MAX_ID)]
WHAT_THE_MODEL_CANNOT_KNOW_NL = (
    "Het model kent alleen de inschrijvingen, diploma's en meldingen die het Doorstroompunt krijgt. Het weet niet hoe "
    "het thuis gaat, of de jongere ziek is, werkt, zorg krijgt of plannen heeft. Praat met de jongere en de school. "
    "U beslist, niet het model: u mag het advies volgen of een andere route kiezen.")
TEXT_FIELDS = ("reden", "notitie", "andere_route", "weiger_reden")


def policy_in_force(context: PageContext) -> str:
    """The advice the service gives new cases now: the tier policy, until a promoted route policy beats it
    (`serving.route_advice`)."""
    return context.advice.name


def store_of(context: PageContext) -> CaseStore:
    if context.cases is None:
        raise CaseNotFound(["De werkbak is niet beschikbaar op deze server."])
    return context.cases


def officer_name(request: Request) -> str:
    officer = officer_of(request)
    return officer.name if officer else ""


def choice(value: str, known) -> str | None:
    """A filter's value when it is one the inbox knows, else None (an unknown value is never shown again)."""
    return value if value in known else None


@case_router.get("/werkbak", response_class=HTMLResponse)
def inbox(request: Request, status: str = "", consulent: str = "", soort: str = "", risico: str = "",
          gemeente: str = "", te_laat: str = "", zoek: str = "", pagina: int = 1,
          context: PageContext = Depends(page_context)):
    """Open cases by deadline, then risk; filters, search by youth id or report number, this week's places."""
    store, today = store_of(context), context.today()
    problems = []
    if any(value and choice(value, known) is None for value, known in
           ((status, STATUSES), (soort, EVENT_KINDS), (risico, RISK_CATEGORIES))):
        problems.append("Een filter heeft een onbekende waarde; die is weggelaten.")
    search = zoek.strip() or None
    if search and contains_bsn(search):
        problems.append("Zoek op het nummer (pseudoniem) van de jongere of op het meldingsnummer, nooit op een BSN.")
        search = None
    query = InboxQuery(status=choice(status, STATUSES), officer=consulent.strip() or None, kind=choice(soort, EVENT_KINDS),
                       risk_category=choice(risico, RISK_CATEGORIES), municipality=gemeente.strip() or None,
                       overdue=te_laat == "ja", search=search, page=max(1, pagina))
    page = store.inbox(query, today)
    params = {"status": query.status or "", "consulent": consulent.strip(), "soort": query.kind or "",
              "risico": query.risk_category or "", "gemeente": gemeente.strip(), "te_laat": te_laat if te_laat == "ja" else "",
              "zoek": search or ""}
    return render(request, "inbox.html", status=400 if problems else 200, page=page, params=params, problems=problems,
                  capacity=store.capacity(today, context.rules), today=today, statuses=OPEN_STATUSES,
                  status_nl=STATUS_LABELS_NL, kinds=EVENT_KINDS, categories=RISK_CATEGORIES, unassigned=UNASSIGNED,
                  link=inbox_link(request, params), policy=policy_nl(policy_in_force(context)))


def inbox_link(request: Request, params: dict[str, str]):
    def link(**changes) -> str:
        wanted = {k: v for k, v in (params | changes).items() if v not in ("", None)}
        return local_url(request, "inbox", wanted)
    return link


@case_router.get("/zaak/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseId, opgeslagen: str = "", context: PageContext = Depends(page_context)):
    return show_case(request, context, case_id, saved=opgeslagen)


def show_case(request: Request, context: PageContext, case_id: int, saved: str = "", problems: list[str] | None = None,
              form: dict | None = None, status: int = 200) -> HTMLResponse:
    try:
        view = store_of(context).case(case_id, context.today())
    except CaseNotFound as missing:
        return render(request, "message.html", status=404, title="Zaak niet gevonden", message=" ".join(missing.problems))
    return render(request, "case.html", status=status, view=view, case=view.case, saved=saved, problems=problems or [],
                  form=form or {}, routes=DECISION_ROUTES, statuses=STATUSES, status_nl=STATUS_LABELS_NL,
                  outcomes=OUTCOMES, outcome_nl=OUTCOME_LABELS_NL, closed=CLOSED, today=context.today(),
                  cannot_know=WHAT_THE_MODEL_CANNOT_KNOW_NL, letter_nl=TEMPLATE_LABELS_NL,
                  letter_templates=(WARNING, INVITATION), action_nl=ACTION_LABELS_NL,
                  approach_note=case_approach_note(view.case), policy=policy_nl(view.case["policy"]),
                  policy_explained=POLICY_EXPLAINED_NL.get(view.case["policy"] or TIER_POLICY, ""),
                  draw_explained=DRAW_EXPLAINED_NL, in_force=advice_words(context.advice, context.rules),
                  evidence=route_evidence(context.advice, view.case["risk_category"], view.case["last_kind"]),
                  evidence_note=evidence_note(context.advice))


def case_approach_note(case: dict) -> str:
    """Why the model's tier advice is lighter or heavier than the risk: not for an escalated or a drawn advice."""
    if case["escalation"] or (case["randomised"] and not case["draw_refused"]) or case["policy"] == BENEFIT_POLICY:
        return ""
    return approach_note_nl(case["risk_category"], case["tier"])


def refused(request: Request, context: PageContext, case_id: int, error: CaseRefused, form: dict) -> HTMLResponse:
    """The case page again with the store's problems; typed text comes back unless it holds a BSN-shaped number."""
    if isinstance(error, CaseNotFound):
        return render(request, "message.html", status=404, title="Zaak niet gevonden", message=" ".join(error.problems))
    kept = {k: ("" if k in TEXT_FIELDS and contains_bsn(v or "") else v) for k, v in form.items()}
    return show_case(request, context, case_id, problems=error.problems, form=kept, status=422)


def saved_at(request: Request, case_id: int, what: str) -> RedirectResponse:
    """Back to the case page, relative (`Location: /ui/zaak/...`), saying what was saved."""
    return redirect(request, "case_page", {"opgeslagen": what}, case_id=case_id)


def parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value.strip() else None
    except ValueError:
        raise CaseRefused(["De datum is geen geldige datum (JJJJ-MM-DD)."]) from None


@case_router.post("/zaak/{case_id}/besluit", response_class=HTMLResponse)
def decide(request: Request, case_id: CaseId, keuze: str = Form(""), route: str = Form(""), andere_route: str = Form(""),
           reden: str = Form(""), vervolg: str = Form(""), notitie: str = Form(""),
           context: PageContext = Depends(page_context)):
    """One decision: follow the stored advice, or choose another route and say which and why."""
    form = {"keuze": keuze, "route": route, "andere_route": andere_route, "reden": reden, "vervolg": vervolg,
            "notitie": notitie}
    try:
        if keuze not in ("volg", "anders"):
            raise CaseRefused(["Kies: het advies volgen, of een andere route."])
        store_of(context).decide(case_id, officer_name(request), follows=keuze == "volg",
                                 chosen_route=(route or None) if keuze == "anders" else None,
                                 other_route=andere_route or None, why=reden or None,
                                 follow_up_on=parse_day(vervolg), note=notitie or None)
    except CaseRefused as error:
        return refused(request, context, case_id, error, form)
    return saved_at(request, case_id, "besluit")


@case_router.post("/zaak/{case_id}/loting-weigeren", response_class=HTMLResponse)
def refuse_draw(request: Request, case_id: CaseId, reden: str = Form(""), context: PageContext = Depends(page_context)):
    """Refuse the route drawn by lot, with a reason: the model's own advice holds again."""
    try:
        store_of(context).refuse_draw(case_id, officer_name(request), reden)
    except CaseRefused as error:
        return refused(request, context, case_id, error, {"weiger_reden": reden})
    return saved_at(request, case_id, "loting-geweigerd")


@case_router.post("/zaak/{case_id}/status", response_class=HTMLResponse)
def change_status(request: Request, case_id: CaseId, naar: str = Form(""), uitkomst: str = Form(""), reden: str = Form(""),
                  context: PageContext = Depends(page_context)):
    """The next status in the method; closing needs an outcome."""
    form = {"naar": naar, "uitkomst": uitkomst, "reden": reden}
    store = store_of(context)
    try:
        if naar == CLOSED:
            store.close(case_id, officer_name(request), uitkomst or None, reden or None)
        else:
            store.set_status(case_id, naar, officer_name(request), reden or None)
    except CaseRefused as error:
        return refused(request, context, case_id, error, form)
    return saved_at(request, case_id, "status")


@case_router.post("/zaak/{case_id}/toewijzen", response_class=HTMLResponse)
def assign(request: Request, case_id: CaseId, consulent: str = Form(""), context: PageContext = Depends(page_context)):
    """Put the case on an officer's name ("mij": the one logged in; empty: nobody)."""
    me = officer_name(request)
    target = me if consulent.strip() == "mij" else (consulent.strip() or None)
    try:
        store_of(context).assign(case_id, target, me)
    except CaseRefused as error:
        return refused(request, context, case_id, error, {"consulent": consulent})
    return saved_at(request, case_id, "toegewezen")


@case_router.post("/zaak/{case_id}/notitie", response_class=HTMLResponse)
def add_note(request: Request, case_id: CaseId, notitie: str = Form(""), context: PageContext = Depends(page_context)):
    try:
        store_of(context).add_note(case_id, officer_name(request), notitie)
    except CaseRefused as error:
        return refused(request, context, case_id, error, {"notitie": notitie})
    return saved_at(request, case_id, "notitie")


@case_router.post("/zaak/{case_id}/correctie", response_class=HTMLResponse)
def correct(request: Request, case_id: CaseId, regel: Annotated[int, Form(ge=1, le=MAX_ID)], reden: str = Form(""), route: str = Form(""),
            uitkomst: str = Form(""), vervolg: str = Form(""), context: PageContext = Depends(page_context)):
    """A correction of one earlier record of this case: a new record naming it; the original stays."""
    form = {"regel": str(regel), "reden": reden}
    try:
        view = store_of(context).case(case_id, context.today())
        original = next((r for r in view.records if r["id"] == regel), None)
        if original is None:
            raise CaseRefused(["Deze regel hoort niet bij deze zaak."])
        store_of(context).correct(regel, officer_name(request), reden, **corrected_fields(original, route, uitkomst, vervolg))
    except CaseRefused as error:
        return refused(request, context, case_id, error, form)
    return saved_at(request, case_id, "correctie")


def corrected_fields(original: dict, route: str, outcome: str, follow_up: str) -> dict:
    """The fields the form corrects for this record's kind of change (empty fields are left as they were)."""
    fields = {}
    if route and original["action"] == "decision":
        fields["chosen_route"] = route
    if outcome and original["action"] == "status":
        fields["outcome"] = outcome
    if follow_up and original["action"] in ("decision", "follow_up"):
        fields["follow_up_on"] = parse_day(follow_up)
    return fields


@case_router.get("/zaak/{case_id}/brief/{template}", response_class=HTMLResponse)
def letter_preview(request: Request, case_id: CaseId, template: str, datum: str = "", tijd: str = "", plaats: str = "",
                   context: PageContext = Depends(page_context)):
    """The letter as it would be sent, not stored: to read before printing."""
    try:
        _youth_id, rendered = letter_for(context, case_id, template, datum, tijd, plaats)
    except (CaseRefused, ValueError) as error:
        return letter_refused(request, context, case_id, error, datum, tijd, plaats)
    return pdf_response(rendered.pdf, f"voorbeeld-{template}-zaak-{case_id}.pdf")


@case_router.post("/zaak/{case_id}/brief", response_class=HTMLResponse)
def letter_make(request: Request, case_id: CaseId, sjabloon: str = Form(""), datum: str = Form(""), tijd: str = Form(""),
                plaats: str = Form(""), context: PageContext = Depends(page_context)):
    """Render the letter, store it with the case (its template version is part of the treatment), and show the case."""
    try:
        youth_id, rendered = letter_for(context, case_id, sjabloon, datum, tijd, plaats)
        store_letter(context.cases.engine, case_id, youth_id, officer_name(request), rendered)
    except (CaseRefused, ValueError) as error:
        return letter_refused(request, context, case_id, error, datum, tijd, plaats)
    return saved_at(request, case_id, "brief")


def letter_refused(request: Request, context: PageContext, case_id: int, error: Exception, day: str, time: str,
                   place: str) -> HTMLResponse:
    """The case page again with why the letter was not made; the typed place comes back unless it holds a BSN."""
    problems = error.problems if isinstance(error, CaseRefused) else [str(error)]
    return show_case(request, context, case_id, problems=problems, status=422,
                     form={"datum": day, "tijd": time, "plaats": "" if contains_bsn(place) else place})


def letter_for(context: PageContext, case_id: int, template: str, day: str, time: str, place: str):
    """(the case's youth, the letter for its latest event); the invitation with the conversation's day, time and
    place."""
    if template not in (WARNING, INVITATION):
        raise CaseRefused(["Kies een brief: een informatiebrief of een uitnodiging voor een gesprek."])
    view = store_of(context).case(case_id, context.today())
    values = {"youth_id": view.case["youth_id"], "date": context.today(), "event": view.case["last_kind"]}
    if template == INVITATION:
        meeting_day = parse_day(day)
        if meeting_day is None or not time.strip():
            raise CaseRefused(["Vul de dag en de tijd van het gesprek in."])
        try:
            hour, minute = (int(part) for part in time.strip().split(":"))
            values["meeting_at"] = dt.datetime.combine(meeting_day, dt.time(hour, minute))
        except ValueError:
            raise CaseRefused(["De tijd is geen geldige tijd (UU:MM)."]) from None
        values["place"] = place.strip() or None
    return view.case["youth_id"], render_letter(template, values, office=context.office)


@case_router.get("/brief/{letter_id}.pdf")
def letter_file(letter_id: LetterId, context: PageContext = Depends(page_context)):
    """A stored letter, as it was made."""
    try:
        pdf, template, _version = letter_pdf(store_of(context).engine, letter_id)
    except (CaseRefused, LookupError, ValueError):
        return Response("Deze brief bestaat niet.", status_code=404, media_type="text/plain; charset=utf-8")
    return pdf_response(pdf, f"brief-{letter_id}-{template}.pdf")


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


@case_router.get("/analyse", response_class=HTMLResponse)
def analysis(request: Request, context: PageContext = Depends(page_context)):
    """For analysts: the youths' states 30, 90 and 365 days after their case's first event, per route and risk
    category, how often the advice is followed, per officer and risk category (a check on automation bias), and how
    often a route drawn by lot was refused, and why."""
    engine = store_of(context).engine
    return render(request, "analysis.html", outcomes=latest_outcomes(engine), shares=follow_shares(engine),
                  min_decisions=MIN_DECISIONS, outcome_nl=OUTCOME_LABELS_NL, draws=draw_report(engine))
