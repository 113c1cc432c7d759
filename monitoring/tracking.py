"""A `vsv monitor` run in MLflow: aggregates only (PSI per feature, expected and realised figures, counts, the
findings and the offline report), never a youth-level row."""

from __future__ import annotations

import datetime as dt
import json
import re

import mlflow
import numpy as np

from monitoring.run import MonitorResult
from registry import mlflow_registry as registry
from vsv_model.settings import Settings


def metric_name(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_\-. /]", "_", text)


def monitor_metrics(result: MonitorResult) -> dict[str, float]:
    metrics = {f"psi.{r.feature}": float(r.psi) for r in result.features.itertuples()}
    metrics |= {f"{k}": float(result.estimate[k]) for k in ("mean_probability", "expected_auc",
                "expected_precision_at_capacity", "expected_recall_at_capacity")}
    metrics |= {f"tier_count.{t}": float(v) for t, v in result.estimate["tier_counts"].items()}
    if not result.risk_categories.empty:
        metrics |= {f"risk_category_count.{r.risk_category}": float(r.youths) for r in result.risk_categories.itertuples()}
    metrics |= {"findings.warn": float(sum(f.level == "warn" for f in result.findings)),
                "findings.alarm": float(sum(f.level == "alarm" for f in result.findings))}
    if not result.realised.empty and "realised_auc" in result.realised:
        for row in result.realised.dropna(subset=["realised_auc"]).itertuples():
            key = metric_name(f"run_{row.as_of}_v{row.model_version}")
            metrics |= {f"{key}.realised_auc": row.realised_auc, f"{key}.expected_auc": row.expected_auc,
                        f"{key}.realised_ece": row.realised_ece, f"{key}.matured": float(row.matured)}
    return {metric_name(k): v for k, v in metrics.items() if np.isfinite(v)}


def log_monitor_run(result: MonitorResult, report_html: str, settings: Settings) -> str:
    """One MLflow run in the project's experiment; returns its id."""
    with (registry.using_store(settings),
          mlflow.start_run(experiment_id=registry.experiment_id(settings),
                           run_name=f"monitor {result.as_of} ({dt.date.today().isoformat()})") as run):
        mlflow.set_tags({"vsv.stage": "monitor", "vsv.as_of": result.as_of, "vsv.model_version": result.model_version,
                         "vsv.model_fingerprint": result.model_fingerprint, "vsv.monitor_status": result.status})
        mlflow.log_metrics(monitor_metrics(result))
        mlflow.log_text(report_html, "monitor/report.html")
        mlflow.log_text(json.dumps([f.to_dict() for f in result.findings], ensure_ascii=False, indent=1),
                        "monitor/findings.json")
        return run.info.run_id
