"""The one set of builders for tests: contract table rows (youths and their records), data directories written
as real files (read by the real reader), and the API's request forms built from the same rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd

from features.build import compute_features, feature_frame
from features.events import events_from_dataset
from vsv_model.contract import TABLES
from vsv_model.dates import day_of
from vsv_model.feature_spec import FEATURES
from vsv_model.reader import read_data_dir

AS_OF = dt.date(2019, 10, 1)


def write_data_dir(directory: Path, *, youths=(), enrollments=(), diplomas=(), absence_reports=(), fmt: str = "csv") -> Path:
    """Write the four tables from lists of dicts (missing keys are empty cells), in the given row order."""
    directory.mkdir(parents=True, exist_ok=True)
    rows_by_table = {"youths": youths, "enrollments": enrollments, "diplomas": diplomas, "absence_reports": absence_reports}
    for schema in TABLES:
        frame = pd.DataFrame([{c: row.get(c) for c in schema.column_names} for row in rows_by_table[schema.name]],
                             columns=list(schema.column_names), dtype=object)
        if fmt == "parquet":
            frame.astype("string").to_parquet(directory / f"{schema.name}.parquet", index=False)
        else:
            with open(directory / f"{schema.name}.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(schema.column_names)
                writer.writerows(["" if v is None else v for v in row] for row in frame.itertuples(index=False))
    return directory


def youth(youth_id: str = "A", birth_date: str = "2000-06-15", **extra) -> dict:
    return {"youth_id": youth_id, "birth_date": birth_date, "residence_municipality": "Dordrecht",
            "gender": "V", "origin": "nederland", **extra}


def enrolment(start: str, end: str | None = None, youth_id: str = "A", school_id: str = "25LH00",
              education_type: str = "mbo-2", **extra) -> dict:
    return {"youth_id": youth_id, "school_id": school_id, "school_municipality": "Dordrecht",
            "education_type": education_type, "learning_path": "BOL" if education_type.startswith("mbo") else None,
            "start_date": start, "end_date": end, **extra}


def diploma(date: str, level: str = "vmbo-kb", youth_id: str = "A") -> dict:
    return {"youth_id": youth_id, "diploma_date": date, "level": level}


def report(date: str, kind: str = "16uur", hours: float | None = 16, youth_id: str = "A", **extra) -> dict:
    return {"youth_id": youth_id, "report_date": date, "school_id": "25LH00", "kind": kind, "hours": hours, **extra}


def features_of_all(directory: Path, as_of: str) -> pd.DataFrame:
    """Every feature for every youth (in scope or not), indexed by youth_id."""
    events = events_from_dataset(read_data_dir(directory))
    day = day_of(as_of)
    frame = feature_frame(compute_features(events.as_of(day), day))
    return frame.set_index(pd.Index(events.youth_ids, name="youth_id"))



# --- the API's request forms, built from the same rows ---------------------------------------------------

def api_record(row: dict) -> dict:
    """A table row as a record of the API's history form (the youth is the request's, not the row's)."""
    return {k: v for k, v in row.items() if k != "youth_id"}


def history(birth: str = "2000-05-01", enrollments=(), diplomas=(), reports=()) -> dict:
    """The API's history form from table rows (or records)."""
    return {"birth_date": birth, "enrollments": [api_record(r) for r in enrollments],
            "diplomas": [api_record(r) for r in diplomas], "absence_reports": [api_record(r) for r in reports]}


def request_youth(youth_id: str = "J1", as_of: str | None = AS_OF.isoformat(), **form) -> dict:
    """One youth of a /score or /explain request: `history=...` or `features=...` (or both, to test the refusal)."""
    return {"youth_id": youth_id, **({"as_of": as_of} if as_of else {}), **form}


def feature_values(**overrides) -> dict:
    """The API's feature form: an out-of-school 20-year-old with a vmbo-kb diploma, changed by `overrides`."""
    values = {f.name: (f.categories[0] if f.is_categorical else 0) for f in FEATURES}
    values |= {"age": 20, "last_diploma": "vmbo-kb", "current_education": "geen", "months_not_enrolled": 5}
    return values | overrides


# --- the test world and a fast training configuration for it ------------------------------------------------

POPULATION_YOUTHS = 40_000  # the session's synthetic world: the region (about 186,000 youths) scaled down
REGION_YOUTHS = 186_000


def fast_config(**changes):
    """Training settings for the test world: fewer trees, and capacities scaled to its size (the region's 470 and
    1,500 places a year would put half the scaled-down group in `high`); the data's end given, as the world's."""
    from dataclasses import replace

    from training.config import GateConfig, LightGBMConfig, TemporalConfig, TierConfig, TrainConfig
    from vsv_model.policy import CAPACITY

    scale = POPULATION_YOUTHS / REGION_YOUTHS
    config = TrainConfig(lightgbm=LightGBMConfig(num_boost_round=150), temporal=TemporalConfig(data_end="2026-10-01"),
                         tiers=TierConfig(high_capacity=round(CAPACITY["high"] * scale), medium_capacity=round(CAPACITY["medium"] * scale)),
                         gates=GateConfig(bootstrap_samples=300))  # the default bounds: every gate judges an interval
    return replace(config, **changes)


def monitored_champion(directory, dates, config, data=None):
    """A model as `vsv train` builds it (cross-fitted calibration, capacity cut-offs, the reference profile with the
    schools' reporting) from the reference `dates` of a world, without the evaluation, baselines and MLflow run that
    monitoring does not need; served as version "1" of a made-up run."""
    import datetime as dt

    from features.reporting import reporting_rates
    from serving.scoring import ServedModel
    from training.dataset import build_training_data
    from training.model import train_risk_model
    from training.profile import first_records, reference_profile
    from vsv_model.reader import read_data_dir

    data = data if data is not None else read_data_dir(directory)
    training = build_training_data(directory, dates, config, data=data)
    model, _ = train_risk_model(training, config)
    reporting = {day: reporting_rates(data, dt.date.fromisoformat(day)) for day in training.definition["fit_dates"]}
    model.info["reference_profile"] = reference_profile(model, training.part("fit"), reporting, first_records(data))
    return ServedModel(model, "vsv-risk", "1", "0" * 32)


# --- a model whose kinds of event plainly differ ---------------------------------------------------------------

def with_event_kinds(served, kinds=("report_first", "report_repeat", "new_leaver"), places: dict | None = None):
    """The served model (the same booster and version) with hand-made settings per kind of event, so a test can tell
    which kind's were used: report_first shifts the log-odds by +1.5 and advises from 0.2/0.6 and has a measured
    meaning of its own; report_repeat halves them, minus 0.5, with 0.1/0.9; new_leaver doubles them, with 0.5/0.8.
    Every kind's cut-offs are sized for `places` a year (default none). Kinds left out of `kinds` are unknown."""
    from dataclasses import replace

    from serving.scoring import ServedModel
    from vsv_model.policy import CategoryMeaning, RiskCategories
    from vsv_model.risk_model import Calibration, KindSettings, TierCutoffs

    details = {} if places is None else {f"{tier}_capacity": n for tier, n in places.items()}
    measured = RiskCategories(measured={c: CategoryMeaning(rows, rate, rate) for c, rows, rate in
                                        (("low", 40, 0.1), ("medium", 30, 0.5), ("high", 20, 0.9))},
                              measured_on="report_first test rows")
    settings = {
        "report_first": KindSettings(Calibration(1.0, 1.5, "hand-made"), TierCutoffs(0.2, 0.6, "capacity", details), measured),
        "report_repeat": KindSettings(Calibration(0.5, -0.5, "hand-made"), TierCutoffs(0.1, 0.9, "capacity", details)),
        "new_leaver": KindSettings(Calibration(2.0, 0.0, "hand-made"), TierCutoffs(0.5, 0.8, "capacity", details)),
    }
    model = replace(served.model, kinds={kind: settings[kind] for kind in kinds})
    return ServedModel(model, served.name, served.version, served.run_id)


# --- the work queue: scored events as the case store takes them ------------------------------------------------

def scored_event(youth_id: str, day: str, kind: str = "report_first", report_id: str | None = None,
                 route: str = "waarschuwingsbrief", probability: float = 0.3, risk_category: str = "low",
                 municipality: str | None = "Dordrecht", reasons: tuple[str, ...] = ("Het verzuim is hoog.",)) -> dict:
    """One row of `CaseStore.ingest`'s frame (a report gets the number `R-<youth>-<day>` unless given)."""
    tiers = {"waarschuwingsbrief": "low", "gesprek": "medium", "matchmaker": "high"}
    if kind != "new_leaver" and report_id is None:
        report_id = f"R-{youth_id}-{day}"
    return {"youth_id": youth_id, "event_date": day, "kind": kind, "report_id": report_id, "probability": probability,
            "risk_category": risk_category, "tier": tiers[route], "route": route, "reasons": list(reasons),
            "model_version": "7", "model_fingerprint": "abcd1234-ef567890", "municipality": municipality,
            "leaves_group_on": "2030-05-01"}
