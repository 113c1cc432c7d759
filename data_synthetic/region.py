"""The synthetic region: municipalities with their sizes and absence levels, and the schools.

Figures from ../shared/domain-facts.md: youths 5–17 per municipality (2017/18,
regrouped to today's municipalities) and relative absence per 1,000 pupils.
Schools: about 50 secondary locations, one ROC and one AOC with several
locations, and schools outside the region (Rotterdam, Breda, Utrecht,
Vijfheerenlanden, Barendrecht) that youths also attend.
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

SECTORS = ("vo", "special", "mbo", "vavo")


@dataclass(frozen=True)
class Schools:
    """A fixed registry: one row per school location."""

    school_id: np.ndarray
    municipality: np.ndarray
    sector: np.ndarray

    def in_place(self, municipality: str, sector: str) -> np.ndarray:
        return np.flatnonzero((self.municipality == municipality) & (self.sector == sector))


def _locations_per_municipality() -> dict[tuple[str, str], int]:
    """How many school locations of each sector each place has (vo in proportion to size)."""
    total = sum(YOUTHS_5_17.values())
    counts = {(m, "vo"): max(1, round(50 * n / total)) for m, n in YOUTHS_5_17.items()}
    counts |= {("Dordrecht", "special"): 3, ("Gorinchem", "special"): 1, ("Zwijndrecht", "special"): 1}
    counts |= {("Dordrecht", "mbo"): 4, ("Gorinchem", "mbo"): 2, ("Papendrecht", "mbo"): 1, ("Sliedrecht", "mbo"): 1}
    counts |= {("Dordrecht", "vavo"): 1}
    counts |= {("Rotterdam", "vo"): 2, ("Rotterdam", "mbo"): 4, ("Rotterdam", "vavo"): 1, ("Barendrecht", "vo"): 1}
    counts |= {("Breda", "mbo"): 2, ("Utrecht", "mbo"): 1, ("Vijfheerenlanden", "vo"): 1, ("Vijfheerenlanden", "mbo"): 1}
    return counts


def build_schools() -> Schools:
    """The school registry, identical for every seed: BRIN-like ids (2 digits, 2 letters) plus a location number."""
    ids, places, sectors = [], [], []
    for number, ((place, sector), count) in enumerate(sorted(_locations_per_municipality().items())):
        brin = f"{10 + number:02d}{chr(65 + number % 26)}{chr(65 + (number * 7) % 26)}"
        for location in range(count):
            ids.append(f"{brin}{location:02d}")
            places.append(place)
            sectors.append(sector)
    return Schools(np.array(ids, dtype=object), np.array(places, dtype=object), np.array(sectors, dtype=object))


def absence_multiplier(municipalities: np.ndarray) -> np.ndarray:
    """Each municipality's absence level relative to the region's."""
    table = {m: v / REGION_ABSENCE_PER_1000 for m, v in ABSENCE_PER_1000.items()}
    return np.array([table[m] for m in REGION_MUNICIPALITIES])[municipalities]
