"""What an officer reads, in plain Dutch (B1): one sentence per concept, written from the youth's own values.

Officers read these sentences aloud to the youth, so each one must be true for that youth. A sentence states
the facts of all the concept's features at once (so it cannot contradict itself), then exactly one direction
sentence that follows the sign of the concept's contribution. No jargon ("startkwalificatie", "log-odds",
"leerweg"): the risk is named as what it is, a diploma of mbo level 2 or higher, havo or vwo. Long periods are
given in years. The catalogue of every sentence, with the rules, is docs/reasons.md.
"""

from __future__ import annotations

import datetime as dt

from vsv_model.contract import NONE, OUTSIDE_REGION, STARTKWALIFICATIE_LEVELS, UNKNOWN

RAISES = "Dit maakt de kans groter."
LOWERS = "Dit maakt de kans kleiner."
EDUCATION_NL = {
    "mbo-1": "mbo niveau 1 (entree)", "mbo-2": "mbo niveau 2", "mbo-3": "mbo niveau 3", "mbo-4": "mbo niveau 4",
    "vmbo-bb": "vmbo basis", "vmbo-kb": "vmbo kader", "vmbo-gt": "vmbo gemengd of theoretisch", "havo": "havo",
    "vwo": "vwo", "pro": "praktijkonderwijs", "vso": "voortgezet speciaal onderwijs",
    "isk": "een schakelklas voor nieuwkomers", "vavo": "vavo (havo of vwo voor volwassenen)", "po": "basisonderwijs",
    "so": "speciaal onderwijs", "hbo": "hbo", "wo": "een universitaire opleiding",
}
PATH_NL = {"BOL": ", vooral op school (BOL)", "BBL": ", werkend leren (BBL)"}
DIPLOMA_NL = {
    "geen": "Heeft nog geen diploma.", "vmbo-bb": "Heeft een vmbo-diploma (basis).",
    "vmbo-kb": "Heeft een vmbo-diploma (kader).", "vmbo-gt": "Heeft een vmbo-diploma (gemengd of theoretisch).",
    "mbo-1": "Heeft een mbo-diploma niveau 1 (entree).", UNKNOWN: "Heeft een diploma van onbekend niveau.",
}
# An achievement is never worded as raising the chance: what raises it is the diploma still missing.
NOT_YET_QUALIFIED = ", maar nog geen diploma van mbo-niveau 2 of hoger, havo of vwo."
DROPPED_OUT = "gestopt met een opleiding zonder diploma en zonder binnen een maand aan een nieuwe te beginnen."
SWITCHED = "zonder diploma naar een andere school gegaan"
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")
WEEKS_PER_YEAR = 52


def dutch_number(value: float) -> str:
    """12.5 -> '12,5'; 34.0 -> '34'; at most two decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def counted(n: float, one: str, many: str) -> str:
    """'1 maand', '3 maanden' (uur, keer and jaar take the same word for both)."""
    return f"{dutch_number(n)} {one if n == 1 else many}"


def in_years(amount: int, per_year: int) -> str:
    """'2 jaar' for exactly two years, 'ruim 2 jaar' for a little more."""
    years, rest = divmod(int(amount), per_year)
    return f"{'ruim ' if rest else ''}{years} jaar"


def months_phrase(months: int) -> str:
    return counted(months, "maand", "maanden") if months < 24 else in_years(months, 12)


def recent_weeks(weeks: int) -> str:
    return "deze week" if weeks == 0 else counted(weeks, "week", "weken") + " geleden"


def school_situation(v: dict) -> str:
    if v["enrolled"] == 1:
        education = EDUCATION_NL.get(v["current_education"], "een opleiding van onbekend type")
        return f"Volgt nu {education}{PATH_NL.get(v['learning_path'], '')}."
    months = v["months_not_enrolled"]
    if months is None:
        return "Staat niet ingeschreven bij een school en was dat volgens de gegevens ook nooit."
    if months == 0:
        return "Staat sinds minder dan een maand niet meer ingeschreven bij een school."
    return f"Staat sinds {months_phrase(months)} niet meer ingeschreven bij een school."


def hours_phrase(v: dict) -> str:
    total, recent, latest = v["absence_hours_52w"], v["absence_hours_13w"], v["absence_hours_4w"]
    if not total:
        return ""
    if not recent:
        detail = " (geen uren in de laatste 13 weken)"
    elif not latest:
        detail = f" (waarvan {dutch_number(recent)} uur in de laatste 13 weken)"
    else:
        detail = f" (waarvan {dutch_number(recent)} uur in de laatste 13 weken en {dutch_number(latest)} uur in de laatste 4 weken)"
    return f", samen {dutch_number(total)} uur{detail}"


def absence(v: dict) -> str:
    reports, late, weeks = v["absence_reports_52w"], v["late_reports_52w"], v["weeks_since_last_report"]
    if weeks is None:
        return "Er is nooit verzuim gemeld."
    if reports == 0 and late == 0:
        when = in_years(weeks, WEEKS_PER_YEAR) if weeks >= WEEKS_PER_YEAR else counted(weeks, "week", "weken")
        return f"Het laatste verzuim werd {when} geleden gemeld."
    last = f"De laatste melding was {recent_weeks(weeks)}."
    if reports == 0:
        return (f"De school meldde in het afgelopen jaar {dutch_number(late)} keer dat de jongere vaak te laat kwam"
                f"{hours_phrase(v)}. {last}")
    sentence = (f"De school meldde in het afgelopen jaar {dutch_number(reports)} keer dat de jongere zonder geldige "
                f"reden afwezig was{hours_phrase(v)}.")
    if late:
        sentence += f" Ook meldde de school {dutch_number(late)} keer dat de jongere vaak te laat kwam."
    return f"{sentence} {last}"


def school_career(v: dict, raises: bool = True) -> str:
    """What the counts mean: a dropout is a stop without a diploma and without a new start within a month (31
    days); a switch is a move to another institution after primary school, with no diploma in between.

    Only the facts that point the way the reason does are said: when the career raises the chance, what happened
    (stops, switches, the recent step to mbo); when it lowers it, what did not (never stopped, never switched). Read
    aloud, "Is nooit van school gewisseld. Dit maakt de kans groter." would sound as if never switching were the
    risk. When no fact points that way (an interaction), all are said."""
    dropouts, switches, recent = v["dropout_episodes"], v["school_switches"], v["school_switches_2y"]
    within = f", waarvan {dutch_number(recent)} keer in de afgelopen 2 jaar" if recent else ""
    facts = [  # (the fact, whether it is something that happened), in the order they are said
        (f"Is nooit {DROPPED_OUT}" if dropouts == 0 else f"Is {dutch_number(dropouts)} keer {DROPPED_OUT}", dropouts > 0),
        (f"Is na de basisschool nooit {SWITCHED}." if switches == 0
         else f"Is na de basisschool {dutch_number(switches)} keer {SWITCHED}{within}.", switches > 0),
    ]
    if v["vo_mbo_transition_1y"] == 1:
        facts.append(("Is in het afgelopen jaar van het voortgezet onderwijs naar het mbo gegaan, met hooguit 3 "
                      "maanden ertussen.", True))
    chosen = [fact for fact, happened in facts if happened == raises]
    return " ".join(chosen or [fact for fact, _ in facts])


def last_diploma(v: dict, raises: bool = False) -> str:
    """The latest diploma; when it raises the chance, also the diploma that is still missing (the diploma itself
    never raises it)."""
    level = v["last_diploma"]
    sentence = DIPLOMA_NL.get(level, f"Heeft een diploma {level}.")
    if raises and level != NONE and level not in STARTKWALIFICATIE_LEVELS:
        return sentence.removesuffix(".") + NOT_YET_QUALIFIED
    return sentence


def age(v: dict) -> str:
    return f"Is {dutch_number(v['age'])} jaar."


def school_location(v: dict) -> str:
    place = v["school_municipality"]
    if place == UNKNOWN:
        return "De plaats van de school is niet bekend."
    where = "buiten de regio" if place == OUTSIDE_REGION else f"in {place}"
    return f"De school staat {where}." if v["enrolled"] == 1 else f"De laatste school stond {where}."


DIRECTED = {"diploma": last_diploma, "schoolloopbaan": school_career}  # their facts depend on the direction too
FACTS = {"schoolsituatie": school_situation, "verzuim": absence, "schoolloopbaan": school_career,
         "diploma": last_diploma, "leeftijd": age, "schoollocatie": school_location}
# The values a concept's sentence reads beyond its own features.
CONTEXT = {"schoollocatie": ("enrolled",)}


def reason_sentence(concept: str, values: dict, contribution: float) -> str:
    """The concept's facts from the youth's values, then the direction its contribution gives."""
    if concept in DIRECTED:
        facts = DIRECTED[concept](values, contribution > 0)
    else:
        facts = FACTS[concept](values)
    return f"{facts} {RAISES if contribution > 0 else LOWERS}"


def risk_nl(outcome_age: int) -> str:
    """Which risk the model estimates, in plain words."""
    return (f"de kans dat deze jongere vóór de {outcome_age}e verjaardag geen diploma haalt van mbo-niveau 2 of hoger, "
            "havo of vwo")


def shown_percent(probability: float) -> int:
    """The whole percent the page shows: 0 for 'minder dan 1%', 100 for 'meer dan 99%' (no model is certain),
    else 1 to 99."""
    if probability >= 0.995:
        return 100
    if probability < 0.005:
        return 0
    return min(99, max(1, round(100 * probability)))


def fraction_in_words(percent: int) -> tuple[str, bool]:
    """A whole percent as a fraction people hear right, and whether its verb is plural: up to 20% '1 op de N'
    (N = 100 / percent, rounded), a multiple of 10 'x op de 10', else 'P op de 100'."""
    if percent == 0:
        return "minder dan 1 op de 100", False
    if percent == 100:
        return "meer dan 99 op de 100", True
    if percent <= 20:
        return f"ongeveer 1 op de {round(100 / percent)}", False
    if percent % 10 == 0:
        return f"ongeveer {percent // 10} op de 10", True
    return f"ongeveer {percent} op de 100", True


def probability_in_words(probability: float, outcome_age: int) -> str:
    """'ongeveer 1 op de 17 vergelijkbare jongeren haalt vóór hun 23e verjaardag geen diploma ...', from the whole
    percent the page shows beside it (so 0.1497, "15%", reads 1 op de 7)."""
    words, plural = fraction_in_words(shown_percent(probability))
    return (f"{words} vergelijkbare jongeren {'halen' if plural else 'haalt'} vóór hun {outcome_age}e verjaardag "
            "geen diploma van mbo-niveau 2 of hoger, havo of vwo")


def dutch_date(date: dt.date) -> str:
    """'3 maart 2010'."""
    return f"{date.day} {MONTHS_NL[date.month - 1]} {date.year}"


def dutch_period(first: dt.date, last: dt.date, between: bool = False) -> str:
    """'van 3 tot en met 9 maart 2010' (or 'tussen 3 en 9 maart 2010'), the shared month and year said once."""
    if (first.year, first.month) == (last.year, last.month):
        start = str(first.day)
    elif first.year == last.year:
        start = f"{first.day} {MONTHS_NL[first.month - 1]}"
    else:
        start = dutch_date(first)
    return f"tussen {start} en {dutch_date(last)}" if between else f"van {start} tot en met {dutch_date(last)}"


def category_meaning_nl(rows: int | None, observed_rate: float | None, outcome_age: int, category_nl: str = "") -> str:
    """What a risk category meant when the model was tested, in plain numbers: of the tested youths in the
    category, how many did not get a diploma by the outcome age. Says so when it was not measured. Named after the
    category ("risico hoog"), so it is not mistaken for the youth's own chance said just above it."""
    name = f"risico {category_nl}" if category_nl else "deze groep"
    if rows is None:
        return f"Wat {name} betekent, is voor dit model niet gemeten."
    if rows == 0 or observed_rate is None:
        return f"Bij de test van dit model had niemand {name}: wat het betekent, is daarom niet gemeten."
    people = "jongere" if rows == 1 else "jongeren"
    count = f"{rows:,}".replace(",", ".")  # Dutch thousands: 1.234
    return (f"Wat {name} betekent: van de {count} {people} met {name} bij de test van het model haalden "
            f"{fraction_in_words(shown_percent(observed_rate))[0]} vóór hun {outcome_age}e geen diploma van mbo-niveau 2 "
            "of hoger, havo of vwo.")
