"""The synthetic region: municipalities with their sizes and absence levels, and the schools.

Figures from ../shared/domain-facts.md: youths 5–17 per municipality (2017/18, regrouped to today's
municipalities) and relative absence per 1,000 pupils. Schools: 195 primary schools, about 50
secondary locations (special education included), one ROC and one AOC with several locations, and
schools outside the region (Rotterdam, Breda, Utrecht, Vijfheerenlanden, Barendrecht, Delft, Leiden)
that youths also attend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsv_model.contract import REGION_MUNICIPALITIES

YOUTHS_5_17 = {
    "Dordrecht": 17117, "Hoeksche Waard": 13009, "Molenlanden": 7928, "Zwijndrecht": 6468,
    "Gorinchem": 5491, "Hendrik-Ido-Ambacht": 5477, "Papendrecht": 4966, "Sliedrecht": 3926,
    "Alblasserdam": 3431, "Hardinxveld-Giessendam": 3118,
}
ABSENCE_PER_1000 = {
    "Dordrecht": 39.6, "Hoeksche Waard": 20.8, "Molenlanden": 18.2, "Zwijndrecht": 29.7,
    "Gorinchem": 30.2, "Hendrik-Ido-Ambacht": 17.2, "Papendrecht": 31.6, "Sliedrecht": 31.6,
    "Alblasserdam": 23.0, "Hardinxveld-Giessendam": 15.7,
}
REGION_ABSENCE_PER_1000 = 27.3
ABSENCE_SHARE_SECONDARY, ABSENCE_SHARE_VOCATIONAL = 0.58, 0.25
# Share of youths with a migration background outside / inside Europe (CBS herkomst), by municipality:
# urban municipalities higher, so origin is linked to place (what a proxy audit should find).
SHARE_OUTSIDE_EUROPE = {
    "Dordrecht": 0.28, "Hoeksche Waard": 0.05, "Molenlanden": 0.04, "Zwijndrecht": 0.18,
    "Gorinchem": 0.20, "Hendrik-Ido-Ambacht": 0.10, "Papendrecht": 0.15, "Sliedrecht": 0.12,
    "Alblasserdam": 0.14, "Hardinxveld-Giessendam": 0.05,
}
SHARE_EUROPE = {m: (0.05 if SHARE_OUTSIDE_EUROPE[m] < 0.08 else 0.08) for m in REGION_MUNICIPALITIES}
# Where youths go to school outside the region, by where they live.
OUTSIDE_SCHOOL_SHARE = {
    "Hoeksche Waard": 0.35, "Molenlanden": 0.15, "Gorinchem": 0.12, "Hardinxveld-Giessendam": 0.10,
}
DEFAULT_OUTSIDE_SCHOOL_SHARE = 0.07
NEIGHBOURS_OUTSIDE = {
    "Hoeksche Waard": ("Rotterdam", "Barendrecht"),
    "Molenlanden": ("Vijfheerenlanden", "Utrecht"),
    "Gorinchem": ("Vijfheerenlanden", "Utrecht"),
    "Hardinxveld-Giessendam": ("Vijfheerenlanden",),
}
DEFAULT_NEIGHBOURS_OUTSIDE = ("Rotterdam", "Breda")

# po: primary; so: special primary; vo: vmbo/havo/vwo; special: pro and vso; isk: newcomers' classes.
SECTORS = ("po", "so", "vo", "special", "isk", "mbo", "vavo", "hbo", "wo")
LOCAL_ONLY = ("po", "so", "special", "isk")  # no school outside the region for these
UNDER_REPORTING_SHARE, UNDER_REPORTING_FACTOR = 0.15, 0.35


@dataclass(frozen=True)
class Schools:
    """A fixed registry: one row per school location, with its size (its weight in school choice)."""

    school_id: np.ndarray
    municipality: np.ndarray
    sector: np.ndarray
    size: np.ndarray
    propensity: np.ndarray  # the share of reportable absence the location reports
    climate: np.ndarray  # the location's absence level (a factor)

    def __len__(self) -> int:
        return len(self.school_id)

    def largest(self, sector: str) -> int:
        """The location of a sector with the largest size in the region (ties: the first)."""
        in_region = np.isin(self.municipality, REGION_MUNICIPALITIES) & (self.sector == sector)
        return int(np.argmax(np.where(in_region, self.size, -1.0)))


def _locations_per_municipality() -> dict[tuple[str, str], int]:
    """How many school locations of each sector each place has (po and vo in proportion to size)."""
    total = sum(YOUTHS_5_17.values())
    counts = {(m, "po"): max(2, round(195 * n / total)) for m, n in YOUTHS_5_17.items()}
    counts |= {(m, "vo"): max(1, round(44 * n / total)) for m, n in YOUTHS_5_17.items()}
    counts |= {("Dordrecht", "so"): 2, ("Gorinchem", "so"): 1, ("Zwijndrecht", "so"): 1, ("Hoeksche Waard", "so"): 1}
    counts |= {("Dordrecht", "special"): 3, ("Gorinchem", "special"): 1, ("Zwijndrecht", "special"): 1,
               ("Hoeksche Waard", "special"): 1}
    counts |= {("Dordrecht", "isk"): 1, ("Gorinchem", "isk"): 1}
    counts |= {("Dordrecht", "mbo"): 4, ("Gorinchem", "mbo"): 2, ("Papendrecht", "mbo"): 1, ("Sliedrecht", "mbo"): 1}
    counts |= {("Dordrecht", "vavo"): 1}
    counts |= {("Rotterdam", "vo"): 2, ("Rotterdam", "mbo"): 4, ("Rotterdam", "vavo"): 1, ("Rotterdam", "hbo"): 2,
               ("Rotterdam", "wo"): 1, ("Barendrecht", "vo"): 1, ("Breda", "mbo"): 2, ("Breda", "hbo"): 1,
               ("Utrecht", "mbo"): 1, ("Utrecht", "hbo"): 1, ("Utrecht", "wo"): 1, ("Vijfheerenlanden", "vo"): 1,
               ("Vijfheerenlanden", "mbo"): 1, ("Delft", "wo"): 1, ("Leiden", "wo"): 1}
    return counts


def build_schools() -> Schools:
    """The school registry, identical for every seed: BRIN-like ids (2 digits, 2 letters) plus a location
    number, and how each location reports and how much absence it has (`Schools.propensity`, `climate`).
    The first mbo location in Dordrecht is the ROC's main site (three times the others' size)."""
    ids, places, sectors, sizes = [], [], [], []
    for number, ((place, sector), count) in enumerate(sorted(_locations_per_municipality().items())):
        brin = f"{10 + number:02d}{chr(65 + number % 26)}{chr(65 + (number * 7) % 26)}"
        for location in range(count):
            ids.append(f"{brin}{location:02d}")
            places.append(place)
            sectors.append(sector)
            sizes.append(3.0 if (place, sector, location) == ("Dordrecht", "mbo", 0) else 1.0)
    propensity, climate = school_reporting(len(ids))
    return Schools(np.array(ids, dtype=object), np.array(places, dtype=object), np.array(sectors, dtype=object),
                   np.array(sizes), propensity, climate)


def school_reporting(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per location: the probability it reports absence it should report (a lognormal spread; 15% of the
    locations markedly under-report), and its absence level. Fixed for the registry (the same schools
    under-report in every world), so the region's figures do not hinge on a seed's draw of a few schools."""
    rng = np.random.default_rng(20170801)
    under = rng.random(n) < UNDER_REPORTING_SHARE
    propensity = np.minimum(rng.lognormal(0.0, 0.25, n) * np.where(under, UNDER_REPORTING_FACTOR, 1.0), 1.0)
    return propensity, rng.lognormal(0.0, 0.2, n)


def school_probabilities(schools: Schools, residence: str, sector: str) -> np.ndarray:
    """Where a youth from `residence` goes to a school of `sector`: mostly nearby, some outside the region."""
    of_sector = schools.sector == sector
    in_region = np.isin(schools.municipality, REGION_MUNICIPALITIES) & of_sector
    nearby = 6.0 if sector not in ("po", "so") else 60.0  # primary pupils go to school where they live
    weight = in_region * schools.size * np.where(schools.municipality == residence, nearby, 1.0)
    outside = np.isin(schools.municipality, NEIGHBOURS_OUTSIDE.get(residence, DEFAULT_NEIGHBOURS_OUTSIDE)) & of_sector
    if sector in ("hbo", "wo") or weight.sum() == 0:
        return of_sector * schools.size / (of_sector * schools.size).sum()
    probabilities = weight / weight.sum()
    if outside.any() and sector not in LOCAL_ONLY:
        share = OUTSIDE_SCHOOL_SHARE.get(residence, DEFAULT_OUTSIDE_SCHOOL_SHARE) * (1.3 if sector == "mbo" else 1.0)
        probabilities = (1 - share) * probabilities + share * outside / outside.sum()
    return probabilities


def absence_multiplier(municipalities: np.ndarray, table: dict[str, float]) -> np.ndarray:
    """Each residence's absence factor from a table by municipality name."""
    return np.array([table[m] for m in REGION_MUNICIPALITIES])[municipalities]


SECTOR_OF_TYPE = {"po": "po", "so": "so", "vso": "special", "pro": "special", "isk": "isk", "vmbo-bb": "vo",
                  "vmbo-kb": "vo", "vmbo-gt": "vo", "havo": "vo", "vwo": "vo", "vavo": "vavo", "mbo-1": "mbo",
                  "mbo-2": "mbo", "mbo-3": "mbo", "mbo-4": "mbo", "hbo": "hbo", "wo": "wo"}


@dataclass(frozen=True)
class SchoolChoice:
    """Vectorised school choice: one cumulative distribution per (residence, sector), searched at once."""

    flat: np.ndarray  # group g's cumulative probabilities, plus g (so groups never overlap)
    n_schools: int

    @classmethod
    def build(cls, schools: Schools) -> SchoolChoice:
        rows = [np.cumsum(school_probabilities(schools, place, sector))
                for place in REGION_MUNICIPALITIES for sector in SECTORS]
        cumulative = np.array(rows)
        cumulative[:, -1] = 1.0
        groups = np.arange(len(rows))[:, None]
        return cls((cumulative + groups).ravel(), len(schools))

    def draw(self, u: np.ndarray, residence: np.ndarray, sector: np.ndarray) -> np.ndarray:
        """A school per row for its residence and sector (index into SECTORS), from uniforms `u`."""
        group = np.asarray(residence) * len(SECTORS) + np.asarray(sector)
        position = np.searchsorted(self.flat, group + np.minimum(u, 1 - 1e-12), side="right")
        return (position - group * self.n_schools).astype(np.int32)
