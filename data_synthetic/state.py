"""The simulator's state: what a youth is at the start of a month, as small integer components.

A state is a dict of equal-length int8 arrays, one per component:

- `prog`: where the youth is: a programme (vmbo-bb … mbo-4, pro, vso, isk, vavo), `OUT` (left
  school), `ABROAD` (a newcomer not yet living here), `SQ` (holds a startkwalificatie: the
  outcome is decided), or before secondary school (`PRESCHOOL`, `PRIMARY`).
- `year`: the school year within the programme (1 … its duration); 0 = "completed, waiting for
  the August transition" (a vmbo or mbo-1 diploma, or the last year of pro, vso or isk). For
  `OUT` it is the months-out bucket (0: 0–2 months, 1: 3–11, 2: 12 or more, 3: never enrolled).
  For `PRIMARY` it is 1 in special primary education (so), else 0.
- `path`: BOL or BBL in mbo (0 elsewhere).
- `work`: working while out of school.
- `dipl`: the highest diploma that is no startkwalificatie, by the access it gives (none; basic:
  vmbo-bb or mbo-1; middle: vmbo-kb or vmbo-gt).
- `drops`: times the youth left school without a startkwalificatie (capped at 2).
- `burden`: how many of the three hidden traits drawn at birth (a hard home situation, poor health,
  low motivation) a youth has, 0–3. The dynamics read the traits only through this count; the
  absence emissions read each trait (they live beside the state, see `population.py`).
- `event`: a hidden life event (family crisis, debts, young parenthood, a health episode), on or off.
- `support`: the office's route still running (0 none, 1 letter, 2 conversation, 3 matchmaker; see
  `data_synthetic/office.py`): it changes later hazards and ends each month with a fixed chance. Always 0 in a world
  without the office (`--no-office`), whose state space then leaves it out.
- `group`: 1 for youths of origin `buiten_europa` only when a planted harm makes a hazard depend on
  origin (then the truth must condition on it); 0 otherwise.

The truth enumerates every state the dynamics can reach and packs each into one integer key.
"""

from __future__ import annotations

import numpy as np

from vsv_model.contract import DIPLOMA_LEVELS, EDUCATION_TYPES

(OUT, ABROAD, VMBO_BB, VMBO_KB, VMBO_GT, HAVO, VWO, PRO, VSO, ISK, VAVO,
 MBO1, MBO2, MBO3, MBO4, SQ, PRIMARY, PRESCHOOL) = range(18)
N_PROG = 18
PROGRAMMES = np.arange(VMBO_BB, MBO4 + 1)
PROG_NAMES = ("out", "abroad", "vmbo-bb", "vmbo-kb", "vmbo-gt", "havo", "vwo", "pro", "vso", "isk", "vavo",
              "mbo-1", "mbo-2", "mbo-3", "mbo-4", "sq", "primary", "preschool")
PATH_NONE, BOL, BBL = 0, 1, 2
BUCKET_NEVER = 3  # `year` of OUT: arrived as a newcomer and never enrolled
DIPL_NONE, DIPL_BASIC, DIPL_MIDDLE = 0, 1, 2
HOME, HEALTH, MOTIVATION = 1, 2, 4  # trait bits (per youth, beside the state)

COMPONENTS = ("prog", "year", "path", "work", "dipl", "drops", "burden", "event", "group", "support")
RADIX = {"prog": N_PROG, "year": 7, "path": 3, "work": 2, "dipl": 3, "drops": 3, "burden": 4, "group": 2, "event": 2,
         "support": 4}
KEY_ORDER = ("prog", "year", "path", "work", "dipl", "drops", "burden", "group", "support", "event")  # event last: a toggle is ±1
N_SUPPORT = 4  # no support and the three routes (1 + the route code of `vsv_model.route_draws`)

State = dict[str, np.ndarray]


def _table(mapping: dict[int, float | int], default=0, dtype=float) -> np.ndarray:
    out = np.full(N_PROG, default, dtype=dtype)
    for prog, value in mapping.items():
        out[prog] = value
    return out


DURATION = _table({VMBO_BB: 4, VMBO_KB: 4, VMBO_GT: 4, HAVO: 5, VWO: 6, PRO: 6, VSO: 6, ISK: 2, VAVO: 1,
                   MBO1: 1, MBO2: 2, MBO3: 3, MBO4: 4}, dtype=np.int8)
IS_PROGRAMME = _table({p: True for p in PROGRAMMES}, False, bool)
IS_MBO = _table({p: True for p in (MBO1, MBO2, MBO3, MBO4)}, False, bool)
IS_VO = _table({p: True for p in (VMBO_BB, VMBO_KB, VMBO_GT, HAVO, VWO, PRO, VSO, ISK, VAVO)}, False, bool)
HAS_EXAM = _table({p: True for p in (VMBO_BB, VMBO_KB, VMBO_GT, HAVO, VWO, VAVO, MBO1, MBO2, MBO3, MBO4)}, False, bool)
EXAM_IS_SQ = _table({p: True for p in (HAVO, VWO, VAVO, MBO2, MBO3, MBO4)}, False, bool)
DIPLOMA_ACCESS = _table({VMBO_BB: DIPL_BASIC, MBO1: DIPL_BASIC, VMBO_KB: DIPL_MIDDLE, VMBO_GT: DIPL_MIDDLE},
                        dtype=np.int8)
# The diploma level written for a passed exam (vavo leads to the havo exam), as an index into DIPLOMA_LEVELS.
LEVEL_OF = _table({VMBO_BB: DIPLOMA_LEVELS.index("vmbo-bb"), VMBO_KB: DIPLOMA_LEVELS.index("vmbo-kb"),
                   VMBO_GT: DIPLOMA_LEVELS.index("vmbo-gt"), HAVO: DIPLOMA_LEVELS.index("havo"),
                   VWO: DIPLOMA_LEVELS.index("vwo"), VAVO: DIPLOMA_LEVELS.index("havo"),
                   MBO1: DIPLOMA_LEVELS.index("mbo-1"), MBO2: DIPLOMA_LEVELS.index("mbo-2"),
                   MBO3: DIPLOMA_LEVELS.index("mbo-3"), MBO4: DIPLOMA_LEVELS.index("mbo-4")}, -1, np.int8)
# The contract's education type of each programme (an index into EDUCATION_TYPES).
TYPE_OF = _table({p: EDUCATION_TYPES.index(PROG_NAMES[p]) for p in PROGRAMMES}, -1, np.int8)


def trait_bit(traits: np.ndarray, bit: int) -> np.ndarray:
    return ((traits & bit) > 0).astype(float)


def burden_of(traits: np.ndarray) -> np.ndarray:
    """The number of adverse traits (the chain's `burden`) of trait bit sets."""
    return (trait_bit(traits, HOME) + trait_bit(traits, HEALTH) + trait_bit(traits, MOTIVATION)).astype(np.int8)


def take(state: State, rows) -> State:
    """The rows `rows` of every component."""
    return {name: values[rows] for name, values in state.items()}


def with_changes(state: State, changes: dict) -> State:
    """A copy of `state` with some components replaced (arrays or scalars, broadcast to its length)."""
    n = len(state["prog"])
    out = dict(state)
    for name, values in changes.items():
        out[name] = np.broadcast_to(np.asarray(values, dtype=np.int8), (n,))
    return out


def pack(state: State) -> np.ndarray:
    """One int64 key per row (mixed radix in KEY_ORDER, event the last digit)."""
    key = np.zeros(len(state["prog"]), dtype=np.int64)
    for name in KEY_ORDER:
        if name == "support" and name not in state:  # a state made without the office's component: no support
            key = key * RADIX[name]
            continue
        key = key * RADIX[name] + state[name].astype(np.int64)
    return key


def unpack(keys: np.ndarray) -> State:
    """The inverse of `pack`."""
    keys = np.asarray(keys, dtype=np.int64).copy()
    state = {}
    for name in reversed(KEY_ORDER):
        state[name] = (keys % RADIX[name]).astype(np.int8)
        keys //= RADIX[name]
    return {name: state[name] for name in COMPONENTS}


def empty_state(n: int) -> State:
    return {name: np.zeros(n, dtype=np.int8) for name in COMPONENTS}
