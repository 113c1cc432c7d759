"""One `vsv monitor` run: the model's target group at a reference date against the model's reference profile,
the same measures at the yearly dates before it (drift over time), and every archived scoring run whose outcomes
have since become known (realised performance beside what was estimated at the time).

Only aggregates leave this module: per feature, school, municipality, tier, concept, group or scoring run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sqlalchemy.engine import Engine

from features.build import build_feature_table
from features.reporting import reporting_rates
from monitoring.config import MonitorConfig
from monitoring.measures import (
    WARN,
    Finding,
    capacity_findings,
    compared_spans,
    concept_findings,
    expected_auc_finding,
    feature_drift,
    group_tier_drift,
    probability_drift,
    reporting_drift,
    status_of,
)
from serving.archive import archived_runs, archived_scores
from serving.scoring import ServedModel
from vsv_model.concepts import CONCEPT_NAMES, concept_contributions
from vsv_model.drift import seen_alike
from vsv_model.expected_performance import estimate, expected_auc
from vsv_model.feature_spec import AUDIT_COLUMNS
from vsv_model.plausibility import NO_SCHOOL_RECORDS, failing
from vsv_model.policy import RISK_CATEGORIES, TIERS, RiskCategories
from vsv_model.reader import DataSet
from vsv_model.risk_model import encode_frame

REFERENCE_MONTH_DAY = (10, 1)


@dataclass
class MonitorResult:
    as_of: str
    model_version: str
    model_fingerprint: str
    findings: list[Finding]
    features: pd.DataFrame  # per feature: PSI, its chance level, shares now and at training
    history: pd.DataFrame  # per (as_of, feature): PSI; plus the probability's
    reporting: pd.DataFrame  # per judged school: reports, expected, ratio, p-value
    estimate: dict  # expected performance of the current list
    reference_estimate: dict  # ... and of the fit rows at training
    places: dict
    concepts: dict[str, tuple[float, float]]  # concept: (at training, now)
    realised: pd.DataFrame = field(default_factory=pd.DataFrame)  # per archived run: estimated vs realised
    realised_groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    group_tiers: pd.DataFrame = field(default_factory=pd.DataFrame)  # per group: share in high (and medium), now and at training
    risk_categories: pd.DataFrame = field(default_factory=pd.DataFrame)  # per risk category: youths and share now, share at test

    @property
    def status(self) -> str:
        return status_of(self.findings)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |observed rate - mean probability| over 10 equal-width bins (training's definition)."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    gap = np.abs(np.bincount(which, y, bins) - np.bincount(which, p, bins))
    return float(gap.sum() / max(len(p), 1))


def history_dates(as_of: dt.date, years: int) -> list[dt.date]:
    """The 1 October dates of the `years` before `as_of` (oldest first), then `as_of` itself."""
    month, day = REFERENCE_MONTH_DAY
    dates = [dt.date(as_of.year - k, month, day) for k in range(years, -1, -1)]
    return [d for d in dates if d < as_of] + [as_of]


def monitor(served: ServedModel, data: DataSet, as_of: dt.date, config: MonitorConfig,
            archive: Engine | None = None) -> MonitorResult:
    model = served.model
    profile = model.info.get("reference_profile")
    if not profile:
        raise ValueError(f"model version {served.version} carries no reference profile: retrain it to monitor it")
    table = build_feature_table(data, as_of, group=model.target_group)
    matrix = encode_frame(table.features)
    # the explanation's drift explains the youths as the profile's fit dates could see them (an open look-back cut)
    contributions, _ = model.contributions(encode_frame(seen_alike(table.features, compared_spans(profile))), num_threads=2)
    probability = model.probability(matrix, num_threads=2)
    tiers = model.tiers(probability)

    findings, features = feature_drift(profile, table.features, config)
    found, probability_psi = probability_drift(profile, probability, config)
    findings += found
    found, reporting = reporting_drift(profile, reporting_rates(data, as_of), config)
    findings += found
    places = model.cutoffs.places()
    current = estimate(probability, tiers, model.cutoffs.details.get("high_share"))
    findings += capacity_findings(current["tier_counts"], places, config)
    reference_estimate = profile.get("expected") or {}
    findings += expected_auc_finding(reference_estimate.get("expected_auc"), current["expected_auc"], config)
    now = dict(zip(CONCEPT_NAMES, np.abs(concept_contributions(contributions)).mean(axis=0).tolist()))
    reference_concepts = profile.get("concept_mean_abs_contribution", {})
    findings += concept_findings(reference_concepts, now, config)
    gap = failing(matrix, NO_SCHOOL_RECORDS)
    found, group_tiers = group_tier_drift(profile, groups_of(table), tiers, config, gap)
    findings += found
    history = drift_history(served, data, as_of, config, profile, features, probability_psi)
    realised, groups = realised_performance(served, data, archive, config) if archive is not None else (pd.DataFrame(), pd.DataFrame())
    findings += realised_findings(realised, config)
    concepts = {c: (float(reference_concepts.get(c, np.nan)), float(now[c])) for c in CONCEPT_NAMES}
    return MonitorResult(as_of.isoformat(), served.version, served.fingerprint, findings, features, history, reporting,
                         current, reference_estimate, places, concepts, realised, groups, group_tiers,
                         category_shares(model.categories, model.risk_categories(probability)))


def category_shares(categories: RiskCategories, current: np.ndarray) -> pd.DataFrame:
    """Per risk category (from the probability alone): its youths and share now, beside its share and observed outcome
    rate on the test cohort as training measured them (empty when the model carries no measurement). Shown, not judged."""
    tested = sum(m.rows for m in categories.measured.values())
    rows = []
    for c in reversed(RISK_CATEGORIES):
        meaning = categories.measured.get(c)
        rows.append({"risk_category": c, "youths": int((current == c).sum()),
                     "share": float((current == c).mean()) if len(current) else np.nan,
                     "share_at_test": meaning.rows / tested if meaning is not None and tested else np.nan,
                     "outcome_rate_at_test": np.nan if meaning is None or meaning.observed_rate is None else meaning.observed_rate})
    return pd.DataFrame(rows)


def groups_of(table) -> pd.DataFrame:
    """The attributes whose tier shares are compared with training: gender and origin (audit-only, never the
    model's input) and the school's municipality (a feature)."""
    return pd.concat([table.audit[["gender", "origin"]].reset_index(drop=True),
                      table.features[["school_municipality"]].reset_index(drop=True)], axis=1)


def drift_history(served: ServedModel, data: DataSet, as_of: dt.date, config: MonitorConfig, profile: dict,
                  current: pd.DataFrame, current_probability_psi: float) -> pd.DataFrame:
    """PSI per feature (and of the probability) at the yearly dates before `as_of` that the data covers."""
    rows = [current.assign(as_of=as_of.isoformat())[["as_of", "feature", "psi"]],
            pd.DataFrame([{"as_of": as_of.isoformat(), "feature": "probability", "psi": current_probability_psi}])]
    first = data.enrollments["start_date"].min()
    for day in history_dates(as_of, config.history_years)[:-1]:
        if pd.isna(first) or pd.Timestamp(day) < first:
            continue
        table = build_feature_table(data, day, group=served.model.target_group)
        if len(table) == 0:
            continue
        _, features = feature_drift(profile, table.features, config)
        probability = served.model.probability(encode_frame(table.features), num_threads=2)
        _, probability_psi = probability_drift(profile, probability, config)
        rows += [features.assign(as_of=day.isoformat())[["as_of", "feature", "psi"]],
                 pd.DataFrame([{"as_of": day.isoformat(), "feature": "probability", "psi": probability_psi}])]
    return pd.concat(rows, ignore_index=True).sort_values(["as_of", "feature"], ignore_index=True)


def realised_performance(served: ServedModel, data: DataSet, archive: Engine,
                         config: MonitorConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per archived scoring run (date and model version) whose outcomes are known for at least `min_matured`
    youths now: realised AUC, ECE and outcome rate per tier beside what the probabilities let one expect of those
    same youths, and what was estimated for the whole list at the time; per group the error rates."""
    end = data.end_date()
    labels: dict[str, pd.DataFrame] = {}
    rows, groups = [], []
    for run in archived_runs(archive):
        day = dt.date.fromisoformat(run.as_of)
        if day >= end:
            continue
        if run.as_of not in labels:
            table = build_feature_table(data, day, group=served.model.target_group, with_label=True, end_date=end)
            labels[run.as_of] = pd.concat([table.keys[["youth_id"]], table.label.rename("outcome"), table.audit], axis=1)
        scored = archived_scores(archive, run.id).merge(labels[run.as_of], on="youth_id", how="inner")
        matured = scored[scored["outcome"].notna()]
        row = {"run": run.id, "as_of": run.as_of, "model_version": run.model_version, "youths": run.youths,
               "matured": len(matured), "estimated_auc_at_scoring": run.estimate.get("expected_auc")}
        if len(matured) >= config.min_matured and matured["outcome"].nunique() == 2:
            y, p = matured["outcome"].to_numpy(dtype=float), matured["probability"].to_numpy(dtype=float)
            row |= {"expected_auc": expected_auc(p), "realised_auc": float(roc_auc_score(y, p)),
                    "expected_rate": float(p.mean()), "realised_rate": float(y.mean()),
                    "realised_ece": expected_calibration_error(y, p)}
            for tier in TIERS:
                in_tier = (matured["tier"] == tier).to_numpy()
                row[f"expected_rate_{tier}"] = float(p[in_tier].mean()) if in_tier.any() else np.nan
                row[f"realised_rate_{tier}"] = float(y[in_tier].mean()) if in_tier.any() else np.nan
            groups += group_errors(matured, run.as_of, run.model_version, config)
        rows.append(row)
    return pd.DataFrame(rows), pd.DataFrame(groups)


def group_errors(matured: pd.DataFrame, as_of: str, version: str, config: MonitorConfig) -> list[dict]:
    """Per group (gender, origin, municipality of residence) with at least `min_group_size` matured youths: the
    share of those with the outcome left in `low` (missed) and of those in `high` without it (false alarm)."""
    rows = []
    for attribute in AUDIT_COLUMNS:
        for group, part in matured.groupby(matured[attribute].astype(str)):
            if len(part) < config.min_group_size:
                continue
            y, tier = part["outcome"].to_numpy(dtype=float), part["tier"].to_numpy()
            positives, high = y == 1, tier == "high"
            rows.append({"as_of": as_of, "model_version": version, "attribute": attribute, "group": group,
                         "youths": len(part), "outcome_rate": float(y.mean()),
                         "missed": float(np.mean(tier[positives] == "low")) if positives.any() else np.nan,
                         "false_alarm_high": float(np.mean(y[high] == 0)) if high.any() else np.nan})
    return rows


def realised_findings(realised: pd.DataFrame, config: MonitorConfig) -> list[Finding]:
    """A matured run whose realised AUC falls `realised_auc_tolerance` below the expected AUC of the same youths,
    or whose realised ECE exceeds `max_realised_ece`."""
    findings = []
    if realised.empty or "realised_auc" not in realised:
        return findings
    for row in realised.dropna(subset=["realised_auc"]).itertuples():
        subject = f"run {row.as_of} v{row.model_version}"
        if row.expected_auc - row.realised_auc > config.realised_auc_tolerance:
            findings.append(Finding(WARN, "realised_auc", subject, f"realised AUC {row.realised_auc:.3f} against "
                                    f"{row.expected_auc:.3f} expected of the {row.matured:,} matured youths",
                                    row.expected_auc - row.realised_auc))
        if row.realised_ece > config.max_realised_ece:
            findings.append(Finding(WARN, "realised_ece", subject, f"realised ECE {row.realised_ece:.3f} above "
                                    f"{config.max_realised_ece} on {row.matured:,} matured youths", row.realised_ece))
    return findings
