"""The case's words: statuses and their order, outcome categories, the routes' escalation, the regional settings.

One owner for these names: the store, the pages, the letters, retention and the CLI import them from here.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from vsv_model.policy import EVENT_CAPACITY, ROUTES
from vsv_model.route_draws import DrawRules

# The method's statuses, in order (MAS: signal -> investigate -> plan -> act -> evaluate).
NEW, IN_PROGRESS, CONTACT_MADE, ROUTE_CHOSEN, TRAJECTORY, CLOSED = (
    "new", "in_progress", "contact_made", "route_chosen", "trajectory", "closed")
STATUSES = (NEW, IN_PROGRESS, CONTACT_MADE, ROUTE_CHOSEN, TRAJECTORY, CLOSED)
OPEN_STATUSES = STATUSES[:-1]
STATUS_LABELS_NL = {NEW: "nieuw", IN_PROGRESS: "in behandeling", CONTACT_MADE: "contact gelegd",
                    ROUTE_CHOSEN: "route gekozen", TRAJECTORY: "traject loopt", CLOSED: "afgesloten"}

# The published outcome categories at closing; closing requires one.
OUTCOMES = ("back_in_school", "back_in_secondary", "work", "work_with_learning", "moved_away", "no_contact", "other")
OUTCOME_LABELS_NL = {"back_in_school": "terug naar school (mbo)", "back_in_secondary": "terug naar het voortgezet onderwijs",
                     "work": "werk", "work_with_learning": "werk met leren", "moved_away": "verhuisd",
                     "no_contact": "geen contact", "other": "anders"}

# Repeat reports escalate: letter -> conversation -> matchmaker (the routes' codes, lightest first).
ESCALATION = (ROUTES["low"].code, ROUTES["medium"].code, ROUTES["high"].code)

# What a case's history records (one append-only row each).
ACTIONS = ("opened", "event", "escalated", "status", "assigned", "decision", "follow_up", "note", "letter", "correction",
           "refusal")
ACTION_LABELS_NL = {"opened": "zaak geopend", "event": "nieuwe melding", "escalated": "nieuwe melding, advies zwaarder",
                    "status": "status", "assigned": "toegewezen", "decision": "besluit", "follow_up": "vervolgdatum",
                    "note": "notitie", "letter": "brief gemaakt", "correction": "correctie",
                    "refusal": "loting geweigerd"}

# Which advice was in force when a case got its advice: the tier policy (risk group) or, once a route policy is
# promoted, the estimated benefit. Stored on every case and event.
TIER_POLICY, BENEFIT_POLICY = "tier", "benefit"
POLICIES = (TIER_POLICY, BENEFIT_POLICY)

# The youth's state at a fixed horizon after the event, from later registrations.
HORIZONS_DAYS = (30, 90, 365)
HORIZON_STATES = ("startkwalificatie", "enrolled", "neither")


@dataclass(frozen=True)
class CaseworkRules:
    """The region's settings for the work queue (`[casework]` in the region's TOML file). There is no statutory
    reaction deadline for this office: every term is a regional agreement."""

    deadline_working_days: dict[str, int] = field(default_factory=lambda: {
        "report_first": 5, "report_repeat": 3, "new_leaver": 10})
    repeat_days: int = 91                 # a report within this many days of the case's last report is a repeat
    retention_years: int = 2              # after the youth leaves the target group (the max-age birthday)
    conversations_per_week: int = EVENT_CAPACITY["conversations_per_week"]
    matchmaker_places_per_month: int = EVENT_CAPACITY["matchmaker_places_per_month"]
    random_share: float = 0.10            # of the borderline new cases, the share that gets a route drawn by lot
    random_band: float = 0.05             # borderline: within this many probability points of a tier cut-off
    draw_salt: str = ""                   # the region's salt of the draws (`vsv_model.route_draws.uniform_of`)

    def __post_init__(self):
        self.draw_rules()  # refuses a share or band out of range, by name

    def draw_rules(self) -> DrawRules:
        """The randomised share's settings, checked (`vsv_model.route_draws`)."""
        return DrawRules(share=float(self.random_share), band=float(self.random_band))

    @classmethod
    def from_toml(cls, path: Path | None) -> CaseworkRules:
        """The `[casework]` table of a region file (and the events' places from `[tiers]`); defaults without one.
        An unknown key is refused by name."""
        if path is None:
            return cls()
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        values = dict(data.get("casework", {}))
        tiers = data.get("tiers", {})
        for key in ("conversations_per_week", "matchmaker_places_per_month"):
            if key in tiers and key not in values:
                values[key] = tiers[key]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown [casework] setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if "deadline_working_days" in values:
            values["deadline_working_days"] = {**cls().deadline_working_days, **values["deadline_working_days"]}
        return cls(**values)


def escalate(route: str, steps: int = 1) -> str:
    """The route `steps` heavier on the ladder letter -> conversation -> matchmaker (the heaviest stays)."""
    position = ESCALATION.index(route) if route in ESCALATION else 0
    return ESCALATION[min(position + steps, len(ESCALATION) - 1)]


def add_working_days(day: dt.date, days: int) -> dt.date:
    """`days` working days (Monday to Friday) after `day`."""
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day
