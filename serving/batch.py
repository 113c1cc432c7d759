"""`vsv score`: the whole population in-process, in chunks, with a progress bar.

Features come from `features/` (as in training); the model and reasons from the
same `RiskModel` and scoring helpers the service uses. The booster runs once per
distinct split pattern and Dutch sentences are built once per distinct (feature,
value, direction), never once per youth.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_feature_table
from serving.scoring import ServedModel, explain_matrix
from vsv_model.explanations import explain_rows, reason_columns
from vsv_model.policy import RISK_CATEGORIES, RISK_CATEGORY_LABELS_NL, ROUTES, TIER_LABELS_NL, TIERS, approach_notes
from vsv_model.progress import progress_bar
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.risk_model import RiskModel, encode_frame
from vsv_model.split_bins import pattern_codes


@dataclass
class BatchResult:
    frame: pd.DataFrame
    tier_counts: dict[str, int]
    capacity: dict[str, int]
    feature_seconds: float
    scoring_seconds: float
    category_counts: dict[str, int] = field(default_factory=dict)  # youths per risk category (from the probability)


def score_matrix(model: RiskModel, matrix: np.ndarray, explain: bool, threads: int) -> dict[str, np.ndarray]:
    """Probability and tier per row (and the reasons by concept): the booster runs once per distinct split pattern
    (`vsv_model.split_bins`), which gives every youth exactly what a call on its own row would. The probability is
    the registered model's (booster, then calibration: what its pyfunc and the tier cut-offs compute), also with
    `--explain`, so a youth gets the same tier with or without reasons; `log_odds` is then base + contributions."""
    patterns = pattern_codes(matrix, model.split_thresholds)
    codes, representative = patterns
    probability = model.probability(matrix[representative], threads)[codes]
    scored = {"probability": probability, "tier": model.tiers(probability)}
    return scored | explanation_columns(model, matrix, threads, patterns) if explain else scored


def explanation_columns(model: RiskModel, matrix: np.ndarray, threads: int,
                        patterns: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The reasons by concept, the base value and the log-odds of every row, TreeSHAP once per split pattern."""
    codes, representative = patterns or pattern_codes(matrix, model.split_thresholds)
    contributions, base, log_odds = (values[codes] for values in explain_matrix(model, matrix[representative], threads))
    return reason_columns(explain_rows(matrix, contributions)) | {"base_value": base, "log_odds": log_odds}


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
    frame = with_group_exit(mark_capacity(frame, capacity), table.group_exit)
    counts = {t: int((frame["tier"] == t).sum()) for t in TIERS}
    categories = {c: int((frame["risk_category"] == c).sum()) for c in RISK_CATEGORIES}
    return BatchResult(frame, counts, capacity, feature_seconds, time.perf_counter() - start, categories)


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


def with_group_exit(frame: pd.DataFrame, group_exit: pd.DataFrame | None) -> pd.DataFrame:
    """The day each youth leaves the target group after the reference date, and why (`features.group_exit`), as
    the last columns, row for row; unchanged when unknown (a scores file from before these columns)."""
    if group_exit is None:
        return frame
    return pd.concat([frame, group_exit.reset_index(drop=True)], axis=1)


def score_features(served: ServedModel, keys: pd.DataFrame, features: pd.DataFrame, explain: bool) -> pd.DataFrame:
    """The output rows for youths whose features are known (a feature table, or a scores file scored again)."""
    threads = os.cpu_count() or 1
    with progress_bar(len(features), "scoring", "youths") as bar:
        scored = pd.DataFrame(score_matrix(served.model, encode_frame(features), explain, threads))
        bar.update(len(features))
    return assemble_output(keys, features, scored, served)


def assemble_output(keys: pd.DataFrame, features: pd.DataFrame, scored: pd.DataFrame, served: ServedModel) -> pd.DataFrame:
    """The output rows: the risk category (from the probability) and its meaning, then the advised approach (tier and
    route, from the capacity ranking) and, where the two differ, the sentence that says why; the model; the reasons."""
    routes = {t: ROUTES[t] for t in TIERS}
    tier = scored["tier"].astype(str)
    model = served.model
    category = pd.Series(model.risk_categories(scored["probability"].to_numpy()), index=scored.index).astype(str)
    meanings = {c: model.categories.meaning_nl(c, model.target_group.outcome_age) for c in RISK_CATEGORIES}
    front = pd.DataFrame({
        "youth_id": keys["youth_id"].reset_index(drop=True), "as_of": keys["as_of"].reset_index(drop=True),
        "probability": scored["probability"], "risk_category": category,
        "risk_category_nl": category.map(RISK_CATEGORY_LABELS_NL), "risk_category_meaning_nl": category.map(meanings),
        "tier": tier, "tier_nl": tier.map(TIER_LABELS_NL),
        "route": tier.map({t: r.code for t, r in routes.items()}), "route_nl": tier.map({t: r.label_nl for t, r in routes.items()}),
        "approach_note_nl": approach_notes(category.to_numpy(), tier.to_numpy()),
        "model_version": served.version, "model_run_id": served.run_id, "model_fingerprint": served.fingerprint,
    })
    reasons = scored.drop(columns=["probability", "tier"])
    return pd.concat([front, reasons, features.reset_index(drop=True)], axis=1)


def describe_counts(result: BatchResult) -> list[str]:
    """What `vsv score` prints: youths per risk category (when known), then per advised route against capacity."""
    lines = []
    if result.category_counts:
        lines.append("Risk category (from the probability):")
        lines += [f"  {RISK_CATEGORY_LABELS_NL[c]:<18} {result.category_counts.get(c, 0):>9,} youths" for c in reversed(RISK_CATEGORIES)]
        lines.append("Advised route (sized by capacity):")
    for tier in reversed(TIERS):
        capacity = result.capacity.get(tier)
        over = result.tier_counts[tier] - capacity if capacity else 0
        against = "" if not capacity else (f" (capacity {capacity:,}: within)" if over <= 0 else
                                           f" (capacity {capacity:,}: OVER by {over:,}; the {capacity:,} highest are marked within_capacity)")
        lines.append(f"  {ROUTES[tier].code:<18} {result.tier_counts[tier]:>9,} youths{against}")
    return lines

