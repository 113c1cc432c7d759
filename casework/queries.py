"""What the inbox and the case page read: one query per page (and per part of a case), never one per row.

The inbox's order is the deadline, then the probability (highest first), then the case number; its filters are
the case's columns, indexed (`casework.tables`). The search takes the start of a youth id or of a report number.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from casework.model import CLOSED, STATUSES, CaseworkRules
from casework.projection import CaseNotFound, CaseRefused
from casework.tables import case_events_table, case_records_table, cases_table, letters_table
from features.office_events import EVENT_KINDS
from vsv_model.contract import is_bsn
from vsv_model.policy import RISK_CATEGORIES, ROUTES

UNASSIGNED = "unassigned"  # the officer filter for cases without an officer
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
CONVERSATION, MATCHMAKER = ROUTES["medium"].code, ROUTES["high"].code
INBOX_COLUMNS = ("id", "youth_id", "status", "officer", "first_kind", "last_kind", "events", "opened_on",
                 "last_event_on", "last_report_id", "deadline", "probability", "risk_category", "advised_route",
                 "escalation", "chosen_route", "follow_up_on", "municipality", "randomised", "draw_refused")


@dataclass(frozen=True)
class InboxQuery:
    status: str | None = None         # a status; default every open status
    officer: str | None = None        # an officer's name, or UNASSIGNED
    kind: str | None = None           # the kind of the case's latest event
    risk_category: str | None = None
    municipality: str | None = None
    overdue: bool = False
    search: str | None = None         # the start of a youth id or of a report number, any case
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class InboxRow:
    case_id: int
    youth_id: str
    status: str
    officer: str | None
    first_kind: str
    last_kind: str
    events: int
    opened_on: dt.date
    last_event_on: dt.date
    last_report_id: str | None
    deadline: dt.date
    overdue: bool
    probability: float
    risk_category: str
    advised_route: str
    escalation: int
    chosen_route: str | None
    follow_up_on: dt.date | None
    municipality: str | None
    randomised: bool | None = None    # the advice was drawn by lot
    draw_refused: bool | None = None


@dataclass
class InboxPage:
    rows: list[InboxRow]
    total: int          # cases matching the query
    page: int
    pages: int
    page_size: int
    open_cases: int     # over every open case, whatever the filter: the inbox's header
    unassigned: int
    overdue: int


@dataclass
class CaseView:
    case: dict                  # the case's row, with `overdue`
    events: list[dict]          # oldest first, each with its score, advice and reasons (a list of Dutch sentences)
    records: list[dict]         # oldest first; `corrected_by` lists the corrections of each, `in_force` is False
                                # for a record a later correction replaced
    letters: list[dict]         # id, template, template_version, rendered_at, officer
    earlier_cases: list[dict]   # the youth's cases opened before this one, newest first


@dataclass
class Capacity:
    week_start: dt.date
    week_end: dt.date
    conversations: int                 # this week's cases whose chosen (else advised) route is a conversation
    conversations_per_week: int
    month_start: dt.date
    month_end: dt.date
    matchmaker: int                    # this month's cases whose chosen (else advised) route is the matchmaker
    matchmaker_places_per_month: int
    conversations_beyond: list[int] = field(default_factory=list)  # open undecided cases the places do not hold
    matchmaker_beyond: list[int] = field(default_factory=list)


def query_problems(query: InboxQuery) -> list[str]:
    """Filters the inbox does not know, and a search for a BSN (never repeated)."""
    problems = []
    for value, known, name in ((query.status, STATUSES, "status"), (query.kind, EVENT_KINDS, "soort melding"),
                               (query.risk_category, RISK_CATEGORIES, "risicocategorie")):
        if value is not None and value not in known:
            problems.append(f"Onbekende {name}.")
    if query.search and is_bsn(query.search.strip()):
        problems.append("Zoek op het pseudoniem van de jongere of op het meldingsnummer, nooit op een BSN.")
    return problems


def inbox_conditions(query: InboxQuery, today: dt.date) -> list:
    c = cases_table.c
    conditions = [c.status == query.status] if query.status else [c.status != CLOSED]
    if query.officer == UNASSIGNED:
        conditions.append(c.officer.is_(None))
    elif query.officer:
        conditions.append(c.officer == query.officer)
    for column, value in ((c.last_kind, query.kind), (c.risk_category, query.risk_category),
                          (c.municipality, query.municipality)):
        if value:
            conditions.append(column == value)
    if query.overdue:
        conditions += [c.deadline < today, c.status != CLOSED]
    if query.search and query.search.strip():
        conditions.append(search_condition(query.search.strip()))
    return conditions


def search_condition(text: str):
    """A youth id or a report number starting with `text`, in any case (LIKE's wildcards in `text` are literal)."""
    escaped = text.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    events = case_events_table.c
    reports = sa.select(events.case_id).where(sa.func.upper(events.report_id).like(escaped, escape="\\"))
    return sa.or_(sa.func.upper(cases_table.c.youth_id).like(escaped, escape="\\"), cases_table.c.id.in_(reports))


def read_inbox(connection: Connection, query: InboxQuery, today: dt.date) -> InboxPage:
    problems = query_problems(query)
    if problems:
        raise CaseRefused(problems)
    conditions = inbox_conditions(query, today)
    c = cases_table.c
    total = connection.execute(sa.select(sa.func.count()).select_from(cases_table).where(*conditions)).scalar_one()
    size = min(max(1, query.page_size), MAX_PAGE_SIZE)
    pages = max(1, math.ceil(total / size))
    page = min(max(1, query.page), pages)
    selected = (sa.select(*(c[name] for name in INBOX_COLUMNS)).where(*conditions)
                .order_by(c.deadline, c.probability.desc(), c.id).limit(size).offset((page - 1) * size))
    rows = [inbox_row(row, today) for row in connection.execute(selected).mappings()]
    open_cases, unassigned, overdue = inbox_header(connection, today)
    return InboxPage(rows, total, page, pages, size, open_cases, unassigned, overdue)


def inbox_row(row, today: dt.date) -> InboxRow:
    values = {name: row[name] for name in INBOX_COLUMNS if name != "id"}
    return InboxRow(case_id=row["id"], overdue=row["deadline"] < today and row["status"] != CLOSED, **values)


def inbox_header(connection: Connection, today: dt.date) -> tuple[int, int, int]:
    """Open cases, of which unassigned, and overdue (deadline before today)."""
    c = cases_table.c
    counted = sa.select(sa.func.count(), sa.func.count(sa.case((c.officer.is_(None), 1))),
                        sa.func.count(sa.case((c.deadline < today, 1)))).where(c.status != CLOSED)
    open_cases, unassigned, overdue = connection.execute(counted).one()
    return int(open_cases), int(unassigned), int(overdue)


def read_case(connection: Connection, case_id: int, today: dt.date) -> CaseView:
    case = connection.execute(sa.select(cases_table).where(cases_table.c.id == case_id)).mappings().first()
    if case is None:
        raise CaseNotFound(["Deze zaak bestaat niet (meer)."])
    case = dict(case) | {"overdue": case["deadline"] < today and case["status"] != CLOSED}
    events = [dict(e) | {"reasons": json.loads(e["reasons"])} for e in connection.execute(
        sa.select(case_events_table).where(case_events_table.c.case_id == case_id)
        .order_by(case_events_table.c.event_date, case_events_table.c.id)).mappings()]
    return CaseView(case, events, case_records(connection, case_id), case_letters(connection, case_id),
                    earlier_cases(connection, case))


def case_records(connection: Connection, case_id: int) -> list[dict]:
    """The case's records oldest first, each with the ids of its corrections and whether it is still in force."""
    records = [dict(r) for r in connection.execute(sa.select(case_records_table).where(
        case_records_table.c.case_id == case_id).order_by(case_records_table.c.id)).mappings()]
    corrections: dict[int, list[int]] = {}
    for record in records:
        if record["corrects"] is not None:
            corrections.setdefault(record["corrects"], []).append(record["id"])
    return [r | {"corrected_by": corrections.get(r["id"], []), "in_force": r["id"] not in corrections}
            for r in records]


def case_letters(connection: Connection, case_id: int) -> list[dict]:
    t = letters_table.c
    query = (sa.select(t.id, t.template, t.template_version, t.rendered_at, t.officer)
             .where(t.case_id == case_id).order_by(t.id))
    return [dict(r) for r in connection.execute(query).mappings()]


def earlier_cases(connection: Connection, case: dict) -> list[dict]:
    c = cases_table.c
    earlier = sa.or_(c.opened_on < case["opened_on"], sa.and_(c.opened_on == case["opened_on"], c.id < case["id"]))
    query = (sa.select(c.id, c.opened_on, c.first_kind, c.events, c.status, c.advised_route, c.chosen_route, c.outcome,
                       c.closed_on).where(c.youth_id == case["youth_id"], c.id != case["id"], earlier)
             .order_by(c.opened_on.desc(), c.id.desc()))
    return [dict(r) for r in connection.execute(query).mappings()]


def week_of(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today - dt.timedelta(days=today.weekday())
    return start, start + dt.timedelta(days=6)


def month_of(today: dt.date) -> tuple[dt.date, dt.date]:
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


def read_capacity(connection: Connection, today: dt.date, rules: CaseworkRules) -> Capacity:
    """The ISO week's conversations and the month's matchmaker places against the region's places. A case counts in
    the week (month) of its decision, or of its opening while undecided; its route is the chosen one, else the
    advised one. Decided cases hold their places first; the open undecided ones fill the rest in the inbox's
    order, and those left over are the cases beyond the places."""
    week, month = week_of(today), month_of(today)
    cases = counted_cases(connection, min(week[0], month[0]), max(week[1], month[1]))
    conversations = cases[(cases["route"] == CONVERSATION) & cases["day"].between(*week)]
    matchmaker = cases[(cases["route"] == MATCHMAKER) & cases["day"].between(*month)]
    return Capacity(week[0], week[1], len(conversations), rules.conversations_per_week, month[0], month[1],
                    len(matchmaker), rules.matchmaker_places_per_month,
                    beyond(conversations, rules.conversations_per_week), beyond(matchmaker, rules.matchmaker_places_per_month))


def counted_cases(connection: Connection, first: dt.date, last: dt.date) -> pd.DataFrame:
    """The cases whose route (chosen, else advised) is a conversation or the matchmaker, counted on a day from
    `first` to `last`: their decision's day, else their opening day."""
    c = cases_table.c
    route = sa.func.coalesce(c.chosen_route, c.advised_route)
    day = sa.func.coalesce(c.decided_on, c.opened_on)
    query = (sa.select(c.id, c.status, c.chosen_route, c.deadline, c.probability, route.label("route"), day.label("day"))
             .where(route.in_((CONVERSATION, MATCHMAKER)), day >= first, day <= last))
    frame = pd.DataFrame(connection.execute(query).mappings().all(),
                         columns=["id", "status", "chosen_route", "deadline", "probability", "route", "day"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def beyond(cases: pd.DataFrame, places: int) -> list[int]:
    """The open undecided cases the places left after the decided ones do not hold, in the inbox's order."""
    left = max(0, places - int(cases["chosen_route"].notna().sum()))
    waiting = cases[cases["chosen_route"].isna() & (cases["status"] != CLOSED)]
    waiting = waiting.sort_values(["deadline", "probability", "id"], ascending=[True, False, True], kind="stable")
    return [int(i) for i in waiting["id"].iloc[left:]]
