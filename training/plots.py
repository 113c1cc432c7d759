"""Evaluation plots as PNG files (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from vsv_model.policy import TIER_LABELS_NL, TIERS  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_roc_pr(y: np.ndarray, scores: dict[str, np.ndarray], path: Path) -> Path:
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(10, 4.5))
    for name, p in scores.items():
        fpr, tpr, _ = roc_curve(y, p)
        precision, recall, _ = precision_recall_curve(y, p)
        roc_ax.plot(fpr, tpr, label=name)
        pr_ax.plot(recall, precision, label=name)
    roc_ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    roc_ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
    pr_ax.axhline(y.mean(), color="grey", linestyle=":")
    pr_ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    roc_ax.legend(fontsize=8)
    return _save(fig, path)


def plot_reliability(y: np.ndarray, p: np.ndarray, path: Path, bins: int = 10) -> Path:
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    filled = count > 0
    observed = np.bincount(which, y, bins)[filled] / count[filled]
    predicted = np.bincount(which, p, bins)[filled] / count[filled]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.plot(predicted, observed, marker="o")
    for x, yy, n in zip(predicted, observed, count[filled]):
        ax.annotate(str(n), (x, yy), fontsize=7, textcoords="offset points", xytext=(4, -8))
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title="Reliability (10 bins; n per bin)")
    return _save(fig, path)


def plot_tier_outcomes(y: np.ndarray, tiers: np.ndarray, outcome_age: int, path: Path) -> Path:
    rates = [y[tiers == t].mean() if (tiers == t).any() else 0.0 for t in TIERS]
    counts = [(tiers == t).sum() for t in TIERS]
    fig, ax = plt.subplots(figsize=(5, 4))
    bars = ax.bar([TIER_LABELS_NL[t] for t in TIERS], rates, color=["#4c9a5f", "#e0a030", "#c0392b"])
    for bar, n in zip(bars, counts):
        ax.annotate(f"n={n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set(ylim=(0, 1), ylabel=f"observed rate without startkwalificatie by {outcome_age}", title="Outcome rate per tier")
    return _save(fig, path)


def plot_shap_beeswarm(contributions: np.ndarray, base: np.ndarray, matrix: np.ndarray, names: list[str], path: Path) -> Path:
    """TreeSHAP contributions per feature (colour: the encoded feature value; categoricals by code)."""
    import shap

    explanation = shap.Explanation(values=contributions, base_values=base, data=matrix, feature_names=names)
    shap.plots.beeswarm(explanation, max_display=len(names), show=False)
    fig = plt.gcf()
    fig.set_size_inches(9, 7)
    plt.title("Contributions in calibrated log-odds")
    return _save(fig, path)


def plot_group_error_rates(audit: pd.DataFrame, path: Path) -> Path:
    metrics = ["fnr_high", "tpr_high", "for_high", "fpr_medium", "fdr_medium"]
    attributes = list(dict.fromkeys(audit["attribute"]))
    fig, axes = plt.subplots(len(attributes), 1, figsize=(9, 2.6 * len(attributes)))
    for ax, attribute in zip(np.atleast_1d(axes), attributes):
        table = audit[audit["attribute"] == attribute].set_index("group")[metrics]
        table.plot.bar(ax=ax, legend=ax is np.atleast_1d(axes)[0], rot=0, fontsize=7)
        ax.set(title=f"Error rates per group: {attribute}", xlabel="")
    return _save(fig, path)


def plot_backtest(table: pd.DataFrame, path: Path) -> Path:
    """AUC and calibration error per judged cohort of the yearly stock, one line per origin, with the 95% intervals as
    bands (the events' rows are in the table beside them)."""
    table = table[table["kind"] == "stock"] if "kind" in table else table
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, metric in zip(axes, ("roc_auc", "ece"), strict=True):
        for origin, rows in table.groupby("origin"):
            years = rows["cohort"].str[:4].astype(int)
            ax.plot(years, rows[metric], marker="o", label=f"trained at {origin[:4]}")
            if f"{metric}_low" in rows:
                ax.fill_between(years, rows[f"{metric}_low"], rows[f"{metric}_high"], alpha=0.15)
        if "truth_roc_auc" in table and metric == "roc_auc":
            truth = table.drop_duplicates("cohort")
            ax.plot(truth["cohort"].str[:4].astype(int), truth["truth_roc_auc"], color="grey", linestyle=":", label="known truth")
        ax.axvspan(2019.5, 2021.5, color="orange", alpha=0.08, label="school closures' cohorts")
        ax.set(xlabel="cohort (1 October)", ylabel=metric, title=f"{metric} per cohort")
    axes[0].legend(fontsize=7)
    return _save(fig, path)
