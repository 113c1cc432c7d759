"""A `vsv routes evaluate` run in MLflow: aggregates (values, intervals, coverage, gates), the JSON summary and two
plots (the Qini curve, the effects per cell); never a youth row. Every run logs the route policy's files (its
evidence per cell, values, gates with their verdicts, the tree) and registers them as `vsv-route-policy@evaluated`;
a passed promotion also makes that version the champion (`registry/route_policy.py`)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import mlflow
import numpy as np

from registry import mlflow_registry as registry
from registry.route_policy import ARTIFACT_PATH, register_route_policy
from route_learning.evaluate import ALL, RouteEvaluation
from vsv_model.route_policy import RoutePolicy
from vsv_model.settings import Settings


def metric_name(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_\-. /]", "_", text)


def run_metrics(evaluation: RouteEvaluation, summary: dict) -> dict[str, float]:
    e = evaluation
    metrics = {"cases": e.cases, "randomised": e.randomised, "refused": e.refused, "qini_area": e.qini.area}
    for judged in (e.held_out, e.swapped):
        key = f"{judged.fitted_on}_to_{judged.judged_on}"
        for name, value in judged.values.items():
            metrics |= {f"{key}.value.{name}": value.value, f"{key}.value.{name}.low": value.low,
                        f"{key}.value.{name}.high": value.high}
        metrics |= {f"{key}.benefit_minus_tier": judged.difference.value,
                    f"{key}.benefit_minus_tier.low": judged.difference.low,
                    f"{key}.benefit_minus_tier.high": judged.difference.high,
                    f"{key}.bootstrap_share_above_zero": judged.bootstrap_share_above_zero,
                    f"{key}.places_gain_benefit_over_tier": judged.places_gain.value,
                    f"{key}.places_gain_benefit_over_tier.low": judged.places_gain.low,
                    f"{key}.places_gain_benefit_over_tier.high": judged.places_gain.high}
        metrics |= {f"{key}.places.{name}": value.value for name, value in judged.places.items()}
    for r in e.cells[(e.cells["kind"] == ALL) & (e.cells["route"] != "waarschuwingsbrief")].itertuples():
        metrics[f"effect.{r.risk_category}.{r.route}"] = r.effect
    truth = summary.get("truth")
    if truth:
        metrics |= {f"truth.{k}": truth[k] for k in ("covered_share_cells", "covered_share_route_by_category",
                                                     "true_gain_benefit_over_tier",
                                                     "true_places_gain_benefit_over_tier") if truth.get(k) is not None}
        metrics |= {f"truth.oracle.{k}": v for k, v in (truth.get("oracle") or {}).items() if v is not None}
    return {metric_name(k): float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}


def qini_figure(evaluation: RouteEvaluation):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    q = evaluation.qini
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.plot(q.share, q.uplift, label=f"DRLearner ranking (area {q.area:+.4f})")
    axis.plot([0, 1], [0, q.uplift[-1]], linestyle="--", label="random ranking")
    axis.set(xlabel="share of cases given their best route, by estimated benefit",
             ylabel="cumulative gain per case (DR)", title="Qini curve (judged half)")
    axis.legend()
    figure.tight_layout()
    return figure


def effects_figure(evaluation: RouteEvaluation):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = evaluation.cells
    cells = cells[(cells["kind"] != ALL) & (cells["risk_category"] != ALL) & (cells["route"] != "waarschuwingsbrief")]
    labels = [f"{r.kind}/{r.risk_category}/{r.route}" for r in cells.itertuples()]
    figure, axis = plt.subplots(figsize=(7, 0.3 * len(cells) + 1.5))
    y = np.arange(len(cells))
    axis.errorbar(cells["effect"], y, xerr=[cells["effect"] - cells["low"], cells["high"] - cells["effect"]], fmt="o")
    axis.axvline(0, color="grey", linewidth=0.8)
    axis.set_yticks(y, labels, fontsize=7)
    axis.set(xlabel="effect vs the letter (95% interval, AIPW)", title="Route effects per cell")
    figure.tight_layout()
    return figure


def log_route_run(evaluation: RouteEvaluation, summary: dict, settings: Settings, policy: RoutePolicy,
                  promoted: bool) -> tuple[str, str]:
    """One MLflow run in the project's experiment, its route policy registered (alias `evaluated`, and `champion`
    when `promoted`): the run's id and the registered version."""
    with (registry.using_store(settings),
          mlflow.start_run(experiment_id=registry.experiment_id(settings),
                           run_name=f"routes {evaluation.period[0]}..{evaluation.period[1]}") as run):
        mlflow.set_tags({"vsv.stage": "routes", "vsv.outcome": evaluation.outcome,
                         "vsv.period": f"{evaluation.period[0]}..{evaluation.period[1]}",
                         "vsv.route_policy_promoted": str(promoted).lower()})
        mlflow.log_metrics(run_metrics(evaluation, summary))
        mlflow.log_dict(summary, "routes/summary.json")
        for name, figure in (("qini.png", qini_figure(evaluation)), ("effects.png", effects_figure(evaluation))):
            mlflow.log_figure(figure, f"routes/{name}")
        with tempfile.TemporaryDirectory() as tmp:
            mlflow.log_artifacts(str(policy.save(Path(tmp) / "policy").parent), ARTIFACT_PATH)
    tags = {"outcome": evaluation.outcome, "period": f"{evaluation.period[0]}..{evaluation.period[1]}",
            "benefit_minus_tier": f"{evaluation.held_out.difference.value:+.4f}",
            "gates_passed": str(all(g["passed"] for g in policy.gates)).lower(), "promoted": str(promoted).lower()}
    return run.info.run_id, register_route_policy(run.info.run_id, settings, tags, promoted)
