"""Absence and its reports: emissions of the state, drawn month by month, that never change it.

Each pupil enrolled at a month's start may miss school that month: more with the hidden traits (poor
health, low motivation, a hard home situation) and a life event, at some schools, in some places
(`ABSENCE_FACTOR` by residence, tuned to the region's relative absence), and at school weeks only (none
in the summer holiday, far less in the COVID-19 closures). The school then reports under the rules:

- `16uur`: 16 hours or more in the month of a pupil under 18 (mandatory, most reported);
- `overig`: less, reported with concern (about half), or an 18+ pupil of a vo school;
- `18plus`: an mbo school's report of its 18+ student (consistently only from 2017/18);
- `luxe`: an unauthorised holiday around the holidays, mostly under 16 hours;
- `te_laat`: lateness, reported at 9 times late; mostly without hours.

Absence comes in spells: after a month with absence, 70% of pupils stay in a spell, in which the next
month brings absence with probability 0.45 (times its school weeks), so a case holds one report or
several. A report is made with the school's propensity (some schools markedly under-report). A fifth of
the reports are late: dated the next month, when the pupil is still at the same school (else lost).

Hours never exceed what school offers: a report covers at most its month's school hours, and the
reports dated in one calendar month hold at most `MONTH_CAP` hours (two school weeks: 52 full-time,
16 in BBL). Any 4 weeks span at most two calendar months, so a youth's reports in any 4, 13 or 52
weeks hold at most 4, 13 or 39 school weeks' hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_synthetic.calendar import SCHOOL_WEEKS, EmissionsAt, day_in_month, month_of_year, school_hours
from data_synthetic.state import HEALTH, HOME, MOTIVATION, trait_bit
from vsv_model.contract import ABSENCE_KINDS, EDUCATION_TYPES

# The residence's absence factor: first the published relative absence over the region's, then tuned at 1:1 on
# the mean of ten school years (2014/15–2018/19, 2021/22–2025/26) over three seeds (2, 3, 4), so each
# municipality's relative absence matches its published figure (one school year of a small municipality
# varies about 15% around it: a few dozen reporting pupils).
ABSENCE_FACTOR = {"Dordrecht": 1.474, "Hoeksche Waard": 0.729, "Molenlanden": 0.632, "Zwijndrecht": 1.079,
                  "Gorinchem": 1.086, "Hendrik-Ido-Ambacht": 0.603, "Papendrecht": 1.104, "Sliedrecht": 1.149,
                  "Alblasserdam": 0.813, "Hardinxveld-Giessendam": 0.535}
K = {name: code for code, name in enumerate(ABSENCE_KINDS)}
MONTH_CAP = {"full_time": 52.0, "bbl": 16.0}
REPORTS_FROM = (2012 - 1970) * 12 + 7  # August 2012: the export holds absence reports from school year 2012/13 on
PRIMARY, SECONDARY, VOCATIONAL = 0, 1, 2
SECTOR_OF_TYPE = np.array([PRIMARY if t in ("po", "so") else VOCATIONAL if t.startswith("mbo") or t == "vavo"
                           else SECONDARY for t in EDUCATION_TYPES])
EPISODE_BASE = np.array([0.00055, 0.0029, 0.0092])  # monthly, per 4.3 school weeks, before the factors
LATE_BASE = np.array([0.00015, 0.0013, 0.0036])
LUXE_BASE = 0.0007
LUXE_MONTHS = np.zeros(13, bool)
LUXE_MONTHS[[2, 5, 6, 7, 10, 12]] = True
TRAIT_WEIGHTS = {HOME: 0.55, HEALTH: 0.45, MOTIVATION: 0.8}
EVENT_WEIGHT = 1.1
LATE_SHARE = 0.2
SPELL_CHANCE, SPELL_KEEP = 0.7, 0.85  # absence goes on: next month's chance of absence while a spell lasts
REPORTED = {"16uur": 0.9, "overig": 0.45, "vo_adult": 0.3, "luxe": 0.8, "te_laat": 0.8}


@dataclass
class Pupils:
    """The pupils enrolled at a month's start and what their absence depends on."""

    youth: np.ndarray
    edu: np.ndarray  # education type code
    bbl: np.ndarray
    school: np.ndarray
    serial: np.ndarray
    factors: dict  # per pupil: the constant parts of the rates (see `youth_factors`)
    event: np.ndarray
    adult: np.ndarray  # 18 for the whole month (from the month after the 18th birthday's month)
    propensity: np.ndarray  # the school's reporting propensity (harms and shifts included)
    spell: np.ndarray  # absent last month, and the absence goes on (a case lasts months)
    last_day: np.ndarray  # the last day a report may carry (the day before the enrolment ended, or the month's last)


def youth_factors(traits: np.ndarray, proneness: np.ndarray, place_factor: np.ndarray) -> dict[str, np.ndarray]:
    """Per youth, once: what the hidden traits, the proneness and the place do to each kind of absence."""
    low_motivation = trait_bit(traits, MOTIVATION)
    hidden = sum(w * trait_bit(traits, bit) for bit, w in TRAIT_WEIGHTS.items())
    return {"episode": np.exp(hidden) * proneness * place_factor,
            "late": np.exp(0.9 * low_motivation) * np.sqrt(proneness) * place_factor,
            "luxe": np.exp(0.3 * low_motivation) * place_factor, "low_motivation": low_motivation}


@dataclass
class Pending:
    """Late reports waiting to be dated next month, with the enrolment they belong to."""

    youth: np.ndarray
    serial: np.ndarray
    school: np.ndarray
    kind: np.ndarray
    hours: np.ndarray

    @classmethod
    def none(cls) -> Pending:
        return cls(*(np.zeros(0, dtype) for dtype in (np.int64, np.int64, np.int32, np.int8, float)))


def intensity(pupils: Pupils, month: int, cal: EmissionsAt, school_climate: np.ndarray) -> np.ndarray:
    """The monthly probability of an absence episode (school weeks only; the closures cut it)."""
    sector = SECTOR_OF_TYPE[pupils.edu]
    closure = np.array([cal.absence_primary, cal.absence_secondary, cal.absence_mbo])[sector]
    event = np.where(pupils.event == 1, np.exp(EVENT_WEIGHT), 1.0)
    rate = EPISODE_BASE[sector] * pupils.factors["episode"] * event * school_climate[pupils.school]
    weeks = SCHOOL_WEEKS[month_of_year(month)] / 4.3
    fresh = 1.0 - np.exp(-rate * weeks * closure * cal.absence_level)
    going_on = np.minimum(SPELL_CHANCE * weeks, 1.0) * closure  # the absence_level shift acts on new absence
    return np.where(pupils.spell, np.maximum(fresh, going_on), fresh)


def month_budget(pupils: Pupils, month: int) -> np.ndarray:
    """The hours one report may cover: the month's school hours, within the monthly cap."""
    cap = np.where(pupils.bbl, MONTH_CAP["bbl"], MONTH_CAP["full_time"])
    return np.minimum(cap, school_hours(month, pupils.bbl))


def episode_reports(rng, pupils: Pupils, month: int, cal: EmissionsAt, climate: np.ndarray):
    """Absence episodes and the report each gets (kind, hours), or none when the school does not report; and
    the rows whose absence goes on next month."""
    hit = np.flatnonzero(rng.random(len(pupils.youth)) < intensity(pupils, month, cal, climate))
    u = rng.random((4, len(hit)))
    budget = month_budget(_take(pupils, hit), month)
    severe = pupils.event[hit] + pupils.factors["low_motivation"][hit]
    hours = np.ceil(budget * np.clip(0.1 + 0.55 * u[0] ** 1.4 + 0.2 * severe * u[0], 0, 1))
    adult, vocational = pupils.adult[hit], SECTOR_OF_TYPE[pupils.edu[hit]] == VOCATIONAL
    kind = np.select([adult & vocational, adult, hours >= 16], [K["18plus"], K["overig"], K["16uur"]], K["overig"])
    chance = np.select([adult & vocational, adult, hours >= 16],
                       [cal.mbo_18plus_report, REPORTED["vo_adult"], REPORTED["16uur"]], REPORTED["overig"])
    made = u[1] < chance * pupils.propensity[hit]
    return (hit[made], kind[made], hours[made], u[2][made]), hit[u[3] < SPELL_KEEP]


def side_reports(rng, pupils: Pupils, month: int, cal: EmissionsAt):
    """Lateness (at 9 times late; mostly without hours) and unauthorised holidays around the holidays."""
    n = len(pupils.youth)
    sector = SECTOR_OF_TYPE[pupils.edu]
    late_rate = LATE_BASE[sector] * pupils.factors["late"] * np.where(pupils.event == 1, np.exp(0.6), 1.0)
    weeks = SCHOOL_WEEKS[month_of_year(month)] / 4.3 * min(cal.absence_primary, cal.absence_secondary)
    late = np.flatnonzero(rng.random(n) < late_rate * weeks * pupils.propensity * REPORTED["te_laat"])
    u_late = rng.random((2, len(late)))
    late_hours = np.where(u_late[0] < 0.2, np.floor(1 + 3 * u_late[1]), np.nan)
    luxe_rate = LUXE_BASE * LUXE_MONTHS[month_of_year(month)] * pupils.factors["luxe"]
    luxe = np.flatnonzero((rng.random(n) < luxe_rate * pupils.propensity * REPORTED["luxe"]) & ~pupils.adult)
    luxe_hours = np.floor(4 + 20 * rng.random(len(luxe)) ** 1.5)
    return (late, np.full(len(late), K["te_laat"]), late_hours), (luxe, np.full(len(luxe), K["luxe"]), luxe_hours)


def _take(pupils: Pupils, rows: np.ndarray) -> Pupils:
    taken = {name: values[rows] for name, values in vars(pupils).items() if name != "factors"}
    return Pupils(**taken, factors={name: values[rows] for name, values in pupils.factors.items()})


@dataclass
class Candidates:
    """Reports drawn this month, before the hours budget and the dating: pupil row, kind, hours."""

    row: np.ndarray
    kind: np.ndarray
    hours: np.ndarray
    u_late: np.ndarray


def draw_candidates(rng, pupils: Pupils, month: int, cal: EmissionsAt, climate: np.ndarray):
    """Per kind of report at most one a pupil: the episode's report, an unauthorised holiday, lateness; and the
    rows whose absence goes on next month."""
    episodes, going_on = episode_reports(rng, pupils, month, cal, climate)
    late, luxe = side_reports(rng, pupils, month, cal)
    return [Candidates(*episodes), Candidates(*luxe, rng.random(len(luxe[0]))),
            Candidates(*late, rng.random(len(late[0])))], going_on


def fit_budgets(pupils: Pupils, month: int, candidates: list[Candidates], reserved: np.ndarray):
    """Hours within each pupil's monthly caps, in the order given; late reports count in next month's cap.

    `reserved`: hours of last month's late reports dated this month, per pupil row. Returns per candidate
    list (kept mask, hours, deferred mask) and the hours reserved in next month's cap."""
    cap = np.where(pupils.bbl, MONTH_CAP["bbl"], MONTH_CAP["full_time"])
    left_now, left_next = cap - reserved, cap.copy()
    budget = month_budget(pupils, month)
    fitted = []
    for c in candidates:
        deferred = c.u_late < LATE_SHARE
        left = np.where(deferred, left_next[c.row], left_now[c.row])
        hours = np.minimum(np.minimum(c.hours, budget[c.row]), left)  # NaN stays NaN
        minimum = np.where(c.kind == K["16uur"], 16.0, 1.0)
        kept = np.isnan(hours) | (hours >= minimum)
        spent = np.where(kept, np.nan_to_num(hours), 0.0)
        left_next[c.row[deferred]] -= spent[deferred]  # one report of a kind per pupil: rows are unique
        left_now[c.row[~deferred]] -= spent[~deferred]
        fitted.append((kept, hours, deferred))
    return fitted, cap - left_next


def date_reports(rng, pupils: Pupils, month: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Report days uniform on 2 .. the pupil's last day this month; False where no such day exists."""
    last = pupils.last_day[rows]
    first = int(day_in_month(np.zeros(1), month)[0])  # day 2 of the month
    ok = last >= first
    span = np.maximum(last - first + 1, 1)
    return first + np.floor(rng.random(len(rows)) * span).astype(np.int64), ok


def emit_month(rng, pupils: Pupils, pending: Pending, month: int, cal: EmissionsAt, climate: np.ndarray,
               row_of_youth: np.ndarray) -> tuple[dict, Pending, np.ndarray]:
    """This month's reports (youth, day, school, kind, hours), the late ones left for next month, and the youths
    whose absence goes on next month."""
    held = pending_rows(pupils, pending, row_of_youth)
    valid = held >= 0
    reserved = np.bincount(held[valid], weights=np.nan_to_num(pending.hours[valid]), minlength=len(pupils.youth))
    candidates, going_on = draw_candidates(rng, pupils, month, cal, climate)
    fitted, _ = fit_budgets(pupils, month, candidates, reserved)
    now = [k & ~d for k, _, d in fitted]
    rows = np.concatenate([held[valid]] + [c.row[m] for c, m in zip(candidates, now)])
    kinds = np.concatenate([pending.kind[valid]] + [c.kind[m] for c, m in zip(candidates, now)])
    hours = np.concatenate([pending.hours[valid]] + [h[m] for (_, h, _), m in zip(fitted, now)])
    day, ok = date_reports(rng, pupils, month, rows)
    reports = {"youth": pupils.youth[rows][ok], "day": day[ok], "school": pupils.school[rows][ok],
               "kind": kinds[ok], "hours": hours[ok]}
    late = [(c.row[k & d], c.kind[k & d], h[k & d]) for c, (k, h, d) in zip(candidates, fitted)]
    late_rows = np.concatenate([r for r, _, _ in late])
    pending = Pending(pupils.youth[late_rows], pupils.serial[late_rows], pupils.school[late_rows],
                      np.concatenate([k for _, k, _ in late]), np.concatenate([h for _, _, h in late]))
    return reports, pending, pupils.youth[going_on]


def pending_rows(pupils: Pupils, pending: Pending, row_of_youth: np.ndarray) -> np.ndarray:
    """The pupil row of each late report whose enrolment still runs (-1 where the report is lost)."""
    rows = row_of_youth[pending.youth]
    same = (rows >= 0) & (pupils.serial[np.maximum(rows, 0)] == pending.serial)
    return np.where(same, rows, -1)
