"""The known truth, exact: backward induction over the simulator's own state.

`p_true` is P(no startkwalificatie diploma dated before the 23rd birthday | the world's full state
on the reference date): the programme and its year, the learning path, months out and work, the
diplomas, earlier dropout, the hidden traits, the life event (and the origin group when a planted
harm needs it), the calendar month and the age. `p_true_27` is the same before the 27th birthday.

Method. From secondary school on, the simulator is a Markov chain on the discrete state of
`state.py`, and each month is two kernels (`kernels.py`): the life event, then the career. The
value of a state is the probability of reaching the deadline without a startkwalificatie:

    V(c, a, s) = sum over the life event's outcomes e and the career's outcomes o of
                 P_e(s | c, a) * P_o(s_e | c, a) * V(c + 1, a + 1, s_eo),

with V = 0 once the youth holds a startkwalificatie and V = 1 at the start of the deadline's
month. The sums run over exactly the outcomes the simulator draws from, so the truth is exact by
construction (up to floating point), not estimated. Months are indexed from January 1970 and the
age `a` is months since the birth month; from 18 on a kernel reads the age only through completed
years, so each month is evaluated once per year of age.

The birthday month: a diploma of that month counts only when dated before the birthday. Diploma
days are uniform on the month's days 2..last, so P(before the birthday) = f is known per youth,
and the value is linear in f: p = (1 - f) * V0 + f * V1, where V0 stops at the start of the
birthday's month and V1 at the start of the next month. Both are columns of one value table.

After the data's end the calendar is stationary (the effects of the last simulated month, the
months of the year still turning), so the induction starts far enough beyond the data's end that
every column is exact there, and runs back to the first reference date. It depends only on the
world's dynamics (drift, the shifts that change dynamics, the planted outcome gap, the data's
end), not on the seed or the size, and is memoised per those.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from data_synthetic.calendar import first_day, month_of_year
from data_synthetic.kernels import ADULT, SUPPORT_END, Rules, career_groups, life_event_outcomes
from data_synthetic.state import (
    ABROAD,
    BUCKET_NEVER,
    DIPL_BASIC,
    DIPL_MIDDLE,
    DIPL_NONE,
    DIPLOMA_ACCESS,
    DURATION,
    HAVO,
    ISK,
    MBO1,
    MBO2,
    MBO3,
    MBO4,
    N_SUPPORT,
    OUT,
    PRO,
    SQ,
    VAVO,
    VMBO_BB,
    VMBO_GT,
    VMBO_KB,
    VSO,
    VWO,
    State,
    pack,
    unpack,
    with_changes,
)
from vsv_model.dates import birthday_days, civil_from_days
from vsv_model.target_group import CURRENT_LAW, EXTENDED_TO_27

DEADLINES = (CURRENT_LAW.outcome_age, EXTENDED_TO_27.outcome_age)  # today's outcome age and the law change's
LAST_AGE = DEADLINES[-1] * 12 + 1
FIRST_BAND, LAST_BAND = 18, 25  # completed years a kernel can tell apart from 18 on
VO_PROGRAMMES = (VMBO_BB, VMBO_KB, VMBO_GT, HAVO, VWO, PRO, VSO, ISK)


# --- the state space ------------------------------------------------------------------------------


def _positions() -> list[dict]:
    """Every (programme, year, path, work, dipl, drops) a youth can hold from secondary school on."""
    rows = []
    for prog in VO_PROGRAMMES:  # nobody returns to vo after leaving: drops 0
        first = 0 if prog in (VMBO_BB, VMBO_KB, VMBO_GT) else 1
        for year in range(first, int(DURATION[prog]) + 1):
            after_gt = prog == HAVO and year >= 4  # havo 4 and 5 also take vmbo-gt graduates
            waiting = [int(DIPLOMA_ACCESS[prog])]  # year 0: passed, the diploma gives its access
            dipls = waiting if year == 0 else ([DIPL_NONE, DIPL_MIDDLE] if after_gt else [DIPL_NONE])
            rows += [dict(prog=prog, year=year, path=0, work=0, dipl=d, drops=0) for d in dipls]
    for dipl, drops in itertools.product((DIPL_NONE, DIPL_BASIC, DIPL_MIDDLE), (0, 1, 2)):
        rows.append(dict(prog=VAVO, year=1, path=0, work=0, dipl=dipl, drops=drops))
        for prog in (MBO1, MBO2, MBO3, MBO4):
            for year, path in itertools.product(range(0 if prog == MBO1 else 1, int(DURATION[prog]) + 1), (1, 2)):
                rows.append(dict(prog=prog, year=year, path=path, work=0, dipl=dipl, drops=drops))
        if drops:
            rows += [dict(prog=OUT, year=b, path=0, work=w, dipl=dipl, drops=drops) for b in range(3) for w in (0, 1)]
    rows.append(dict(prog=OUT, year=BUCKET_NEVER, path=0, work=0, dipl=DIPL_NONE, drops=0))
    rows.append(dict(prog=ABROAD, year=0, path=0, work=0, dipl=DIPL_NONE, drops=0))
    return rows


def state_space(origin_in_state: bool, office: bool = False) -> State:
    """All states of the chain (sorted by key), hidden traits, life event and origin group included; with the
    office, every route's support too."""
    positions = _positions()
    groups = (0, 1) if origin_in_state else (0,)
    supports = range(N_SUPPORT) if office else (0,)
    combos = [p | dict(burden=b, group=g, event=e, support=r) for p in positions for b in range(4) for g in groups
              for e in (0, 1) for r in supports]
    state = {name: np.array([c[name] for c in combos], dtype=np.int8) for name in combos[0]}
    return unpack(np.unique(pack(state)))


def index_of(keys: np.ndarray, space_keys: np.ndarray, strict: bool = True) -> np.ndarray:
    """Positions of `keys` in the sorted `space_keys`; -1 where absent (or an error when strict)."""
    pos = np.searchsorted(space_keys, keys).clip(max=len(space_keys) - 1)
    found = space_keys[pos] == keys
    if strict and not found.all():
        missing = unpack(keys[~found][:1])
        raise ValueError(f"state outside the enumerated state space: { {k: int(v[0]) for k, v in missing.items()} }")
    return np.where(found, pos, -1)


# --- columns: (deadline, f, age) ------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """The value table's columns: for each deadline and f in {0, 1}, the ages 216 … the deadline's
    month (+ f). Ordered by year of age, so each year's columns are one slice (`bands`)."""

    age: np.ndarray
    successor: np.ndarray  # the column of the same variant one month older
    terminal: np.ndarray  # bool: the deadline's column (value 1)
    bands: tuple[slice, ...]  # columns of completed years 18, 19, …, 25 and over
    position: dict  # (deadline, f, age) -> column

    @classmethod
    def build(cls) -> Columns:
        cells = [(min(age // 12, LAST_BAND), deadline, f, age) for deadline, f in itertools.product(DEADLINES, (0, 1))
                 for age in range(ADULT, deadline * 12 + f + 1)]
        cells.sort()
        position = {(deadline, f, age): j for j, (_, deadline, f, age) in enumerate(cells)}
        age = np.array([c[3] for c in cells])
        terminal = np.array([c[3] == c[1] * 12 + c[2] for c in cells])
        successor = np.array([j if terminal[j] else position[(c[1], c[2], c[3] + 1)] for j, c in enumerate(cells)])
        band_of = np.array([c[0] for c in cells])
        bands = tuple(slice(int(np.argmax(band_of == b)), int(len(band_of) - np.argmax(band_of[::-1] == b)))
                      for b in range(FIRST_BAND, LAST_BAND + 1))
        return cls(age, successor, terminal, bands, position)

    @cached_property
    def by_age(self) -> dict[tuple[int, int], np.ndarray]:
        """Per (deadline, f): the column of each age (-1 where none), made once (a lookup per month reads it)."""
        lookups = {}
        for (deadline, f, age), j in self.position.items():
            lookups.setdefault((deadline, f), np.full(LAST_AGE + 2, -1))[age] = j
        return lookups

    def of(self, deadline: int, f: int, age: np.ndarray) -> np.ndarray:
        """The column of each age for one deadline and f."""
        return self.by_age[(deadline, f)][age]


# --- one month, evaluated for every state and every year of age -------------------------------------


@dataclass
class MonthStep:
    """A month's transitions for the whole state space: per career group and outcome, the rows, the
    probability per band (rows × bands) and the next state's index (-1: a startkwalificatie)."""

    career: list[tuple[np.ndarray, list[tuple[np.ndarray | None, np.ndarray, np.ndarray]]]]  # (live rows, p, target)
    event_toggle: np.ndarray  # rows × bands
    toggle_index: np.ndarray
    matrices: tuple | None = None  # with the office: per band, the whole month as one sparse matrix (`month_matrices`)


def evaluate_month(space: State, keys: np.ndarray, month: int, rules: Rules) -> MonthStep:
    """Run the kernels on every state at each year of age from 18, and index the next states."""
    bands = [12 * years for years in range(FIRST_BAND, LAST_BAND + 1)]
    toggle = np.stack([life_event_outcomes(space, month, a, rules)[0].p for a in bands], axis=1)
    flipped = index_of(pack(with_changes(space, {"event": 1 - space["event"]})), keys)
    per_band = [career_groups(space, month, a, rules) for a in bands]
    career = []
    for g, (rows, outcomes) in enumerate(per_band[0]):
        sub = {name: values[rows] for name, values in space.items()}
        items = []
        for o, outcome in enumerate(outcomes):
            p = np.stack([np.broadcast_to(per_band[b][g][1][o].p, rows.shape) for b in range(len(bands))], axis=1)
            nxt = with_changes(sub, outcome.next)
            target = np.where(nxt["prog"] == SQ, -1, index_of(pack(nxt), keys, strict=False))
            _check_targets(target, nxt, p)
            live = np.flatnonzero((target >= 0) & (p > 0).any(axis=1))
            if len(live) == len(rows):
                items.append((None, p, target))
            elif len(live):
                items.append((live, p[live], target[live]))
        career.append((rows, items))
    if not rules.office:
        return MonthStep(career, toggle, flipped)
    ends = SUPPORT_END[space["support"]]
    unsupported = index_of(pack(with_changes(space, {"support": 0})), keys)
    return MonthStep([], toggle, flipped, month_matrices(career, toggle, flipped, ends, unsupported))


def month_matrices(career: list, toggle: np.ndarray, flipped: np.ndarray, ends: np.ndarray,
                   unsupported: np.ndarray) -> tuple:
    """With the office (4 times the states): per band, the month as one sparse matrix E @ C @ S, applied to the next
    month's values in one product (about twice as fast as `propagate`'s gathers, equal to 1e-15): S ends a route
    after the step (row j: 1 - end_j at j, end_j at j without support), C the career's outcomes, E the life event
    (row i: 1 - toggle_i at i, toggle_i at the state with the event flipped)."""
    n = len(flipped)
    rows, targets, p = [], [], []
    for group, items in career:
        for live, probability, target in items:
            rows.append(group if live is None else group[live])
            targets.append(target)
            p.append(probability)
    rows, targets, p = np.concatenate(rows), np.concatenate(targets), np.concatenate(p)
    diagonal = np.arange(n)
    support = sparse.csr_matrix((np.concatenate([1 - ends, ends]), (np.tile(diagonal, 2),
                                                                      np.concatenate([diagonal, unsupported]))), (n, n))
    matrices = []
    for band in range(toggle.shape[1]):
        event = sparse.csr_matrix((np.concatenate([1 - toggle[:, band], toggle[:, band]]),
                                   (np.tile(diagonal, 2), np.concatenate([diagonal, flipped]))), (n, n))
        steps = sparse.csr_matrix((p[:, band], (rows, targets)), (n, n))
        matrices.append((event @ steps @ support).tocsr())
    return tuple(matrices)


def _check_targets(target: np.ndarray, nxt: State, p: np.ndarray) -> None:
    """Every outcome with a positive probability must lead into the state space (or to SQ)."""
    lost = (target < 0) & (nxt["prog"] != SQ) & (p > 0).any(axis=1)
    if lost.any():
        first = {k: int(v[np.flatnonzero(lost)[0]]) for k, v in nxt.items()}
        raise ValueError(f"a kernel leads outside the state space: {first}")


def backward_month(value: np.ndarray, step: MonthStep, columns: Columns) -> np.ndarray:
    """V(c) from V(c + 1) for every column; the deadlines' columns stay 1.

    Works one year of age (a block of columns) at a time, so each block's arithmetic stays in cache."""
    result = np.empty_like(value)
    for band, cols in enumerate(columns.bands):
        older = np.take(value, columns.successor[cols], axis=1)
        result[:, cols] = propagate(step, older, band)
    result[:, columns.terminal] = 1.0
    return result


def propagate(step: MonthStep, older: np.ndarray, band: int) -> np.ndarray:
    """One month backwards for columns of one year of age: the career's outcomes, then the life event's.
    `older` holds the next month's values already moved to the columns one month older. With the office, a route
    ends after the month's step with its fixed chance (`kernels.SUPPORT_END`); the month is then one sparse
    matrix per band (`month_matrices`)."""
    if step.matrices is not None:
        return np.asarray(step.matrices[band] @ older)
    result = np.empty_like(older)
    for rows, items in step.career:
        acc = np.zeros((len(rows), older.shape[1]))
        for live, p, target in items:
            part = np.take(older, target, axis=0)
            part *= p[:, band, None]
            if live is None:
                acc += part
            else:
                acc[live] += part
        result[rows] = acc
    flipped = np.take(result, step.toggle_index, axis=0)
    flipped -= result
    flipped *= step.event_toggle[:, band, None]
    result += flipped
    return result


# --- the induction, memoised per world dynamics -------------------------------------------------------


@dataclass
class ValueTables:
    """The value table at each reference month, for every state and column."""

    keys: np.ndarray
    columns: Columns
    at_month: dict[int, np.ndarray]


@dataclass(frozen=True)
class MonthReads:
    """What to read while a backward pass holds a month's table: `read(month, tables)` at each of `months` (any
    month up to the one after the data's end, not only the reference months). The pass keeps no table beyond the
    month it reads: every month's table would cost memory (6 MB each)."""

    months: frozenset[int]
    read: Callable[[int, ValueTables], object]


_MEMO: OrderedDict = OrderedDict()
MEMO_SIZE = 3


def value_tables(rules: Rules, origin_in_state: bool, reference_months: tuple[int, ...]) -> ValueTables:
    """The exact value tables, computed once per (dynamics, origin in state, reference months)."""
    return value_tables_and_reads(rules, origin_in_state, reference_months)[0]


def value_tables_and_reads(rules: Rules, origin_in_state: bool, reference_months: tuple[int, ...],
                           reads: MonthReads | None = None) -> tuple[ValueTables, dict | None]:
    """`value_tables`, and `reads` made in the same pass when the memo misses (the pass runs anyway, and goes back
    as far as the reads need); None when it hits: a caller that needs the reads then makes them in a pass of its
    own (`read_months`)."""
    key = (rules.key(), origin_in_state, reference_months)
    done = None
    if key not in _MEMO:
        _MEMO[key], done = induce(rules, origin_in_state, reference_months, reads)
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    _MEMO.move_to_end(key)
    return _MEMO[key], done


def induce(rules: Rules, origin_in_state: bool, reference_months: tuple[int, ...],
           reads: MonthReads | None = None) -> tuple[ValueTables, dict]:
    """Backward induction: the stationary calendar after the data's end, then month by month back to the
    first reference month (or the first month `reads` asks for, when earlier). Returns the reference months'
    tables and the reads."""
    space = state_space(origin_in_state, rules.office)
    keys, columns = pack(space), Columns.build()
    months = reads.months if reads else frozenset()
    stored, done = {}, {}
    for month, value in backward_tables(space, keys, columns, rules, min([*reference_months, *months])):
        if month in reference_months:
            stored[month] = value
        if month in months:
            done[month] = reads.read(month, ValueTables(keys, columns, {month: value}))
    return ValueTables(keys, columns, stored), done


def read_months(rules: Rules, origin_in_state: bool, reads: MonthReads) -> dict:
    """`reads` in one backward pass of their own (it costs one induction, whatever the world's size)."""
    if not reads.months:
        return {}
    return induce(rules, origin_in_state, (), reads)[1]


def backward_tables(space: State, keys: np.ndarray, columns: Columns, rules: Rules,
                    first_month: int) -> Iterator[tuple[int, np.ndarray]]:
    """The value table of each month, newest first: the first month after the data's end (the stationary
    calendar), then every month back to `first_month`. One table at a time: a caller keeps what it needs."""
    cache: OrderedDict = OrderedDict()
    last = rules.calendar.last_month
    value = stationary_values(space, keys, columns, rules, cache)
    yield last + 1, value
    for month in range(last, first_month - 1, -1):
        value = backward_month(value, month_step(space, keys, month, rules, cache), columns)
        yield month, value


def stationary_values(space: State, keys: np.ndarray, columns: Columns, rules: Rules, cache: OrderedDict) -> np.ndarray:
    """V at the first month after the data's end. The calendar no longer changes, so V depends on the month
    of the year, not the month: one table per month of the year, filled age by age from the deadlines down."""
    first = rules.calendar.last_month + 1
    steps = [month_step(space, keys, first + k, rules, cache) for k in range(12)]
    tables = [np.ones((len(keys), len(columns.age))) for _ in range(12)]
    for age in range(int(columns.age.max()) - 1, ADULT - 1, -1):
        cols = np.flatnonzero((columns.age == age) & ~columns.terminal)
        band = min(age // 12, LAST_BAND) - FIRST_BAND
        for k in range(12):  # independent of the order: month k reads month k + 1 at age + 1
            older = tables[(k + 1) % 12][:, columns.successor[cols]]
            tables[k][:, cols] = propagate(steps[k], older, band)
    return tables[0]


def month_step(space: State, keys: np.ndarray, month: int, rules: Rules, cache: OrderedDict) -> MonthStep:
    """A month's evaluated kernels, shared by months with the same month of the year and calendar."""
    key = (int(month_of_year(month)), rules.calendar.dynamics_at(month))
    if key not in cache:
        cache[key] = evaluate_month(space, keys, month, rules)
        while len(cache) > 24:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]


# --- reading the truth for youths -------------------------------------------------------------------


def birthday_fraction(birth_days: np.ndarray, age: int) -> np.ndarray:
    """f: the share of the birthday month's diploma days (2..last) that lie before the `age`-th birthday."""
    birthday = birthday_days(birth_days, age)
    year, month, day = civil_from_days(birthday)
    first = first_day((year - 1970) * 12 + month - 1)
    last = first_day((year - 1970) * 12 + month) - first
    return np.maximum(day - 2, 0) / (last - 1)


def lookup(tables: ValueTables, month: int, states: State, age: np.ndarray, f: np.ndarray, deadline: int) -> np.ndarray:
    """P(no startkwalificatie before the deadline birthday) for youths in `states` at `month`."""
    return lookup_keys(tables, month, pack(states), age, f, deadline)


def lookup_keys(tables: ValueTables, month: int, keys: np.ndarray, age: np.ndarray, f: np.ndarray,
                deadline: int) -> np.ndarray:
    """`lookup` for youths given by their packed states."""
    rows = index_of(keys, tables.keys)
    value = tables.at_month[month]
    v0 = value[rows, tables.columns.of(deadline, 0, age)]
    v1 = value[rows, tables.columns.of(deadline, 1, age)]
    return np.clip((1.0 - f) * v0 + f * v1, 0.0, 1.0)  # sums of products can pass 1 by a rounding (1.0000000000000002)
