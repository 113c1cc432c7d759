"""`vsv score`: the whole population in-process, in chunks, with a progress bar.

Features come from `features/` (as in training); the model and reasons from the
same `RiskModel` and scoring helpers the service uses. Dutch sentences are built
once per distinct (feature, value, direction), never once per youth.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_feature_table
from serving.reasons import reason_columns
from serving.scoring import explain_matrix
from vsv_model.policy import ROUTES, TIER_LABELS_NL, TIERS
from vsv_model.progress import progress_bar
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.risk_model import RiskModel, encode_frame, sigmoid
from vsv_model.table_io import write_frame

CHUNK_ROWS = 100_000


@dataclass
class BatchResult:
    frame: pd.DataFrame
    tier_counts: dict[str, int]
    capacity: dict[str, int]
    feature_seconds: float
    scoring_seconds: float


def score_chunk(model: RiskModel, features: pd.DataFrame, explain: bool, threads: int) -> dict[str, np.ndarray]:
    matrix = encode_frame(features)
    if explain:
        contributions, _, log_odds = explain_matrix(model, matrix, threads)
    else:
        contributions, log_odds = None, model.log_odds(matrix, threads)
    probability = sigmoid(log_odds)
    columns = {"probability": probability, "tier": model.tiers(probability)}
    if explain:
        columns |= reason_columns(matrix, contributions)
    return columns


def score_population(model: RiskModel, data_dir: Path, as_of: dt.date, explain: bool, version: str) -> BatchResult:
    """Read a data directory and score it (`vsv score` reads once itself and calls `score_dataset`)."""
    return score_dataset(model, read_data_dir(data_dir), as_of, explain, version)


def score_dataset(model: RiskModel, data: DataSet, as_of: dt.date, explain: bool, version: str) -> BatchResult:
    """Features of the in-scope youths at `as_of`, then probability, tier, route (and reasons) in chunks."""
    start = time.perf_counter()
    table = build_feature_table(data, as_of, group=model.target_group)
    feature_seconds = time.perf_counter() - start
    start = time.perf_counter()
    threads = os.cpu_count() or 1
    parts = []
    with progress_bar(len(table), "scoring", "youths") as bar:
        for begin in range(0, len(table), CHUNK_ROWS):
            chunk = table.features.iloc[begin:begin + CHUNK_ROWS]
            parts.append(pd.DataFrame(score_chunk(model, chunk, explain, threads)))
            bar.update(len(chunk))
    scored = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["probability", "tier"])
    frame = assemble_output(table, scored, version)
    counts = {t: int((frame["tier"] == t).sum()) for t in TIERS}
    capacity = {"high": model.cutoffs.details.get("high_capacity"), "medium": model.cutoffs.details.get("medium_capacity")}
    return BatchResult(frame, counts, capacity, feature_seconds, time.perf_counter() - start)


def assemble_output(table, scored: pd.DataFrame, version: str) -> pd.DataFrame:
    routes = {t: ROUTES[t] for t in TIERS}
    tier = scored["tier"].astype(str)
    front = pd.DataFrame({
        "youth_id": table.keys["youth_id"], "as_of": table.keys["as_of"],
        "probability": scored["probability"], "tier": tier, "tier_nl": tier.map(TIER_LABELS_NL),
        "route": tier.map({t: r.code for t, r in routes.items()}), "route_nl": tier.map({t: r.label_nl for t, r in routes.items()}),
        "model_version": version,
    })
    reasons = scored.drop(columns=["probability", "tier"])
    return pd.concat([front, reasons, table.features.reset_index(drop=True)], axis=1)


def write_scores(frame: pd.DataFrame, out: Path) -> None:
    write_frame(frame, out)


def describe_counts(result: BatchResult) -> list[str]:
    lines = []
    for tier in reversed(TIERS):
        capacity = result.capacity.get(tier)
        against = f" (capacity {capacity:,}: {'within' if result.tier_counts[tier] <= capacity else 'OVER'})" if capacity else ""
        lines.append(f"  {TIER_LABELS_NL[tier]:<6} {result.tier_counts[tier]:>9,} youths{against}")
    return lines

