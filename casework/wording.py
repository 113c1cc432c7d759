"""The sentences an officer reads about a case's advice: why the case has the route it has, in one plain Dutch
sentence (B1). One owner for them: the store writes them into `cases.advice_why` and the records."""

from __future__ import annotations

import datetime as dt

from casework.model import ESCALATION
from features.office_events import NEW_LEAVER, REPORT_FIRST, REPORT_REPEAT
from vsv_model.wording import dutch_period

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

POLICY_NL = {"tier": "Advies volgens de risicogroep", "benefit": "Advies volgens het verwachte effect"}
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


# --- the advice in force and what is known of each route (issue 26, item 4) ----------------------------------------

ADVICE_IN_FORCE_NL = {"tier": "Het advies volgt de risicogroep.",
                      "benefit": "Het advies volgt wat voor jongeren zoals deze het beste werkte."}
STILL_LEARNING_NL = (
    "Het Doorstroompunt leert nog welke route voor welke jongere het beste werkt. Daarom krijgt een klein deel van "
    "de zaken ({share} van de zaken die net zo goed een ander advies hadden kunnen krijgen) een route door loting. "
    "Zo kunnen we later eerlijk vergelijken wat een brief, een gesprek en een matchmaker opleveren. Pas als blijkt "
    "dat een advies op basis van die kennis beter werkt, gaat het advies dat volgen.")
OFFICER_DECIDES_NL = "U beslist, niet het model."
# What the outcome of a route policy is, as "<number> van de 100 jongeren <phrase>" (the outcome: higher is better).
OUTCOME_PHRASES_NL = {"school_365": "terug op school of met een startkwalificatie na een jaar",
                      "no_sq_by_23": "met een startkwalificatie op hun 23e"}
MIN_EVIDENCE_CASES = 20  # below this many cases that took a route, nothing is said about its effect
CERTAINTY_NL = {"few": "te weinig zaken om iets te zeggen", "unsure": "nog onzeker: het kan ook geen effect zijn",
                "sure": "zeker genoeg", "base": "vergelijkingspunt"}


def outcome_phrase(outcome: str) -> str:
    return OUTCOME_PHRASES_NL.get(outcome, "met een goede afloop")


def per_hundred(share: float) -> int:
    return int(round(100 * float(share)))


def benefit_checked_nl(values: dict, outcome: str) -> str:
    """How the promoted route policy was checked: its held-out value against the tier policy's, in words."""
    benefit, tier, difference = values["benefit"], values["tier"], values["benefit_minus_tier"]
    return (f"Dit is gecontroleerd op {int(difference['n'])} eerdere zaken die niet gebruikt zijn om dit advies te "
            f"maken. Met dit advies zijn naar schatting {per_hundred(benefit['value'])} van de 100 jongeren "
            f"{outcome_phrase(outcome)}; met het advies volgens de risicogroep {per_hundred(tier['value'])} van de 100. "
            f"Het verschil is ongeveer {per_hundred(difference['value'])} van de 100 (tussen "
            f"{per_hundred(difference['low'])} en {per_hundred(difference['high'])}).")


def effect_nl(route: str, effect: float, outcome: str) -> str:
    """A route's estimated effect against the letter, per 100 youths."""
    if route == LETTER:
        return "de brief is het vergelijkingspunt voor de andere routes"
    number = per_hundred(effect)
    if number == 0:
        return f"ongeveer even veel jongeren {outcome_phrase(outcome)} als met een brief"
    more = "meer" if number > 0 else "minder"
    return f"ongeveer {abs(number)} van de 100 jongeren {more} {outcome_phrase(outcome)} dan met een brief"


def certainty_key(route: str, cases: int, low: float, high: float) -> str:
    """How sure the estimate is: too few cases, an interval that holds zero, or sure enough."""
    if cases < MIN_EVIDENCE_CASES:
        return "few"
    if route == LETTER:
        return "base"
    return "unsure" if low <= 0 <= high else "sure"


# The evidence of the latest evaluation, shown while no route policy is promoted: where the figures come from, why
# they do not set the advice, and which check is not yet passed (the gates of `route_learning/gates.py`, in words).
EVALUATED_ONLY_NL = "Deze cijfers komen uit de laatste evaluatie (periode {period})."
NOT_PROVEN_NL = ("Die route-keuze is nog niet goed genoeg bewezen om het advies te bepalen: het advies volgt de "
                 "risicogroep.")
PASSED_NOT_IN_USE_NL = ("Die route-keuze heeft alle controles doorstaan, maar is nog niet in gebruik genomen: het advies "
                        "volgt de risicogroep.")
CHECK_FAILED_NL = {"value": "het verschil met het advies volgens de risicogroep is nog te onzeker",
                   "stability": "het voordeel is niet in zowel de eerdere als de latere zaken te zien",
                   "groups": "voor een groep jongeren zou het advies slechter uitpakken dan het advies volgens de "
                             "risicogroep"}
OTHER_CHECK_FAILED_NL = "een andere controle is niet gehaald"


def evaluated_only_nl(period: list[str], gates: list[dict]) -> str:
    """Why the evidence of the latest evaluation does not set the advice: each check it did not pass, in words."""
    first, last = (dt.date.fromisoformat(day) for day in period)
    failed = [CHECK_FAILED_NL.get(g["name"], OTHER_CHECK_FAILED_NL) for g in gates if not g["passed"]]
    where = EVALUATED_ONLY_NL.format(period=dutch_period(first, last).removeprefix("van "))
    if not failed:
        return f"{where} {PASSED_NOT_IN_USE_NL}"
    return f"{where} {NOT_PROVEN_NL} Waarom nog niet: {'; '.join(dict.fromkeys(failed))}."


def benefit_opened_why(kind: str, route: str, wanted: str) -> str:
    """A new case advised by the promoted route policy: the route that worked best for youths like this one, or the
    next lighter one when its places are taken."""
    start = OPENED_NL.get(kind, "Nieuwe melding")
    if route == wanted:
        return f"{start}: voor jongeren zoals deze werkte {route_phrase(route)} het beste."
    return (f"{start}: voor jongeren zoals deze werkte {route_phrase(wanted)} het beste, maar daarvoor is nu geen "
            f"plaats meer. Daarom is het advies {route_phrase(route)}.")


def youth_page_advice_nl(policy: str) -> str:
    """The youth page's advice is the risk group's (the route policy advises cases made from events, not a page);
    with a promoted route policy the page says where that advice is used."""
    if policy != "benefit":
        return ADVICE_IN_FORCE_NL["tier"]
    return (f"{ADVICE_IN_FORCE_NL['tier']} Voor nieuwe zaken in de werkbak (meldingen van verzuim en jongeren die net "
            "gestopt zijn met school) volgt het advies wat voor jongeren zoals deze het beste werkte.")
