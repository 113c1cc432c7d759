"""Who lives in the synthetic region: ids, cohorts, ages, residence, audit attributes and a latent risk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_synthetic.region import SHARE_EUROPE, SHARE_OUTSIDE_EUROPE, YOUTHS_5_17
from vsv_model.contract import REGION_MUNICIPALITIES

ROLES = ("in_scope", "qualified", "under_18", "over_age")
IN_SCOPE, QUALIFIED, UNDER_18, OVER_AGE = range(4)
HISTORICAL, CURRENT = 0, 1
_ID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)  # ASCII-ascending
_ID_MODULUS = 1 << 40
_ID_MULTIPLIER = 0x9E3779B97F4A7C15 % _ID_MODULUS | 1  # odd: a bijection modulo 2**40


@dataclass(frozen=True)
class Youths:
    """Per-youth arrays; position i is youth i everywhere in the generator (sorted by youth_id)."""

    youth_id: np.ndarray
    cohort: np.ndarray
    as_of_day: np.ndarray
    role: np.ndarray
    birth_day: np.ndarray
    residence: np.ndarray  # index into REGION_MUNICIPALITIES
    gender: np.ndarray
    origin: np.ndarray
    risk: np.ndarray  # latent propensity; drives the history, never the outcome directly
    id_salt: int

    def __len__(self) -> int:
        return len(self.youth_id)


def scramble(numbers: np.ndarray, salt: int) -> np.ndarray:
    """A bijection on [0, 2**40): distinct numbers stay distinct."""
    return (numbers.astype(np.uint64) * np.uint64(_ID_MULTIPLIER) + np.uint64(salt)) % np.uint64(_ID_MODULUS)


def format_ids(scrambled: np.ndarray) -> np.ndarray:
    """Scrambled numbers to ids like 'J7Q2K9XM1'; the ids sort as the numbers do."""
    shifts = np.arange(35, -1, -5, dtype=np.uint64)[:8]
    digits = (scrambled[:, None] >> shifts) & np.uint64(31)
    chars = np.concatenate([np.full((len(scrambled), 1), ord("J"), np.uint8), _ID_ALPHABET[digits]], axis=1)
    return chars.view("S9").ravel().astype(str).astype(object)


def draw_categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows × categories) probability matrix."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    return (rng.random((len(probabilities), 1)) > cumulative).sum(axis=1).clip(max=probabilities.shape[1] - 1)


def draw_roles(rng: np.random.Generator, cohort: np.ndarray) -> np.ndarray:
    shares = np.array([[0.80, 0.15, 0.0, 0.05], [0.62, 0.15, 0.20, 0.03]])  # historical, current
    return draw_categorical(rng, shares[cohort])


def draw_ages(rng: np.random.Generator, role: np.ndarray) -> np.ndarray:
    """Completed age at the reference date, by role; younger ages are more common among 18–22."""
    in_scope_ages = np.array([0.27, 0.24, 0.20, 0.16, 0.13])
    age = 18 + draw_categorical(rng, np.tile(in_scope_ages, (len(role), 1)))
    age = np.where(role == UNDER_18, rng.integers(15, 18, len(role)), age)
    return np.where(role == OVER_AGE, rng.integers(23, 25, len(role)), age)


def draw_origin(rng: np.random.Generator, residence: np.ndarray) -> np.ndarray:
    outside = np.array([SHARE_OUTSIDE_EUROPE[m] for m in REGION_MUNICIPALITIES])[residence]
    europe = np.array([SHARE_EUROPE[m] for m in REGION_MUNICIPALITIES])[residence]
    probabilities = np.stack([1 - outside - europe, europe, outside], axis=1)
    return np.array(["nederland", "europa", "buiten_europa"], dtype=object)[draw_categorical(rng, probabilities)]


def draw_risk(rng: np.random.Generator, role: np.ndarray, residence: np.ndarray, gender: np.ndarray) -> np.ndarray:
    """Latent risk: by intended role, a little higher where absence is higher and for boys
    (56% of absence cases are boys). The outcome never reads it: only the features it shapes."""
    by_role = np.array([0.35, -1.1, 0.0, 0.6])[role]
    by_place = np.array([0.15 if m in ("Dordrecht", "Zwijndrecht", "Papendrecht", "Sliedrecht", "Gorinchem") else -0.05
                         for m in REGION_MUNICIPALITIES])[residence]
    return rng.normal(by_role + by_place + 0.12 * (gender == "M"), 1.0)


def draw_youths(rng: np.random.Generator, n: int, as_of_days: tuple[int, int], current_share: float) -> Youths:
    cohort = (rng.random(n) < current_share).astype(np.int64)
    role = draw_roles(rng, cohort)
    role = np.where((cohort == HISTORICAL) & (role == UNDER_18), IN_SCOPE, role)  # historical under-18s would grow up unfollowed
    as_of_day = np.asarray(as_of_days, dtype=np.int64)[cohort]
    age = draw_ages(rng, role)
    # A few days from any birthday on the reference date: nobody turns 18 or 23 on either cohort's
    # date, so the in-scope set at each date is exactly that cohort (the 7 years between the dates keep
    # the current cohort under 18 at the historical date), and every outcome has time to happen.
    birth_day = as_of_day - np.floor((age + rng.uniform(0.01, 0.99, n)) * 365.2425).astype(np.int64)
    sizes = np.array([YOUTHS_5_17[m] for m in REGION_MUNICIPALITIES], dtype=float)
    residence = draw_categorical(rng, np.tile(sizes, (n, 1)))
    gender = np.array(["M", "V", "X"], dtype=object)[draw_categorical(rng, np.tile([0.51, 0.485, 0.005], (n, 1)))]
    origin = draw_origin(rng, residence)
    risk = draw_risk(rng, role, residence, gender)
    salt = int(rng.integers(0, _ID_MODULUS))
    ids = format_ids(np.sort(scramble(np.arange(n), salt)))  # youths are i.i.d.: position order = id order
    return Youths(ids, cohort, as_of_day, role, birth_day, residence, gender, origin, risk, salt)


def unknown_ids(youths: Youths, count: int) -> np.ndarray:
    """Ids guaranteed not to belong to any youth: the same bijection on numbers past the population."""
    n = len(youths)
    return format_ids(scramble(np.arange(n, n + count), youths.id_salt))
