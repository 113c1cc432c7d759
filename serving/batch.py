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
from serving.scoring import ServedModel, explain_matrix
from vsv_model.explanations import explain_rows, reason_columns
from vsv_model.policy import ROUTES, TIER_LABELS_NL, TIERS
from vsv_model.progress import progress_bar
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.risk_model import RiskModel, encode_frame, sigmoid

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
    if not explain:
        probability = sigmoid(model.log_odds(matrix, threads))
        return {"probability": probability, "tier": model.tiers(probability)}
    contributions, base, log_odds = explain_matrix(model, matrix, threads)
    probability = sigmoid(log_odds)
    return ({"probability": probability, "tier": model.tiers(probability)}
            | reason_columns(explain_rows(matrix, contributions)) | {"base_value": base, "log_odds": log_odds})


def score_population(served: ServedModel, data_dir: Path, as_of: dt.date, explain: bool) -> BatchResult:
    """Read a data directory and score it (`vsv score` reads once itself and calls `score_dataset`)."""
    return score_dataset(served, read_data_dir(data_dir), as_of, explain)


def score_dataset(served: ServedModel, data: DataSet, as_of: dt.date, explain: bool) -> BatchResult:
    """Features of the youths of the model's target group at `as_of`, then probability, tier, route (and reasons by
    concept) in chunks; every row names the model (version, run id and fingerprint)."""
    model = served.model
    start = time.perf_counter()
    table = build_feature_table(data, as_of, group=model.target_group)
    feature_seconds = time.perf_counter() - start
    start = time.perf_counter()
    frame = score_features(served, table.keys, table.features, explain)
    capacity = model.cutoffs.places()
    frame = mark_capacity(frame, capacity)
    counts = {t: int((frame["tier"] == t).sum()) for t in TIERS}
    return BatchResult(frame, counts, capacity, feature_seconds, time.perf_counter() - start)


def mark_capacity(frame: pd.DataFrame, capacity: dict[str, int | None]) -> pd.DataFrame:
    """`rank` (1 = the highest probability) and `within_capacity`, placed after the tier and route: within a tier,
    the youths by rank that fit its places a year (low has no limit). A tier holding more youths than places keeps
    them (the cut-offs are the model's), and the ones beyond the places are marked, never silently moved."""
    rank = frame["probability"].rank(method="first", ascending=False).astype(np.int64)
    within = np.ones(len(frame), dtype=bool)
    for tier, places in capacity.items():
        if places:
            in_tier = (frame["tier"] == tier).to_numpy()
            order_in_tier = rank.where(in_tier).rank(method="first").to_numpy()
            within[in_tier] = order_in_tier[in_tier] <= places
    after = list(frame.columns).index("route_nl") + 1 if "route_nl" in frame else len(frame.columns)
    marked = frame.copy()
    marked.insert(after, "rank", rank.to_numpy())
    marked.insert(after + 1, "within_capacity", within)
    return marked


def score_features(served: ServedModel, keys: pd.DataFrame, features: pd.DataFrame, explain: bool) -> pd.DataFrame:
    """The output rows for youths whose features are known (a feature table, or a scores file scored again)."""
    threads = os.cpu_count() or 1
    parts = []
    with progress_bar(len(features), "scoring", "youths") as bar:
        for begin in range(0, len(features), CHUNK_ROWS):
            chunk = features.iloc[begin:begin + CHUNK_ROWS]
            parts.append(pd.DataFrame(score_chunk(served.model, chunk, explain, threads)))
            bar.update(len(chunk))
    scored = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["probability", "tier"])
    return assemble_output(keys, features, scored, served)


def assemble_output(keys: pd.DataFrame, features: pd.DataFrame, scored: pd.DataFrame, served: ServedModel) -> pd.DataFrame:
    routes = {t: ROUTES[t] for t in TIERS}
    tier = scored["tier"].astype(str)
    front = pd.DataFrame({
        "youth_id": keys["youth_id"].reset_index(drop=True), "as_of": keys["as_of"].reset_index(drop=True),
        "probability": scored["probability"], "tier": tier, "tier_nl": tier.map(TIER_LABELS_NL),
        "route": tier.map({t: r.code for t, r in routes.items()}), "route_nl": tier.map({t: r.label_nl for t, r in routes.items()}),
        "model_version": served.version, "model_run_id": served.run_id, "model_fingerprint": served.fingerprint,
    })
    reasons = scored.drop(columns=["probability", "tier"])
    return pd.concat([front, reasons, features.reset_index(drop=True)], axis=1)


def describe_counts(result: BatchResult) -> list[str]:
    lines = []
    for tier in reversed(TIERS):
        capacity = result.capacity.get(tier)
        over = result.tier_counts[tier] - capacity if capacity else 0
        against = "" if not capacity else (f" (capacity {capacity:,}: within)" if over <= 0 else
                                           f" (capacity {capacity:,}: OVER by {over:,}; the {capacity:,} highest are marked within_capacity)")
        lines.append(f"  {TIER_LABELS_NL[tier]:<6} {result.tier_counts[tier]:>9,} youths{against}")
    return lines

