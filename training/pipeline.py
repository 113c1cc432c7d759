"""`vsv train`: build the data, fit, evaluate against baselines and truth, audit, log and register."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np

from registry import mlflow_registry as registry
from training import plots
from training.config import TrainConfig
from training.dataset import OUTCOME, TrainingData, build_training_data
from training.evaluate import baselines
from training.evaluation_report import Evaluation, evaluate_model, high_share_of
from training.model import train_risk_model
from training.model_card import render_model_card
from vsv_model.feature_spec import AUDIT_COLUMNS, FEATURE_NAMES, FEATURES
from vsv_model.risk_model import RiskModel, encode_frame
from vsv_model.settings import Settings

SHAP_SAMPLE = 2000


@dataclass
class TrainingResult:
    run_id: str
    version: str
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    fit_seconds: float
    model: RiskModel


def fit_timed(data: TrainingData, config: TrainConfig) -> tuple[RiskModel, float]:
    start = time.perf_counter()
    model = train_risk_model(data, config)
    return model, time.perf_counter() - start


def write_artifacts(directory: Path, model: RiskModel, data: TrainingData, evaluation: Evaluation,
                    compared: dict, config: TrainConfig) -> None:
    """Plots, tables, the model card and the test set (no youth ids) into `directory`."""
    test = data.part("test")
    y = test[OUTCOME].to_numpy()
    (directory / "plots").mkdir()
    (directory / "evaluation").mkdir()
    scores = {"LightGBM": evaluation.probability}
    plots.plot_roc_pr(y, scores, directory / "plots/roc_pr.png")
    plots.plot_reliability(y, evaluation.probability, directory / "plots/reliability.png")
    plots.plot_tier_outcomes(y, evaluation.tiers, model.target_group.outcome_age, directory / "plots/outcome_rate_per_tier.png")
    plots.plot_group_error_rates(evaluation.audit, directory / "plots/per_group_error_rates.png")
    sample = test.sample(min(SHAP_SAMPLE, len(test)), random_state=config.seed)
    matrix = encode_frame(sample)
    contributions, base = model.contributions(matrix)
    plots.plot_shap_beeswarm(contributions, base, matrix, list(FEATURE_NAMES), directory / "plots/shap_beeswarm.png")
    evaluation.audit.to_csv(directory / "fairness.csv", index=False)
    (directory / "metrics.json").write_text(json.dumps({"lightgbm": evaluation.metrics, **compared}, indent=2))
    (directory / "features.json").write_text(json.dumps(
        [{"name": f.name, "label_nl": f.label_nl, "changeable": f.changeable, "monotone": f.monotone,
          "justification": f.justification} for f in FEATURES], indent=2, ensure_ascii=False))
    (directory / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
    kept = [*FEATURE_NAMES, OUTCOME, *AUDIT_COLUMNS, "as_of", *(["p_true"] if data.has_truth else [])]
    test[kept].to_parquet(directory / registry.TEST_SET_ARTIFACT, index=False)


def flat_params(config: TrainConfig) -> dict[str, str]:
    flat = {}
    for key, value in config.to_dict().items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:
            flat[f"{key}.{sub}" if sub else key] = str(v)
    return flat


def log_run(model: RiskModel, data: TrainingData, evaluation: Evaluation, compared: dict,
            config: TrainConfig, data_dir: Path, fit_seconds: float, settings: Settings) -> tuple[str, str]:
    registry.configure_tracking(settings)
    with mlflow.start_run(run_name=f"train {dt.date.today().isoformat()}") as run:
        mlflow.log_params(flat_params(config) | {"as_of_dates": ",".join(model.info["as_of_dates"]),
                                                 "features": ",".join(FEATURE_NAMES), "n_trees": model.n_trees})
        mlflow.log_metrics({k: v for k, v in evaluation.metrics.items() if np.isfinite(v)})
        mlflow.log_metrics({f"{name}.{k}": v for name, m in compared.items() for k, v in m.items() if np.isfinite(v)})
        mlflow.log_metrics({"fit_seconds": fit_seconds, "tier_cutoff_medium": model.cutoffs.medium,
                            "tier_cutoff_high": model.cutoffs.high, "unlabelled_rows_dropped": data.unlabelled_rows})
        mlflow.set_tags({"data_digest": data.data_digest, "data_dir": str(Path(data_dir).resolve())})
        for part, context in (("train", "training"), ("test", "evaluation")):
            dataset = mlflow.data.from_pandas(data.part(part)[list(FEATURE_NAMES) + [OUTCOME]], source=str(Path(data_dir).resolve()),
                                              name=f"{part}-{data.data_digest[:12]}", targets=OUTCOME)
            mlflow.log_input(dataset, context=context)
        with tempfile.TemporaryDirectory() as tmp:
            write_artifacts(Path(tmp), model, data, evaluation, compared, config)
            card = render_model_card(model, evaluation.metrics, compared, evaluation.audit, f"(run {run.info.run_id[:8]})")
            (Path(tmp) / "model_card.md").write_text(card, encoding="utf-8")
            mlflow.log_artifacts(tmp)
        model_uri = registry.log_risk_model(model)
    version = registry.register(model_uri, settings, registry.tags_for(model, evaluation.metrics))
    return run.info.run_id, version


def run_training(data_dir: Path, as_of_dates: list[dt.date], config: TrainConfig, settings: Settings) -> TrainingResult:
    data = build_training_data(data_dir, as_of_dates, config)
    model, fit_seconds = fit_timed(data, config)
    test = data.part("test")
    evaluation = evaluate_model(model, test)
    compared = baselines(data.development(), test, high_share_of(model, evaluation.probability))
    model.info["metrics"] = {k: round(v, 5) for k, v in evaluation.metrics.items() if np.isfinite(v)}
    run_id, version = log_run(model, data, evaluation, compared, config, data_dir, fit_seconds, settings)
    return TrainingResult(run_id, version, evaluation.metrics, compared, fit_seconds, model)
