"""The region's published figures beside the simulated ones, computed from the written tables.

An implementation of its own (not the feature builders): the tables as written (duplicates, unknown youths
and odd values included) are read with the contract's definitions, then per school year:

- new early school leavers, DUO's definition: enrolled in vo or mbo on 1 October of year t, aged 12–22,
  no startkwalificatie; on 1 October of t+1 enrolled nowhere and still none. The rate is over all
  enrolled 12–22-year-olds without one on 1 October of t (published 651–699, 1.5–1.6% for 2014/15–2016/17);
- vo→mbo transitions: mbo enrolments started in the school year whose preceding enrolment was in
  secondary school (the feature's definition; about 3,800 a year);
- youths aged 5–17 on 1 October per municipality of residence (published for 2017/18);
- relative absence: pupils aged 5–17 enrolled on 1 October with at least one absence report dated in the
  school year, per 1,000 such pupils, by municipality of residence (published for 2017/18), and the share
  of those pupils in secondary and in vocational education (58% and 25%);
- the target group on each reference date (18–22 and 18–26 without a startkwalificatie) against the
  matchmakers' capacity of 470.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_synthetic.region import (
    ABSENCE_PER_1000,
    ABSENCE_SHARE_SECONDARY,
    ABSENCE_SHARE_VOCATIONAL,
    REGION_ABSENCE_PER_1000,
    YOUTHS_5_17,
)
from vsv_model.contract import (
    DIPLOMA_LEVELS,
    EDUCATION_TYPES,
    MBO_TYPES,
    PRIMARY_TYPES,
    REGION_MUNICIPALITIES,
    SECONDARY_TYPES,
    is_startkwalificatie,
    normalise_enum,
    normalise_municipalities,
)
from vsv_model.dates import MISSING_DAY, civil_from_days, day_of
from vsv_model.policy import CAPACITY as MATCHMAKER_PLACES

CAPACITY = MATCHMAKER_PLACES["high"]  # the matchmakers' places a year (vsv_model.policy)
LEAVER_YEARS = (2014, 2015, 2016)
TRANSITION_YEARS = (2014, 2015, 2016, 2017, 2018)
COUNT_YEAR = 2017
VO_TYPES = (*SECONDARY_TYPES, "isk", "vavo")
VOCATIONAL_TYPES = (*MBO_TYPES, "vavo")
REGION = "region"


@dataclass
class Registry:
    """The written tables, de-duplicated, restricted to known youths and normalised, as arrays by youth position."""

    birth_day: np.ndarray
    residence: np.ndarray  # index into REGION_MUNICIPALITIES (-1: elsewhere or unknown)
    enr_youth: np.ndarray
    enr_type: np.ndarray  # index into EDUCATION_TYPES (-1: unknown)
    enr_start: np.ndarray
    enr_end: np.ndarray  # MISSING_DAY: still running
    sq_youth: np.ndarray
    sq_day: np.ndarray
    rep_youth: np.ndarray
    rep_day: np.ndarray
    transition_days: np.ndarray = None  # start days of mbo enrolments that follow a secondary one
    birth_year: np.ndarray = None
    late_in_year: np.ndarray = None  # born after 1 October in the year

    @property
    def n(self) -> int:
        return len(self.birth_day)

    def age_on_october_first(self, year: int) -> np.ndarray:
        """Completed years on 1 October of `year` (a birthday later in the year has not passed yet)."""
        if self.birth_year is None:
            self.birth_year, month, day = civil_from_days(self.birth_day)
            self.late_in_year = (month > 10) | ((month == 10) & (day > 1))
        return year - self.birth_year - self.late_in_year


def distinct_known(table: dict, ids: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """Exact duplicates counted once and records of unknown youths dropped; the rows and their youth positions."""
    frame = pd.DataFrame(table)
    frame = frame[~frame.duplicated()]
    position = ids.get_indexer(frame["youth_id"])
    return frame[position >= 0], position[position >= 0]


def read_registry(tables: dict) -> Registry:
    """The registry from the tables as written (string ids, duplicates, strangers), or from the same tables
    keyed by youth position before those lossless kinds of mess (the generator's fast path; equal figures)."""
    if np.issubdtype(np.asarray(tables["youths"]["youth_id"]).dtype, np.integer):
        youths, enr, dip, rep = (pd.DataFrame(tables[name]) for name in ("youths", "enrollments", "diplomas",
                                                                          "absence_reports"))
        enr_youth, dip_youth, rep_youth = (t["youth_id"].to_numpy() for t in (enr, dip, rep))
    else:
        youths = pd.DataFrame(tables["youths"]).drop_duplicates()
        ids = pd.Index(youths["youth_id"])
        enr, enr_youth = distinct_known(tables["enrollments"], ids)
        dip, dip_youth = distinct_known(tables["diplomas"], ids)
        rep, rep_youth = distinct_known(tables["absence_reports"], ids)
    sq = is_startkwalificatie(normalise_enum(dip["level"].to_numpy(), DIPLOMA_LEVELS))
    reg = Registry(
        youths["birth_date"].to_numpy(np.int64),
        codes(normalise_municipalities(youths["residence_municipality"].to_numpy()), REGION_MUNICIPALITIES),
        enr_youth, codes(normalise_enum(enr["education_type"].to_numpy(), EDUCATION_TYPES), EDUCATION_TYPES),
        enr["start_date"].to_numpy(np.int64), enr["end_date"].to_numpy(np.int64),
        dip_youth[sq], dip["diploma_date"].to_numpy(np.int64)[sq], rep_youth, rep["report_date"].to_numpy(np.int64))
    reg.transition_days = transition_starts(reg)
    return reg


def codes(values: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Names to their index in `names` (-1 for anything else)."""
    return pd.Index(names).get_indexer(pd.Index(values, dtype=object))


def of_types(type_codes: np.ndarray, types: tuple[str, ...]) -> np.ndarray:
    """True where an education type code is one of `types` (unknown types are none of them)."""
    table = np.append(np.isin(EDUCATION_TYPES, types), False)  # code -1 reads the last entry
    return table[type_codes]


def enrolled(reg: Registry, day: int, types: tuple[str, ...] | None = None) -> np.ndarray:
    """Per youth: an enrolment (of `types`, or any) running on `day`."""
    running = (reg.enr_start <= day) & ((reg.enr_end == MISSING_DAY) | (reg.enr_end > day))
    if types is not None:
        running &= of_types(reg.enr_type, types)
    return np.bincount(reg.enr_youth[running], minlength=reg.n) > 0


def qualified(reg: Registry, day: int) -> np.ndarray:
    return np.bincount(reg.sq_youth[reg.sq_day <= day], minlength=reg.n) > 0


def october(year: int) -> int:
    return day_of(dt.date(year, 10, 1))


def leavers(reg: Registry, year: int) -> tuple[int, float]:
    """DUO's new early school leavers from 1 October `year` to 1 October `year` + 1: count and rate (%)."""
    start, end = october(year), october(year + 1)
    age = reg.age_on_october_first(year)
    followed = enrolled(reg, start, (*VO_TYPES, *MBO_TYPES)) & (age >= 12) & (age <= 22) & ~qualified(reg, start)
    left = followed & ~enrolled(reg, end) & ~qualified(reg, end)
    return int(left.sum()), 100.0 * left.sum() / max(followed.sum(), 1)


def transition_starts(reg: Registry) -> np.ndarray:
    """Start days of the mbo enrolments whose preceding enrolment (the last listed on the latest earlier start
    date, as the feature reads it) was in secondary school. Unlike the feature `vo_mbo_transition_1y`, any gap
    between the two counts: this is the region's yearly figure, not the contract's direct step of at most 92 days."""
    order = np.lexsort((np.arange(len(reg.enr_start)), reg.enr_start, reg.enr_youth))
    youth, start, edu = reg.enr_youth[order], reg.enr_start[order], reg.enr_type[order]
    new_date = np.r_[True, (youth[1:] != youth[:-1]) | (start[1:] != start[:-1])]
    previous = np.maximum.accumulate(np.where(new_date, np.arange(len(youth)), 0)) - 1
    has_previous = (previous >= 0) & (youth[np.maximum(previous, 0)] == youth)
    was_secondary = has_previous & of_types(edu[np.maximum(previous, 0)], SECONDARY_TYPES)
    return start[of_types(edu, MBO_TYPES) & was_secondary]


def transitions(reg: Registry, year: int) -> int:
    """vo→mbo transitions started in school year `year`/`year`+1."""
    days = reg.transition_days
    return int(((days >= day_of(dt.date(year, 8, 1))) & (days < day_of(dt.date(year + 1, 8, 1)))).sum())


def by_place(reg: Registry, mask: np.ndarray) -> dict[str, float]:
    counts = np.bincount(reg.residence[mask & (reg.residence >= 0)], minlength=len(REGION_MUNICIPALITIES))
    return {m: float(c) for m, c in zip(REGION_MUNICIPALITIES, counts)} | {REGION: float(mask.sum())}


def pupil_type(reg: Registry, day: int) -> np.ndarray:
    """The education type code of each youth's running enrolment on `day` (the latest start; -1 when none)."""
    running = (reg.enr_start <= day) & ((reg.enr_end == MISSING_DAY) | (reg.enr_end > day))
    rows = np.flatnonzero(running)
    rows = rows[np.lexsort((reg.enr_start[rows], reg.enr_youth[rows]))]
    out = np.full(reg.n, -1)
    out[reg.enr_youth[rows]] = reg.enr_type[rows]  # later starts overwrite earlier ones
    return out


def absence(reg: Registry, year: int) -> tuple[dict, dict, dict]:
    """Pupils 5–17 enrolled on 1 October, those with a report in the school year, and the reporting pupils' sectors."""
    start = october(year)
    age = reg.age_on_october_first(year)
    pupils = enrolled(reg, start, (*PRIMARY_TYPES, *VO_TYPES, *MBO_TYPES)) & (age >= 5) & (age <= 17)
    in_year = (reg.rep_day >= day_of(dt.date(year, 8, 1))) & (reg.rep_day < day_of(dt.date(year + 1, 8, 1)))
    reported = pupils & (np.bincount(reg.rep_youth[in_year], minlength=reg.n) > 0)
    edu = pupil_type(reg, start)[reported]
    shares = {"secondary": of_types(edu, (*SECONDARY_TYPES, "isk")).mean() if len(edu) else np.nan,
              "vocational": of_types(edu, VOCATIONAL_TYPES).mean() if len(edu) else np.nan}
    return by_place(reg, pupils), by_place(reg, reported), shares


def row(year: int, figure: str, place: str, simulated: float, published: str = "", tolerance: str = "",
        low: float = np.nan, high: float = np.nan) -> dict:
    within = None if np.isnan(low) else bool(low <= simulated <= high)
    return {"school_year": f"{year}/{str(year + 1)[2:]}", "figure": figure, "place": place, "simulated": simulated,
            "published": published, "tolerance": tolerance, "low": low, "high": high, "within": within}


def leaver_rows(reg: Registry, year: int) -> list[dict]:
    count, rate = leavers(reg, year)
    published = year in LEAVER_YEARS
    return [row(year, "new_early_school_leavers", REGION, count, "651–699" if published else "", "600–760",
                *((600, 760) if published else (np.nan, np.nan))),
            row(year, "early_school_leaver_rate_percent", REGION, round(rate, 3), "1.5–1.6" if published else "",
                "1.35–1.75", *((1.35, 1.75) if published else (np.nan, np.nan)))]


def transition_rows(reg: Registry, year: int) -> list[dict]:
    published = year in TRANSITION_YEARS
    bounds = (3800 * 0.9, 3800 * 1.1) if published else (np.nan, np.nan)
    return [row(year, "vo_mbo_transitions", REGION, transitions(reg, year), "3800" if published else "", "±10%",
                *bounds)]


def youth_rows(reg: Registry, year: int) -> list[dict]:
    age = reg.age_on_october_first(year)
    counts = by_place(reg, (age >= 5) & (age <= 17))
    published = {**YOUTHS_5_17, REGION: sum(YOUTHS_5_17.values())} if year == COUNT_YEAR else {}
    return [row(year, "youths_5_17", place, value, str(published.get(place, "")), "±5%",
                *((published[place] * 0.95, published[place] * 1.05) if place in published else (np.nan, np.nan)))
            for place, value in counts.items()]


def absence_rows(reg: Registry, year: int) -> list[dict]:
    pupils, reported, shares = absence(reg, year)
    published = {**ABSENCE_PER_1000, REGION: REGION_ABSENCE_PER_1000} if year == COUNT_YEAR else {}
    rows = []
    for place in pupils:
        rate = 1000.0 * reported[place] / max(pupils[place], 1.0)
        margin = 0.10 if place == REGION else 0.20
        bounds = (published[place] * (1 - margin), published[place] * (1 + margin)) if place in published else (
            np.nan, np.nan)
        rows.append(row(year, "absence_per_1000", place, round(rate, 2), str(published.get(place, "")),
                        f"±{margin:.0%}", *bounds))
    for sector, target in (("secondary", ABSENCE_SHARE_SECONDARY), ("vocational", ABSENCE_SHARE_VOCATIONAL)):
        bounds = (100 * target - 6, 100 * target + 6) if published else (np.nan, np.nan)
        rows.append(row(year, f"absence_share_{sector}_percent", REGION, round(100 * shares[sector], 2),
                        f"{100 * target:.0f}" if published else "", "±6 points", *bounds))
    return rows


def scope_rows(reg: Registry, year: int) -> list[dict]:
    day = october(year)
    age = reg.age_on_october_first(year)
    free = ~qualified(reg, day)
    group = int((free & (age >= 18) & (age <= 22)).sum())
    extended = int((free & (age >= 18) & (age <= 26)).sum())
    return [row(year, "in_scope_18_22", REGION, group), row(year, "in_scope_18_26", REGION, extended),
            row(year, "capacity_share_percent", REGION, round(100.0 * CAPACITY / max(group, 1), 2), "470 places")]


def realism_table(tables: dict, data_end: dt.date) -> pd.DataFrame:
    """Every figure for every school year the data covers (leavers need the next 1 October too)."""
    reg = read_registry(tables)
    rows = []
    for year in range(2014, data_end.year + 1):
        if october(year) > day_of(data_end):
            break
        rows += scope_rows(reg, year) + youth_rows(reg, year)
        if day_of(dt.date(year + 1, 8, 1)) <= day_of(data_end) + 1:
            rows += transition_rows(reg, year) + absence_rows(reg, year)
        if october(year + 1) <= day_of(data_end):
            rows += leaver_rows(reg, year)
    return pd.DataFrame(rows)


def realism_lines(realism: pd.DataFrame) -> list[str]:
    """One line per published figure (region level, the years it was published for) and one for the
    municipalities: simulated beside published, and how many are within tolerance (for `vsv generate`)."""
    published = realism[realism["published"].astype(str).str.len() > 0]
    lines = []
    for figure, rows in published[published["place"] == REGION].groupby("figure", sort=False):
        if figure in FIGURE_NAMES:
            shown = ", ".join(f"{r.school_year} {readable(r.simulated)}" for r in rows.itertuples())
            lines.append(f"{FIGURE_NAMES[figure]}: {shown} (published {rows['published'].iloc[0]}, "
                         f"tolerance {rows['tolerance'].iloc[0]}): {verdict(rows['within'])}")
    places = published[published["place"] != REGION]
    for figure, rows in places.groupby("figure", sort=False):
        lines.append(f"{FIGURE_NAMES[figure]} per municipality ({rows['school_year'].iloc[0]}, "
                     f"tolerance {rows['tolerance'].iloc[0]}): {verdict(rows['within'])}")
    return lines + [capacity_line(realism)]


def capacity_line(realism: pd.DataFrame) -> str:
    """The target group on each 1 October and the share of it the matchmakers' places cover."""
    region = realism[realism["place"] == REGION].set_index(["school_year", "figure"])["simulated"]
    years = sorted({year for year, figure in region.index if figure == "in_scope_18_22"})
    # The share from the group itself: the table's share is rounded to 2 decimals, and rounding twice
    # shows 4.75 for 4.746 as 4.8.
    shown = ", ".join(f"{year[:4]} {region[(year, 'in_scope_18_22')]:,.0f} ({100 * CAPACITY / region[(year, 'in_scope_18_22')]:.1f}%)"
                      for year in years)
    return f"target group 18-22 on 1 October (the {CAPACITY} matchmaker places as a share of it): {shown}"


FIGURE_NAMES = {"new_early_school_leavers": "new early school leavers", "early_school_leaver_rate_percent":
                "early school leaver rate %", "vo_mbo_transitions": "vo-mbo transitions", "youths_5_17": "youths 5-17",
                "absence_per_1000": "relative absence per 1,000", "absence_share_secondary_percent":
                "share of absence in secondary %", "absence_share_vocational_percent": "share of absence in vocational %"}


def readable(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def outside_tolerance(realism: pd.DataFrame) -> str:
    """Each judged figure outside its tolerance, named with its year, place, simulated and published value ('' if none)."""
    judged = realism[realism["within"].notna()]
    outside = judged[~judged["within"].astype(bool)]
    return "; ".join(f"{FIGURE_NAMES.get(r.figure, r.figure)}{'' if r.place == REGION else f' in {r.place}'} {r.school_year}: "
                     f"{readable(r.simulated)} (published {r.published}, tolerance {r.tolerance})"
                     for r in outside.itertuples())


def verdict(within: pd.Series) -> str:
    judged = within.dropna().astype(bool)
    return f"{int(judged.sum())} of {len(judged)} within" if len(judged) else "not judged"
