"""What an officer asks of the list, read from the query string: search, filters, sorting and the page.

Filters accept the codes and the Dutch words the page shows (`risico=laag` and `risico=low`; the old name
`tier` too). A value the page does not know is said in Dutch, never silently ignored, and never repeated: a
search box invites a name or a BSN by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from serving.feature_words import municipality as municipality_nl
from serving.scores import SORT_COLUMNS, ListFilter
from vsv_model.contract import is_bsn, youth_id_problem
from vsv_model.feature_spec import SCHOOL_MUNICIPALITY_CATEGORIES
from vsv_model.policy import TIER_LABELS_NL, TIERS

RISK_WORDS = {code: code for code in TIERS} | {word: code for code, word in TIER_LABELS_NL.items()}
ENROLLED_WORDS = {"ja": True, "nee": False}
MUNICIPALITY_WORDS = {m.lower(): m for m in SCHOOL_MUNICIPALITY_CATEGORIES} | {
    municipality_nl(m).lower(): m for m in SCHOOL_MUNICIPALITY_CATEGORIES}
DIRECTIONS = {"aflopend": True, "oplopend": False}
DEFAULT_DESCENDING = {"kans": True, "leeftijd": True, "maanden": True, "melding": False}  # melding: most recent first
SORT_OPTIONS_NL = {  # (sort, descending) -> what the select says
    ("kans", True): "Kans: hoog naar laag", ("kans", False): "Kans: laag naar hoog",
    ("leeftijd", True): "Leeftijd: oud naar jong", ("leeftijd", False): "Leeftijd: jong naar oud",
    ("maanden", True): "Maanden niet ingeschreven: meeste eerst", ("maanden", False): "Maanden niet ingeschreven: minste eerst",
    ("melding", False): "Laatste verzuimmelding: meest recent eerst", ("melding", True): "Laatste verzuimmelding: langst geleden eerst",
}
UNKNOWN_VALUE_NL = "Het filter '{name}' kent deze waarde niet en is niet toegepast. Kies {choices}."


@dataclass
class ListQuery:
    """The list asked for, the Dutch problems with the question, and the query kept in every link."""

    wanted: ListFilter
    problems: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)


def choices_nl(words) -> str:
    *first, last = list(words)
    return f"{', '.join(first)} of {last}" if first else last


def read_choice(name: str, value: str, words: dict, shown, problems: list[str]):
    """A filter value by its code or Dutch word (any case, trimmed); None and a problem when unknown."""
    key = value.strip().lower()
    if not key:
        return None
    if key not in words:
        problems.append(UNKNOWN_VALUE_NL.format(name=name, choices=choices_nl(shown)))
        return None
    return words[key]


def read_search(value: str, problems: list[str]) -> str | None:
    """A youth id or its first characters; a BSN or anything else is refused without repeating it."""
    search = value.strip()
    if not search:
        return None
    if is_bsn(search):
        problems.append("Zoek nooit op een burgerservicenummer (BSN), alleen op het nummer (pseudoniem) van de jongere.")
        return None
    if youth_id_problem(search):
        problems.append("Zoek op het nummer van de jongere: alleen letters, cijfers, '-' en '_' (1 tot 64 tekens).")
        return None
    return search


def read_sort(sort: str, direction: str, problems: list[str]) -> tuple[str, bool]:
    key, _, way_in_key = sort.strip().lower().partition("-")  # the select sends both at once: "kans-oplopend"
    key, direction = key or "kans", way_in_key or direction
    if key not in SORT_COLUMNS:
        problems.append(f"Deze sortering bestaat niet; de lijst staat op kans. Kies {choices_nl(SORT_COLUMNS)}.")
        key = "kans"
    way = direction.strip().lower()
    if way and way not in DIRECTIONS:
        problems.append("Deze volgorde bestaat niet. Kies aflopend of oplopend.")
        way = ""
    return key, DIRECTIONS[way] if way else DEFAULT_DESCENDING[key]


def read_list_query(risico: str, gemeente: str, ingeschreven: str, zoek: str, sorteer: str, volgorde: str,
                    pagina: int) -> ListQuery:
    problems: list[str] = []
    tier = read_choice("risico", risico, RISK_WORDS, TIER_LABELS_NL.values(), problems)
    place = read_choice("schoollocatie", gemeente, MUNICIPALITY_WORDS, ["een gemeente uit de lijst"], problems)
    enrolled = read_choice("ingeschreven", ingeschreven, ENROLLED_WORDS, ENROLLED_WORDS, problems)
    search = read_search(zoek, problems)
    sort, descending = read_sort(sorteer, volgorde, problems)
    wanted = ListFilter(tier, place, enrolled, pagina, search, sort, descending)
    params = {"zoek": search or "", "risico": tier or "", "gemeente": place or "",
              "ingeschreven": {True: "ja", False: "nee"}.get(enrolled, ""), "sorteer": sort,
              "volgorde": "aflopend" if descending else "oplopend"}
    return ListQuery(wanted, problems, params)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and `around` either side of the current one; None is a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers
