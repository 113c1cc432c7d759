"""Evaluation: discrimination, calibration, capacity-aware precision and recall, outcome rate per
tier and per risk category (the category's measured meaning), the gap to the known truth, and the baselines on the same test cohort, each with bootstrap intervals.

The baselines: a transparent spline-transformed logistic regression without interactions (scikit-learn's
`SplineTransformer` on every numeric feature, one-hot categoricals, missing values flagged), the absence rule
"16+ absence hours in 13 weeks or not enrolled", and the base rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer

from training.dataset import OUTCOME
from vsv_model.feature_spec import CATEGORICAL_FEATURES, FEATURE_NAMES, FEATURES
from vsv_model.policy import RISK_CATEGORIES, TIERS, CategoryMeaning, RiskCategories

NUMERIC_FEATURES = tuple(f.name for f in FEATURES if not f.is_categorical)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |observed rate - mean probability| over 10 equal-width probability bins."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, y, bins) - np.bincount(which, p, bins))
    return float(gap.sum() / max(count.sum(), 1))


def capacity_size(n: int, share: float) -> int:
    return max(1, int(round(n * share)))


def precision_recall_at(y: np.ndarray, score: np.ndarray, k: int) -> tuple[float, float]:
    """Expected precision and recall when the k highest scores are selected (ties share their places)."""
    order = np.sort(score)[::-1]
    threshold = order[k - 1]
    above, tied = score > threshold, score == threshold
    places_in_tie = k - above.sum()
    hits = y[above].sum() + y[tied].mean() * places_in_tie
    return float(hits / k), float(hits / max(y.sum(), 1))


def classification_metrics(y: np.ndarray, p: np.ndarray, high_share: float) -> dict[str, float]:
    k = capacity_size(len(y), high_share)
    precision, recall = precision_recall_at(y, p, k)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-9, 1 - 1e-9), labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "precision_at_capacity": precision,
        "recall_at_capacity": recall,
        "capacity_k": float(k),
    }


def tier_metrics(y: np.ndarray, tiers: np.ndarray) -> dict[str, float]:
    """Share of youths and observed outcome rate per tier; whether the rate rises from low to high."""
    out: dict[str, float] = {}
    rates = []
    for tier in TIERS:
        mask = tiers == tier
        out[f"share_{tier}"] = float(mask.mean())
        out[f"outcome_rate_{tier}"] = float(y[mask].mean()) if mask.any() else float("nan")
        rates.append(out[f"outcome_rate_{tier}"])
    present = [r for r in rates if not np.isnan(r)]
    out["tiers_rising"] = float(len(present) == len(TIERS) and all(a < b for a, b in zip(present, present[1:])))
    return out


def measure_risk_categories(categories: RiskCategories, y: np.ndarray, p: np.ndarray, measured_on: str) -> RiskCategories:
    """The categories' cut-offs with what each meant on labelled youths (the held-out test cohort): its youths, the
    share with the outcome and the mean predicted probability. A category without youths has no rate."""
    codes = categories.assign(p)
    measured = {}
    for category in RISK_CATEGORIES:
        mask = codes == category
        rows = int(mask.sum())
        measured[category] = CategoryMeaning(rows, float(y[mask].mean()) if rows else None,
                                             float(p[mask].mean()) if rows else None)
    return RiskCategories(categories.medium, categories.high, measured, measured_on)


def category_metrics(categories: RiskCategories) -> dict[str, float]:
    """A measured meaning as flat metrics (aggregates only; NaN where a category had no youths)."""
    out: dict[str, float] = {}
    for category, meaning in categories.measured.items():
        out[f"risk_category_rows_{category}"] = float(meaning.rows)
        out[f"risk_category_outcome_rate_{category}"] = float("nan") if meaning.observed_rate is None else meaning.observed_rate
        out[f"risk_category_mean_p_{category}"] = float("nan") if meaning.mean_predicted is None else meaning.mean_predicted
    return out


def truth_gap(y: np.ndarray, p: np.ndarray, p_true: np.ndarray) -> dict[str, float]:
    """How far the model is from the best possible (Bayes) scores on the same rows."""
    auc_truth, auc_model = roc_auc_score(y, p_true), roc_auc_score(y, p)
    brier_truth, brier_model = brier_score_loss(y, p_true), brier_score_loss(y, p)
    return {
        "truth_roc_auc": float(auc_truth),
        "truth_auc_gap": float(auc_truth - auc_model),
        "truth_brier": float(brier_truth),
        "truth_brier_gap_pct": float(100 * (brier_model - brier_truth) / brier_truth),
        "truth_mean_abs_p_gap": float(np.mean(np.abs(p - p_true))),
    }


def spline_baseline(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Spline-transformed logistic regression, no interactions: each numeric feature gets a smooth curve of its
    own (cubic B-splines, 5 knots), categoricals one-hot, missing values imputed and flagged."""
    nullable = [f.name for f in FEATURES if f.nullable]
    prepare = ColumnTransformer([
        ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), SplineTransformer(n_knots=5, degree=3)), list(NUMERIC_FEATURES)),
        ("missing", SimpleImputer(strategy="constant", fill_value=0.0, add_indicator=True), nullable),
    ])
    model = make_pipeline(prepare, LogisticRegression(C=1.0, max_iter=3000))
    columns = list(FEATURE_NAMES)
    as_input = lambda frame: frame[columns].astype({c: str for c in CATEGORICAL_FEATURES})  # noqa: E731
    model.fit(as_input(train), train[OUTCOME].to_numpy())
    return model.predict_proba(as_input(test))[:, 1]


def rule_baseline(frame: pd.DataFrame) -> np.ndarray:
    """The rule of thumb: 16 or more absence hours in 13 weeks, or not enrolled."""
    return ((frame["absence_hours_13w"] >= 16) | (frame["enrolled"] == 0)).to_numpy(dtype=float)


def baseline_scores(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """LightGBM's competitors' probabilities (the rule's is a 0/1 score) on the test cohort."""
    return {
        "spline_logistic": spline_baseline(train, test),
        "rule_absence_or_not_enrolled": rule_baseline(test),
        "base_rate": np.full(len(test), train[OUTCOME].mean()),
    }
