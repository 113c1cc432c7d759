"""The four tables as written: the simulation's records in the contract's columns, cut at the data's end,
in file order (by youth, then date), with the mess of `mess.py`."""

from __future__ import annotations

import numpy as np

from data_synthetic import mess
from data_synthetic.population import Youths, format_ids, scramble, unknown_ids
from data_synthetic.region import Schools
from vsv_model.contract import (
    ABSENCE_KINDS,
    DIPLOMA_LEVELS,
    EDUCATION_TYPES,
    REGION_MUNICIPALITIES,
    is_startkwalificatie,
)
from vsv_model.dates import MISSING_DAY

EDU_NAMES = np.array(EDUCATION_TYPES, dtype=object)
PATH_NAMES = np.array([None, "BOL", "BBL"], dtype=object)
LEVEL_NAMES = np.array(DIPLOMA_LEVELS, dtype=object)
KIND_NAMES = np.array(ABSENCE_KINDS, dtype=object)


def contract_tables(rng, youths: Youths, schools: Schools, records: dict, data_end: int,
                    rate: float) -> tuple[dict, dict]:
    """youths, enrollments, diplomas, absence_reports: dicts of column arrays in the contract's order, as
    written, and the same keyed by youth position before the mess the reader undoes exactly."""
    enr, dip, rep = (cut_at_data_end(records[name], data_end) for name in ("enrolments", "diplomas", "reports"))
    tables = {
        "youths": youth_columns(rng, youths, rate),
        "enrollments": enrolment_columns(rng, enr, schools, rate),
        "diplomas": diploma_columns(rng, dip, rate),
        "absence_reports": report_columns(rng, rep, schools, rate),
    }
    tables["absence_reports"]["report_id"] = numbered_in_time(youths, tables["absence_reports"])
    return add_lossless_mess(rng, tables, youths, rate), tables


def cut_at_data_end(table: dict, data_end: int) -> dict:
    """Nothing dated after the data's end; an enrolment that ends after it is still running."""
    date = table["start"] if "start" in table else table["day"]
    kept = {k: v[date <= data_end] for k, v in table.items()}
    if "end" in kept:
        kept["end"] = np.where(kept["end"] > data_end, MISSING_DAY, kept["end"])
    return kept


def youth_columns(rng, youths: Youths, rate: float) -> dict:
    everyone = np.ones(len(youths), bool)
    return {
        "youth_id": np.arange(len(youths)), "birth_date": youths.birth_day,
        "residence_municipality": mess.rename_municipalities(
            rng, np.array(REGION_MUNICIPALITIES, dtype=object)[youths.residence], None, rate),
        "gender": mess.spoil_values(rng, youths.gender, "gender", everyone, rate / 4),
        "origin": mess.spoil_values(rng, youths.origin, "origin", everyone, rate / 4),
    }


def enrolment_columns(rng, enr: dict, schools: Schools, rate: float) -> dict:
    everywhere = np.ones(len(enr["youth"]), bool)
    path = PATH_NAMES[enr["path"].astype(np.int64)]
    return sort_rows({
        "youth_id": enr["youth"].astype(np.int64), "school_id": schools.school_id[enr["school"].astype(np.int64)],
        "school_municipality": mess.rename_municipalities(rng, schools.municipality[enr["school"].astype(np.int64)],
                                                          enr["start"], rate),
        "education_type": mess.spoil_values(rng, EDU_NAMES[enr["edu"].astype(np.int64)], "education_type", everywhere,
                                            rate / 2),
        "learning_path": mess.spoil_values(rng, path, "learning_path", path != None, rate / 2),  # noqa: E711
        "start_date": enr["start"].astype(np.int64), "end_date": enr["end"].astype(np.int64),
    }, "start_date")


def diploma_columns(rng, dip: dict, rate: float) -> dict:
    """Diplomas; an unknown level only where the true level is no startkwalificatie (odd spelling anywhere)."""
    level = LEVEL_NAMES[dip["level"].astype(np.int64)]
    spoiled = mess.spoil_values(rng, level, "level", np.ones(len(level), bool), rate / 2)
    unknown = ~np.isin(np.char.strip(np.char.lower(spoiled.astype(str))), LEVEL_NAMES.astype(str))
    spoiled = np.where(unknown & is_startkwalificatie(level), level, spoiled)
    return sort_rows({"youth_id": dip["youth"].astype(np.int64), "diploma_date": dip["day"].astype(np.int64),
                      "level": spoiled}, "diploma_date")


def report_columns(rng, rep: dict, schools: Schools, rate: float) -> dict:
    kind = rep["kind"].astype(np.int64)
    hours = mess.drop_hours(rng, rep["hours"].astype(float), kind != ABSENCE_KINDS.index("te_laat"), rate)
    return sort_rows({
        "youth_id": rep["youth"].astype(np.int64), "report_date": rep["day"].astype(np.int64),
        "school_id": schools.school_id[rep["school"].astype(np.int64)],
        "kind": mess.spoil_values(rng, KIND_NAMES[kind], "kind", np.ones(len(kind), bool), rate / 2), "hours": hours,
    }, "report_date")


def sort_rows(table: dict, date_column: str) -> dict:
    """By youth, then date, keeping generation order on ties."""
    order = np.lexsort((np.arange(len(table[date_column])), table[date_column], table["youth_id"]))
    return {k: v[order] for k, v in table.items()}


REPORT_SALT = 0x5EED_0F_4E9087  # report numbers scramble with the youths' salt mixed with this: another sequence


def report_numbers(youths: Youths, first: int, count: int) -> np.ndarray:
    """Report numbers (DUO's meldingsnummer) like 'M7Q2K9XM1' for the reports numbered `first`, `first + 1`, ...:
    pseudonymous, distinct, and a function of the seed (through the population's id salt)."""
    salt = (youths.id_salt ^ REPORT_SALT) % (1 << 40)
    return format_ids(scramble(np.arange(first, first + count), salt), letter="M")


def numbered_in_time(youths: Youths, reports: dict) -> np.ndarray:
    """Report numbers given in the order the reports were made (date, youth, file order), as a register numbers
    them: a report keeps its number whatever happens after its day (worlds that differ only later agree before)."""
    order = np.lexsort((np.arange(len(reports["youth_id"])), reports["youth_id"], reports["report_date"]))
    numbers = np.empty(len(order), dtype=object)
    numbers[order] = report_numbers(youths, 0, len(order))
    return numbers


def add_lossless_mess(rng, tables: dict, youths: Youths, rate: float) -> dict:
    """Ids as strings, exact duplicates next to their original, records of unknown youths, and reports delivered
    again (drawn last, so the other tables' mess is what it was before report numbers existed)."""
    strangers = unknown_ids(youths, max(1, int(len(youths) * rate)))
    out = {"youths": mess.duplicate_rows(rng, tables["youths"] | {"youth_id": youths.youth_id}, rate / 5)}
    for name in ("enrollments", "diplomas", "absence_reports"):
        table = mess.duplicate_rows(rng, tables[name] | {"youth_id": youths.youth_id[tables[name]["youth_id"]]}, rate)
        out[name] = mess.unknown_youth_rows(rng, table, rate / 2, strangers)
    reports, known = out["absence_reports"], len(table["youth_id"])
    numbers = reports["report_id"].copy()  # copies under unknown youths are other reports: numbers of their own
    numbers[known:] = report_numbers(youths, len(tables["absence_reports"]["youth_id"]), len(numbers) - known)
    out["absence_reports"] = mess.redeliver_rows(rng, reports | {"report_id": numbers}, rate / 2, "school_id")
    return out
