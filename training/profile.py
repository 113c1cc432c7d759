"""The reference profile a model carries for monitoring: aggregates of the data it learned from, never a row.

Per feature the bins (deciles for numbers, the categories for categoricals; `vsv_model.drift` owns the rule)
and the share of the fit rows in each, plus the share missing, unknown and (numbers) above zero; the binned
calibrated probability; per concept the mean absolute contribution; per tier the share of youths and the
expected outcome rate (the mean calibrated probability); what the fit rows' probabilities lead one to expect
(`vsv_model.expected_performance`); the tier shares per group (gender, origin, school municipality); and per
school the absence reports and pupil-years at each fit date (`features.reporting`). `vsv monitor` compares new
data with it (population stability index, reporting rates, explanation drift, estimated performance).

A feature with an open look-back (weeks since the last report) is profiled below the span the earliest fit date
sees in full (`compared_below`, from the data's first report): the monitor cuts the new data at the same span, so
both sides compare what both can see (`vsv_model.feature_spec.OpenLookback`); the concepts' mean |contribution|
explains the fit rows cut at that span, as the monitor explains its youths.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from training.dataset import STOCK
from vsv_model.concepts import CONCEPT_NAMES, concept_contributions
from vsv_model.contract import UNKNOWN
from vsv_model.drift import RIGHT_CLOSED, bin_counts, numeric_edges, seen_alike, seen_below, shares_of
from vsv_model.expected_performance import estimate
from vsv_model.feature_spec import FEATURES, OPEN_LOOKBACK
from vsv_model.plausibility import NO_SCHOOL_RECORDS, failing
from vsv_model.policy import TIERS
from vsv_model.reader import DataSet
from vsv_model.risk_model import RiskModel, encode_frame

PROFILE_GROUPS = ("gender", "origin", "school_municipality")  # tier shares per group are compared by `vsv monitor`


def feature_entry(values: pd.Series, spec, span: int | None = None) -> dict:
    """One feature's reference: bin edges, shares per bin, and the shares missing, unknown and above zero; with a
    `span`, of the values below it (longer ones count as none, `compared_below` says so)."""
    values = seen_below(values, span)
    edges = None if spec.is_categorical else numeric_edges(values)
    counts = bin_counts(values, spec.categories if spec.is_categorical else None, edges)
    numbers = None if spec.is_categorical else pd.to_numeric(values, errors="coerce")
    return {"edges": edges, "shares": shares_of(counts), "missing": float(values.isna().mean()),
            "unknown": float((values.astype(str) == UNKNOWN).mean()) if spec.is_categorical else 0.0,
            "nonzero": None if numbers is None else float((numbers > 0).mean())} | ({} if span is None else {"compared_below": span})


def feature_profile(frame: pd.DataFrame, spans: dict[str, int] | None = None) -> dict:
    return {spec.name: feature_entry(frame[spec.name], spec, (spans or {}).get(spec.name)) for spec in FEATURES}


def first_records(data: DataSet) -> dict[str, str]:
    """The date of the first record of each table an open look-back reads (none for an empty table)."""
    firsts = {}
    for look in OPEN_LOOKBACK.values():
        first = data.table(look.table)[look.date_column].min()
        if not pd.isna(first):
            firsts[look.table] = pd.Timestamp(first).date().isoformat()
    return firsts


def comparable_spans(dates: list[str], firsts: dict[str, str]) -> dict[str, int]:
    """Per open look-back feature, the span every fit date sees in full: counted from the earliest fit date."""
    earliest = dt.date.fromisoformat(min(dates))
    return {name: look.seen_in_full(earliest, dt.date.fromisoformat(firsts[look.table]))
            for name, look in OPEN_LOOKBACK.items() if look.table in firsts}


def probability_profile(probability: np.ndarray) -> dict:
    """The calibrated probability binned like a number (its deciles), for the drift of the score itself."""
    values = pd.Series(probability)
    edges = numeric_edges(values)
    return {"edges": edges, "shares": shares_of(bin_counts(values, None, edges))}


def group_profile(frame: pd.DataFrame, tiers: np.ndarray, gap: np.ndarray) -> dict:
    """Per group of each profiled attribute: its rows, the share of them per tier and the share without any school
    record (`gap`)."""
    profile = {}
    for attribute in PROFILE_GROUPS:
        groups = frame[attribute].astype(str).fillna(UNKNOWN).to_numpy()
        table = pd.crosstab(groups, tiers).reindex(columns=list(TIERS), fill_value=0)
        without = pd.Series(np.asarray(gap, dtype=float)).groupby(groups).mean()
        profile[attribute] = {str(g): {"n": int(row.sum()), **{t: float(row[t] / row.sum()) for t in TIERS},
                                       "no_school_records": round(float(without[g]), 6)}
                              for g, row in table.iterrows()}
    return profile


def reporting_profile(per_date: dict[str, pd.DataFrame]) -> dict:
    """Per school its municipality and, per fit date, its reports and pupil-years in the year before."""
    dates = sorted(per_date)
    stacked = pd.concat([per_date[d].assign(as_of=d) for d in dates], ignore_index=True)
    schools = {}
    for school, rows in stacked.groupby("school_id", sort=True):
        rows = rows.set_index("as_of").reindex(dates)
        schools[str(school)] = {"municipality": str(rows["municipality"].dropna().iloc[-1]),
                                "reports": rows["reports"].fillna(0).astype(int).tolist(),
                                "pupil_years": rows["pupil_years"].fillna(0.0).round(3).tolist()}
    return {"dates": dates, "window_days": 364, "schools": schools}


def reference_profile(model: RiskModel, fit: pd.DataFrame, reporting: dict[str, pd.DataFrame] | None = None,
                      firsts: dict[str, str] | None = None) -> dict:
    """The profile of the fit rows of the yearly stock under `model` (the monitor watches the yearly list; the events'
    rows, each at its own day, are another population), and of the schools' reporting at the fit dates, when given;
    with the tables' first records (`first_records`), the open look-back features below the span every fit date sees,
    and the concepts' mean |contribution| explained on the fit rows cut the same way (`vsv monitor` cuts its own)."""
    fit = fit[fit["kind"] == STOCK] if "kind" in fit else fit
    matrix = encode_frame(fit)
    dates = sorted(fit["as_of"].unique().tolist())
    spans = comparable_spans(dates, firsts) if firsts and dates else {}
    contributions, _ = model.contributions(encode_frame(seen_alike(fit, spans)), num_threads=2)
    probability = model.probability(matrix, num_threads=2)
    tiers = model.tiers(probability)
    mean_abs = np.abs(concept_contributions(contributions)).mean(axis=0)
    return {
        "bin_rule": RIGHT_CLOSED, "rows": len(fit), "as_of_dates": dates,
        "rows_per_date": round(len(fit) / max(len(dates), 1), 1),
        "features": feature_profile(fit, spans),
        "probability": probability_profile(probability),
        "concept_mean_abs_contribution": dict(zip(CONCEPT_NAMES, mean_abs.round(6).tolist())),
        "tiers": {t: {"share": float((tiers == t).mean()), "expected_outcome_rate": float(probability[tiers == t].mean())
                      if (tiers == t).any() else None} for t in TIERS},
        "mean_probability": float(probability.mean()),
        "expected": estimate(probability, tiers, model.cutoffs.details.get("high_share")),
        "groups": group_profile(fit, tiers, failing(matrix, NO_SCHOOL_RECORDS)),
        "reporting": reporting_profile(reporting) if reporting else None,
    }
