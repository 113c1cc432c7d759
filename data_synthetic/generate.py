"""The synthetic Zuid-Holland Zuid population with known truth: orchestration.

Two cohorts: a historical one, in scope at `historical_as_of` and followed past
everyone's 23rd birthday (labels known), and a current one, in scope at
`current_as_of` (the data's end: no outcome visible). Plus youths out of scope
(under 18, already qualified, over age). For each in-scope youth the outcome is
drawn from `truth.p_true` of its features at its reference date, computed by
the project's own feature builders on the records as delivered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_synthetic import mess
from data_synthetic.absence import drop_repeated_reports, simulate_reports
from data_synthetic.careers import NO_DIPLOMA, simulate_careers
from data_synthetic.future import write_future
from data_synthetic.population import CURRENT, HISTORICAL, Youths, draw_youths, unknown_ids
from data_synthetic.region import Schools, build_schools
from data_synthetic.truth import p_true
from features.build import compute_features, feature_frame
from features.events import events_from_columns
from features.scope import scope_reasons
from vsv_model.contract import ABSENCE_KINDS, DIPLOMA_LEVELS, EDUCATION_TYPES, REGION_MUNICIPALITIES
from vsv_model.dates import MISSING_DAY, date_of, day_of
from vsv_model.target_group import CURRENT_LAW


@dataclass(frozen=True)
class GeneratorConfig:
    youths: int = 20_000
    seed: int = 1
    historical_as_of: dt.date = dt.date(2019, 10, 1)
    current_as_of: dt.date = dt.date(2026, 10, 1)
    mess_rate: float = 0.02
    current_share: float = 0.5

    def __post_init__(self):
        if self.youths < 1:
            raise ValueError("youths must be at least 1")
        if not 0.0 <= self.mess_rate <= 0.5:
            raise ValueError(f"mess_rate must lie between 0 and 0.5, got {self.mess_rate}")
        five_years_later = (self.historical_as_of.year + 5, self.historical_as_of.month, self.historical_as_of.day)
        if (self.current_as_of.year, self.current_as_of.month, self.current_as_of.day) < five_years_later:  # 29 Feb too
            raise ValueError("current_as_of must be at least 5 years after historical_as_of, so every historical label is known")


@dataclass
class Population:
    """The four tables as written (raw columns, file order) and the truth for in-scope youths."""

    tables: dict[str, dict[str, np.ndarray]]
    truth: pd.DataFrame
    data_end: dt.date
    truth_features: pd.DataFrame  # the features p_true was computed from (for the summary; not written)


PATH_NAMES = np.array([None, "BOL", "BBL"], dtype=object)  # by PATH_NONE, PATH_BOL, PATH_BBL
EDU_NAMES = np.array(EDUCATION_TYPES, dtype=object)
LEVEL_NAMES = np.array(DIPLOMA_LEVELS, dtype=object)
KIND_NAMES = np.array(ABSENCE_KINDS, dtype=object)
REPORT_IDENTITY = ("youth", "day", "school", "kind_raw", "hours")


def generate_population(config: GeneratorConfig) -> Population:
    rng = np.random.default_rng(config.seed)
    schools = build_schools()
    propensity = rng.lognormal(0.0, 0.3, len(schools.school_id))  # schools report unevenly
    as_of_days = (day_of(config.historical_as_of), day_of(config.current_as_of))
    youths = draw_youths(rng, config.youths, as_of_days, config.current_share)
    episodes = simulate_careers(rng, youths, schools)
    spoil_episode_values(rng, episodes, youths, config.mess_rate)
    reports = simulate_reports(rng, youths, with_leaving_flag(episodes), youths.as_of_day[episodes["youth"]], propensity)
    spoil_reports(rng, reports, config.mess_rate)
    reports = drop_repeated_reports(reports, REPORT_IDENTITY)
    truth, truth_features = draw_truth(rng, youths, schools, episodes, reports)
    episodes, future_reports = follow_historical_cohort(rng, youths, schools, episodes, truth, propensity, as_of_days[CURRENT])
    tables = final_tables(rng, youths, schools, episodes, concat(reports, future_reports), as_of_days[CURRENT], config.mess_rate)
    return Population(tables, truth.drop(columns="youth"), config.current_as_of, truth_features)


def with_leaving_flag(episodes: dict) -> dict:
    return episodes | {"left_without_diploma": episodes["diploma"] == NO_DIPLOMA}


def concat(*tables: dict) -> dict:
    return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}


def spoil_episode_values(rng, episodes: dict, youths: Youths, rate: float) -> None:
    """Raw strings for enrolment and diploma values, with unknown enum values before the reference date."""
    as_of = youths.as_of_day[episodes["youth"]]
    before = episodes["start"] <= as_of
    episodes["edu_raw"] = mess.spoil_values(rng, EDU_NAMES[episodes["edu"]], "education_type", before, rate / 2)
    episodes["path_raw"] = mess.spoil_values(rng, PATH_NAMES[episodes["path"]], "learning_path", before & (episodes["path"] > 0), rate / 2)
    has_diploma = episodes["diploma"] != NO_DIPLOMA
    level = np.where(has_diploma, LEVEL_NAMES[np.maximum(episodes["diploma"], 0)], None)
    episodes["level_raw"] = mess.spoil_values(rng, level, "level", has_diploma & (episodes["diploma_day"] <= as_of), rate / 2)


def spoil_reports(rng, reports: dict, rate: float) -> None:
    everywhere = np.ones(len(reports["day"]), bool)
    reports["kind_raw"] = mess.spoil_values(rng, KIND_NAMES[reports["kind"]], "kind", everywhere, rate / 2)
    reports["hours"] = mess.drop_hours(rng, reports["hours"], reports["kind"] != ABSENCE_KINDS.index("te_laat"), rate)


def enrolment_columns(episodes: dict, schools: Schools, youth_position: np.ndarray, visible_until: np.ndarray) -> dict:
    """Enrolment rows as the features read them; ends after `visible_until` are still open."""
    end = episodes["end"]
    return {
        "youth": youth_position,
        "start": episodes["start"],
        "end": np.where(end <= visible_until, end, MISSING_DAY),
        "school_id": schools.school_id[episodes["school"]],
        "education_type": episodes["edu_raw"],
        "learning_path": episodes["path_raw"],
        "school_municipality": schools.municipality[episodes["school"]],
    }


def diploma_rows(episodes: dict, visible_until: np.ndarray) -> np.ndarray:
    return np.flatnonzero((episodes["diploma"] != NO_DIPLOMA) & (episodes["diploma_day"] <= visible_until))


def draw_truth(rng, youths: Youths, schools: Schools, episodes: dict, reports: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features at each cohort's reference date through `features/`, then p_true and the drawn outcome."""
    as_of_e = youths.as_of_day[episodes["youth"]]
    dip = diploma_rows(episodes, as_of_e)
    before = reports["day"] <= youths.as_of_day[reports["youth"]]
    events = events_from_columns(
        youths.youth_id, youths.birth_day,
        enrolment_columns(episodes, schools, episodes["youth"], as_of_e),
        {"youth": episodes["youth"][dip], "day": episodes["diploma_day"][dip], "level": episodes["level_raw"][dip]},
        {"youth": reports["youth"][before], "day": reports["day"][before], "kind": reports["kind_raw"][before], "hours": reports["hours"][before]},
    )
    frames, feature_frames = [], []
    for cohort in (HISTORICAL, CURRENT):
        day = int(youths.as_of_day[youths.cohort == cohort][0]) if (youths.cohort == cohort).any() else None
        if day is None:
            continue
        cut = events.as_of(day)
        rows = np.flatnonzero(pd.isna(scope_reasons(cut, day, CURRENT_LAW)) & (youths.cohort == cohort))
        features = feature_frame(compute_features(cut, day), rows)
        frames.append(pd.DataFrame({"youth": rows, "as_of": str(date_of(day)), "p_true": p_true(features)}))
        feature_frames.append(features)
    truth = pd.concat(frames, ignore_index=True)
    truth["no_sq_by_23"] = (rng.random(len(truth)) < truth["p_true"].to_numpy()).astype(np.int64)
    truth.insert(0, "youth_id", youths.youth_id[truth["youth"].to_numpy()])
    return truth, pd.concat(feature_frames, ignore_index=True)


def follow_historical_cohort(rng, youths, schools, episodes, truth, propensity, data_end: int):
    """Write the historical in-scope youths' future from their outcome, with the absence that goes with it."""
    followed = truth[youths.cohort[truth["youth"].to_numpy()] == HISTORICAL]
    result = write_future(rng, youths, schools, episodes, followed["youth"].to_numpy(), followed["no_sq_by_23"].to_numpy())
    merged, changed = result["episodes"], result["future_rows"]
    new = np.arange(len(episodes["youth"]), len(merged["youth"]))
    merged["edu_raw"] = np.concatenate([episodes["edu_raw"], EDU_NAMES[merged["edu"][new]]])
    merged["path_raw"] = np.concatenate([episodes["path_raw"], PATH_NAMES[merged["path"][new]]])
    merged["level_raw"] = np.concatenate([episodes["level_raw"], np.full(len(new), None, dtype=object)])
    has_diploma = merged["diploma"][changed] != NO_DIPLOMA
    merged["level_raw"][changed] = np.where(has_diploma, LEVEL_NAMES[np.maximum(merged["diploma"][changed], 0)], None)
    touched = {k: v[changed] for k, v in with_leaving_flag(merged).items()}
    future = simulate_reports(rng, youths, touched, np.full(len(changed), data_end), propensity,
                              since=youths.as_of_day[touched["youth"]])
    future["kind_raw"] = KIND_NAMES[future["kind"]]
    return merged, drop_repeated_reports(future, REPORT_IDENTITY)


def final_tables(rng, youths: Youths, schools: Schools, episodes: dict, reports: dict, data_end: int, rate: float) -> dict:
    """The four tables in file order (by youth, then date), with the mess the reader undoes."""
    episodes = {k: v[episodes["start"] <= data_end] for k, v in episodes.items()}  # nothing after the data's end
    enr = enrolment_columns(episodes, schools, episodes["youth"], np.full(len(episodes["youth"]), data_end))
    dip = diploma_rows(episodes, np.full(len(episodes["youth"]), data_end))
    kept = reports["day"] <= data_end
    tables = {
        "youths": {
            "youth_id": youths.youth_id, "birth_date": youths.birth_day,
            "residence_municipality": mess.rename_municipalities(rng, np.array(REGION_MUNICIPALITIES, dtype=object)[youths.residence], None, rate),
            "gender": mess.spoil_values(rng, youths.gender, "gender", np.ones(len(youths), bool), rate / 4),
            "origin": mess.spoil_values(rng, youths.origin, "origin", np.ones(len(youths), bool), rate / 4),
        },
        "enrollments": sort_rows({
            "youth_id": enr["youth"], "school_id": enr["school_id"],
            "school_municipality": mess.rename_municipalities(rng, enr["school_municipality"], enr["start"], rate),
            "education_type": enr["education_type"], "learning_path": enr["learning_path"],
            "start_date": enr["start"], "end_date": enr["end"],
        }, "start_date"),
        "diplomas": sort_rows({"youth_id": episodes["youth"][dip], "diploma_date": episodes["diploma_day"][dip],
                               "level": episodes["level_raw"][dip]}, "diploma_date"),
        "absence_reports": sort_rows({
            "youth_id": reports["youth"][kept], "report_date": reports["day"][kept],
            "school_id": schools.school_id[reports["school"][kept]], "kind": reports["kind_raw"][kept], "hours": reports["hours"][kept],
        }, "report_date"),
    }
    return add_lossless_mess(rng, tables, youths, rate)


def sort_rows(table: dict, date_column: str) -> dict:
    """By youth, then date, keeping generation order on ties (the order the truth was computed in)."""
    order = np.lexsort((np.arange(len(table[date_column])), table[date_column], table["youth_id"]))
    return {k: v[order] for k, v in table.items()}


def add_lossless_mess(rng, tables: dict, youths: Youths, rate: float) -> dict:
    """Ids as strings, exact duplicates next to their original, and records of unknown youths."""
    strangers = unknown_ids(youths, max(1, int(len(youths) * rate)))
    out = {"youths": mess.duplicate_rows(rng, tables["youths"], rate / 5)}
    for name in ("enrollments", "diplomas", "absence_reports"):
        table = tables[name] | {"youth_id": youths.youth_id[tables[name]["youth_id"]]}
        out[name] = mess.unknown_youth_rows(rng, mess.duplicate_rows(rng, table, rate), rate / 2, strangers)
    return out
