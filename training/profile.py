"""The reference profile a model carries for monitoring: aggregates of the data it learned from, never a row.

Per feature the bins (deciles for numbers, the categories for categoricals) and the share of the fit rows in
each, plus the share missing and unknown; per concept the mean absolute contribution; per tier the share of
youths and the expected outcome rate (the mean calibrated probability). `vsv monitor` compares new data with
it (population stability index, explanation drift, estimated performance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsv_model.concepts import CONCEPT_NAMES, concept_contributions
from vsv_model.contract import UNKNOWN
from vsv_model.feature_spec import FEATURES
from vsv_model.policy import TIERS
from vsv_model.risk_model import RiskModel, encode_frame

QUANTILES = np.linspace(0.1, 0.9, 9)


def numeric_bins(values: pd.Series) -> list[float]:
    """Inner bin edges: the distinct deciles (a count with few values gets fewer bins)."""
    present = values.dropna().to_numpy(dtype=float)
    return sorted(set(np.quantile(present, QUANTILES).round(6).tolist())) if len(present) else []


def bin_shares(values: pd.Series, spec, edges: list[float] | None = None) -> dict:
    """Shares per bin (`missing` for NaN); categoricals by category."""
    total = max(len(values), 1)
    if spec.is_categorical:
        counts = values.astype(str).value_counts()
        return {c: float(counts.get(c, 0) / total) for c in spec.categories}
    present = values.notna().to_numpy()
    positions = np.searchsorted(np.asarray(edges, dtype=float), values.to_numpy(dtype=float)[present], side="right")
    shares = np.bincount(positions, minlength=len(edges) + 1) / total
    return {f"bin_{k}": float(v) for k, v in enumerate(shares)} | {"missing": float((~present).sum() / total)}


def feature_profile(frame: pd.DataFrame) -> dict:
    profile = {}
    for spec in FEATURES:
        values = frame[spec.name]
        edges = None if spec.is_categorical else numeric_bins(values)
        profile[spec.name] = {"edges": edges, "shares": bin_shares(values, spec, edges),
                              "missing": float(values.isna().mean()),
                              "unknown": float((values.astype(str) == UNKNOWN).mean()) if spec.is_categorical else 0.0}
    return profile


def reference_profile(model: RiskModel, fit: pd.DataFrame) -> dict:
    """The profile of the fit rows under `model`."""
    matrix = encode_frame(fit)
    contributions, _ = model.contributions(matrix, num_threads=2)
    probability = model.probability(matrix, num_threads=2)
    tiers = model.tiers(probability)
    mean_abs = np.abs(concept_contributions(contributions)).mean(axis=0)
    return {
        "rows": len(fit), "as_of_dates": sorted(fit["as_of"].unique().tolist()),
        "features": feature_profile(fit),
        "concept_mean_abs_contribution": dict(zip(CONCEPT_NAMES, mean_abs.round(6).tolist())),
        "tiers": {t: {"share": float((tiers == t).mean()), "expected_outcome_rate": float(probability[tiers == t].mean())
                      if (tiers == t).any() else None} for t in TIERS},
        "mean_probability": float(probability.mean()),
    }
