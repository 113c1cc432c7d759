"""Messy data on purpose, as a real export has it (see the contract's "Messy data").

Two kinds. Mess that changes what the features see (missing hours, unknown
enum values) and mess the reader undoes exactly (duplicates, old or oddly
written municipality names, records of unknown youths, odd case and spacing).
Both are applied to the written records only, after the simulation: the truth
is a function of the world's state, never of the records, so the mess is part
of what the registrations cannot explain. A startkwalificatie's level is never
made unknown (only written oddly), so the target group and the labels the
features derive from the files are the truth's.

Every kind scales with the mess rate, so a rate of 0 gives clean data. (Missing
hours on `te_laat` reports are not mess: lateness reports mostly carry no hours,
by design, in `absence.py`.)
"""

from __future__ import annotations

import numpy as np

BAD_VALUES = {
    "education_type": np.array(["mbo 2", "MBO-5", "vmbo-tl", "hbo-ad", "praktijkschool"], dtype=object),
    "learning_path": np.array(["BOL/BBL", "duaal"], dtype=object),
    "level": np.array(["mbo", "vmbo-tl", "mbo-2x"], dtype=object),
    "kind": np.array(["ziekte", "spijbelen", "16-uurs"], dtype=object),
    "gender": np.array(["O", "?"], dtype=object),
    "origin": np.array(["anders", "nl"], dtype=object),
}
OLD_NAMES = {
    "Hoeksche Waard": np.array(["Binnenmaas", "Cromstrijen", "Korendijk", "Oud-Beijerland", "Strijen"], dtype=object),
    "Molenlanden": np.array(["Giessenlanden", "Molenwaard"], dtype=object),
    "Vijfheerenlanden": np.array(["Leerdam", "Zederik"], dtype=object),
}
MERGER_DAY = 17897  # 2019-01-01
# Records dated before the mergers carry an old name this many times as often as later ones
# (60% of them at the default rate of 2%); capped at every record.
OLD_NAMES_BEFORE_MERGER = 30.0


def _pick(rng, options: np.ndarray, n: int) -> np.ndarray:
    return options[rng.integers(0, len(options), n)]


def spoil_values(rng, values: np.ndarray, column: str, where: np.ndarray, rate: float) -> np.ndarray:
    """Unknown enum values in a share of the rows in `where`; a few more only in odd case or spacing."""
    values = values.copy()
    bad = where & (rng.random(len(values)) < rate)
    values[bad] = _pick(rng, BAD_VALUES[column], int(bad.sum()))
    odd = where & ~bad & (rng.random(len(values)) < rate) & (values != None)  # noqa: E711 (elementwise)
    values[odd] = np.char.add(np.char.add(" ", np.char.upper(values[odd].astype(str))), " ").astype(object)
    return values


def drop_hours(rng, hours: np.ndarray, where: np.ndarray, rate: float) -> np.ndarray:
    hours = hours.copy()
    hours[where & (rng.random(len(hours)) < rate)] = np.nan
    return hours


def rename_municipalities(rng, names: np.ndarray, days: np.ndarray | None, rate: float) -> np.ndarray:
    """Pre-2019 names (common before the mergers, rarer after) and odd spelling of case and spaces."""
    names = names.copy()
    before_merger = np.zeros(len(names), bool) if days is None else days < MERGER_DAY
    old_name_rate = np.where(before_merger, min(1.0, OLD_NAMES_BEFORE_MERGER * rate), rate)
    for today, old in OLD_NAMES.items():
        rows = np.flatnonzero((names == today) & (rng.random(len(names)) < old_name_rate))
        names[rows] = _pick(rng, old, len(rows))
    odd = (rng.random(len(names)) < rate) & (names != None)  # noqa: E711 (elementwise)
    variant = rng.integers(0, 3, len(names))
    for v, spell in enumerate((np.char.lower, np.char.upper, lambda x: np.char.add(np.char.add("  ", x), " "))):
        rows = np.flatnonzero(odd & (variant == v))
        names[rows] = spell(names[rows].astype(str)).astype(object)
    return names


def duplicate_rows(rng, table: dict, rate: float) -> dict:
    """Exact duplicates of a share of the rows, each right after its original."""
    n = len(next(iter(table.values())))
    repeats = 1 + (rng.random(n) < rate)
    return {k: np.repeat(v, repeats) for k, v in table.items()}


def unknown_youth_rows(rng, table: dict, rate: float, ids: np.ndarray) -> dict:
    """Copies of a share of the rows under youth ids that are not in the youths table."""
    n = len(table["youth_id"])
    rows = np.flatnonzero(rng.random(n) < rate)
    copies = {k: v[rows] for k, v in table.items()}
    copies["youth_id"] = _pick(rng, ids, len(rows)) if len(ids) else copies["youth_id"][:0]
    return {k: np.concatenate([table[k], copies[k]]) for k in table}


def redeliver_rows(rng, table: dict, rate: float, padded: str) -> dict:
    """A share of the rows delivered again right after the original: the same report (same report_id, same content)
    from a later export that writes the `padded` column with surrounding spaces, as a fixed-width export does. So
    it is no exact duplicate, and only the report number tells the reader it is the same report."""
    n = len(next(iter(table.values())))
    repeats = 1 + (rng.random(n) < rate)
    out = {k: np.repeat(v, repeats) for k, v in table.items()}
    again = (np.cumsum(repeats) - 1)[repeats == 2]  # the second of two copies
    column = out[padded].astype(object)
    again = again[column[again] != None]  # noqa: E711 (elementwise)
    column[again] = np.char.add(np.char.add(" ", column[again].astype(str)), " ").astype(object)
    return out | {padded: column}
