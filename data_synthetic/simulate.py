"""The forward simulation: every youth of the region, month by month, from primary school to the data's end.

Each month, in this order: the reference date's truth is read (October: the state at the month's
start), and so is the state of the youths the office may meet this month (`EventStates`, kept after the
month's reports for those it does meet); the chain moves (`kernels.life_event_outcomes`, then
`kernels.career_groups`) and writes the records its outcomes imply, primary school starts (the August after
the 4th birthday) and secondary school starts (eight years later, `kernels.entry_outcomes`), then the
emissions: school switches within a level, absence and its reports. Loops run over months and over a handful of
groups; everything inside is vectorised over youths.

The state draws use their own random stream, apart from the records' stream (days, schools, switches)
and absence's, so an emission never changes what happens next, and an injected absence or reporting
shift leaves every career and every enrolment as it was. Nothing is written from an outcome: the
records after a date are made by the same forward steps as those before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from data_synthetic import absence
from data_synthetic import office as office_world
from data_synthetic.calendar import AUGUST, JULY, day_in_month, days_in, first_day, month_of_year
from data_synthetic.kernels import (
    ADULT,
    DROPOUT,
    ENTER,
    EXAM_PASS,
    EXEMPTION,
    LEAVE,
    NEXT,
    RETURN,
    STAY,
    Outcome,
    Rules,
    career_groups,
    entry_outcomes,
    is_chain,
    life_event_outcomes,
    may_move,
)
from data_synthetic.population import Youths
from data_synthetic.records import NO_ENROLMENT, Current, Records, close_all, close_enrolments, open_enrolments
from data_synthetic.region import SECTOR_OF_TYPE, SECTORS, SchoolChoice, Schools
from data_synthetic.state import (
    ABROAD,
    BBL,
    COMPONENTS,
    LEVEL_OF,
    PRESCHOOL,
    PRIMARY,
    SQ,
    TYPE_OF,
    State,
    burden_of,
    empty_state,
    pack,
    take,
)
from vsv_model.contract import DIPLOMA_LEVELS, EDUCATION_TYPES
from vsv_model.dates import MISSING_DAY, birthday_days, civil_from_days
from vsv_model.progress import progress_bar

TYPE = {name: code for code, name in enumerate(EDUCATION_TYPES)}
SECTOR_INDEX = np.array([SECTORS.index(SECTOR_OF_TYPE[t]) for t in EDUCATION_TYPES])
SCHOOL_START_DAY = 16  # August transitions are dated in the second half of the month
STAY_AT_SCHOOL = 0.75  # a change of type or level within a sector mostly keeps the school
SWITCH_BASE = {"primary": 0.0008, "other": 0.002}
LEAVES_SCHOOL = np.isin(np.arange(16), (DROPOUT, EXEMPTION, LEAVE))  # by tag
STARTS_ENROLMENT = np.isin(np.arange(16), (NEXT, RETURN, ENTER))


@dataclass
class Emitters:
    """What the emissions read besides the state: the schools and how they report, the places' absence."""

    schools: Schools
    choice: SchoolChoice
    propensity: np.ndarray  # per school
    climate: np.ndarray  # per school: absence level
    factors: dict  # per youth: the absence rates' constant parts (hidden traits, place; `absence.youth_factors`)
    burden: np.ndarray  # per youth: the hidden burden (school switches read it)
    report_factor: np.ndarray  # per youth: the planted under-reporting (1 without it)
    largest_mbo: int


@dataclass
class Capture:
    """The state of the in-scope youths at a reference month (kept in memory for the truth and the tests)."""

    rows: np.ndarray
    state: State
    age: np.ndarray


@dataclass
class EventStates:
    """The packed states (`state.pack`) at a month's start of the youths who have an office event that month
    (`features.office_events`) or may have one: of the events' ages, without a startkwalificatie, and reported
    absent this month or with an enrolment ended in the two months before. Kept only for them: the truth at the
    events needs their states, and a state of every youth at every month would cost memory for nothing."""

    rows: np.ndarray  # youths, ascending
    keys: np.ndarray


@dataclass(frozen=True)
class EventWindow:
    """The ages in months (since the birth month, both ends included) at which an office event can fall, and the
    youths in order of birth month, so that a month's youths of those ages are one slice."""

    ages: tuple[int, int]
    by_birth: np.ndarray
    birth_months: np.ndarray  # ascending

    @classmethod
    def of(cls, youths: Youths, ages: tuple[int, int]) -> EventWindow:
        order = np.argsort(youths.birth_month, kind="stable")
        return cls(ages, order, youths.birth_month[order])

    def youths_at(self, month: int) -> np.ndarray:
        first, last = np.searchsorted(self.birth_months, (month - self.ages[1], month - self.ages[0] + 1))
        return self.by_birth[first:last]


@dataclass
class Simulation:
    """The whole simulated region: youths, their current state and enrolment, the records written so far, and the
    hidden per-youth facts the tests may read (never written to a file)."""

    youths: Youths
    rules: Rules
    emitters: Emitters
    state: State
    current: Current
    records: Records = field(default_factory=Records)
    pending: absence.Pending = field(default_factory=absence.Pending.none)
    sq_day: np.ndarray = None
    exempted: np.ndarray = None
    spell: np.ndarray = None  # per youth: absent last month and still in a spell (an emission, not the state)
    captures: dict = field(default_factory=dict)
    event_states: dict = field(default_factory=dict)  # month -> EventStates
    office: office_world.Office | None = None  # the office reacting inside the world (None: `--no-office`)


def initial_state(youths: Youths, gap_members: np.ndarray | None) -> State:
    """Before secondary school: preschool, or abroad for newcomers; the hidden burden from the traits; the planted
    hidden gap's group (`gap_members`, None without that harm)."""
    state = empty_state(len(youths))
    state["prog"][:] = np.where(youths.newcomer, ABROAD, PRESCHOOL)
    state["burden"][:] = burden_of(youths.traits)
    if gap_members is not None:
        state["group"][:] = gap_members
    return state


def primary_start(youths: Youths) -> np.ndarray:
    """The month primary school starts: the first August at or after the 4th birthday's month."""
    at_four = youths.birth_month + 48
    return at_four + (AUGUST - month_of_year(at_four)) % 12


def simulate(youths: Youths, rules: Rules, emitters: Emitters, gap_members: np.ndarray | None, last_month: int,
             reference_months: tuple[int, ...], seed_sequence: np.random.SeedSequence,
             event_ages: tuple[int, int] | None = None, office: office_world.Office | None = None) -> Simulation:
    """Run every month from the first primary-school start to `last_month`, read the reference dates and, with
    `event_ages` (the ages in months, both included, at which an office event can fall), the event states."""
    state_rng, emit_rng, absence_rng = (np.random.default_rng(s) for s in seed_sequence.spawn(3))
    sim = Simulation(youths, rules, emitters, initial_state(youths, gap_members), Current.empty(len(youths)),
                     office=office)
    sim.sq_day = np.full(len(youths), MISSING_DAY, np.int64)
    sim.exempted = np.zeros(len(youths), bool)
    sim.spell = np.zeros(len(youths), bool)
    starts = primary_start(youths)
    months = range(int(starts.min()), last_month + 1)
    window = EventWindow.of(youths, event_ages) if event_ages else None
    with progress_bar(len(months), "simulating", "months") as bar:
        for month in months:
            run_month(sim, month, starts, (state_rng, emit_rng, absence_rng), reference_months, window)
            bar.update(1)
    if last_month + 1 in reference_months:
        capture(sim, last_month + 1)
    close_all(sim.records, sim.current)
    return sim


def run_month(sim: Simulation, month: int, starts: np.ndarray, streams: tuple, reference_months,
              window: EventWindow | None = None) -> None:
    """One month (see the module's docstring for the order). Three random streams: the state's, the records'
    (days, schools, switches), and absence's, so a change in one kind of emission leaves the others as they were."""
    state_rng, emit_rng, absence_rng = streams
    sim.current.ended_on[:] = MISSING_DAY
    pupils = enrolled_at_start(sim, month) if month >= absence.REPORTS_FROM else None
    if month in reference_months:
        capture(sim, month)
    candidates = event_candidates(sim, month, window) if window else None
    met = office_world.month_start(sim.office, sim.current, month, candidates[0], first_day) \
        if sim.office is not None and candidates is not None else None
    changed = step_chain(sim, month, state_rng, emit_rng)
    if month_of_year(month) == AUGUST:  # after the chain's step: a new pupil starts in year 1
        start_primary(sim, month, starts, emit_rng)
        enter_secondary(sim, month, starts + 96, state_rng, emit_rng)
    reported, report_days = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if pupils is not None:
        switch_schools(sim, month, pupils, changed, emit_rng)
        reported, report_days = emit_absence(sim, month, pupils, absence_rng)
    if candidates is not None:
        keep_event_states(sim, month, candidates, reported)
    if sim.office is not None:
        office_month(sim, month, candidates, met, reported, report_days)


def office_month(sim: Simulation, month: int, candidates, left_event, reported: np.ndarray,
                 report_days: np.ndarray) -> None:
    """After the month's step and reports: running routes may end, then the office reacts to the month's events,
    in the order of their days."""
    office_world.end_support(sim.state, sim.office.rng)
    if candidates is None or month not in sim.office.scores.at_month:
        return
    rows, keys, _ = candidates
    age = month - sim.youths.birth_month[rows]
    left_event = office_world.still_a_leaver(sim.current, rows, left_event, sim.youths.birth_day[rows])
    met = office_world.met_this_month(sim.office, rows, left_event, reported, age)
    first, last = int(first_day(month)), int(first_day(month) + days_in(month) - 1)
    days = first_event_days(rows[met], left_event[met], sim.current.last_end[rows[met]] + office_world.LEAVER_DAYS,
                            reported, report_days, first, last)
    office_world.react(sim.office, sim.state, month, rows[met], keys[met], age[met], days, first, last)


def first_event_days(rows: np.ndarray, left: np.ndarray, leaver_days: np.ndarray, reported: np.ndarray,
                     report_days: np.ndarray, first: int, last: int) -> np.ndarray:
    """Per youth met this month: the day of its first event of the month (a new leaver's day, or its earliest
    report), within the month (a late report of the month before counts from the first)."""
    day = np.where(left, leaver_days, last + 1).astype(np.int64)
    if len(reported):
        order = np.lexsort((report_days, reported))
        youths, at = np.unique(reported[order], return_index=True)
        earliest = report_days[order][at]
        found = np.minimum(np.searchsorted(youths, rows), len(youths) - 1)
        hit = youths[found] == rows
        day[hit] = np.minimum(day[hit], earliest[found[hit]])
    return np.clip(day, first, last)


# --- reference dates ----------------------------------------------------------------------------------


def capture(sim: Simulation, month: int) -> None:
    """Keep the state of every youth in the extended target group at the reference date (1 October): 18–26,
    no startkwalificatie."""
    years = month // 12 + 1970 - sim.youths.birth_year - sim.youths.late_in_year  # on 1 October
    rows = np.flatnonzero((years >= 18) & (years <= 26) & (sim.state["prog"] != SQ))
    sim.captures[month] = Capture(rows, {k: v[rows].copy() for k, v in sim.state.items()},
                                  month - sim.youths.birth_month[rows])


def event_candidates(sim: Simulation, month: int, window: EventWindow) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At the month's start: the youths of the events' ages without a startkwalificatie who are enrolled (a report
    this month needs it) or out of an enrolment ended in the two months before (a new leaver is known 31 days after
    the end); their packed states, and which of them left."""
    rows = window.youths_at(month)
    rows = rows[sim.state["prog"][rows] != SQ]
    left = sim.current.last_end[rows] >= first_day(month - 2)
    may_meet = left | (sim.current.edu[rows] != NO_ENROLMENT)
    rows, left = rows[may_meet], left[may_meet]
    return rows, pack(take(sim.state, rows)).astype(np.int32), left


def keep_event_states(sim: Simulation, month: int, candidates: tuple, reported: np.ndarray) -> None:
    """Of the month's candidates, keep those reported absent this month or recently out of an enrolment (by youth)."""
    rows, keys, left = candidates
    kept = np.flatnonzero(left | np.isin(rows, reported))
    if len(kept):
        kept = kept[np.argsort(rows[kept])]
        sim.event_states[month] = EventStates(rows[kept].astype(np.int32), keys[kept])


# --- primary and secondary school ---------------------------------------------------------------------


def start_primary(sim: Simulation, month: int, starts: np.ndarray, rng) -> None:
    rows = np.flatnonzero((starts == month) & (sim.state["prog"] == PRESCHOOL))
    special = sim.youths.special_primary[rows]
    sim.state["prog"][rows] = PRIMARY
    sim.state["year"][rows] = special
    edu = np.where(special, TYPE["so"], TYPE["po"])
    day = day_in_month(rng.random(len(rows)), month, low=SCHOOL_START_DAY)
    open_enrolments(sim.records, sim.current, rows, edu, 0, choose_schools(sim, rows, edu, rng), day)


def enter_secondary(sim: Simulation, month: int, entries: np.ndarray, state_rng, emit_rng) -> None:
    """Primary school ends and the first secondary type (drawn by `entry_outcomes`) starts the same day."""
    rows = np.flatnonzero((entries == month) & (sim.state["prog"] == PRIMARY))
    s = {k: v[rows] for k, v in sim.state.items()}
    outcomes = entry_outcomes(s, month, month - sim.youths.birth_month[rows], sim.rules)
    pick = choose(outcomes, state_rng.random(len(rows)))
    apply_outcomes(s, outcomes, pick)
    for name in COMPONENTS:
        sim.state[name][rows] = s[name]
    day = day_in_month(emit_rng.random(len(rows)), month, low=SCHOOL_START_DAY)
    move_on(sim, rows, TYPE_OF[s["prog"]], s["path"], day, emit_rng)


# --- the chain ------------------------------------------------------------------------------------------


def choose(outcomes: list[Outcome], u: np.ndarray) -> np.ndarray:
    """One outcome per row: the first whose cumulative probability exceeds the uniform (the last possible
    outcome when rounding leaves a gap at the top)."""
    last = len(outcomes) - 1
    cumulative = np.zeros(len(u))
    pick = np.zeros(len(u), np.int8)
    for outcome in outcomes[:-1]:
        cumulative += outcome.p
        pick += u >= cumulative
    gap = np.flatnonzero((pick == last) & (np.broadcast_to(outcomes[-1].p, u.shape) == 0))
    if len(gap):
        p = np.stack([np.broadcast_to(o.p, u.shape)[gap] for o in outcomes])
        pick[gap] = last - np.argmax((p > 0)[::-1], axis=0)
    return pick


def apply_outcomes(s: State, outcomes: list[Outcome], pick: np.ndarray) -> None:
    """Change the components of each row as its chosen outcome says (in place)."""
    for k, outcome in enumerate(outcomes):
        rows = np.flatnonzero(pick == k)
        if not len(rows) or not outcome.next:
            continue
        for name, values in outcome.next.items():
            s[name][rows] = values[rows] if np.ndim(values) else values


def active_rows(sim: Simulation, month: int) -> np.ndarray:
    prog = sim.state["prog"]
    young_abroad = (prog == ABROAD) & (month - sim.youths.birth_month < 144)
    return np.flatnonzero(is_chain(prog) & ~young_abroad)


def step_chain(sim: Simulation, month: int, state_rng, emit_rng) -> np.ndarray:
    """The life event, then the career, for every youth in the chain; then the records. Returns the rows
    (youths) whose enrolment changed."""
    rows = active_rows(sim, month)
    age = month - sim.youths.birth_month[rows]
    s = {k: v[rows] for k, v in sim.state.items()}
    step_states(s, month, age, sim.rules, state_rng.random((2, len(rows))))
    moving = np.flatnonzero(s["tag"] != STAY)
    before = {k: v[rows[moving]] for k, v in sim.state.items()}
    for name in COMPONENTS:
        sim.state[name][rows] = s[name]
    return write_records(sim, month, rows[moving], age[moving], before, {k: v[moving] for k, v in s.items()},
                         s["tag"][moving], emit_rng)


def step_states(s: State, month: int, age: np.ndarray, rules: Rules, u: np.ndarray) -> None:
    """One month of the chain for states `s` (changed in place; `s["tag"]` gets each row's career outcome):
    the life event with uniforms u[0], then the career with u[1]. The Monte Carlo check of the truth
    re-simulates futures with this same function."""
    event = life_event_outcomes(s, month, age, rules)
    apply_outcomes(s, event, choose(event, u[0]))
    s["tag"] = np.full(len(age), STAY, np.int8)
    movable = np.flatnonzero(may_move(s, month, age))
    sub = {k: v[movable] for k, v in s.items()}
    for group, outcomes in career_groups(sub, month, age[movable], rules):
        pick = choose(outcomes, u[1][movable[group]])
        part = {k: v[group] for k, v in sub.items()}
        apply_outcomes(part, outcomes, pick)
        part["tag"] = np.array([o.tag for o in outcomes], np.int8)[pick]
        for name, values in part.items():
            s[name][movable[group]] = values


def write_records(sim: Simulation, month: int, rows, age, before: State, after: State, tags, rng) -> np.ndarray:
    """The records the chosen outcomes imply, dated in this month."""
    leaving = LEAVES_SCHOOL[tags]
    low = np.full(leaving.sum(), 2)
    birthday_month = age[leaving] == ADULT  # not before the 18th birthday
    low[birthday_month] = np.maximum(2, birthday_day_of_month(sim.youths.birth_day[rows[leaving][birthday_month]], 18))
    close_enrolments(sim.records, sim.current, rows[leaving], day_in_month(rng.random(leaving.sum()), month, low=low))
    sim.exempted[rows[tags == EXEMPTION]] = True
    passed = np.flatnonzero(tags == EXAM_PASS)
    write_diplomas(sim, month, rows[passed], LEVEL_OF[before["prog"][passed]], after["prog"][passed] == SQ, rng)
    moving = np.flatnonzero(STARTS_ENROLMENT[tags])
    low = SCHOOL_START_DAY if month_of_year(month) == AUGUST else 2
    day = day_in_month(rng.random(len(moving)), month, low=low)
    move_on(sim, rows[moving], TYPE_OF[after["prog"][moving]], after["path"][moving], day, rng)
    return rows[leaving | STARTS_ENROLMENT[tags] | (tags == EXAM_PASS)]


def birthday_day_of_month(birth_days: np.ndarray, age: int) -> np.ndarray:
    return civil_from_days(birthday_days(birth_days, age))[2]


def move_on(sim: Simulation, rows: np.ndarray, edu: np.ndarray, path: np.ndarray, day: np.ndarray, rng) -> None:
    """End the current enrolment (if any) and start a new one the same day; within a sector mostly at the
    same school."""
    current = sim.current.edu[rows]
    same_sector = (current >= 0) & (SECTOR_INDEX[np.maximum(current, 0)] == SECTOR_INDEX[edu])
    keep = same_sector & (rng.random(len(rows)) < STAY_AT_SCHOOL)
    school = np.where(keep, sim.current.school[rows], choose_schools(sim, rows, edu, rng))
    close_enrolments(sim.records, sim.current, rows, day)
    open_enrolments(sim.records, sim.current, rows, edu, path, school, day)


def choose_schools(sim: Simulation, rows: np.ndarray, edu: np.ndarray, rng) -> np.ndarray:
    return sim.emitters.choice.draw(rng.random(len(rows)), sim.youths.residence[rows], SECTOR_INDEX[edu])


# --- diplomas and what follows a startkwalificatie -----------------------------------------------------------

LEVEL = {name: code for code, name in enumerate(DIPLOMA_LEVELS)}
# What a youth does after a startkwalificatie: (programme, share) per diploma level; the rest stops.
AFTER_SQ = {"havo": (("hbo", 0.70), ("mbo-4", 0.08)), "vwo": (("wo", 0.70), ("hbo", 0.22)),
            "mbo-2": (("mbo-3", 0.40),), "mbo-3": (("mbo-4", 0.30), ("hbo", 0.05)), "mbo-4": (("hbo", 0.35),)}
FOLLOW_UP_YEARS = {"hbo": 4, "wo": 4, "mbo-3": 3, "mbo-4": 3}
FOLLOW_UP_SUCCESS = {"hbo": 0.6, "wo": 0.65, "mbo-3": 0.75, "mbo-4": 0.75}


def write_diplomas(sim: Simulation, month: int, rows: np.ndarray, level: np.ndarray, sq: np.ndarray, rng) -> None:
    """Passed exams: a diploma dated this month (days uniform on 2..last, as the truth assumes)."""
    day = day_in_month(rng.random(len(rows)), month)
    sim.records.add("diplomas", youth=rows, day=day, level=level)
    sim.sq_day[rows[sq]] = day[sq]
    plan_after_startkwalificatie(sim, month, rows[sq], level[sq], rng)


def plan_after_startkwalificatie(sim: Simulation, month: int, rows: np.ndarray, level: np.ndarray, rng) -> None:
    """A startkwalificatie ends the chain: the youth leaves the followed group. Their later records (hbo, wo,
    a higher mbo level, or nothing) are drawn now and dated in the months they happen."""
    follow_up = draw_follow_up(rng, level)
    to_mbo = np.isin(follow_up, (TYPE["mbo-3"], TYPE["mbo-4"]))
    end_old = np.where(to_mbo, day_in_month(rng.random(len(rows)), month + 2, low=SCHOOL_START_DAY),
                       day_in_month(rng.random(len(rows)), month + 1))
    same_school = sim.current.school[rows]
    close_enrolments(sim.records, sim.current, rows, end_old)
    go = np.flatnonzero(follow_up >= 0)
    start = np.where(to_mbo[go], end_old[go], day_in_month(rng.random(len(go)), month + 3, high=6))
    school = np.where(to_mbo[go], same_school[go], choose_schools(sim, rows[go], follow_up[go], rng))
    write_follow_up(sim, month, rows[go], follow_up[go], school, start, rng)


def draw_follow_up(rng, level: np.ndarray) -> np.ndarray:
    """The programme after the diploma (an education type code; -1: none)."""
    u = rng.random(len(level))
    follow = np.full(len(level), -1)
    for name, options in AFTER_SQ.items():
        threshold = 0.0
        for programme, share in options:
            hit = (level == LEVEL[name]) & (u >= threshold) & (u < threshold + share)
            follow[hit] = TYPE[programme]
            threshold += share
    return follow


def write_follow_up(sim: Simulation, month: int, rows, edu, school, start, rng) -> None:
    """A whole follow-up enrolment: finished (a diploma in June of its last year) or stopped after one or two years."""
    years = np.array([FOLLOW_UP_YEARS.get(EDUCATION_TYPES[e], 3) for e in edu])
    success = np.array([FOLLOW_UP_SUCCESS.get(EDUCATION_TYPES[e], 0.7) for e in edu])
    u = rng.random((3, len(rows)))
    done = u[0] < success
    years_in = np.where(done, years, 1 + (u[1] < 0.3))
    end = day_in_month(u[2], month + 12 * years_in + 1)  # July of the last school year
    level = np.array([LEVEL[EDUCATION_TYPES[e]] for e in edu]) if len(edu) else np.zeros(0, np.int64)
    diploma_day = day_in_month(rng.random(len(rows)), month + 12 * years_in)
    path = np.where(np.isin(edu, (TYPE["mbo-3"], TYPE["mbo-4"])), 1 + (rng.random(len(rows)) < 0.15), 0)
    sim.records.add("enrolments", youth=rows, school=school, edu=edu, path=path, start=start, end=end)
    sim.records.add("diplomas", youth=rows[done], day=diploma_day[done], level=level[done])


# --- emissions ------------------------------------------------------------------------------------------------


def enrolled_at_start(sim: Simulation, month: int) -> absence.Pupils:
    """The pupils a month's absence is about: enrolled at its start (those starting later get none)."""
    rows = np.flatnonzero(sim.current.edu >= 0)
    cur, em = sim.current, sim.emitters
    propensity = em.propensity[cur.school[rows]] * em.report_factor[rows]
    cal = sim.rules.calendar.emissions_at(month)
    propensity = np.where(cur.school[rows] == em.largest_mbo, propensity * cal.reporting_stop, propensity)
    return absence.Pupils(rows, cur.edu[rows], cur.path[rows] == BBL, cur.school[rows], cur.serial[rows],
                          {name: values[rows] for name, values in em.factors.items()}, sim.state["event"][rows],
                          month - sim.youths.birth_month[rows] > ADULT, propensity, sim.spell[rows],
                          np.zeros(len(rows), np.int64))


def switch_schools(sim: Simulation, month: int, pupils: absence.Pupils, changed: np.ndarray, rng) -> None:
    """A school switch within a level (an emission: the state does not change), in school months."""
    if month_of_year(month) in (JULY, AUGUST):
        return
    primary = absence.SECTOR_OF_TYPE[pupils.edu] == absence.PRIMARY
    burden = sim.emitters.burden[pupils.youth]
    rate = np.where(primary, SWITCH_BASE["primary"], SWITCH_BASE["other"] * np.exp(0.4 * burden + 0.8 * pupils.event))
    moved_already = np.zeros(len(sim.youths), bool)
    moved_already[changed] = True
    still = (sim.current.serial[pupils.youth] == pupils.serial) & ~moved_already[pupils.youth]
    hit = np.flatnonzero((rng.random(len(pupils.youth)) < rate) & still)
    rows, edu = pupils.youth[hit], pupils.edu[hit]
    school = choose_schools(sim, rows, edu, rng)
    moved = school != sim.current.school[rows]
    rows, edu, school = rows[moved], edu[moved], school[moved]
    day = day_in_month(rng.random(len(rows)), month, low=3)
    path = sim.current.path[rows].copy()
    close_enrolments(sim.records, sim.current, rows, day)
    open_enrolments(sim.records, sim.current, rows, edu, path, school, day)


def emit_absence(sim: Simulation, month: int, pupils: absence.Pupils, rng) -> tuple[np.ndarray, np.ndarray]:
    """This month's reports, dated before the pupil's enrolment ended (if it did this month); returns the youths
    reported and their reports' days."""
    ended = sim.current.ended_on[pupils.youth]
    last = int(first_day(month) + days_in(month) - 1)
    pupils.last_day = np.where(ended != MISSING_DAY, np.minimum(ended - 1, last), last)
    row_of_youth = np.full(len(sim.youths), -1)
    row_of_youth[pupils.youth] = np.arange(len(pupils.youth))
    cal = sim.rules.calendar.emissions_at(month)
    reports, sim.pending, going_on = absence.emit_month(rng, pupils, sim.pending, month, cal, sim.emitters.climate,
                                                        row_of_youth)
    sim.records.add("reports", **reports)
    sim.spell[:] = False
    sim.spell[going_on] = True
    return reports["youth"], reports["day"]

