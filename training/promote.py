"""`vsv promote`: move the `champion` alias to a challenger only when its gates pass.

The comparison is clean and paired: champion and challenger are scored on the challenger's test cohort minus
every youth the champion could have fitted on (`training.compare`), and the difference and its bootstrap
interval decide, not a fixed floor on data one of them has seen. A retrain as good as the champion passes; one
that is clearly worse is refused. The gates:

- auc / brier: refused when the challenger is clearly worse on the clean youths: the whole 95% interval of
  (challenger - champion) AUC lies below -max_auc_drop, or of the Brier score above +max_brier_rise;
- stability: how much the officers' list would change on the current population: Jaccard overlap of the high
  tier (min_jaccard_high) and of high plus medium, the share whose route changes, the share whose top reason
  changes;
- calibration: expected calibration error on the test cohort at most max_ece;
- tiers_rising: the observed outcome rate rises from low to medium to high;
- fairness: per-group error-rate ratios of the gated attributes, failing only where the difference is clear;
- calibration_by_group: the log-odds offset of every gated group, alone and within its current education, on the
  held-out youths' rows of every date: refused when a group's whole Bonferroni interval lies beyond
  +-max_calibration_offset (training/group_calibration.py);
- baseline: LightGBM not clearly worse than the spline-transformed logistic regression (from the training run).

`--force` overrides a failed gate and needs a reason, recorded as a tag on the version. Everything measured is
printed, logged to the challenger's run and written into its model card.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from registry import mlflow_registry as registry
from training.bootstrap import paired_difference
from training.compare import ComparisonError, load_comparison_data, stability
from training.config import GateConfig
from training.dataset import OUTCOME
from training.evaluation_report import evaluate_model, high_share_of
from training.fairness import fairness_failures, groups_too_small
from training.group_calibration import offset_failures, offsets_too_small
from training.model_card import promotion_section
from vsv_model.policy import RiskCategories
from vsv_model.risk_model import ModelLoadError, RiskModel, encode_frame
from vsv_model.settings import Settings


class PromotionError(RuntimeError):
    """Promotion refused or impossible; the message says why, `gates` holds the gate results if any ran."""

    def __init__(self, message: str, gates: tuple = ()):
        super().__init__(message)
        self.gates = tuple(gates)


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str
    not_judged: tuple[str, ...] = ()  # groups the gate could not judge (fairness: too few youths)


@dataclass
class PromotionResult:
    version: str
    previous_champion: str | None
    gates: list[Gate]
    forced: bool
    comparison: dict = field(default_factory=dict)
    stability: dict = field(default_factory=dict)
    categories: RiskCategories | None = None  # the challenger's risk categories, measured on its rebuilt test cohort
    outcome_age: int = 23


def comparison_gates(comparison: dict, gates: GateConfig) -> list[Gate]:
    auc, brier = comparison["roc_auc"], comparison["brier"]
    n = comparison["n"]
    return [
        Gate("auc", auc["high"] >= -gates.max_auc_drop,
             f"challenger - champion AUC {auc['difference']:+.4f} [{auc['low']:+.4f}, {auc['high']:+.4f}] on {n:,} youths neither "
             f"has seen (refused when the whole interval lies below -{gates.max_auc_drop})"),
        Gate("brier", brier["low"] <= gates.max_brier_rise,
             f"challenger - champion Brier {brier['difference']:+.4f} [{brier['low']:+.4f}, {brier['high']:+.4f}] "
             f"(refused when the whole interval lies above +{gates.max_brier_rise})"),
    ]


def stability_gate(figures: dict, gates: GateConfig) -> Gate:
    checks = [figures["jaccard_high"] >= gates.min_jaccard_high, figures["jaccard_high_medium"] >= gates.min_jaccard_high_medium,
              figures["route_change_share"] <= gates.max_route_change, figures["top_reason_change_share"] <= gates.max_top_reason_change]
    return Gate("stability", all(checks),
                f"on the {figures['youths']:,} youths of the current population: Jaccard high {figures['jaccard_high']:.3f} "
                f"(min {gates.min_jaccard_high}), high+medium {figures['jaccard_high_medium']:.3f} (min {gates.min_jaccard_high_medium}), "
                f"route changes {figures['route_change_share']:.1%} (max {gates.max_route_change:.0%}), top reason changes "
                f"{figures['top_reason_change_share']:.1%} (max {gates.max_top_reason_change:.0%})")


def baseline_gate(run_metrics: dict) -> Gate:
    key = "lightgbm_minus_spline_logistic.roc_auc_"
    if f"{key}high" not in run_metrics:
        return Gate("baseline", True, "no baseline comparison recorded with the training run")
    low, high, diff = (run_metrics[f"{key}{part}"] for part in ("low", "high", "difference"))
    verdict = "better" if low > 0 else ("clearly worse" if high < 0 else "within the interval (kept for its monotone "
                                                                       "promises and exact reasons)")
    return Gate("baseline", high >= 0, f"LightGBM - spline logistic AUC {diff:+.4f} [{low:+.4f}, {high:+.4f}]: {verdict}")


def own_gates(evaluation, gates: GateConfig) -> list[Gate]:
    m = evaluation.metrics
    rates = " < ".join(f"{m[f'outcome_rate_{t}']:.3f}" for t in ("low", "medium", "high"))
    failures = fairness_failures(evaluation.audit, gates)
    miscalibrated = offset_failures(evaluation.group_calibration, gates)
    small = tuple(groups_too_small(evaluation.audit, gates))
    small_offsets = tuple(offsets_too_small(evaluation.group_calibration, gates))
    return [
        Gate("calibration", m["ece"] <= gates.max_ece, f"expected calibration error {m['ece']:.4f} (max {gates.max_ece})"),
        Gate("tiers_rising", bool(m["tiers_rising"]), f"outcome rate low < medium < high: {rates}"),
        Gate("fairness", not failures, "; ".join(failures) or "all gated group error-rate ratios within bounds", small),
        Gate("calibration_by_group", not miscalibrated, "; ".join(miscalibrated) or "no gated group's log-odds offset "
             f"clearly beyond +-{gates.max_calibration_offset}", small_offsets),
    ]


def load_model(settings: Settings, version: str, scratch: Path, role: str) -> RiskModel:
    try:
        return registry.load_version(settings, version, scratch)
    except ModelLoadError as exc:
        raise ModelLoadError(f"the {role} (version {version}) cannot be loaded, so nothing can be compared with it: {exc}") from exc


def compare(challenger: RiskModel, champion: RiskModel | None, data_dir: Path | None, gates: GateConfig):
    """The challenger's evaluation on its test cohort, the paired comparison on the clean youths, the stability."""
    try:
        data = load_comparison_data(challenger, champion, data_dir)
    except ComparisonError as exc:
        raise PromotionError(f"the comparison set cannot be rebuilt: {exc}") from exc
    evaluation = evaluate_model(challenger, data.test, audit_rows=data.audit_rows)
    if champion is None:
        return evaluation, {}, {}
    clean = data.test.iloc[data.clean]
    matrix, y = encode_frame(clean), clean[OUTCOME].to_numpy()
    if len(clean) < 100 or len(np.unique(y)) < 2:
        raise PromotionError(f"only {len(clean)} youths of the challenger's test cohort were never seen by the champion: "
                             "too few to compare; train the challenger on newer data or promote with --force")
    share = high_share_of(challenger, evaluation.probability)
    comparison = paired_difference(y, challenger.probability(matrix), champion.probability(matrix), share,
                                   gates.bootstrap_samples, gates.confidence, seed=0)
    return evaluation, comparison | {"excluded_seen_by_champion": len(data.test) - len(clean)}, stability(champion, challenger, data.current)


def promote(settings: Settings, gates: GateConfig, version: str | None = None, force: bool = False,
            reason: str | None = None, data_dir: Path | None = None) -> PromotionResult:
    if force and not (reason and reason.strip()):
        raise PromotionError("--force needs --reason: say why the gates are overridden (it is recorded)")
    version = version or registry.version_by_alias(settings, registry.CHALLENGER)
    if version is None:
        raise PromotionError(f"no version given and no '{registry.CHALLENGER}' alias on {settings.model_name}: train first")
    champion_version = registry.version_by_alias(settings, registry.CHAMPION)
    if champion_version == version:
        raise PromotionError(f"version {version} is already the champion")
    with tempfile.TemporaryDirectory() as scratch:
        challenger = load_model(settings, version, Path(scratch) / "challenger", "challenger")
        champion = None if champion_version is None else load_model(settings, champion_version, Path(scratch) / "champion", "champion")
    if champion is not None and champion.target_group != challenger.target_group and not force:
        raise PromotionError(f"the champion is for {champion.target_group.describe()}, the challenger for "
                             f"{challenger.target_group.describe()}: changing the target group is a decision, not a gate "
                             "(promote with --force and a reason)")
    comparable = champion if champion is not None and champion.target_group == challenger.target_group else None
    evaluation, comparison, figures = compare(challenger, comparable, data_dir, gates)
    results = gate_results(evaluation, comparison, figures, run_metrics(settings, version), gates)
    failed = [g for g in results if not g.passed]
    if failed and not force:
        raise PromotionError("promotion refused, gate(s) failed: " + "; ".join(f"{g.name}: {g.detail}" for g in failed), results)
    result = PromotionResult(version, champion_version, results, force and bool(failed), comparison, figures,
                             evaluation.categories, challenger.target_group.outcome_age)
    record_promotion(settings, result, reason if force else None)
    return result


def gate_results(evaluation, comparison: dict, figures: dict, metrics: dict, gates: GateConfig) -> list[Gate]:
    results = comparison_gates(comparison, gates) if comparison else []
    if figures:
        results.append(stability_gate(figures, gates))
    return results + own_gates(evaluation, gates) + [baseline_gate(metrics)]


def run_metrics(settings: Settings, version: str) -> dict:
    client = registry.client_for(settings)
    return client.get_run(registry.run_of_version(settings, version)).data.metrics


def record_promotion(settings: Settings, result: PromotionResult, forced_reason: str | None) -> None:
    """Tags on the version, the comparison and stability logged into the challenger's run and its model card,
    then the alias."""
    version, results, comparison, figures = result.version, result.gates, result.comparison, result.stability
    client = registry.client_for(settings)
    tag = lambda key, value: client.set_model_version_tag(settings.model_name, version, key, value)  # noqa: E731
    tag("promoted_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    tag("promotion_gates", json.dumps({g.name: {"passed": g.passed, "detail": g.detail, "not_judged": list(g.not_judged)}
                                       for g in results}))
    if forced_reason:
        tag("forced_reason", forced_reason)
    run_id = registry.run_of_version(settings, version)
    client.log_dict(run_id, {"comparison": comparison, "stability": figures, "gates": [g.__dict__ | {"not_judged": list(g.not_judged)}
                                                                                      for g in results]}, "promotion/promotion.json")
    for name, value in flat_figures(comparison, figures).items():
        client.log_metric(run_id, f"promotion.{name}", value)
    with tempfile.TemporaryDirectory() as scratch:
        card = Path(client.download_artifacts(run_id, "model_card.md", scratch))
        section = promotion_section(version, result.previous_champion, results, comparison, figures, result.categories,
                                    result.outcome_age)
        client.log_text(run_id, card.read_text(encoding="utf-8") + section, "model_card.md")
    client.set_registered_model_alias(settings.model_name, registry.CHAMPION, version)


def flat_figures(comparison: dict, figures: dict) -> dict[str, float]:
    flat = {f"{metric}_{part}": v for metric, parts in comparison.items() if isinstance(parts, dict) for part, v in parts.items()}
    flat |= {k: float(v) for k, v in comparison.items() if not isinstance(v, dict)}
    flat |= {k: float(v) for k, v in figures.items() if isinstance(v, int | float)}
    return flat
