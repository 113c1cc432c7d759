"""The world's monthly dynamics as outcome kernels: one definition for the simulator and the truth.

A kernel takes a state (arrays of components, see `state.py`), the calendar month and each row's
age in months (months since the birth month), and returns a fixed list of `Outcome`s: the
probability of the outcome per row, the components it changes, and a tag that tells the
simulator which records it writes. The simulator draws one outcome per youth with a uniform;
the truth (`truth.py`) sums over the same outcomes. Emissions (absence, school choice, the
days inside a month) are drawn elsewhere and never change the state.

A month is two steps: the life event switches on or off (`life_event_outcomes`), then the
career moves (`career_groups` picks the kernel for each kind of state and month):

- school months: leaving school (to work or not) from age 18, exemptions before;
- June: the exams of final-year students (and leaving);
- August: the school year's transitions: promotion, repeating a year, moving down a type
  (afstroom) or level, the next programme after a completed one, not re-enrolling;
- out of school: returning (mostly to mbo), the months-out bucket ageing, finding or losing work;
- newcomers: arriving (through isk, or out of school at 18+), enrolling after arrival.

Compulsory education: leerplicht until the end of the school year in which a youth turns 16,
kwalificatieplicht until 18 (a startkwalificatie ends the simulation of the outcome). Nobody
leaves before the 18th birthday's month except by an exemption (rare, after leerplicht).

From the month of the 18th birthday (age 216 months) a kernel reads the age only through
completed years (`age // 12`, 25 and over alike); the truth relies on that (and a test checks it).
The hidden burden (how many of three adverse traits a youth has), the life event, and the origin
group (only with the `hidden_gap` harm) enter the log-odds with the weights below; none of them
appears in any table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_synthetic.calendar import AUGUST, JUNE, Calendar, school_year
from data_synthetic.state import (
    ABROAD,
    BBL,
    BOL,
    BUCKET_NEVER,
    DIPLOMA_ACCESS,
    DURATION,
    EXAM_IS_SQ,
    HAS_EXAM,
    HAVO,
    IS_MBO,
    IS_PROGRAMME,
    ISK,
    MBO1,
    MBO2,
    MBO3,
    MBO4,
    N_PROG,
    OUT,
    PATH_NONE,
    PRIMARY,
    PRO,
    SQ,
    VAVO,
    VMBO_BB,
    VMBO_GT,
    VMBO_KB,
    VSO,
    VWO,
    State,
)

ADULT = 216  # months: the 18th birthday's month; from here on leaving school is allowed
SIXTEEN = 192

# Tags: which records an outcome writes (see simulate.py).
(STAY, DROPOUT, EXEMPTION, EXAM_PASS, PROMOTE, NEXT, LEAVE, RETURN, ENTER, ARRIVE, BUCKET, WORK,
 EVENT, ENTRY) = range(14)


@dataclass(frozen=True)
class Outcome:
    """One possible outcome of a kernel: its probability per row and the components it changes."""

    tag: int
    p: np.ndarray
    next: dict


@dataclass(frozen=True)
class Rules:
    """Everything the dynamics depend on besides the state: the calendar and the planted outcome gap."""

    calendar: Calendar
    hidden_gap: float = 0.0  # the `hidden_gap` harm: dropout log-odds + size for group 1 in mbo
    route_effects: float = 0.0  # the size every route effect is multiplied by (`route_effect`); 0: routes do nothing
    office: bool = False  # the office reacts: the state's `support` can be on (the truth's state space holds it)

    def key(self) -> tuple:
        return (self.calendar.dynamics_key(), self.hidden_gap, self.route_effects, self.office)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _by_prog(mapping: dict[int, float], default: float = 0.0) -> np.ndarray:
    out = np.full(N_PROG, default)
    for prog, value in mapping.items():
        out[prog] = value
    return out


# --- hidden risk ---------------------------------------------------------------------------------
# Log-odds weights of (each adverse trait, the life event) per process.
DROPOUT_WEIGHTS = (0.85, 1.3)
RETURN_WEIGHTS = (-0.55, -1.0)
PASS_WEIGHTS = (-0.55, -0.9)
REPEAT_WEIGHTS = (0.5, 0.8)


def hidden_risk(s: State, weights: tuple[float, float]) -> np.ndarray:
    """The hidden burden's and life event's contribution to a process's log-odds."""
    per_trait, event = weights
    return per_trait * s["burden"] + event * s["event"]


# --- the office's routes -------------------------------------------------------------------------
# A route runs while the state's `support` is on (1 letter, 2 conversation, 3 matchmaker) and ends each month, after
# the career's step, with a fixed chance (memoryless, so the chain stays Markov and the truth exact): mean durations
# 2, 4 and 8 months. Its effect adds to a process's log-odds, times `Rules.route_effects`; see docs/office-world.md.
SUPPORT_END = np.array([0.0, 1 / 2, 1 / 4, 1 / 8])
LETTER_SUPPORT, CONVERSATION_SUPPORT, MATCHMAKER_SUPPORT = 1, 2, 3


def route_dropout_effect(s: State) -> np.ndarray:
    """Leaving school (in school, every month and at the rollover): a letter stops a slip (no hidden burden, no life
    event) and barely anyone else; a conversation helps moderately, less with a heavy burden; a matchmaker helps all."""
    light = (s["event"] == 0) & (s["burden"] <= 1)
    letter = np.where(light, np.where(s["burden"] == 0, -1.2, -0.5), 0.0)
    conversation = np.where(s["burden"] <= 1, -0.7, -0.4)
    return np.select([s["support"] == LETTER_SUPPORT, s["support"] == CONVERSATION_SUPPORT,
                      s["support"] == MATCHMAKER_SUPPORT], [letter, conversation, -0.9], 0.0)


def route_return_effect(s: State, age) -> np.ndarray:
    """Returning to school (out of school): a letter only nudges a slip just out (months-out bucket 0, no burden); a
    conversation helps those out under a year; a matchmaker helps most the young ones who still have time (up to 20),
    less at 21, little from 22, and half as much after a year out."""
    years = age_years(age)
    bucket = np.minimum(s["year"], 2)
    letter = np.where((bucket == 0) & (s["burden"] == 0), 0.4, 0.0)
    conversation = np.where(bucket <= 1, 0.6, 0.2)
    matchmaker = np.select([years <= 20, years == 21], [1.4, 1.0], 0.4) * np.where(bucket == 2, 0.5, 1.0)
    return np.select([s["support"] == LETTER_SUPPORT, s["support"] == CONVERSATION_SUPPORT,
                      s["support"] == MATCHMAKER_SUPPORT], [letter, conversation, matchmaker], 0.0)


ROUTE_PASS_EFFECT = np.array([0.0, 0.0, 0.2, 0.4])  # the final exam: a conversation or a matchmaker helps a little


def age_years(age) -> np.ndarray:
    """Completed years, capped at 25: the only way a kernel reads the age from 18 on."""
    return np.minimum(np.asarray(age) // 12, 25)


def leerplicht_over(month: int, age) -> np.ndarray:
    """True after the school year in which the youth turned 16."""
    return school_year(month) > school_year(month - np.asarray(age) + SIXTEEN)


# --- leaving school ------------------------------------------------------------------------------
DROPOUT_BASE = _by_prog({VMBO_BB: -6.75, VMBO_KB: -6.75, VMBO_GT: -6.95, HAVO: -7.75, VWO: -8.25, PRO: -6.55,
                         VSO: -6.55, ISK: -6.35, VAVO: -6.35, MBO1: -6.25, MBO2: -6.7, MBO3: -7.2, MBO4: -7.5})
FIRST_YEAR_MBO = 0.6  # the known risk moment: the first year of mbo after the vo→mbo transition
DROPOUT_PER_DROP = 0.4
DROPOUT_BBL = -0.2
DROPOUT_AGE = np.array([0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.4, 0.4])  # 18 … 25
DROPOUT_SEASON = np.array([0.0, 0, 0, 0, 0, 0, 0, -1.5, 0, 0, 0, 0, 0])  # July: holidays
WORK_BASE = -0.3


def personal_leaving_logit(s: State, month: int, age, rules: Rules) -> np.ndarray:
    """What leaving school adds up from besides the programme: hidden risk, earlier dropout, BBL, age,
    the first year of mbo, the calendar, and the planted outcome gap (group 1 in mbo)."""
    years = np.clip(age_years(age) - 18, 0, 7)
    mbo = IS_MBO[s["prog"]]
    logit = hidden_risk(s, DROPOUT_WEIGHTS) + DROPOUT_PER_DROP * s["drops"] + DROPOUT_BBL * (s["path"] == BBL)
    logit = logit + FIRST_YEAR_MBO * (mbo & (s["year"] == 1)) + DROPOUT_AGE[years]
    if rules.route_effects:
        logit = logit + rules.route_effects * route_dropout_effect(s)
    return logit + rules.calendar.dynamics_at(month).dropout + rules.hidden_gap * (mbo & (s["group"] == 1))


def work_share(s: State, month: int, age, rules: Rules) -> np.ndarray:
    """The share of leavers who leave for work (a hidden flag: it lowers returning)."""
    years = np.clip(age_years(age) - 18, 0, 7)
    special = (s["prog"] == PRO) | (s["prog"] == VSO)
    logit = WORK_BASE + 0.3 * years - 0.4 * s["burden"] + 1.0 * special
    return sigmoid(logit + rules.calendar.dynamics_at(month).work)


def dropout_probability(s: State, month: int, age, rules: Rules) -> np.ndarray:
    """Leaving school in an ordinary month (or June): only from the 18th birthday's month."""
    logit = DROPOUT_BASE[s["prog"]] + personal_leaving_logit(s, month, age, rules) + DROPOUT_SEASON[month % 12 + 1]
    return sigmoid(logit) * (np.asarray(age) >= ADULT)


EXEMPTION_BASE = _by_prog({PRO: 0.002, VSO: 0.002}, 0.0001)


def exemption_probability(s: State, month: int, age) -> np.ndarray:
    """A rare exemption (vrijstelling) after leerplicht, before 18: the only early way out."""
    allowed = (np.asarray(age) < ADULT) & leerplicht_over(month, age)
    return EXEMPTION_BASE[s["prog"]] * np.exp(0.5 * hidden_risk(s, DROPOUT_WEIGHTS)) * allowed


def out_of_school(s: State, work: int) -> dict:
    return {"prog": OUT, "year": 0, "path": PATH_NONE, "work": work, "drops": np.minimum(s["drops"] + 1, 2)}


def leaving_outcomes(s: State, month: int, age, rules: Rules, p_leave: np.ndarray, tag: int) -> list[Outcome]:
    """Leaving school, split into leaving for work and leaving for nothing."""
    share = work_share(s, month, age, rules)
    return [Outcome(tag, p_leave * (1 - share), out_of_school(s, 0)),
            Outcome(tag, p_leave * share, out_of_school(s, 1))]


def school_month_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """An ordinary school month: leaving (from 18), an exemption (before 18), or staying."""
    drop = dropout_probability(s, month, age, rules)
    exempt = exemption_probability(s, month, age)
    stay = 1.0 - drop - exempt
    return [*leaving_outcomes(s, month, age, rules, drop, DROPOUT), Outcome(EXEMPTION, exempt, out_of_school(s, 0)),
            Outcome(STAY, stay, {})]


# --- exams (June) --------------------------------------------------------------------------------
PASS_BASE = _by_prog({VMBO_BB: 2.8, VMBO_KB: 3.0, VMBO_GT: 3.0, HAVO: 2.2, VWO: 2.4, VAVO: 0.8,
                      MBO1: 1.5, MBO2: 1.5, MBO3: 1.7, MBO4: 1.9})


def pass_probability(s: State, rules: Rules | None = None) -> np.ndarray:
    candidate = HAS_EXAM[s["prog"]] & (s["year"] == DURATION[s["prog"]])
    logit = PASS_BASE[s["prog"]] + hidden_risk(s, PASS_WEIGHTS) - 0.3 * s["drops"] + 0.2 * (s["path"] == BBL)
    if rules is not None and rules.route_effects:
        logit = logit + rules.route_effects * ROUTE_PASS_EFFECT[s["support"]]
    return sigmoid(logit) * candidate


def exam_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """June: final-year students pass their exam (a diploma; a startkwalificatie ends the chain)."""
    drop = dropout_probability(s, month, age, rules)
    passed = (1.0 - drop) * pass_probability(s, rules)
    sq = EXAM_IS_SQ[s["prog"]]
    after = {"prog": np.where(sq, SQ, s["prog"]), "year": 0, "dipl": np.maximum(s["dipl"], DIPLOMA_ACCESS[s["prog"]])}
    return [Outcome(EXAM_PASS, passed, after), *leaving_outcomes(s, month, age, rules, drop, DROPOUT),
            Outcome(STAY, 1.0 - drop - passed, {})]


# --- the school year's transitions (August) --------------------------------------------------------
REPEAT_BASE = _by_prog({VMBO_BB: -2.5, VMBO_KB: -2.5, VMBO_GT: -2.5, HAVO: -2.3, VWO: -2.3, PRO: -4.0, VSO: -4.0,
                        ISK: -3.0, MBO1: -2.5, MBO2: -2.5, MBO3: -2.5, MBO4: -2.5}, -9.0)
DOWN_BASE = _by_prog({VWO: -2.6, HAVO: -2.8, VMBO_GT: -3.5, VMBO_KB: -3.8, MBO2: -3.6, MBO3: -3.6, MBO4: -3.6}, -99.0)
LOWER = _by_prog({VWO: HAVO, HAVO: VMBO_GT, VMBO_GT: VMBO_KB, VMBO_KB: VMBO_BB, MBO4: MBO3, MBO3: MBO2,
                  MBO2: MBO1}).astype(np.int8)
HAS_LOWER = LOWER != 0
LEAVE_BASE = {"regular": -5.25, "failed": -3.65, "completed": -3.25, "special": -1.1}
# After a failed final exam (of those who do not leave): [repeat, vo_next, mbo-1, mbo-2, mbo-3, mbo-4, down]
FAILED_NEXT = {VMBO_BB: [0.4, 0, 0.36, 0.24, 0, 0, 0], VMBO_KB: [0.4, 0, 0.18, 0.42, 0, 0, 0],
               VMBO_GT: [0.4, 0, 0, 0.36, 0.24, 0, 0], HAVO: [0.5, 0.25, 0, 0, 0, 0.25, 0],
               VWO: [0.5, 0.25, 0, 0, 0, 0.10, 0.15], VAVO: [0.35, 0, 0, 0, 0.3, 0.35, 0],
               MBO1: [1.0, 0, 0, 0, 0, 0, 0], MBO2: [0.7, 0, 0, 0, 0, 0, 0.3], MBO3: [0.7, 0, 0, 0, 0, 0, 0.3],
               MBO4: [0.7, 0, 0, 0, 0, 0, 0.3]}
# After a completed programme (a vmbo or mbo-1 diploma, the end of pro, vso or isk): same columns.
COMPLETED_NEXT = {VMBO_BB: [0, 0, 0.12, 0.85, 0.03, 0, 0], VMBO_KB: [0, 0, 0, 0.35, 0.55, 0.10, 0],
                  VMBO_GT: [0, 0.15, 0, 0.05, 0.25, 0.55, 0], MBO1: [0, 0, 0, 0.95, 0.05, 0, 0],
                  ISK: [0, 0, 0.55, 0.45, 0, 0, 0], PRO: [0.7, 0, 0.3, 0, 0, 0, 0], VSO: [0.75, 0, 0.25, 0, 0, 0, 0]}
NEXT_COLUMNS = ("repeat", "vo_next", "mbo-1", "mbo-2", "mbo-3", "mbo-4", "down")


def _next_table(rows: dict[int, list[float]]) -> np.ndarray:
    table = np.zeros((N_PROG, len(NEXT_COLUMNS)))
    table[:, 0] = 1.0  # no entry: repeat
    for prog, probabilities in rows.items():
        table[prog] = probabilities
    return table / table.sum(axis=1, keepdims=True)


FAILED_TABLE, COMPLETED_TABLE = _next_table(FAILED_NEXT), _next_table(COMPLETED_NEXT)
SPECIAL = _by_prog({PRO: 1, VSO: 1, ISK: 1}).astype(bool)  # programmes that end without an exam


def rollover_situation(s: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows completed their programme, failed its final exam, or are in an ordinary year."""
    final = s["year"] == DURATION[s["prog"]]
    completed = (s["year"] == 0) | (final & SPECIAL[s["prog"]])
    failed = final & ~completed
    return completed, failed, ~completed & ~failed


def leave_at_rollover(s: State, month: int, age, rules: Rules) -> np.ndarray:
    """Not re-enrolling for the new school year (from 18)."""
    completed, failed, _ = rollover_situation(s)
    special = completed & ((s["prog"] == PRO) | (s["prog"] == VSO))
    base = np.select([special, completed, failed], [LEAVE_BASE["special"], LEAVE_BASE["completed"],
                                                    LEAVE_BASE["failed"]], LEAVE_BASE["regular"])
    logit = base + personal_leaving_logit(s, month, age, rules)
    return sigmoid(logit) * (np.asarray(age) >= ADULT)


def next_distribution(s: State, age) -> np.ndarray:
    """Rows × NEXT_COLUMNS: where a youth goes in August, given they do not leave."""
    completed, failed, regular = rollover_situation(s)
    table = np.where(completed[:, None], COMPLETED_TABLE[s["prog"]], FAILED_TABLE[s["prog"]])
    young_isk = completed & (s["prog"] == ISK) & (np.asarray(age) < SIXTEEN)
    table = np.where(young_isk[:, None], np.eye(len(NEXT_COLUMNS))[1], table)
    adult_special = completed & ((s["prog"] == PRO) | (s["prog"] == VSO)) & (np.asarray(age) >= ADULT)
    table = np.where(adult_special[:, None], np.eye(len(NEXT_COLUMNS))[2], table)
    repeat = sigmoid(REPEAT_BASE[s["prog"]] + hidden_risk(s, REPEAT_WEIGHTS))
    vo_down = (s["year"] <= 3) & (s["prog"] >= VMBO_KB) & (s["prog"] <= VWO)
    may_down = np.where(IS_MBO[s["prog"]], True, vo_down)
    may_down = may_down & HAS_LOWER[s["prog"]]
    down = (1 - repeat) * sigmoid(DOWN_BASE[s["prog"]] + 0.8 * hidden_risk(s, REPEAT_WEIGHTS)) * may_down
    ordinary = np.zeros_like(table)
    ordinary[:, 0], ordinary[:, 6] = repeat, down  # the rest is promotion (see rollover_outcomes)
    return np.where(regular[:, None], ordinary, table)


def vo_next_state(s: State) -> dict:
    """The non-mbo next programme: havo 4 after vmbo-gt, vavo after failed havo/vwo, vmbo-bb 3 after isk."""
    prog = np.select([s["prog"] == VMBO_GT, s["prog"] == ISK], [HAVO, VMBO_BB], VAVO)
    year = np.select([s["prog"] == VMBO_GT, s["prog"] == ISK], [4, 3], 1)
    return {"prog": prog, "year": year, "path": PATH_NONE}


def down_state(s: State) -> dict:
    """Afstroom: vo one type down into the next year; mbo one level down into year 1; vwo 6 to havo 5."""
    lower = LOWER[s["prog"]]
    year = np.where(IS_MBO[s["prog"]], 1, np.minimum(s["year"] + 1, DURATION[lower]))
    return {"prog": lower, "year": year}


def bbl_share(s: State, age, returning: bool) -> np.ndarray:
    """The share of new mbo students in BBL (learning on the job): more when older, working, or returning."""
    years = np.clip(age_years(age) - 18, -2, 7)
    logit = (-0.8 + 1.2 * s["work"] + 0.15 * years) if returning else (-2.4 + 0.3 * np.maximum(years, 0))
    return sigmoid(logit)


def shift_mbo_mix(levels: np.ndarray, size: float) -> np.ndarray:
    """Move `size` of each mbo level's mass one level down (columns mbo-1 … mbo-4; mbo-1 keeps its own)."""
    moved = levels * size
    shifted = levels - moved
    shifted[:, 0] = shifted[:, 0] + moved[:, 0]
    shifted[:, :-1] = shifted[:, :-1] + moved[:, 1:]
    return shifted


def mbo_entry_outcomes(s: State, levels: np.ndarray, bbl: np.ndarray, tag: int, month: int,
                       rules: Rules) -> list[Outcome]:
    """Eight outcomes: enrolling in mbo-1 … mbo-4 as BOL or BBL, with the calendar's mbo-mix shift."""
    levels = shift_mbo_mix(levels, rules.calendar.dynamics_at(month).mbo_mix)
    outcomes = []
    for column, prog in enumerate((MBO1, MBO2, MBO3, MBO4)):
        for path, share in ((BOL, 1.0 - bbl), (BBL, bbl)):
            outcomes.append(Outcome(tag, levels[:, column] * share, {"prog": prog, "year": 1, "path": path}))
    return outcomes


def rollover_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """August: leave, promote, repeat, move down, or go on to the next programme (mbo as BOL or BBL)."""
    leave = leave_at_rollover(s, month, age, rules)
    stay_in = 1.0 - leave
    d = next_distribution(s, age) * stay_in[:, None]
    _, _, regular = rollover_situation(s)
    promote = np.where(regular, stay_in - d.sum(axis=1), 0.0)
    mbo = mbo_entry_outcomes(s, d[:, 2:6], bbl_share(s, age, returning=False), NEXT, month, rules)
    return [Outcome(PROMOTE, promote, {"year": s["year"] + 1}), Outcome(NEXT, d[:, 6], down_state(s)),
            Outcome(NEXT, d[:, 1], vo_next_state(s)), *mbo, *leaving_outcomes(s, month, age, rules, leave, LEAVE),
            Outcome(STAY, d[:, 0], {})]


# --- out of school --------------------------------------------------------------------------------
RETURN_BASE = -2.2
RETURN_BUCKET = np.array([0.0, -0.5, -1.2])
RETURN_AGE = np.array([0.0, -0.1, -0.2, -0.35, -0.5, -0.8, -1.0, -1.2])  # 18 … 25
RETURN_SEASON = np.array([0.0, 0.3, 0.3, 0, 0, 0, -1.5, -2.5, 0.9, 0.5, 0, 0, 0])
# Where a returner enrols, by diploma access: [vavo, mbo-1, mbo-2, mbo-3, mbo-4]
RETURN_TABLE = np.array([[0.05, 0.55, 0.40, 0.0, 0.0], [0.0, 0.10, 0.85, 0.05, 0.0], [0.10, 0.0, 0.30, 0.40, 0.20]])
BUCKET_AGEING = np.array([1 / 3, 1 / 9, 0.0])
LOSE_WORK = 0.03


def return_probability(s: State, month: int, age, rules: Rules) -> np.ndarray:
    years = np.clip(age_years(age) - 18, 0, 7)
    logit = (RETURN_BASE + RETURN_BUCKET[np.minimum(s["year"], 2)] - 0.6 * s["work"] + RETURN_AGE[years]
             + hidden_risk(s, RETURN_WEIGHTS) - 0.2 * np.maximum(s["drops"] - 1, 0) + RETURN_SEASON[month % 12 + 1])
    if rules.route_effects:
        logit = logit + rules.route_effects * route_return_effect(s, age)
    return sigmoid(logit + rules.calendar.dynamics_at(month).return_)


def find_work_probability(s: State, month: int, rules: Rules) -> np.ndarray:
    logit = -3.0 - 0.3 * s["burden"] + rules.calendar.dynamics_at(month).work
    return np.where(s["work"] == 1, LOSE_WORK, sigmoid(logit))


def out_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """Out of school: return (vavo or mbo), the months-out bucket ages, work found or lost, or nothing."""
    back = return_probability(s, month, age, rules)
    table = RETURN_TABLE[s["dipl"]] * back[:, None]
    mbo = mbo_entry_outcomes(s, table[:, 1:], bbl_share(s, age, returning=True), RETURN, month, rules)
    ageing = (1 - back) * BUCKET_AGEING[np.minimum(s["year"], 2)]
    toggle = (1 - back - ageing) * find_work_probability(s, month, rules)
    return [Outcome(RETURN, table[:, 0], {"prog": VAVO, "year": 1, "path": PATH_NONE, "work": 0}),
            *[Outcome(o.tag, o.p, o.next | {"work": 0}) for o in mbo],
            Outcome(BUCKET, ageing, {"year": np.minimum(s["year"] + 1, 2)}),
            Outcome(WORK, toggle, {"work": 1 - s["work"]}),
            Outcome(STAY, 1.0 - back - ageing - toggle, {})]


# --- newcomers -------------------------------------------------------------------------------------
ARRIVAL = 0.02  # monthly, from age 12
NEVER_ENROL_LOGIT = -4.5


def newcomer_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """Abroad: arrive (into isk; from 18 half stay out, from 21 all). Never enrolled: enrol late (isk or mbo-1)."""
    age = np.asarray(age)
    abroad = s["prog"] == ABROAD
    arrive = ARRIVAL * (age >= 144) * abroad
    to_isk_share = np.select([age < ADULT, age < 252], [1.0, 0.5], 0.0)
    enrol = sigmoid(NEVER_ENROL_LOGIT + 0.5 * hidden_risk(s, RETURN_WEIGHTS)) * ~abroad
    isk = arrive * to_isk_share + enrol * (age < 252)
    mbo1 = enrol * (age >= 252)
    settle = arrive * (1 - to_isk_share)
    fresh = {"year": 1, "work": 0, "drops": 0}
    return [Outcome(ENTER, isk, fresh | {"prog": ISK, "path": PATH_NONE}),
            Outcome(ENTER, mbo1, fresh | {"prog": MBO1, "path": BOL}),
            Outcome(ARRIVE, settle, {"prog": OUT, "year": BUCKET_NEVER, "work": 0}),
            Outcome(STAY, 1.0 - isk - mbo1 - settle, {})]


# --- the life event and secondary entry -------------------------------------------------------------
EVENT_ONSET = -5.5
EVENT_RECOVERY = 0.10


def life_event_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """The hidden life event switches on (more with a hard home situation or poor health) or off."""
    years = age_years(age)
    onset = sigmoid(EVENT_ONSET + 0.6 * s["burden"] + 0.4 * ((years >= 16) & (years <= 21)))
    toggle = np.where(s["event"] == 1, EVENT_RECOVERY, onset)
    return [Outcome(EVENT, toggle, {"event": 1 - s["event"]}), Outcome(STAY, 1.0 - toggle, {})]


ENTRY_TYPES = (VMBO_BB, VMBO_KB, VMBO_GT, HAVO, VWO, PRO, VSO)
ENTRY_SHARES = np.array([0.12, 0.15, 0.31, 0.22, 0.14, 0.03, 0.015])
SO_ENTRY_SHARES = np.array([0.10, 0.0, 0.0, 0.0, 0.0, 0.25, 0.65])
ENTRY_TILT = np.array([0.35, 0.2, 0, -0.25, -0.5, 0.4, 0.4])  # log-odds per adverse trait
HAVO_VWO = np.array([0, 0, 0, 1, 1, 0, 0])


def entry_outcomes(s: State, month: int, age, rules: Rules) -> list[Outcome]:
    """August after primary school: the first secondary type, by the hidden burden and the school-mix trend."""
    so = (s["year"] == 1)[:, None]
    tilt = rules.calendar.havo_vwo_entry(month) * HAVO_VWO * ~so + np.outer(s["burden"], ENTRY_TILT)
    weights = np.where(so, SO_ENTRY_SHARES, ENTRY_SHARES) * np.exp(tilt)
    p = weights / weights.sum(axis=1, keepdims=True)
    return [Outcome(ENTRY, p[:, k], {"prog": prog, "year": 1, "path": PATH_NONE}) for k, prog in enumerate(ENTRY_TYPES)]


# --- which kernel for which state ---------------------------------------------------------------------


def enrolled_kernel(month: int):
    return {JUNE: exam_outcomes, AUGUST: rollover_outcomes}.get(month % 12 + 1, school_month_outcomes)


def career_groups(s: State, month: int, age, rules: Rules) -> list[tuple[np.ndarray, list[Outcome]]]:
    """The career step of one month: (rows, outcomes) for the enrolled, the out-of-school and the newcomers."""
    prog, year = s["prog"], s["year"]
    groups = [
        (np.flatnonzero(IS_PROGRAMME[prog]), enrolled_kernel(month)),
        (np.flatnonzero((prog == OUT) & (year != BUCKET_NEVER)), out_outcomes),
        (np.flatnonzero((prog == ABROAD) | ((prog == OUT) & (year == BUCKET_NEVER))), newcomer_outcomes),
    ]
    return [(rows, kernel(_rows(s, rows), month, _at(age, rows), rules)) for rows, kernel in groups if len(rows)]


def may_move(s: State, month: int, age) -> np.ndarray:
    """Rows whose career can change this month. In an ordinary school month (not June, not August) an
    enrolled youth under 18 who is still leerplichtig can only stay: the kernels give leaving and
    exemptions probability 0 there. The simulator skips those rows; the truth evaluates every state."""
    if month % 12 + 1 in (JUNE, AUGUST):
        return np.ones(len(s["prog"]), bool)
    age = np.asarray(age)
    return ~IS_PROGRAMME[s["prog"]] | (age >= ADULT) | leerplicht_over(month, age)


def _rows(s: State, rows: np.ndarray) -> State:
    return {name: values[rows] for name, values in s.items()}


def _at(age, rows):
    return age if np.ndim(age) == 0 else np.asarray(age)[rows]


def is_chain(prog: np.ndarray) -> np.ndarray:
    """States the monthly kernels move (not before secondary school, not after a startkwalificatie)."""
    return (prog != SQ) & (prog != PRIMARY) & (prog < N_PROG - 1)

