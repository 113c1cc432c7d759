"""The monitoring report as one offline HTML file: plots embedded as data: URIs, no external asset, no youth.

`fragment` is the body (also stored in the database for the analysts' page `/ui/monitor`); `page` wraps it in a
document of its own for the report file and MLflow.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from monitoring.run import MonitorResult  # noqa: E402
from vsv_model.policy import TIERS  # noqa: E402

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.2rem .5rem;font-size:.85rem;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}.alarm{color:#a00;font-weight:bold}.warn{color:#a60}.ok{color:#070}
img{max-width:100%}"""


def image(fig) -> str:
    """A figure as an <img> with a data: URI (PNG)."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}">'


def drift_plot(history: pd.DataFrame, psi_warn: float, psi_alarm: float, top: int = 8) -> str:
    """PSI per feature over the reference dates: the `top` features largest at the newest date."""
    if history.empty:
        return ""
    wide = history.pivot_table(index="as_of", columns="feature", values="psi")
    shown = wide.iloc[-1].sort_values(ascending=False).index[:top]
    fig, ax = plt.subplots(figsize=(9, 4))
    for name in shown:
        ax.plot(wide.index, wide[name], marker="o", label=name)
    ax.axhline(psi_warn, color="orange", linestyle=":")
    ax.axhline(psi_alarm, color="red", linestyle=":")
    ax.set(ylabel="PSI against training", title="Drift per feature over time")
    ax.legend(fontsize=7, ncol=2)
    return image(fig)


def performance_plot(result: MonitorResult) -> str:
    """Estimated against realised AUC per matured scoring run."""
    realised = result.realised
    if realised.empty or "realised_auc" not in realised or realised["realised_auc"].isna().all():
        return ""
    shown = realised.dropna(subset=["realised_auc"])
    labels = [f"{r.as_of}\nv{r.model_version}" for r in shown.itertuples()]
    x = np.arange(len(shown))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(x - 0.2, shown["expected_auc"], width=0.4, label="estimated (probabilities)")
    ax.bar(x + 0.2, shown["realised_auc"], width=0.4, label="realised (outcomes)")
    ax.set_xticks(x, labels, fontsize=7)
    ax.set(ylim=(0.5, 1.0), ylabel="AUC", title="Estimated against realised, matured youths")
    ax.legend(fontsize=7)
    return image(fig)


def capacity_plot(result: MonitorResult) -> str:
    counts = result.estimate["tier_counts"]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(list(TIERS), [counts[t] for t in TIERS], color=["#7a7", "#ea5", "#d55"])
    for i, tier in enumerate(TIERS):
        if result.places.get(tier):
            ax.hlines(result.places[tier], i - 0.4, i + 0.4, color="black", linestyle="--")
    ax.set(ylabel="youths", title="Tier counts (dashed: places a year)")
    return image(fig)


def shown(value) -> str:
    """A figure as the report prints it: counts with thousands separators, fractions to three decimals."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{float(value):.3f}"


def table(frame: pd.DataFrame, digits: int = 3) -> str:
    if frame.empty:
        return "<p>None.</p>"
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{digits}f}", border=0, na_rep="")


def fragment(result: MonitorResult, psi_warn: float = 0.1, psi_alarm: float = 0.25) -> str:
    findings = "".join(f'<li class="{f.level}">{html.escape(f.line())}</li>' for f in result.findings) or "<li>None.</li>"
    estimate = result.estimate
    reference = result.reference_estimate
    expected = pd.DataFrame([
        {"measure": "youths", "at training (fit rows)": reference.get("youths"), "now": estimate["youths"]},
        {"measure": "mean probability", "at training (fit rows)": reference.get("mean_probability"), "now": estimate["mean_probability"]},
        {"measure": "expected AUC", "at training (fit rows)": reference.get("expected_auc"), "now": estimate["expected_auc"]},
        {"measure": "expected precision at capacity", "at training (fit rows)": reference.get("expected_precision_at_capacity"),
         "now": estimate["expected_precision_at_capacity"]},
        {"measure": "expected recall at capacity", "at training (fit rows)": reference.get("expected_recall_at_capacity"),
         "now": estimate["expected_recall_at_capacity"]},
    ] + [{"measure": f"expected outcome rate {t}", "at training (fit rows)": (reference.get("expected_outcome_rate") or {}).get(t),
          "now": estimate["expected_outcome_rate"][t]} for t in TIERS])
    expected = expected.astype(object).map(lambda v: v if isinstance(v, str) else shown(v))
    concepts = pd.DataFrame([{"concept": c, "at training": a, "now": b} for c, (a, b) in result.concepts.items()])
    features = result.features.sort_values("psi", ascending=False) if not result.features.empty else result.features
    reporting = result.reporting
    if not reporting.empty:
        reporting = reporting.sort_values("p_value")[["school_id", "municipality", "reports", "expected", "ratio", "p_value"]].head(15)
    return "\n".join([
        f'<h1>Monitoring: model version {html.escape(result.model_version)} at {html.escape(result.as_of)}</h1>',
        f'<p>Status: <span class="{result.status}">{result.status}</span> &middot; model {html.escape(result.model_fingerprint)}'
        f' &middot; {estimate["youths"]:,} youths in the target group</p>',
        "<h2>Findings</h2>", f"<ul>{findings}</ul>",
        "<h2>Drift per feature</h2>", drift_plot(result.history, psi_warn, psi_alarm), table(features),
        "<h2>Reporting rates (schools judged, most unusual first)</h2>", table(reporting),
        "<h2>Expected performance (no outcomes needed)</h2>",
        "<p>From the calibrated probabilities, assuming the calibration still holds and the relation between features "
        "and outcome has not changed since training.</p>", table(expected),
        "<h2>Estimated against realised (archived scoring runs)</h2>", performance_plot(result), table(result.realised),
        "<h3>Realised error rates per group</h3>", table(result.realised_groups),
        "<h2>Tier counts against capacity</h2>", capacity_plot(result),
        "<h3>Tier shares per group, now and at training</h3>",
        "<p>Also per group: the share of youths without any school record ('without school records'), a data gap "
        "the page flags instead of reading it out as a reason.</p>", table(result.group_tiers),
        "<h2>Risk categories (from the probability alone), now and on the test cohort</h2>", table(result.risk_categories),
        "<h2>Explanations: mean |contribution| per concept</h2>", table(concepts),
    ])


def page(body: str, title: str = "vsv-risk monitoring") -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")
