"""Who lives in the region: birth cohorts 1988-01-01 … 2021-09-30, residence, gender, origin, the hidden
traits, newcomers, and the pseudonymous ids.

At 1:1 (`youths=None`) each birth year's cohort is sized so that the youths aged 5–17 on 2017-10-01
match the region's published count per municipality (`region.YOUTHS_5_17`, about 5,450 a birth year),
with the births trend of the calendar effects (flat without drift). `youths=N` scales every cohort by
N / (the region's total), rounded so the total is exactly N.

The hidden traits (a hard home situation, poor health, low motivation) are drawn at birth,
independently of origin and municipality; low motivation is a little more common among boys (56% of
absence cases are boys). So is an absence proneness (a lognormal factor with mean 1) that only the
absence emissions read: some youths are reported again and again, for reasons the state does not hold.
Newcomers (mostly of origin `buiten_europa`) live abroad until they arrive (see
`kernels.newcomer_outcomes`); everyone else grows up here from birth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from data_synthetic.calendar import Calendar, months_of_days
from data_synthetic.region import SHARE_EUROPE, SHARE_OUTSIDE_EUROPE, YOUTHS_5_17
from data_synthetic.state import HEALTH, HOME, MOTIVATION, burden_of
from vsv_model.contract import REGION_MUNICIPALITIES
from vsv_model.dates import civil_from_days, day_of

FIRST_BIRTH, LAST_BIRTH = dt.date(1988, 1, 1), dt.date(2021, 9, 30)
COUNT_DATE = dt.date(2017, 10, 1)  # the published youths 5–17 are those of school year 2017/18
GENDERS = np.array(["M", "V", "X"], dtype=object)
GENDER_SHARES = np.array([0.51, 0.485, 0.005])
ORIGINS = np.array(["nederland", "europa", "buiten_europa"], dtype=object)
TRAIT_SHARES = {HOME: 0.15, HEALTH: 0.10}
LOW_MOTIVATION = {"M": 0.27, "V": 0.125, "X": 0.20}  # the documented gender tilt (boys: 56% of absence cases)
NEWCOMER_SHARE = {"nederland": 0.004, "europa": 0.08, "buiten_europa": 0.10}
SPECIAL_PRIMARY = 0.008  # so, times exp(0.7 per adverse trait)
PRONENESS_SD = 1.0  # a lognormal per youth: absence concentrates in some youths (56% of cases have one report)

_ID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)  # ASCII-ascending
_ID_MODULUS = 1 << 40
_ID_MULTIPLIER = 0x9E3779B97F4A7C15 % _ID_MODULUS | 1  # odd: a bijection modulo 2**40


@dataclass(frozen=True)
class Youths:
    """Per-youth arrays; position i is youth i everywhere in the generator (sorted by youth_id)."""

    youth_id: np.ndarray
    birth_day: np.ndarray
    residence: np.ndarray  # index into REGION_MUNICIPALITIES
    gender: np.ndarray
    origin: np.ndarray
    traits: np.ndarray  # hidden: bits HOME, HEALTH, MOTIVATION
    newcomer: np.ndarray  # hidden: lives abroad until arriving
    special_primary: np.ndarray  # so instead of po
    proneness: np.ndarray  # hidden: how absence-prone a youth is beyond the traits (mean 1; absence only)
    id_salt: int
    birth_month: np.ndarray  # months since January 1970 (the age in months is month - birth_month)
    birth_year: np.ndarray
    late_in_year: np.ndarray  # born after 1 October (completed years on 1 October: year - birth_year - this)

    def __len__(self) -> int:
        return len(self.youth_id)

    @property
    def burden(self) -> np.ndarray:
        return burden_of(self.traits)


def scramble(numbers: np.ndarray, salt: int) -> np.ndarray:
    """A bijection on [0, 2**40): distinct numbers stay distinct."""
    return (numbers.astype(np.uint64) * np.uint64(_ID_MULTIPLIER) + np.uint64(salt)) % np.uint64(_ID_MODULUS)


def format_ids(scrambled: np.ndarray, letter: str = "J") -> np.ndarray:
    """Scrambled numbers to ids like 'J7Q2K9XM1' (report numbers: 'M...'); the ids sort as the numbers do."""
    shifts = np.arange(35, -1, -5, dtype=np.uint64)[:8]
    digits = (scrambled[:, None] >> shifts) & np.uint64(31)
    chars = np.concatenate([np.full((len(scrambled), 1), ord(letter), np.uint8), _ID_ALPHABET[digits]], axis=1)
    return chars.view("S9").ravel().astype(str).astype(object)


def code_of(values: np.ndarray, names: np.ndarray) -> np.ndarray:
    """The position of each value in a short list of names."""
    return (np.asarray(values, dtype=object)[:, None] == names[None, :]).argmax(axis=1)


def draw_categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows × categories) probability matrix."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    return (rng.random((len(probabilities), 1)) > cumulative).sum(axis=1).clip(max=probabilities.shape[1] - 1)


def birth_years() -> np.ndarray:
    return np.arange(FIRST_BIRTH.year, LAST_BIRTH.year + 1)


def year_span(year: int, first: dt.date, last: dt.date) -> tuple[int, int]:
    """The first and last day number of a birth year inside [first, last]."""
    return max(day_of(dt.date(year, 1, 1)), day_of(first)), min(day_of(dt.date(year, 12, 31)), day_of(last))


def share_of_year(year: int, first: dt.date, last: dt.date) -> float:
    lo, hi = year_span(year, first, last)
    return max(hi - lo + 1, 0) / (day_of(dt.date(year, 12, 31)) - day_of(dt.date(year, 1, 1)) + 1)


def cohort_sizes(calendar: Calendar, born: tuple[dt.date, dt.date] = (FIRST_BIRTH, LAST_BIRTH)) -> np.ndarray:
    """Expected youths per birth year at 1:1, born within `born` (first and last birth day): the 5–17-year-olds of
    2017/18 match the published total."""
    years = birth_years()
    factor = calendar.birth_factor(years)
    aged_5_17 = (COUNT_DATE.replace(year=COUNT_DATE.year - 18) + dt.timedelta(days=1), COUNT_DATE.replace(year=2012))
    counted = np.array([share_of_year(y, *aged_5_17) for y in years])
    base = sum(YOUTHS_5_17.values()) / float((factor * counted).sum())
    simulated = np.array([share_of_year(y, *born) for y in years])
    return base * factor * simulated


def allocate(total: int, expected: np.ndarray) -> np.ndarray:
    """Whole counts summing to `total`, proportional to `expected` (largest remainders)."""
    exact = expected / expected.sum() * total
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(counts - exact, kind="stable")[: total - counts.sum()]] += 1
    return counts


def draw_birth_days(rng: np.random.Generator, counts: np.ndarray,
                    born: tuple[dt.date, dt.date] = (FIRST_BIRTH, LAST_BIRTH)) -> np.ndarray:
    """Birth days uniform within each birth year (within the simulated span)."""
    spans = np.array([year_span(y, *born) for y in birth_years()])
    lo, hi = np.repeat(spans[:, 0], counts), np.repeat(spans[:, 1], counts)
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def draw_origin(rng: np.random.Generator, residence: np.ndarray) -> np.ndarray:
    """CBS herkomst, linked to the municipality (urban places have more youths of non-European origin)."""
    outside = np.array([SHARE_OUTSIDE_EUROPE[m] for m in REGION_MUNICIPALITIES])[residence]
    europe = np.array([SHARE_EUROPE[m] for m in REGION_MUNICIPALITIES])[residence]
    return ORIGINS[draw_categorical(rng, np.stack([1 - outside - europe, europe, outside], axis=1))]


def draw_traits(rng: np.random.Generator, gender: np.ndarray) -> np.ndarray:
    """Three independent hidden traits as bits; none depends on origin or place."""
    n = len(gender)
    traits = np.zeros(n, dtype=np.int8)
    for bit, share in TRAIT_SHARES.items():
        traits |= np.where(rng.random(n) < share, bit, 0).astype(np.int8)
    low = np.array([LOW_MOTIVATION[g] for g in GENDERS])[code_of(gender, GENDERS)]
    return traits | np.where(rng.random(n) < low, MOTIVATION, 0).astype(np.int8)


def draw_youths(rng: np.random.Generator, youths: int | None, calendar: Calendar,
                born: tuple[dt.date, dt.date] = (FIRST_BIRTH, LAST_BIRTH)) -> Youths:
    """The whole population (or only the youths born within `born`, a sub-range of the simulated span), in id
    order (ids are assigned after a shuffle: independent of everything)."""
    expected = cohort_sizes(calendar, born)
    total = int(round(expected.sum())) if youths is None else youths
    birth_day = rng.permutation(draw_birth_days(rng, allocate(total, expected), born))
    n = len(birth_day)
    sizes = np.array([YOUTHS_5_17[m] for m in REGION_MUNICIPALITIES], dtype=float)
    residence = draw_categorical(rng, np.tile(sizes, (n, 1)))
    gender = GENDERS[draw_categorical(rng, np.tile(GENDER_SHARES, (n, 1)))]
    origin = draw_origin(rng, residence)
    traits = draw_traits(rng, gender)
    newcomer = rng.random(n) < np.array([NEWCOMER_SHARE[o] for o in ORIGINS])[code_of(origin, ORIGINS)]
    special = rng.random(n) < SPECIAL_PRIMARY * np.exp(0.7 * burden_of(traits))
    proneness = np.exp(PRONENESS_SD * rng.standard_normal(n) - PRONENESS_SD**2 / 2)
    salt = int(rng.integers(0, _ID_MODULUS))
    ids = format_ids(np.sort(scramble(np.arange(n), salt)))
    birth_year, month, day = civil_from_days(birth_day)
    late_in_year = ((month > 10) | ((month == 10) & (day > 1))).astype(np.int64)
    return Youths(ids, birth_day, residence, gender, origin, traits, newcomer, special, proneness, salt,
                  months_of_days(birth_day),
                  birth_year, late_in_year)


def born_in_target_group(day: dt.date, min_age: int, max_age: int) -> tuple[dt.date, dt.date]:
    """The first and last birth day of the youths whose completed age on `day` is in [min_age, max_age), clipped to
    the simulated span (a 29 February birthday falls on 28 February, as in `vsv_model.dates`)."""
    first = shifted_years(day, -max_age) + dt.timedelta(days=1)
    last = shifted_years(day, -min_age)
    if last < FIRST_BIRTH or first > LAST_BIRTH:
        raise ValueError(f"nobody of the simulated birth cohorts ({FIRST_BIRTH} to {LAST_BIRTH}) is {min_age} up to "
                         f"{max_age} on {day}")
    return max(first, FIRST_BIRTH), min(last, LAST_BIRTH)


def shifted_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def unknown_ids(youths: Youths, count: int) -> np.ndarray:
    """Ids guaranteed not to belong to any youth: the same bijection on numbers past the population."""
    n = len(youths)
    return format_ids(scramble(np.arange(n, n + count), youths.id_salt))
