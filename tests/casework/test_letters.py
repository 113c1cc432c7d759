"""The office's letters: what the PDF says (its text read back with pypdf), what it never says, plain language,
versions, refused input, and storing a letter with its case on SQLite and PostgreSQL.

The expected sentences, the forbidden words and the plain-language rule are written here, apart from the templates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import shutil

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from casework import letters
from casework.letters import OfficeSettings, RenderedLetter, letter_pdf, render_letter, store_letter
from casework.tables import case_records_table, cases_table, letters_table, metadata
from vsv_model.database import create_engine

OFFICE = OfficeSettings(name="Doorstroompunt Zuid-Holland Zuid", street="Stationsweg 5", postcode_city="3311 AB Dordrecht",
                        phone="078 123 45 67", email="brieven@dzhz.example", hours="op werkdagen van 9.00 tot 17.00 uur")
LETTER_DAY = dt.date(2026, 12, 7)  # a Monday
BASE = {"youth_id": "Y000123", "date": LETTER_DAY, "event": "report_first"}
MEETING = {"meeting_at": dt.datetime(2026, 12, 14, 10, 30)}  # the Monday after
BSN = "111222333"  # passes the 11-test: 9+8+7+12+10+8+9+6 - 3 = 66
EVENTS = ("report_first", "report_repeat", "new_leaver")

# Nothing about the model may reach the youth: its words, its figures, its categories and routes.
FORBIDDEN = [r"risico", r"\bmodel", r"\bkans", r"%", r"procent", r"\bscore", r"categorie", r"voorspel", r"algoritme",
             r"matchmaker", r"\broute", r"advies", r"\bhoog\b", r"\blaag\b", r"\bmidden\b", r"\breden", r"\b0[.,]\d",
             r"\btier\b", r"berekend"]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as pypdf reads it, whitespace collapsed (line wraps become spaces)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def body_sentences(text: str) -> list[str]:
    """The sentences between the greeting and the sign-off (the address block and reference lines are no prose)."""
    body = text.split("Hallo,", 1)[1].split("Met vriendelijke groet", 1)[0].replace("•", " ")
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(body.split())) if s]


def words(sentence: str) -> int:
    return len([w for w in sentence.split() if re.search(r"\w", w)])


def render(template, event="report_first", **extra):
    context = {**BASE, "event": event, **(MEETING if template == "invitation" else {}), **extra}
    return render_letter(template, context, office=OFFICE)


# ------------------------------------------------------------------------------------------------- what it says

def test_the_warning_letter_says_what_happened_what_to_do_and_whom_to_call():
    letter = render("warning")
    text = pdf_text(letter.pdf)
    for sentence in ("Aan: de jongere met kenmerk Y000123",
                     "Ons kenmerk: Y000123",
                     "Datum: 7 december 2026",
                     "Je school heeft ons laten weten dat je de afgelopen weken vaak niet op school was.",
                     "Praat met je mentor of je studieloopbaanbegeleider op school.",
                     "Bel ons op 078 123 45 67. Dat kan op werkdagen van 9.00 tot 17.00 uur.",
                     "Mailen kan ook: brieven@dzhz.example.",
                     "Noem dan ons kenmerk: Y000123.",
                     "Stationsweg 5 3311 AB Dordrecht"):
        assert sentence in text
    assert (letter.template, letter.version) == ("warning", "v1")


def test_the_warning_letter_to_a_new_leaver_and_after_a_repeat_report():
    leaver = pdf_text(render("warning", event="new_leaver").pdf)
    assert "Je bent gestopt met je opleiding. Dat hebben wij van DUO gehoord." in leaver
    assert "vaak niet op school" not in leaver
    repeat = pdf_text(render("warning", event="report_repeat").pdf)
    assert "Je school heeft ons opnieuw laten weten dat je vaak niet op school was." in repeat


def test_the_invitation_names_the_day_the_place_and_how_to_change_it():
    text = pdf_text(render("invitation", contact_name="Sanne de Vries").pdf)
    for sentence in ("Uitnodiging voor een gesprek",
                     "Het gesprek is op maandag 14 december 2026 om 10.30 uur.",
                     "Je bent welkom op dit adres: Doorstroompunt Zuid-Holland Zuid, Stationsweg 5, 3311 AB Dordrecht.",
                     "Je praat met Sanne de Vries.",
                     # the working day before the Monday is the Friday
                     "Bel of mail ons dan vóór vrijdag 11 december 2026. Dan maken wij samen een nieuwe afspraak.",
                     "Bel ons op 078 123 45 67.",
                     "Ons kenmerk: Y000123"):
        assert sentence in text


def test_the_invitation_takes_a_named_place_and_change_day():
    text = pdf_text(render("invitation", place="Wijkcentrum De Hoven, Zwijndrecht", change_before=dt.date(2026, 12, 9)).pdf)
    assert "Je bent welkom op dit adres: Wijkcentrum De Hoven, Zwijndrecht." in text
    assert "vóór woensdag 9 december 2026." in text


@pytest.mark.parametrize("template", ["warning", "invitation"])
@pytest.mark.parametrize("event", EVENTS)
def test_a_letter_never_speaks_about_the_model(template, event):
    text = pdf_text(render(template, event=event).pdf).lower()
    found = [pattern for pattern in FORBIDDEN if re.search(pattern, text)]
    assert found == []


def test_the_checks_find_what_they_look_for():
    """The forbidden-word and sentence checks themselves, on a letter with a planted word and on a long sentence."""
    planted = pdf_text(render("warning", contact_name="Team risico en kans, 23%").pdf).lower()
    assert [p for p in FORBIDDEN if re.search(p, planted)] == [r"risico", r"\bkans", r"%"]
    text = "Ons kenmerk: Y1 Hallo, Een twee drie. " + "woord " * 26 + "eind? Kort! Met vriendelijke groet, X"
    assert [words(s) for s in body_sentences(text)] == [3, 27, 1]


@pytest.mark.parametrize("field", ["probability", "risk_category", "reasons", "advised_route", "tier"])
def test_model_content_has_no_field_to_enter_by(field):
    with pytest.raises(ValueError, match=f"Onbekend veld voor een informatiebrief: {field}"):
        render_letter("warning", {**BASE, field: "hoog"}, office=OFFICE)


@pytest.mark.parametrize("template", ["warning", "invitation"])
@pytest.mark.parametrize("event", EVENTS)
def test_plain_language_short_sentences(template, event):
    """B1: on average at most 15 words a sentence, none longer than 25."""
    sentences = body_sentences(pdf_text(render(template, event=event, contact_name="Sanne de Vries").pdf))
    lengths = [words(s) for s in sentences]
    assert len(sentences) >= 10
    assert sum(lengths) / len(lengths) <= 15
    assert max(lengths) <= 25, sentences[lengths.index(max(lengths))]


def test_the_stored_text_is_what_the_pdf_says():
    letter = render("invitation", contact_name="Sanne de Vries")
    text = pdf_text(letter.pdf)
    lines = [line.removeprefix("- ") for line in letter.text.splitlines()]
    assert lines[:3] == ["Doorstroompunt Zuid-Holland Zuid", "Stationsweg 5", "3311 AB Dordrecht"]
    assert [line for line in lines if line not in text] == []


def test_text_from_the_context_is_escaped_not_markup():
    letter = render("invitation", contact_name="<b>Sanne</b> & Co")
    assert "Je praat met <b>Sanne</b> & Co." in pdf_text(letter.pdf)
    assert "Je praat met <b>Sanne</b> & Co." in letter.text


# ------------------------------------------------------------------------------------------------- the PDF itself

def test_the_pdf_carries_title_template_version_and_the_dejavu_font():
    reader = PdfReader(io.BytesIO(render("warning").pdf))
    info = reader.metadata
    assert (info.title, info["/template"], info["/templateversion"]) == ("Je was vaak niet op school", "warning", "v1")
    assert info.author == "Doorstroompunt Zuid-Holland Zuid"
    fonts = {str(font.get_object()["/BaseFont"]).split("+")[-1] for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}  # embedded subsets: "/XKQQSR+DejaVu-Sans"
    assert fonts == {"DejaVu-Sans", "DejaVu-Sans-Bold"}
    assert len(reader.pages) == 1


def test_the_same_context_gives_the_same_pdf():
    assert render("invitation").pdf == render("invitation").pdf


# ------------------------------------------------------------------------------------------------- versions

def test_versions_known_and_the_newest_by_default(tmp_path, monkeypatch):
    assert letters.known_templates() == {"invitation": ("v1",), "warning": ("v1",)}
    copy = tmp_path / "templates"
    shutil.copytree(letters.TEMPLATE_DIR, copy)
    source = (copy / "warning" / "v1.html.j2").read_text(encoding="utf-8")
    for version in ("v2", "v10"):
        (copy / "warning" / f"{version}.html.j2").write_text(
            source.replace("Wat kun je doen?", f"Wat kun je doen ({version})?"), encoding="utf-8")
    monkeypatch.setattr(letters, "TEMPLATE_DIR", copy)
    newest = render("warning")
    assert newest.version == "v10" and "Wat kun je doen (v10)?" in pdf_text(newest.pdf)
    named = render_letter("warning", BASE, version="v2", office=OFFICE)
    assert named.version == "v2" and "Wat kun je doen (v2)?" in pdf_text(named.pdf)
    assert pdf_text(newest.pdf) != pdf_text(render_letter("warning", BASE, version="v1", office=OFFICE).pdf)


def test_an_unknown_template_or_version_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown letter template 'summons'; known: invitation, warning"):
        render_letter("summons", BASE)
    with pytest.raises(ValueError, match=r"unknown version 'v9' of letter template 'warning'; known: v1$"):
        render_letter("warning", BASE, version="v9")


def manifest_lines() -> dict[str, str]:
    lines = (letters.TEMPLATE_DIR / "MANIFEST").read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split(maxsplit=1) for line in lines if line.strip())}


def test_no_shipped_template_file_changes_after_it_is_listed():
    """Every file under letter_templates/ is in the manifest with its SHA-256: an old version cannot be edited
    silently (a new version is a new file and a new line)."""
    shipped = {path.relative_to(letters.TEMPLATE_DIR).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
               for path in letters.TEMPLATE_DIR.rglob("*") if path.is_file() and path.name != "MANIFEST"}
    assert shipped == manifest_lines()
    assert {"warning/v1.html.j2", "invitation/v1.html.j2", "shared/layout-v1.html.j2", "shared/letter-v1.css"} <= set(shipped)


# ------------------------------------------------------------------------------------------------- refused input

@pytest.mark.parametrize("field, value", [
    ("contact_name", BSN), ("place", f"Kamer {BSN}"), ("place", "Kamer 1112.22.333"), ("place", "Kamer 1112 22 333"),
    ("youth_id", BSN)])
def test_a_bsn_in_any_field_is_refused_without_being_repeated(field, value):
    with pytest.raises(ValueError) as refused:
        render_letter("invitation", {**BASE, **MEETING, field: value}, office=OFFICE)
    message = str(refused.value)
    assert f"Het veld '{field}' bevat een nummer dat op een burgerservicenummer (BSN) lijkt." in message
    assert re.sub(r"\D", "", message) == ""  # no digit of it, in any grouping


def test_nine_digits_that_are_no_bsn_and_a_phone_number_are_accepted():
    letter = render("invitation", place="Postbus 123456789, tel. 078 123 45 67")  # 123456789 fails the 11-test
    assert "Postbus 123456789, tel. 078 123 45 67." in pdf_text(letter.pdf)


@pytest.mark.parametrize("context, message", [
    ({"youth_id": "Y1", "date": LETTER_DAY}, r"Vul in voor een informatiebrief: event\."),
    ({**BASE, "event": "stock"}, r"Onbekende gebeurtenis voor een brief; bekend: report_first, report_repeat, new_leaver"),
    ({**BASE, "date": "2026-12-07"}, r"Het veld 'date' moet een datum zijn\."),
    ({**BASE, "date": dt.datetime(2026, 12, 7, 9)}, r"Het veld 'date' moet een datum zijn\."),
    ({**BASE, "youth_id": "Y 1"}, r"pseudoniem nummer"),
    ({**BASE, "contact_name": "x" * 201}, r"ten hoogste 200 tekens"),
    ({**BASE, "contact_name": "a\nb"}, r"één regel"),
])
def test_a_wrong_context_is_refused_in_dutch(context, message):
    with pytest.raises(ValueError, match=message):
        render_letter("warning", context, office=OFFICE)


def test_an_invitation_needs_a_conversation_after_the_letter():
    with pytest.raises(ValueError, match="Vul in voor een uitnodiging voor een gesprek: meeting_at"):
        render_letter("invitation", BASE)
    with pytest.raises(ValueError, match="Het gesprek moet na de datum van de brief zijn"):
        render_letter("invitation", {**BASE, "meeting_at": dt.datetime(2026, 12, 7, 15)})
    with pytest.raises(ValueError, match="tussen de datum van de brief en het gesprek"):
        render_letter("invitation", {**BASE, **MEETING, "change_before": dt.date(2026, 12, 15)})


def test_the_change_day_is_never_before_the_letter():
    """A conversation on the Tuesday after a Monday letter: call before the letter's own Monday, not the Friday."""
    text = pdf_text(render("invitation", meeting_at=dt.datetime(2026, 12, 8, 9, 0)).pdf)
    assert "om 9.00 uur." in text and "vóór maandag 7 december 2026." in text


def test_the_office_is_read_from_the_region_file(tmp_path):
    region = tmp_path / "region.toml"
    region.write_text('[office]\nphone = "0180 99 88 77"\nemail = "hallo@regio.example"\n', encoding="utf-8")
    office = OfficeSettings.from_toml(region)
    assert office == dataclasses.replace(OfficeSettings(), phone="0180 99 88 77", email="hallo@regio.example")
    assert "Bel ons op 0180 99 88 77." in pdf_text(render_letter("warning", BASE, office=office).pdf)
    assert OfficeSettings.from_toml(None) == OfficeSettings()
    region.write_text('[office]\nfax = "1"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown \[office\] setting\(s\): fax; known: email, hours, name"):
        OfficeSettings.from_toml(region)


# ------------------------------------------------------------------------------------------------- stored with the case

@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'letters.db'}")
    else:
        engine = create_engine(request.getfixturevalue("postgres_url"))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def insert_case(engine, youth_id: str = "Y000123") -> int:
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    with engine.begin() as connection:
        return connection.execute(cases_table.insert().values(
            youth_id=youth_id, opened_on=LETTER_DAY, first_kind="report_first", last_kind="report_first",
            last_event_on=LETTER_DAY, events=1, deadline=dt.date(2026, 12, 14), status="new", probability=0.5,
            risk_category="midden", tier="medium", advised_route="letter", advice_why="-", escalation=0,
            model_version="1", model_fingerprint="f", created_at=now, updated_at=now)).inserted_primary_key[0]


def rows(engine, table) -> list:
    with engine.connect() as connection:
        return connection.execute(sa.select(table).order_by(table.c.id)).all()


def test_a_letter_is_stored_with_its_version_and_a_case_record(engine):
    case_id = insert_case(engine)
    letter = render("invitation")
    letter_id = store_letter(engine, case_id, "Y000123", "officer-1", letter)
    [stored] = rows(engine, letters_table)
    assert (stored.id, stored.case_id, stored.youth_id, stored.officer) == (letter_id, case_id, "Y000123", "officer-1")
    assert (stored.template, stored.template_version, bytes(stored.pdf), stored.text) == (
        "invitation", "v1", letter.pdf, letter.text)
    [record] = rows(engine, case_records_table)
    assert (record.case_id, record.action, record.letter_id, record.officer) == (case_id, "letter", letter_id, "officer-1")
    assert record.why == "uitnodiging voor een gesprek (invitation v1)"
    assert letter_pdf(engine, letter_id) == (letter.pdf, "invitation", "v1")


def test_nothing_is_stored_when_the_case_record_fails(engine):
    case_id = insert_case(engine)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("CREATE TRIGGER refuse_records BEFORE INSERT ON case_records "
                                       "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            connection.exec_driver_sql("CREATE OR REPLACE FUNCTION refuse_records() RETURNS trigger LANGUAGE plpgsql "
                                       "AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            connection.exec_driver_sql("CREATE TRIGGER refuse_records BEFORE INSERT ON case_records "
                                       "FOR EACH ROW EXECUTE FUNCTION refuse_records()")
    with pytest.raises(sa.exc.DBAPIError, match="refused"):
        store_letter(engine, case_id, "Y000123", "officer-1", render("warning"))
    assert rows(engine, letters_table) == [] and rows(engine, case_records_table) == []


def test_a_letter_is_stored_only_with_its_own_youths_case(engine):
    case_id = insert_case(engine, youth_id="Y000999")
    letter = render("warning")
    with pytest.raises(ValueError, match=f"case {case_id} belongs to another youth than the letter's"):
        store_letter(engine, case_id, "Y000123", "officer-1", letter)
    with pytest.raises(ValueError, match="the letter's reference \\(ons kenmerk\\) is not this youth's id"):
        store_letter(engine, case_id, "Y000999", "officer-1", letter)
    with pytest.raises(ValueError, match="case 999 does not exist"):
        store_letter(engine, 999, "Y000123", "officer-1", letter)
    with pytest.raises(ValueError, match="unknown version 'v7'"):
        store_letter(engine, case_id, "Y000999", "officer-1", dataclasses.replace(letter, version="v7"))
    with pytest.raises(ValueError, match="officer must name the officer") as refused:
        store_letter(engine, case_id, "Y000999", BSN, letter)
    assert BSN not in str(refused.value)
    assert rows(engine, letters_table) == [] and rows(engine, case_records_table) == []
    with pytest.raises(LookupError, match="letter 1 does not exist"):
        letter_pdf(engine, 1)


def test_a_rendered_letter_is_a_plain_value():
    assert [f.name for f in dataclasses.fields(RenderedLetter)] == ["template", "version", "pdf", "text"]
