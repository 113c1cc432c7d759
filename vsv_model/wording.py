"""What an officer reads, in Dutch: one sentence per reason and the probability in words.

Sentences name the value and say whether it raises or lowers the risk, with
Dutch number formatting and verb agreement ("34 verzuimuren ... verhogen het
risico", "1 schoolwisseling verhoogt het risico").
"""

from __future__ import annotations

import math

from vsv_model.contract import NONE, OUTSIDE_REGION, UNKNOWN


def dutch_number(value: float) -> str:
    """12.5 -> '12,5'; 34.0 -> '34'; at most two decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _counted(value, one: str, many: str, none: str) -> tuple[str, bool]:
    """A counted subject with its grammatical number: (text, plural)."""
    if value is None:
        return none, True
    if value == 0:
        return none, True
    if value == 1:
        return f"1 {one}", False
    return f"{dutch_number(value)} {many}", True


def _place(value: str) -> tuple[str, bool]:
    if value == OUTSIDE_REGION:
        return "Een schoollocatie buiten de regio", False
    if value == UNKNOWN:
        return "Een onbekende schoollocatie", False
    return f"Schoollocatie {value}", False


def _diploma(value: str) -> tuple[str, bool]:
    if value == NONE:
        return "Geen eerder behaald diploma", False
    if value == UNKNOWN:
        return "Een diploma van onbekend niveau", False
    return f"Het laatst behaalde diploma ({value})", False


def _education(value: str) -> tuple[str, bool]:
    if value == NONE:
        return "Geen lopende opleiding", False
    if value == UNKNOWN:
        return "Een opleiding van onbekend type", False
    return f"De huidige opleiding ({value})", False


def _path(value: str) -> tuple[str, bool]:
    return {
        "BBL": ("De beroepsbegeleidende leerweg (BBL)", False),
        "BOL": ("De beroepsopleidende leerweg (BOL)", False),
        NONE: ("Geen leerweg", False),
    }.get(value, ("Een onbekende leerweg", False))


def _months(value) -> tuple[str, bool]:
    if value is None:
        return "Nooit ingeschreven zijn geweest", False
    if value == 0:
        return "Nu ingeschreven staan", False
    return ("1 maand niet ingeschreven", False) if value == 1 else (f"{dutch_number(value)} maanden niet ingeschreven", True)


def _weeks(value) -> tuple[str, bool]:
    if value is None:
        return "Nooit een verzuimmelding", False
    if value == 1:
        return "1 week sinds de laatste verzuimmelding", False
    return f"{dutch_number(value)} weken sinds de laatste verzuimmelding", True


SUBJECTS = {
    "age": lambda v: (f"Een leeftijd van {dutch_number(v)} jaar", False),
    "school_municipality": _place,
    "last_diploma": _diploma,
    "school_switches": lambda v: _counted(v, "schoolwisseling", "schoolwisselingen", "Geen schoolwisselingen"),
    "school_switches_2y": lambda v: _counted(v, "schoolwisseling in de afgelopen 2 jaar", "schoolwisselingen in de afgelopen 2 jaar",
                                             "Geen schoolwisselingen in de afgelopen 2 jaar"),
    "enrolled": lambda v: ("Een lopende inschrijving", False) if v == 1 else ("Niet ingeschreven staan", False),
    "current_education": _education,
    "learning_path": _path,
    "months_not_enrolled": _months,
    "absence_hours_4w": lambda v: _counted(v, "verzuimuur in de afgelopen 4 weken", "verzuimuren in de afgelopen 4 weken",
                                           "Geen verzuimuren in de afgelopen 4 weken"),
    "absence_hours_13w": lambda v: _counted(v, "verzuimuur in de afgelopen 13 weken", "verzuimuren in de afgelopen 13 weken",
                                            "Geen verzuimuren in de afgelopen 13 weken"),
    "absence_hours_52w": lambda v: _counted(v, "verzuimuur in de afgelopen 52 weken", "verzuimuren in de afgelopen 52 weken",
                                            "Geen verzuimuren in de afgelopen 52 weken"),
    "absence_reports_52w": lambda v: _counted(v, "verzuimmelding in het afgelopen jaar", "verzuimmeldingen in het afgelopen jaar",
                                              "Geen verzuimmeldingen in het afgelopen jaar"),
    "late_reports_52w": lambda v: _counted(v, "te-laat-melding in het afgelopen jaar", "te-laat-meldingen in het afgelopen jaar",
                                           "Geen te-laat-meldingen in het afgelopen jaar"),
    "weeks_since_last_report": _weeks,
    "dropout_episodes": lambda v: _counted(v, "eerdere uitval zonder startkwalificatie", "eerdere keren uitval zonder startkwalificatie",
                                           "Geen eerdere uitval zonder startkwalificatie"),
    "vo_mbo_transition_1y": lambda v: ("Een overstap van vo naar mbo in het afgelopen jaar", False) if v == 1
    else ("Geen overstap van vo naar mbo in het afgelopen jaar", False),
}


def reason_sentence(feature: str, value, raises: bool) -> str:
    """'34 verzuimuren in de afgelopen 13 weken verhogen het risico'."""
    if isinstance(value, float) and math.isnan(value):
        value = None
    subject, plural = SUBJECTS[feature](value)
    verb = ("verhogen" if plural else "verhoogt") if raises else ("verlagen" if plural else "verlaagt")
    return f"{subject} {verb} het risico"


def probability_in_words(probability: float, outcome_age: int) -> str:
    """'ongeveer 7 op de 10 vergelijkbare jongeren halen geen startkwalificatie vóór hun 23e'."""
    tail = "vergelijkbare jongeren {verb} geen startkwalificatie vóór hun " + f"{outcome_age}e"
    if probability < 0.05:
        return "minder dan 1 op de 20 " + tail.format(verb="haalt")
    if probability >= 0.95:
        return "meer dan 19 op de 20 " + tail.format(verb="halen")
    tenths = min(max(int(math.floor(probability * 10 + 0.5)), 1), 9)
    return f"ongeveer {tenths} op de 10 " + tail.format(verb="haalt" if tenths == 1 else "halen")
