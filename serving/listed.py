"""The listed youths as the page shows them and as the audit log records them.

A row of the scores file (`vsv score`) holds a youth's key, its features and what the model said. The page opens a
youth from it (`youth_input`), and every list shown or scored again is recorded as the advice it shows: one audit
record per listed youth, built by `serving.audit.records` like a scored youth's, with the input hash of the same
youth as its page would hash it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from serving.audit import records
from serving.schemas import YouthInput
from vsv_model.feature_spec import FEATURES
from vsv_model.policy import route_for
from vsv_model.risk_model import STOCK_KIND

REASON_COLUMNS = 5  # reason_1 .. reason_5 in a scores file


@dataclass(frozen=True)
class ListedReason:
    concept: str
    contribution: float


@dataclass(frozen=True)
class ListedAdvice:
    """What the list shows of one youth, in the shape `serving.audit.records` reads."""

    youth_id: str
    as_of: str
    kind: str
    model_version: str
    model_run_id: str
    probability: float
    tier: str
    route: str
    reasons: tuple[ListedReason, ...]


def listed_kind(row) -> str:
    """The moment the list scored the youth at: an event's kind in a file of events, else the yearly list's."""
    kind = row.get("kind")
    return STOCK_KIND if kind is None or kind != kind else str(kind)


def features_of(row) -> dict:
    values = {}
    for spec in FEATURES:
        value = row[spec.name]
        if spec.is_categorical:
            values[spec.name] = str(value)
        elif value != value:  # NaN: missing
            values[spec.name] = None
        else:
            values[spec.name] = int(value) if spec.kind in ("count", "flag") else float(value)
    return values


def youth_input(row) -> YouthInput:
    """The listed youth as the page scores it: its key, reference date, kind of moment and features."""
    return YouthInput(youth_id=str(row["youth_id"]), as_of=dt.date.fromisoformat(str(row["as_of"])[:10]),
                      kind=listed_kind(row), features=features_of(row))


def listed_reasons(row) -> tuple[ListedReason, ...]:
    """The reasons the list shows, by concept, largest first (none for a file scored without reasons)."""
    found = []
    for k in range(1, REASON_COLUMNS + 1):
        concept, contribution = row.get(f"reason_{k}_concept"), row.get(f"reason_{k}_contribution")
        if isinstance(concept, str) and concept and contribution == contribution and contribution is not None:
            found.append(ListedReason(concept, float(contribution)))
    return tuple(found)


def listed_advice(row) -> ListedAdvice:
    return ListedAdvice(str(row["youth_id"]), str(row["as_of"])[:10], listed_kind(row), str(row["model_version"]),
                        str(row.get("model_run_id", "") or ""), float(row["probability"]), str(row["tier"]),
                        str(row["route"]) if "route" in row else route_for(str(row["tier"])).code, listed_reasons(row))


def list_records(event: str, rows: pd.DataFrame, request_id: str | None, key_name: str | None) -> list[dict]:
    """The audit records of a list shown (`list`) or scored again (`rescore`): one per listed youth."""
    listed = rows.to_dict("records")
    return records(event, [listed_advice(row) for row in listed], request_id, key_name,
                   [youth_input(row).model_dump_json() for row in listed])
