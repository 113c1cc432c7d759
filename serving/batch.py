"""`vsv score`: the whole population in-process, in chunks, with a progress bar.

Features come from `features/` (as in training); the model and reasons from the
same `RiskModel` and scoring helpers the service uses. The booster runs once per
distinct split pattern and Dutch sentences are built once per distinct (feature,
value, direction), never once per youth.

Two populations: the target group on one reference date (the yearly list, kind `stock`: `score_dataset`), or the
office's events of a window (`score_events`), each event scored as of its own day with its kind's calibration,
cut-offs and risk categories' meaning (one pass per kind, never per youth).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_event_table, build_feature_table
from features.office_events import EVENT_KINDS
from serving.scoring import ServedModel, explain_matrix
from vsv_model.explanations import explain_rows, reason_columns
from vsv_model.policy import RISK_CATEGORIES, RISK_CATEGORY_LABELS_NL, ROUTES, TIER_LABELS_NL, TIERS, approach_notes
from vsv_model.progress import progress_bar
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.risk_model import STOCK_KIND, RiskModel, encode_frame
from vsv_model.split_bins import pattern_codes

KEY_COLUMNS = ("youth_id", "as_of", "kind", "report_id")  # what a row is keyed by; the stock's rows have the first two
DAYS_A_YEAR = 365.25


@dataclass
class BatchResult:
    frame: pd.DataFrame
    tier_counts: dict[str, int]
    capacity: dict[str, int]
    feature_seconds: float
    scoring_seconds: float
    category_counts: dict[str, int] = field(default_factory=dict)  # youths per risk category (from the probability)
    kind_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # events: per kind, per tier and risk category
    out_of_scope: int = 0  # events of youths outside the target group on their day: not scored


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


def score_events(served: ServedModel, data: DataSet, office: pd.DataFrame, explain: bool,
                 window: tuple[dt.date, dt.date] | None = None) -> BatchResult:
    """Every event of `office` (`features.office_events`' layout: youth_id, event_date, kind, report_id) scored as
    of its own day, with its kind's calibration, cut-offs and risk categories' meaning; rows in `office`'s order,
    keyed by youth_id, as_of (the event's day), kind and report_id. `rank` orders the window's events and
    `within_capacity` marks those the window's places hold (`event_places`); `window` is the period the events
    were drawn from (default: the first to the last event's day). A kind the model has no calibration for is a
    ValueError naming the kinds it knows, before anything is built."""
    kinds = list(pd.unique(office["kind"].astype(object)))
    for kind in kinds:
        served.for_kind(kind)
    start = time.perf_counter()
    table = build_event_table(data, office, group=served.group)
    feature_seconds = time.perf_counter() - start
    start = time.perf_counter()
    frame = score_features(served, table.keys, table.features, explain)
    capacity = event_places(served, kinds, window_days(window, table.keys["as_of"]))
    frame = with_group_exit(mark_capacity(frame, capacity), table.group_exit)
    counts = {t: int((frame["tier"] == t).sum()) for t in TIERS}
    categories = {c: int((frame["risk_category"] == c).sum()) for c in RISK_CATEGORIES}
    return BatchResult(frame, counts, capacity, feature_seconds, time.perf_counter() - start, categories,
                       counts_per_kind(frame), len(office) - len(frame))


def places_for(served: ServedModel, keys: pd.DataFrame) -> dict[str, int | None]:
    """The places the rows compete for: the yearly list's places a year, or for events (a `kind` column) those of
    the window from the first to the last event's day (a scores file scored again)."""
    if "kind" not in keys:
        return served.model.cutoffs.places()
    return event_places(served, list(pd.unique(keys["kind"].astype(object))), window_days(None, keys["as_of"]))


def window_days(window: tuple[dt.date, dt.date] | None, as_of: pd.Series) -> int:
    """The days of the events' window, both ends included: the given one, else the first to the last event's day."""
    if window is None:
        if as_of.empty:
            return 0
        days = pd.to_datetime(as_of)
        window = (days.min().date(), days.max().date())
    return (window[1] - window[0]).days + 1


def event_places(served: ServedModel, kinds, days: int) -> dict[str, int | None]:
    """The places a window of `days` holds for events: the places a year the events' cut-offs were sized for (the
    weekly conversations and monthly matchmaker places, as a year's worth), times the window's share of a year,
    rounded up. Every kind of event shares them (training sizes one pair of cut-offs for all of them); kinds sized
    for different places are refused rather than pooled wrongly. A model from before events sizes the events by the
    yearly list's places."""
    sizes = {tuple(served.for_kind(kind).model.cutoffs.places().items()) for kind in kinds}
    if len(sizes) > 1:
        raise ValueError(f"the kinds of event {', '.join(map(str, kinds))} have cut-offs sized for different places; "
                         "events share the places")
    yearly = dict(sizes.pop()) if sizes else served.model.cutoffs.places()
    return {tier: None if places is None else math.ceil(places * days / DAYS_A_YEAR) for tier, places in yearly.items()}


def counts_per_kind(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per kind of event: the events, and per advised route (tier) and per risk category (`risk_<category>`)."""
    counts = {}
    for kind, rows in frame.groupby("kind", sort=False):
        tiers = rows["tier"].value_counts()
        categories = rows["risk_category"].value_counts()
        counts[str(kind)] = {"events": len(rows), **{t: int(tiers.get(t, 0)) for t in TIERS},
                             **{f"risk_{c}": int(categories.get(c, 0)) for c in RISK_CATEGORIES}}
    return counts


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
    """The output rows for youths whose features are known (a feature table, an event table, or a scores file
    scored again)."""
    threads = os.cpu_count() or 1
    with progress_bar(len(features), "scoring", "youths") as bar:
        frame = output_rows(served, keys, features, explain, threads)
        bar.update(len(features))
    return frame


def output_rows(served: ServedModel, keys: pd.DataFrame, features: pd.DataFrame, explain: bool, threads: int,
                scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """The output rows in the rows' order, each kind of moment (`kind` in the keys; without it, the stock) with its
    own calibration, cut-offs and categories' meaning: one pass per kind. `scored` holds every row's probability
    and tier when they are already known (Spark's pyfunc UDF); else the booster runs here, once per split pattern."""
    if scored is None or explain:
        _ = served.model.split_thresholds  # found once on the shared booster; every kind's model takes them over
        matrix = encode_frame(features)
    parts, positions = [], []
    for kind, rows in rows_by_kind(keys):
        kind_served = served.for_kind(kind)
        if scored is None:
            values = score_matrix(kind_served.model, matrix[rows], explain, threads)
        else:
            values = {"probability": scored["probability"].to_numpy()[rows], "tier": scored["tier"].to_numpy(dtype=object)[rows]}
            if explain:
                values |= explanation_columns(kind_served.model, matrix[rows], threads)
        parts.append(assemble_output(keys.iloc[rows], features.iloc[rows], pd.DataFrame(values), kind_served))
        positions.append(rows)
    if len(parts) == 1:
        return parts[0]
    order = np.argsort(np.concatenate(positions), kind="stable")
    return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)


def rows_by_kind(keys: pd.DataFrame) -> list[tuple[str, np.ndarray | slice]]:
    """The rows of each kind of moment, in order of first appearance; all rows as the stock's without a `kind`."""
    if "kind" not in keys or keys.empty:
        return [(STOCK_KIND, slice(None))]
    kinds = keys["kind"].to_numpy(dtype=object)
    found = pd.unique(kinds)
    if len(found) == 1:
        return [(found[0], slice(None))]
    return [(kind, np.flatnonzero(kinds == kind)) for kind in found]


def assemble_output(keys: pd.DataFrame, features: pd.DataFrame, scored: pd.DataFrame, served: ServedModel) -> pd.DataFrame:
    """The output rows: the risk category (from the probability) and its meaning, then the advised approach (tier and
    route, from the capacity ranking) and, where the two differ, the sentence that says why; the model; the reasons."""
    routes = {t: ROUTES[t] for t in TIERS}
    tier = scored["tier"].astype(str)
    model = served.model
    category = pd.Series(model.risk_categories(scored["probability"].to_numpy()), index=scored.index).astype(str)
    meanings = {c: model.categories.meaning_nl(c, model.target_group.outcome_age) for c in RISK_CATEGORIES}
    front = pd.DataFrame({
        **{name: keys[name].reset_index(drop=True) for name in KEY_COLUMNS if name in keys},
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
    """What `vsv score` prints: youths per risk category (when known), then per advised route against capacity;
    for events first the counts per kind of event."""
    lines = describe_kinds(result.kind_counts)
    rows = "events" if result.kind_counts else "youths"
    if result.category_counts:
        lines.append("Risk category (from the probability):")
        lines += [f"  {RISK_CATEGORY_LABELS_NL[c]:<18} {result.category_counts.get(c, 0):>9,} {rows}" for c in reversed(RISK_CATEGORIES)]
        lines.append("Advised route (sized by capacity" + (": the places of the period's days)" if result.kind_counts else ")") + ":")
    for tier in reversed(TIERS):
        capacity = result.capacity.get(tier)
        over = result.tier_counts[tier] - capacity if capacity else 0
        against = "" if not capacity else (f" (capacity {capacity:,}: within)" if over <= 0 else
                                           f" (capacity {capacity:,}: OVER by {over:,}; the {capacity:,} highest are marked within_capacity)")
        lines.append(f"  {ROUTES[tier].code:<18} {result.tier_counts[tier]:>9,} {rows}{against}")
    return lines


def describe_kinds(kind_counts: dict[str, dict[str, int]]) -> list[str]:
    """One line per kind of event and one for all: the events, per risk category and per advised route."""
    if not kind_counts:
        return []
    categories = [f"risk_{c}" for c in reversed(RISK_CATEGORIES)]
    columns = ["events", *categories, *reversed(TIERS)]
    names = ["events", *(f"risico {RISK_CATEGORY_LABELS_NL[c]}" for c in reversed(RISK_CATEGORIES)),
             *(ROUTES[t].code for t in reversed(TIERS))]
    widths = [max(len(n), 7) for n in names]
    total = {c: sum(counts.get(c, 0) for counts in kind_counts.values()) for c in columns}
    lines = ["Per kind of event (risk category from the probability; advised route by the kind's cut-offs):",
             "  " + f"{'kind':<14}" + "".join(f" {n:>{w}}" for n, w in zip(names, widths))]
    known = (STOCK_KIND, *EVENT_KINDS)
    kinds = sorted(kind_counts, key=lambda kind: (known.index(kind) if kind in known else len(known), kind))
    for kind, counts in [*((k, kind_counts[k]) for k in kinds), ("all", total)]:
        lines.append("  " + f"{kind:<14}" + "".join(f" {counts.get(c, 0):>{w},}" for c, w in zip(columns, widths)))
    return lines
