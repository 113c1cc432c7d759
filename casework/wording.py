"""The sentences an officer reads about a case's advice: why the case has the route it has, in one plain Dutch
sentence (B1). One owner for them: the store writes them into `cases.advice_why` and the records."""

from __future__ import annotations

from casework.model import ESCALATION
from features.office_events import NEW_LEAVER, REPORT_FIRST, REPORT_REPEAT

LETTER, CONVERSATION, MATCHMAKER = ESCALATION
ROUTE_PHRASES_NL = {LETTER: "een brief", CONVERSATION: "een gesprek", MATCHMAKER: "begeleiding door een matchmaker"}
OPENED_NL = {REPORT_FIRST: "Eerste melding van verzuim", REPORT_REPEAT: "Herhaalde melding van verzuim",
             NEW_LEAVER: "Net gestopt met school zonder startkwalificatie"}
ORDINALS_NL = ("eerste", "tweede", "derde", "vierde", "vijfde", "zesde", "zevende", "achtste", "negende", "tiende")
DAYS_A_MONTH = 30.44


def route_phrase(route: str) -> str:
    return ROUTE_PHRASES_NL.get(route, route)


def period_nl(days: int) -> str:
    """A period of days as an officer says it: 91 days is "3 maanden", 14 days "14 dagen"."""
    months = round(days / DAYS_A_MONTH)
    if months >= 1 and abs(days - months * DAYS_A_MONTH) <= 3:
        return "1 maand" if months == 1 else f"{months} maanden"
    return "1 dag" if days == 1 else f"{days} dagen"


def ordinal_nl(number: int) -> str:
    return ORDINALS_NL[number - 1] if 1 <= number <= len(ORDINALS_NL) else f"{number}e"


def opened_why(kind: str, route: str) -> str:
    """A new case: the model's own advice for this kind of event."""
    return f"{OPENED_NL.get(kind, 'Nieuwe melding')}: het model adviseert {route_phrase(route)}."


def repeat_prefix(reports: int, first_kind: str, repeat_days: int) -> str:
    """The start of a repeat's sentence: which report of the case this is (a case opened by a leaver counts its
    reports after that news)."""
    period = period_nl(repeat_days)
    if first_kind == NEW_LEAVER:
        return f"Melding van verzuim binnen {period} na het vorige bericht"
    return f"{ordinal_nl(reports).capitalize()} melding binnen {period}"


def escalated_why(prefix: str, before: str, after: str, model_route: str) -> str:
    """A repeat report attached to an open case: the advice one step heavier than before (or the model's own, when
    that is heavier still); the heaviest route stays."""
    steps = ESCALATION.index(after) - ESCALATION.index(before)
    if steps <= 0:
        return f"{prefix}: het advies blijft {route_phrase(after)}, de zwaarste route."
    if steps == 1:
        return f"{prefix}: het advies is één stap zwaarder, {route_phrase(after)} in plaats van {route_phrase(before)}."
    return (f"{prefix}: het model adviseert nu zelf {route_phrase(model_route)} in plaats van "
            f"{route_phrase(before)}.")


# --- the randomised share and the advice in force ------------------------------------------------------------------

POLICY_NL = {"tier": "Advies volgens de risicogroep (tier)", "benefit": "Advies volgens het verwachte effect"}
POLICY_EXPLAINED_NL = {
    "tier": "Het advies hangt af van de kans dat de jongere geen startkwalificatie haalt: hoe hoger de kans, hoe "
            "zwaarder de route, zolang er plaats is.",
    "benefit": "Het advies hangt af van het verwachte effect: de route waarvan jongeren zoals deze het meest hebben "
               "gehad, in eerdere zaken van dit bureau. Dit advies is pas gebruikt toen bleek dat het beter werkt "
               "dan het advies volgens de risicogroep.",
}
DRAW_EXPLAINED_NL = (
    "Deze route is door loting gekozen. Het Doorstroompunt weet nog niet goed welke aanpak het beste werkt voor welke "
    "jongere. Daarom krijgt een klein deel van de zaken waarbij het advies net zo goed anders had kunnen uitvallen, "
    "een route die door het lot is bepaald. Zo kunnen we later eerlijk vergelijken wat een brief, een gesprek en een "
    "matchmaker opleveren. U mag de loting weigeren als deze route niet past bij deze jongere. Geef dan een reden: "
    "dan geldt weer het advies van het model en beslist u zoals altijd. Een weigering wordt bewaard en meegeteld, "
    "zodat we weten hoe vaak en waarom de loting niet past.")


def policy_nl(policy: str | None) -> str:
    """Which advice was in force (a case stored before the policy was stored had the tier advice)."""
    return POLICY_NL.get(policy or "tier", POLICY_NL["tier"])


def drawn_why(kind: str, drawn: str, model_route: str) -> str:
    """A case whose route was drawn by lot: the drawn route, and the model's own advice beside it."""
    return (f"{OPENED_NL.get(kind, 'Nieuwe melding')}: deze zaak is ingeloot. De route {route_phrase(drawn)} is door "
            f"loting gekozen; het model adviseert {route_phrase(model_route)}.")


def refused_why(model_route: str) -> str:
    """After a refused draw: the model's own advice holds again."""
    return f"De loting is geweigerd: het advies is weer dat van het model, {route_phrase(model_route)}."
