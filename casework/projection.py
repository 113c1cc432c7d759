"""What officers change on a case, checked, and the case's state folded from its records.

A case's officer-set fields (status, officer, chosen route, decision day, follow-up, outcome, closing day) are a
function of its append-only records: each record in order, a corrected record read with the values of its latest
correction (the original stays). Every change re-folds the case, so a correction reaches the case the same way a
change does. The messages are the officer's: plain Dutch, never repeating a BSN.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from casework.model import (
    CLOSED,
    NEW,
    OPEN_STATUSES,
    OUTCOMES,
    ROUTE_CHOSEN,
    STATUS_LABELS_NL,
    STATUSES,
    TRAJECTORY,
)
from vsv_model.contract import contains_bsn
from vsv_model.policy import DECISION_ROUTES, ROUTES

OFFICE_ZONE = ZoneInfo("Europe/Amsterdam")
MAX_TEXT = 2000
MAX_OTHER_ROUTE = 200
MAX_NAME = 128
OTHER = "anders"
MATCHMAKER = ROUTES["high"].code
TEXT_NAMES_NL = {"why": "De toelichting", "note": "De notitie", "other_route": "De andere route",
                 "refusal": "De reden van de weigering"}
# What a correction may change, per action of the record it corrects.
CORRECTABLE = {"status": ("status_to", "outcome"), "assigned": ("assigned_to",),
               "decision": ("chosen_route", "other_route", "follow_up_on", "note"),
               "follow_up": ("follow_up_on",), "note": ("note",)}
STATE_FIELDS = ("status", "officer", "chosen_route", "decided_on", "follow_up_on", "outcome", "closed_on",
                "draw_refused")


class CaseRefused(ValueError):
    """A change to a case is refused; `problems` say why, in Dutch (like `serving.decisions.DecisionRefused`)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class CaseNotFound(CaseRefused):
    """No such case (or record): the page answers 404."""


def local_day(moment: dt.datetime) -> dt.date:
    """The office's day of a moment (a record's time is kept in UTC)."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(OFFICE_ZONE).date()


def text_problems(field: str, text: str | None, required: bool = False, limit: int = MAX_TEXT) -> list[str]:
    """A free-text field: present when required, not too long, and without a BSN-shaped number (never echoed)."""
    name = TEXT_NAMES_NL[field]
    if not (text or "").strip():
        return [f"{name} ontbreekt."] if required else []
    problems = []
    if len(text) > limit:
        problems.append(f"{name} is te lang (hoogstens {limit} tekens).")
    if contains_bsn(text):
        problems.append(f"{name} bevat een nummer dat op een burgerservicenummer (BSN) lijkt. Haal het weg: "
                        "schrijf nooit een BSN in een zaak.")
    return problems


def name_problems(name: str | None, who: str = "Log in om een zaak te wijzigen.") -> list[str]:
    if not (name or "").strip():
        return [who]
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        return ["De naam van de medewerker is te lang of bevat een stuurteken."]
    return []


def open_problems(case: dict) -> list[str]:
    return ["Deze zaak is afgesloten. Corrigeer de afsluiting als de zaak weer open moet."] if case["status"] == CLOSED else []


def later_status(current: str, target: str) -> str:
    """The later of two statuses in the method's order."""
    return max(current, target, key=STATUSES.index)


def status_problems(case: dict, to: str) -> list[str]:
    """A status change goes forward in the method's order (skipping is allowed); back only by a correction."""
    if to == CLOSED:
        return ["Sluit een zaak af met een uitkomst."]
    if to not in OPEN_STATUSES:
        return [f"Onbekende status. Kies uit: {', '.join(STATUS_LABELS_NL[s] for s in OPEN_STATUSES)}."]
    if to == case["status"]:
        return [f"De zaak heeft al de status '{STATUS_LABELS_NL[to]}'."]
    if STATUSES.index(to) < STATUSES.index(case["status"]):
        return [f"Een status gaat niet terug (nu: '{STATUS_LABELS_NL[case['status']]}'). Corrigeer de eerdere stap "
                "als die niet klopte."]
    return []


def outcome_problems(outcome: str | None) -> list[str]:
    return [] if outcome in OUTCOMES else ["Kies een uitkomst om de zaak af te sluiten."]


def follow_up_problems(day: dt.date | None, today: dt.date) -> list[str]:
    if day is not None and not isinstance(day, dt.date):
        return ["De datum voor opvolging is geen datum."]
    return ["De datum voor opvolging ligt in het verleden."] if day is not None and day < today else []


def decision_values(advised: str, follows: bool, chosen: str | None, other: str | None, why: str | None) -> tuple[dict, list[str]]:
    """The decision's route compared with the case's stored advice (never one sent in): following takes the advice;
    another route needs a reason, and "anders" says which. Returns the record's values and the problems."""
    chosen = advised if follows and not chosen else chosen
    problems = []
    if chosen not in DECISION_ROUTES:
        problems.append("Kies de route die u inzet.")
    elif follows and chosen != advised:
        problems.append(f"U kiest een andere route dan het advies ({advised}): kies 'een andere route' en geef een reden.")
    elif not follows and chosen == advised:
        problems.append("U kiest de geadviseerde route: dan volgt u het advies.")
    problems += text_problems("why", why, required=not follows)
    if chosen == OTHER:
        problems += text_problems("other_route", other, required=True, limit=MAX_OTHER_ROUTE)
    elif (other or "").strip():
        problems.append("Vul 'welke andere route' alleen in als u 'anders' kiest.")
    return {"chosen_route": chosen, "other_route": (other or "").strip() or None, "follows_advice": chosen == advised}, problems


def decision_status(status_before: str, chosen: str | None) -> str:
    """A decision moves the case to 'route chosen', or 'trajectory' for a matchmaker (never back)."""
    return later_status(status_before, TRAJECTORY if chosen == MATCHMAKER else ROUTE_CHOSEN)


def effective_records(records: list[dict]) -> list[dict]:
    """The records in their order with each corrected one read as its latest correction says (corrections
    themselves are not applied on their own). `records` oldest first."""
    by_id = {r["id"]: r for r in records}
    latest: dict[int, dict] = {}
    for record in records:
        if record["action"] == "correction":
            latest[root_of(record, by_id)["id"]] = record
    effective = []
    for record in records:
        if record["action"] == "correction":
            continue
        correction = latest.get(record["id"])
        fields = CORRECTABLE.get(record["action"], ())
        effective.append(record if correction is None else
                         {**record, **{f: correction[f] for f in (*fields, "status_to", "follows_advice")}})
    return effective


def root_of(record: dict, by_id: dict[int, dict]) -> dict:
    """The first record of a chain of corrections."""
    while record["action"] == "correction" and record["corrects"] in by_id:
        record = by_id[record["corrects"]]
    return record


def fold(records: list[dict]) -> dict:
    """The case's officer-set fields from its records, oldest first."""
    state = dict.fromkeys(STATE_FIELDS)
    state["status"] = NEW
    for record in effective_records(records):
        apply(state, record)
    if state["status"] != CLOSED:
        state["outcome"] = state["closed_on"] = None
    return state


def apply(state: dict, record: dict) -> None:
    action = record["action"]
    if action in ("opened", "status", "decision") and record["status_to"]:
        state["status"] = record["status_to"]
    if action == "status" and record["status_to"] == CLOSED:
        state["outcome"], state["closed_on"] = record["outcome"], local_day(record["recorded_at"])
    elif action == "assigned":
        state["officer"] = record["assigned_to"]
    elif action == "decision":
        state["chosen_route"], state["decided_on"] = record["chosen_route"], local_day(record["recorded_at"])
        if record["follow_up_on"] is not None:
            state["follow_up_on"] = record["follow_up_on"]
    elif action == "follow_up":
        state["follow_up_on"] = record["follow_up_on"]
    elif action == "refusal":
        state["draw_refused"] = True


def refusal_problems(case: dict) -> list[str]:
    """A draw can be refused once, on a drawn case, before the officer's decision."""
    if not case.get("randomised"):
        return ["Deze zaak is niet ingeloot: er is geen loting om te weigeren."]
    if case.get("draw_refused"):
        return ["De loting van deze zaak is al geweigerd."]
    if case["chosen_route"] is not None:
        return ["Er is al een besluit vastgelegd. Een loting weigert u vóór het besluit; klopt het besluit niet, "
                "corrigeer het dan."]
    return []


def corrected_values(original: dict, changes: dict, today: dt.date) -> tuple[dict, list[str]]:
    """The values a correction records: the original's correctable fields with `changes` applied, checked as the
    original's own change would be (except the order of statuses: a correction may go back)."""
    action = original["action"]
    if action == "refusal":
        return {}, ["Een geweigerde loting blijft geweigerd: beslis nu zelf, en leg uit waarom."]
    if action not in CORRECTABLE:
        return {}, ["Deze regel is door het systeem gemaakt en kan niet worden gecorrigeerd."]
    unknown = sorted(set(changes) - set(CORRECTABLE[action]))
    if unknown:
        return {}, [f"Bij deze regel kunt u alleen {', '.join(CORRECTABLE[action])} corrigeren, niet {', '.join(unknown)}."]
    values = {f: original[f] for f in (*CORRECTABLE[action], "status_to", "follows_advice")} | changes
    # a follow-up day is judged when the correction sets it: an unchanged one may have passed since
    return values, correction_problems(original, values, today if "follow_up_on" in changes else dt.date.min)


def correction_problems(original: dict, values: dict, today: dt.date) -> list[str]:
    action = original["action"]
    if action == "status":
        if values["status_to"] not in STATUSES:
            return ["Onbekende status."]
        if values["status_to"] == CLOSED:
            return outcome_problems(values["outcome"])
        values["outcome"] = None
        return []
    if action == "assigned":
        return [] if values["assigned_to"] is None else name_problems(values["assigned_to"], "Kies een medewerker.")
    if action == "decision":
        return corrected_decision(original, values, today)
    if action == "follow_up":
        return follow_up_problems(values["follow_up_on"], today)
    return text_problems("note", values["note"], required=True)


def corrected_decision(original: dict, values: dict, today: dt.date) -> list[str]:
    """A corrected decision against the advice the original was compared with (kept in its record); its reason
    is the correction's own `why` (checked by the caller)."""
    follows = values["chosen_route"] == original["advised_route"]
    checked, problems = decision_values(original["advised_route"], follows, values["chosen_route"],
                                        values["other_route"], "-")
    values.update(checked, status_to=decision_status(original["status_from"] or NEW, checked["chosen_route"]))
    return problems + text_problems("note", values["note"]) + follow_up_problems(values["follow_up_on"], today)
