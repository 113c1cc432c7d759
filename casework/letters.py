"""The office's letters to the youth: the warning letter (informatiebrief) and the invitation to a conversation,
rendered from versioned Dutch templates to PDF, and stored with the case.

A letter is a treatment the youth gets, so the template and its version are recorded with every stored letter and
in the case's history. A shipped version is never edited: a region that wants other words adds a new version file
(`letter_templates/<template>/v<N>.html.j2`) and its line in `letter_templates/MANIFEST` (a test compares every
file's hash with that manifest). `render_letter` uses the newest version unless it is told which.

What a letter may say is fixed by its context's fields (`TEMPLATE_FIELDS`): the youth's pseudonymous id (shown
as "ons kenmerk"), the day, the event, and for an invitation the appointment. There is no field for the model's
score, risk category, reasons or advised route, so a letter cannot carry them: it speaks to the youth, not about
the model. There are no names or addresses in this project either: the address block reads "Aan: de jongere met
kenmerk ...", where the office's mail system puts the address.

Rendering: Jinja2 (autoescape on, undefined names refused) to HTML, WeasyPrint to PDF with Debian's DejaVu Sans
(named by family, so every machine lays the letter out alike), fetching nothing from outside.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, fields
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.tables import case_records_table, cases_table, letters_table
from features.office_events import EVENT_KINDS
from vsv_model.contract import is_bsn, youth_id_problem
from vsv_model.database import writing
from vsv_model.wording import dutch_date

TEMPLATE_DIR = Path(__file__).with_name("letter_templates")
WARNING, INVITATION = "warning", "invitation"
TEMPLATE_LABELS_NL = {WARNING: "informatiebrief", INVITATION: "uitnodiging voor een gesprek"}
WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MAX_TEXT = 200  # characters of a free-text field (a place, a name)
KIND_WORDS_NL = {str: "tekst", dt.date: "datum", dt.datetime: "datum met tijd"}

# What each template's context may hold: field -> (type, required). Nothing about the model has a field.
_COMMON = {"youth_id": (str, True), "date": (dt.date, True), "event": (str, True), "contact_name": (str, False)}
TEMPLATE_FIELDS = {
    WARNING: dict(_COMMON),
    INVITATION: {**_COMMON, "meeting_at": (dt.datetime, True),  # the office's local time, as the youth reads it
                 "place": (str, False), "change_before": (dt.date, False)},
}

# Nine digits, possibly written in groups ("1234 56 782", "1234.56.782"), not part of a longer number.
_NINE_DIGITS = re.compile(r"(?<![\d])\d(?:[ .-]?\d){8}(?![ .-]?\d)")
_FIELD_NAME = re.compile(r"[a-z_]{1,40}")
LOOKS_LIKE_BSN_NL = ("Het veld '{name}' bevat een nummer dat op een burgerservicenummer (BSN) lijkt. Zet nooit een BSN "
                     "in een brief (het nummer wordt hier niet herhaald).")


@dataclass(frozen=True)
class OfficeSettings:
    """The office as its letters name it (`[office]` in the region's TOML file). The defaults are placeholders for
    the Doorstroompunt Zuid-Holland Zuid: a region sets its own street, phone and email."""

    name: str = "Doorstroompunt Zuid-Holland Zuid"
    street: str = "Voorbeeldstraat 1"
    postcode_city: str = "3311 AA Dordrecht"
    phone: str = "078 000 00 00"
    email: str = "info@doorstroompunt.example"
    hours: str = "op werkdagen van 9.00 tot 17.00 uur"  # completes "Bel ons ... Dat kan <hours>."

    @property
    def visiting_address(self) -> str:
        """Where a conversation is held unless the invitation names another place."""
        return f"{self.name}, {self.street}, {self.postcode_city}"

    @classmethod
    def from_toml(cls, path: Path | None) -> OfficeSettings:
        """The `[office]` table of a region file; defaults without one. An unknown key is refused by name."""
        if path is None:
            return cls()
        values = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("office", {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown [office] setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        wrong = sorted(key for key, value in values.items() if not isinstance(value, str) or not value.strip())
        if wrong:
            raise ValueError(f"{path}: [office] setting(s) must be non-empty text: {', '.join(wrong)}")
        return cls(**values)


@dataclass(frozen=True)
class RenderedLetter:
    """A rendered letter: its template and version, the PDF, and the letter's plain text (stored beside the PDF)."""

    template: str
    version: str
    pdf: bytes
    text: str


def known_templates() -> dict[str, tuple[str, ...]]:
    """Every shipped template and its versions, oldest first ({"warning": ("v1",), ...}). A new kind of letter
    also needs its fields in `TEMPLATE_FIELDS`; a new version only its file."""
    found = {}
    for folder in sorted(TEMPLATE_DIR.iterdir()):
        if folder.is_dir() and folder.name in TEMPLATE_FIELDS:
            versions = [path.name.removesuffix(".html.j2") for path in folder.glob("v*.html.j2")]
            found[folder.name] = tuple(sorted((v for v in versions if v[1:].isdigit()), key=lambda v: int(v[1:])))
    return found


def choose_version(template: str, version: str | None) -> str:
    """The named version of a template, or its newest; an unknown one is refused naming those that exist."""
    versions = known_templates()
    if template not in versions:
        raise ValueError(f"unknown letter template {template!r}; known: {', '.join(versions)}")
    if version is None:
        return versions[template][-1]
    if version not in versions[template]:
        raise ValueError(f"unknown version {version!r} of letter template {template!r}; "
                         f"known: {', '.join(versions[template])}")
    return version


def render_letter(template: str, context: dict, version: str | None = None,
                  office: OfficeSettings | None = None) -> RenderedLetter:
    """The letter `template` (the newest version unless `version` names one) for `context`, as PDF and text."""
    version = choose_version(template, version)
    office = office or OfficeSettings()
    values = checked_context(template, context, office)
    html = letter_environment(TEMPLATE_DIR).get_template(f"{template}/{version}.html.j2").render(
        **values, template=template, version=version, office=office)
    return RenderedLetter(template, version, html_to_pdf(html), html_to_text(html))


def checked_context(template: str, context: dict, office: OfficeSettings) -> dict:
    """The context's values, checked against the template's fields (Dutch messages: an officer fills some of
    them), with the invitation's defaults filled in. A BSN-shaped number is refused without being repeated."""
    allowed = TEMPLATE_FIELDS[template]
    unknown = sorted(set(context) - set(allowed))
    if unknown:
        shown = [name if isinstance(name, str) and _FIELD_NAME.fullmatch(name) else "(niet getoond)" for name in unknown]
        raise ValueError(f"Onbekend veld voor een {TEMPLATE_LABELS_NL[template]}: {', '.join(shown)}. "
                         f"Bekende velden: {', '.join(allowed)}.")
    missing = [name for name, (_, required) in allowed.items() if required and context.get(name) in (None, "")]
    if missing:
        raise ValueError(f"Vul in voor een {TEMPLATE_LABELS_NL[template]}: {', '.join(missing)}.")
    values = {name: context.get(name) for name in allowed}
    for name, value in values.items():
        check_field(name, value, allowed[name][0])
    if values["event"] not in EVENT_KINDS:
        raise ValueError(f"Onbekende gebeurtenis voor een brief; bekend: {', '.join(EVENT_KINDS)}.")
    if template == INVITATION:
        fill_appointment(values, office)
    return values


def check_field(name: str, value, kind: type) -> None:
    """One context value: of its type, a free text short and without a BSN, the youth id pseudonymous."""
    if value is None:
        return
    if not isinstance(value, kind) or (kind is dt.date and isinstance(value, dt.datetime)):
        raise ValueError(f"Het veld '{name}' moet een {KIND_WORDS_NL[kind]} zijn.")
    if kind is not str:
        return
    if is_bsn(value.strip()) or any(is_bsn(re.sub(r"\D", "", hit)) for hit in _NINE_DIGITS.findall(value)):
        raise ValueError(LOOKS_LIKE_BSN_NL.format(name=name))
    if name == "youth_id" and youth_id_problem(value):
        raise ValueError("Het kenmerk van de jongere (youth_id) moet een pseudoniem nummer zijn: alleen letters, "
                         "cijfers, '-' en '_' (1 tot 64 tekens).")
    if len(value) > MAX_TEXT or "\n" in value:
        raise ValueError(f"Het veld '{name}' mag één regel van ten hoogste {MAX_TEXT} tekens zijn.")



def fill_appointment(values: dict, office: OfficeSettings) -> None:
    """The invitation's place (the office unless named) and the day before which to call to change it (the
    working day before the conversation, not before the letter's day); the conversation must follow the letter."""
    meeting_day = values["meeting_at"].date()
    if meeting_day <= values["date"]:
        raise ValueError("Het gesprek moet na de datum van de brief zijn.")
    values["place"] = values["place"] or office.visiting_address
    if values["change_before"] is None:
        values["change_before"] = max(previous_working_day(meeting_day), values["date"])
    elif not values["date"] <= values["change_before"] <= meeting_day:
        raise ValueError("De dag om de afspraak te verzetten moet tussen de datum van de brief en het gesprek liggen.")


def previous_working_day(day: dt.date) -> dt.date:
    """The last Monday-to-Friday before `day`."""
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def dutch_day(value: dt.date) -> str:
    """'maandag 7 december 2026'."""
    return f"{WEEKDAYS_NL[value.weekday()]} {dutch_date(value)}"


def dutch_time(value: dt.datetime) -> str:
    """'10.30 uur' (the Dutch way of writing a time in a letter)."""
    return f"{value.hour}.{value.minute:02d} uur"


@functools.cache
def letter_environment(directory: Path) -> jinja2.Environment:
    """The Jinja2 environment of the templates in `directory`: autoescape on, an undefined name is an error,
    Dutch date filters. Made once per directory (it caches the parsed templates)."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(directory), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(dutch_date=dutch_date, dutch_day=dutch_day, dutch_time=dutch_time)
    return environment


def html_to_pdf(html: str) -> bytes:
    """The PDF of a letter's HTML, with its title, author and template version (custom metadata) in the PDF's
    information; tagged for screen readers. Nothing is fetched: a letter is self-contained."""
    import weasyprint  # imported on first use: it loads Pango, which the rest of casework does not need

    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=(), fail_on_errors=True)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(custom_metadata=True, pdf_tags=True)


class _TextCollector(HTMLParser):
    """The text of the letter's body, one line per block (paragraph, heading, list item, line break)."""

    BLOCKS = {"p", "h1", "h2", "h3", "li", "br", "div", "header", "section"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.current, self.skipping = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script"):
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.flush()
            if tag == "li":
                self.current.append("- ")

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script"):
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.skipping:
            self.current.append(data)

    def flush(self):
        line = " ".join("".join(self.current).split())
        if line and line != "-":
            self.lines.append(line)
        self.current = []


def html_to_text(html: str) -> str:
    """A letter's plain text (what the PDF says, one block a line): stored with the letter for search and review."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    collector.flush()
    return "\n".join(collector.lines) + "\n"


def store_letter(engine: Engine, case_id: int, youth_id: str, officer: str, rendered: RenderedLetter) -> int:
    """Store a rendered letter with its case: the `letters` row (PDF, text, template and version) and the case's
    "letter" record naming it, in one transaction (both or neither). The case must be the youth's, and the letter
    must carry the youth's id as its reference. Returns the letter's id."""
    check_letter_owner(youth_id, officer, rendered)
    now = dt.datetime.now(dt.UTC)
    with writing(engine) as connection:
        case_youth = connection.execute(sa.select(cases_table.c.youth_id).where(cases_table.c.id == case_id)).scalar()
        if case_youth is None:
            raise ValueError(f"case {case_id} does not exist")
        if case_youth != youth_id:
            raise ValueError(f"case {case_id} belongs to another youth than the letter's")
        letter_id = connection.execute(letters_table.insert().values(
            case_id=case_id, youth_id=youth_id, template=rendered.template, template_version=rendered.version,
            rendered_at=now, officer=officer, pdf=rendered.pdf, text=rendered.text)).inserted_primary_key[0]
        connection.execute(case_records_table.insert().values(
            case_id=case_id, recorded_at=now, officer=officer, action="letter", letter_id=letter_id,
            why=f"{TEMPLATE_LABELS_NL[rendered.template]} ({rendered.template} {rendered.version})"))
    return letter_id


def check_letter_owner(youth_id: str, officer: str, rendered: RenderedLetter) -> None:
    """A letter is stored only for the youth it names, by a named officer, from a known template and version."""
    if youth_id_problem(youth_id):
        raise ValueError("youth_id must be a pseudonymous id (the value is not repeated)")
    if not isinstance(officer, str) or not officer.strip() or is_bsn(officer.strip()):
        raise ValueError("officer must name the officer (never a BSN)")
    choose_version(rendered.template, rendered.version)
    if f"Ons kenmerk: {youth_id}\n" not in rendered.text:
        raise ValueError("the letter's reference (ons kenmerk) is not this youth's id")


def letter_pdf(engine: Engine, letter_id: int) -> tuple[bytes, str, str]:
    """A stored letter's PDF, template and template version (for the case page's preview and print)."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(letters_table.c.pdf, letters_table.c.template,
                                           letters_table.c.template_version)
                                 .where(letters_table.c.id == letter_id)).one_or_none()
    if row is None:
        raise LookupError(f"letter {letter_id} does not exist")
    return bytes(row.pdf), row.template, row.template_version
