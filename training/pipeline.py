"""`vsv train`: build the temporal data, optionally search the booster's settings, fit (cross-fitted calibration),
evaluate with intervals against the baselines and the truth, audit, log aggregates and register.

What goes to the tracking store: parameters, metrics (with their intervals), the data's definition and
digests, plots, tables of aggregates (the maturity table, the calibration effect, the fairness audit, the
search) and the model card. Never a row of a youth.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.reporting import reporting_rates
from registry import mlflow_registry as registry
from training import plots
from training.config import TrainConfig
from training.dataset import OUTCOME, TrainingData, build_training_data
from training.evaluation_report import Evaluation, calibration_effect, compare_baselines, evaluate_model, high_share_of
from training.kind_evaluation import evaluate_kinds, kind_metrics, kinds_markdown, model_without_absence
from training.model import train_risk_model
from training.model_card import render_model_card
from training.profile import first_records, reference_profile
from training.search import search
from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.progress import say
from vsv_model.reader import read_data_dir
from vsv_model.risk_model import RiskModel, encode_frame
from vsv_model.settings import Settings

SHAP_SAMPLE = 2000


@dataclass
class TrainingResult:
    run_id: str
    version: str
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    differences: dict[str, dict]
    fit_seconds: float
    model: RiskModel
    data: TrainingData
    calibration: pd.DataFrame
    search: pd.DataFrame | None = None
    kinds: pd.DataFrame | None = None  # the figures per kind of moment (stock, reports, new leavers)


def write_artifacts(directory: Path, result: TrainingResult, evaluation: Evaluation, config: TrainConfig) -> None:
    """Plots and tables of aggregates into `directory` (no youth-level rows)."""
    model, data = result.model, result.data
    test = data.part("test")
    y = test[OUTCOME].to_numpy()
    (directory / "plots").mkdir()
    plots.plot_roc_pr(y, {"LightGBM": evaluation.probability}, directory / "plots/roc_pr.png")
    plots.plot_reliability(y, evaluation.probability, directory / "plots/reliability.png")
    plots.plot_tier_outcomes(y, evaluation.tiers, model.target_group.outcome_age, directory / "plots/outcome_rate_per_tier.png")
    plots.plot_group_error_rates(evaluation.audit, directory / "plots/per_group_error_rates.png")
    sample = test.sample(min(SHAP_SAMPLE, len(test)), random_state=config.seed)
    matrix = encode_frame(sample)
    contributions, base = model.contributions(matrix)
    plots.plot_shap_beeswarm(contributions, base, matrix, list(FEATURE_NAMES), directory / "plots/shap_beeswarm.png")
    evaluation.audit.to_csv(directory / "fairness.csv", index=False)
    evaluation.group_calibration.to_csv(directory / "calibration_by_group.csv", index=False)
    data.maturity.to_csv(directory / "label_maturity.csv", index=False)
    result.calibration.to_csv(directory / "calibration_effect.csv", index=False)
    if result.kinds is not None:
        result.kinds.to_csv(directory / "kinds.csv", index=False)  # aggregates per kind of moment
    if result.search is not None:
        result.search.to_csv(directory / "search.csv", index=False)
    (directory / "metrics.json").write_text(json.dumps({"lightgbm": evaluation.metrics, "baselines": result.baselines,
                                                       "lightgbm_minus_baseline": result.differences}, indent=2))
    (directory / "definition.json").write_text(json.dumps(data.definition, indent=2))
    (directory / "risk_categories.json").write_text(json.dumps(model.categories.to_dict(), indent=2))  # aggregates only
    (directory / "features.json").write_text(json.dumps(
        [{"name": f.name, "label_nl": f.label_nl, "changeable": f.changeable, "monotone": f.monotone,
          "justification": f.justification} for f in FEATURES], indent=2, ensure_ascii=False))
    (directory / "config.json").write_text(json.dumps(config.to_dict(), indent=2))


def flat_params(config: TrainConfig) -> dict[str, str]:
    flat = {}
    for key, value in config.to_dict().items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, v in items:
            flat[f"{key}.{sub}" if sub else key] = str(v)
    return flat


def log_run(result: TrainingResult, evaluation: Evaluation, config: TrainConfig, settings: Settings) -> tuple[str, str]:
    model, data = result.model, result.data
    with (registry.using_store(settings),
          mlflow.start_run(experiment_id=registry.experiment_id(settings), run_name=f"train {dt.date.today().isoformat()}") as run):
        mlflow.log_params(flat_params(config) | {"as_of_dates": ",".join(model.info["as_of_dates"]), "test_date": data.test_date,
                                                 "features": ",".join(FEATURE_NAMES), "n_trees": model.n_trees,
                                                 "route_adjustment": data.definition["route_adjustment"]})
        mlflow.log_metrics(route_metrics(model.info["route_adjustment"]))
        mlflow.log_metrics({k: v for k, v in evaluation.metrics.items() if np.isfinite(v)})
        mlflow.log_metrics({f"{name}.{k}": v for name, m in result.baselines.items() for k, v in m.items() if np.isfinite(v)})
        mlflow.log_metrics({f"lightgbm_minus_{name}.{metric}_{part}": v for name, d in result.differences.items()
                            for metric, parts in d.items() if isinstance(parts, dict) for part, v in parts.items()})
        if result.kinds is not None:
            mlflow.log_metrics(kind_metrics(result.kinds))
        mlflow.log_metrics({"fit_seconds": result.fit_seconds, "tier_cutoff_medium": model.cutoffs.medium,
                            "tier_cutoff_high": model.cutoffs.high, **data.row_counts()})
        mlflow.set_tags({"data_digest": data.definition["data_digest"], "test_youths_digest": data.definition["test_youths_digest"]})
        with tempfile.TemporaryDirectory() as tmp:
            write_artifacts(Path(tmp), result, evaluation, config)
            card = render_model_card(model, evaluation.metrics, result.baselines, result.differences, evaluation.audit,
                                     data.maturity, result.calibration, f"(run {run.info.run_id[:8]})",
                                     evaluation.group_calibration, kinds_markdown(result.kinds) if result.kinds is not None else "")
            (Path(tmp) / "model_card.md").write_text(card, encoding="utf-8")
            mlflow.log_artifacts(tmp)
        model_uri = registry.log_risk_model(model)
    version = registry.register(model_uri, settings, registry.tags_for(model, evaluation.metrics))
    return run.info.run_id, version


def route_metrics(summary: dict) -> dict[str, float]:
    """The route adjustment's counts and effective sample size as metrics (`route_weights.rows_heavier`...)."""
    counts = {f"route_weights.{k}": float(v) for k, v in summary.items() if isinstance(v, (int, float)) and k != "method"}
    return counts | {f"route_weights.effect_{route}": float(v) for route, v in summary.get("effects", {}).items()}


def fit_config(data: TrainingData, config: TrainConfig, with_search: bool) -> tuple[TrainConfig, pd.DataFrame | None]:
    """The configuration to fit with: the search's choice when asked for, else the given one."""
    if not with_search:
        return config, None
    chosen, table = search(data, config)
    return replace(config, lightgbm=chosen), table


def run_training(data_dir: Path, as_of_dates: list[dt.date] | None, config: TrainConfig, settings: Settings,
                 with_search: bool = False) -> TrainingResult:
    say(f"reading {data_dir}")
    dataset = read_data_dir(data_dir)
    data = build_training_data(data_dir, as_of_dates, config, data=dataset)
    if warning := config.tiers.check_population(len(data.current)):  # refused before anything is fitted
        say(f"warning: {warning}")
    reporting = {day: reporting_rates(dataset, dt.date.fromisoformat(day)) for day in data.definition["fit_dates"]}
    firsts = first_records(dataset)
    del dataset  # the raw tables are not needed any more: free them before the fit
    config, table = fit_config(data, config, with_search)
    start = time.perf_counter()
    model, raw_oof = train_risk_model(data, config)
    fit_seconds = time.perf_counter() - start
    fit, test = data.part("fit"), data.part("test")
    say(f"evaluating on the {len(test):,} held-out youths of {data.test_date} (intervals by bootstrap, fairness audit)")
    evaluation = evaluate_model(model, test, config.gates, seed=config.seed, audit_rows=data.audit_rows())
    model.categories = evaluation.categories  # each risk category's meaning, measured on the test cohort, saved with the model
    say("judging per kind of moment (the yearly stock, reports, new leavers), with and without the absence history")
    kinds = evaluate_kinds(model, data, config.gates.bootstrap_samples, config.seed,
                           model_without_absence(data, config, model.n_trees))
    model.info["kinds"] = {row["kind"]: {k: round(v, 5) for k, v in row.items() if isinstance(v, float) and np.isfinite(v)}
                           for row in kinds.to_dict("records")}
    share = high_share_of(model, evaluation.probability)
    say("fitting the simple baselines to compare with")
    baselines, differences = compare_baselines(fit, test, evaluation, share, config.gates, config.seed)
    model.info["metrics"] = {k: round(v, 5) for k, v in evaluation.metrics.items() if np.isfinite(v)}
    model.info["reference_profile"] = reference_profile(model, fit, reporting, firsts)  # of the stock's rows
    result = TrainingResult("", "", evaluation.metrics, baselines, differences, fit_seconds, model, data,
                            calibration_effect(model, fit, raw_oof, test), table, kinds)
    say("registering the model, its metrics and model card in the tracking store")
    result.run_id, result.version = log_run(result, evaluation, config, settings)
    return result
