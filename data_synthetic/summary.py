"""What a generated population looks like: sizes, base rate, the best achievable scores, and the
distributions that decide tiers (how many youths sit at which true risk, absence, enrolment)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from data_synthetic.generate import Population

CAPACITY_HIGH = 470  # youths a year the matchmakers can take (domain facts)


def describe_population(population: Population) -> dict:
    truth, features = population.truth, population.truth_features
    summary = {"rows": {name: len(table["youth_id"]) for name, table in population.tables.items()},
               "data_end": population.data_end.isoformat(), "cohorts": {}}
    for as_of, rows in truth.groupby("as_of").groups.items():
        summary["cohorts"][as_of] = describe_cohort(truth.loc[rows], features.loc[rows])
    return summary


def describe_cohort(truth: pd.DataFrame, features: pd.DataFrame) -> dict:
    p, y = truth["p_true"].to_numpy(), truth["no_sq_by_23"].to_numpy()
    both_classes = 0 < y.sum() < len(y)
    return {
        "in_scope": len(truth),
        "outcome_rate": round(float(y.mean()), 4),
        "mean_p_true": round(float(p.mean()), 4),
        "bayes_auc": round(float(roc_auc_score(y, p)), 4) if both_classes else None,
        "bayes_brier": round(float(brier_score_loss(y, p)), 4),
        "p_true_quantiles": {f"p{q}": round(float(np.quantile(p, q / 100)), 3) for q in (10, 25, 50, 75, 90, 99)},
        "share_p_true_over": {str(t): round(float((p > t).mean()), 4) for t in (0.2, 0.4, 0.6, 0.8)},
        "outcome_rate_top_470": round(float(y[np.argsort(-p)[:CAPACITY_HIGH]].mean()), 4),
        "share_enrolled": round(float(features["enrolled"].mean()), 4),
        "share_absence_13w_16h_or_more": round(float((features["absence_hours_13w"] >= 16).mean()), 4),
        "share_any_report_52w": round(float(((features["absence_reports_52w"] + features["late_reports_52w"]) > 0).mean()), 4),
        "share_dropout_episode": round(float((features["dropout_episodes"] > 0).mean()), 4),
        "share_vo_mbo_transition_1y": round(float(features["vo_mbo_transition_1y"].mean()), 4),
        "age": features["age"].value_counts(normalize=True).sort_index().round(4).to_dict(),
        "current_education": features["current_education"].astype(str).value_counts(normalize=True).head(8).round(4).to_dict(),
    }
