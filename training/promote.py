"""`vsv promote`: move the `champion` alias to a challenger only when its gates pass.

The comparison is clean and paired: champion and challenger are scored on the challenger's test cohort minus
every youth the champion could have fitted on (`training.compare`), and the difference and its bootstrap
interval decide, not a fixed floor on data one of them has seen. A retrain as good as the champion passes; one
that is clearly worse is refused.

Every gate judges an interval, never a point estimate, and has three verdicts: **refuse** when the whole interval
lies beyond its bound (the only verdict that stops a promotion), **pass** when it lies within, **undecided** when it
straddles the bound (the data cannot tell: shown, and the promotion goes on). A region of 40,000 youths tests on a
few hundred; an estimate there can lie beyond a bound by chance alone, its interval then straddles it. What each
gate judges:

- auc: the paired bootstrap interval (`confidence`) of challenger - champion AUC on the clean youths against
  -max_auc_drop: refused when it lies wholly below;
- brier: the same interval of the Brier difference against +max_brier_rise: refused when it lies wholly above;
- stability, on the current population, each share with Wilson's interval (`confidence`; `training.intervals`):
  the Jaccard overlap of `high` (a share of the union) against min_jaccard_high and of high plus medium against
  min_jaccard_high_medium, refused when the interval lies wholly below; the share whose route changes against
  max_route_change and whose top reason changes against max_top_reason_change, refused when wholly above;
- calibration: the expected calibration error's basic bootstrap interval on the test cohort (`training.bootstrap`:
  the ECE of few youths is biased upward, the interval takes that off) against max_ece: refused when it lies
  wholly above;
- tiers_rising: per pair of adjacent tiers that hold test youths, the difference of their observed outcome rates
  with Agresti and Caffo's interval (`confidence`): refused when a higher tier's rate is clearly lower (the interval
  wholly below 0); a tier without test youths is shown, not judged;
- fairness: per gated group of at least min_group_size youths and per error rate, the ratio of the group's rate to
  the whole's with its interval at significance_level (the group against the rest, `training.intervals.rate_ratio`):
  refused when the whole interval lies outside [fairness_ratio_min, fairness_ratio_max];
- calibration_by_group: each gated group's log-odds offset, alone and within its current education, on the held-out
  youths' rows of every date, with its Bonferroni interval: refused when it lies wholly beyond
  +-max_calibration_offset (training/group_calibration.py);
- baseline: the paired interval of LightGBM - spline logistic AUC (from the training run): refused when it lies
  wholly below 0.

Groups under min_group_size are shown, not judged. `--force` overrides a refused gate and needs a reason, recorded
as a tag on the version. Everything measured is printed, logged to the challenger's run and written into its model
card.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from registry import mlflow_registry as registry
from training.bootstrap import paired_difference
from training.compare import ComparisonError, kind_comparison, load_comparison_data, stability
from training.config import GateConfig
from training.dataset import OUTCOME
from training.evaluation_report import evaluate_model, high_share_of
from training.fairness import fairness_failures, fairness_undecided, groups_too_small
from training.group_calibration import offset_failures, offsets_too_small, offsets_undecided
from training.intervals import difference, wilson
from training.model_card import promotion_section
from vsv_model.policy import TIERS, RiskCategories
from vsv_model.risk_model import ModelLoadError, RiskModel, encode_frame
from vsv_model.settings import Settings


class PromotionError(RuntimeError):
    """Promotion refused or impossible; the message says why, `gates` holds the gate results if any ran."""

    def __init__(self, message: str, gates: tuple = ()):
        super().__init__(message)
        self.gates = tuple(gates)


PASS, UNDECIDED, REFUSE = "pass", "undecided", "refuse"


@dataclass(frozen=True)
class Gate:
    name: str
    verdict: str  # pass: the interval lies within the bound; undecided: it straddles it; refuse: it lies wholly beyond
    detail: str
    not_judged: tuple[str, ...] = ()  # groups or tiers the gate could not judge (too few youths)

    @property
    def passed(self) -> bool:
        """Only a refusal stops a promotion: an undecided gate is shown and passes."""
        return self.verdict != REFUSE


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
    kinds: pd.DataFrame | None = None  # per kind of event: the challenger's figures and the champion's on the same rows


def at_most(low: float, high: float, bound: float) -> str:
    """The verdict on an interval that must not lie above `bound`."""
    return REFUSE if low > bound else PASS if high <= bound else UNDECIDED


def at_least(low: float, high: float, bound: float) -> str:
    """The verdict on an interval that must not lie below `bound`."""
    return REFUSE if high < bound else PASS if low >= bound else UNDECIDED


def worst(verdicts) -> str:
    """A gate of several checks: refused when one is, undecided when one is, else passed."""
    verdicts = list(verdicts)
    return REFUSE if REFUSE in verdicts else UNDECIDED if UNDECIDED in verdicts else PASS


def comparison_gates(comparison: dict, gates: GateConfig) -> list[Gate]:
    auc, brier = comparison["roc_auc"], comparison["brier"]
    n = comparison["n"]
    return [
        Gate("auc", at_least(auc["low"], auc["high"], -gates.max_auc_drop),
             f"challenger - champion AUC {auc['difference']:+.4f} [{auc['low']:+.4f}, {auc['high']:+.4f}] on {n:,} youths neither "
             f"has seen (refused when the whole interval lies below -{gates.max_auc_drop})"),
        Gate("brier", at_most(brier["low"], brier["high"], gates.max_brier_rise),
             f"challenger - champion Brier {brier['difference']:+.4f} [{brier['low']:+.4f}, {brier['high']:+.4f}] "
             f"(refused when the whole interval lies above +{gates.max_brier_rise})"),
    ]


STABILITY = (  # figure, its words, its count and what it is a share of, the bound's setting, the bound's side
    ("jaccard_high", "Jaccard high", "high_both", "high_either", "min_jaccard_high", at_least),
    ("jaccard_high_medium", "Jaccard high+medium", "high_medium_both", "high_medium_either", "min_jaccard_high_medium",
     at_least),
    ("route_change_share", "route changes", "route_changes", "youths", "max_route_change", at_most),
    ("top_reason_change_share", "top reason changes", "top_reason_changes", "youths", "max_top_reason_change", at_most),
)


def stability_gate(figures: dict, gates: GateConfig) -> Gate:
    """Each stability figure is a share (of the union of two tiers, or of the youths) with Wilson's interval."""
    verdicts, parts = [], []
    for name, words, count, total, setting, side in STABILITY:
        bound = getattr(gates, setting)
        if figures.get(total):
            low, high = wilson(figures[count], figures[total], gates.confidence)
        else:  # nobody in either list (nothing changed), or figures from before the counts: the figure alone
            low = high = figures[name]
        verdicts.append(side(low, high, bound))
        parts.append(f"{words} {figures[name]:.3f} [{low:.3f}, {high:.3f}] "
                     f"({'min' if side is at_least else 'max'} {bound})")
    return Gate("stability", worst(verdicts), f"on the {figures['youths']:,} youths of the current population: " + ", ".join(parts))


def baseline_gate(run_metrics: dict) -> Gate:
    key = "lightgbm_minus_spline_logistic.roc_auc_"
    if f"{key}high" not in run_metrics:
        return Gate("baseline", PASS, "no baseline comparison recorded with the training run")
    low, high, diff = (run_metrics[f"{key}{part}"] for part in ("low", "high", "difference"))
    verdict = "better" if low > 0 else ("clearly worse" if high < 0 else "within the interval (kept for its monotone "
                                                                       "promises and exact reasons)")
    return Gate("baseline", at_least(low, high, 0.0), f"LightGBM - spline logistic AUC {diff:+.4f} [{low:+.4f}, {high:+.4f}]: {verdict}")


def calibration_gate(metrics: dict, gates: GateConfig) -> Gate:
    ece, low, high = metrics["ece"], metrics.get("ece_low", metrics["ece"]), metrics.get("ece_high", metrics["ece"])
    return Gate("calibration", at_most(low, high, gates.max_ece),
                f"expected calibration error {ece:.4f}, interval for the error itself [{low:.4f}, {high:.4f}] (refused "
                f"when it lies wholly above {gates.max_ece}; on few youths noise alone raises the estimate)")


def tiers_gate(metrics: dict, youths: int, gates: GateConfig) -> Gate:
    """The observed outcome rate per tier on the test cohort (`youths`), each adjacent pair of tiers holding test
    youths compared with the interval of their difference: refused when a higher tier's rate is clearly lower."""
    held = []
    for tier in TIERS:
        n = round(metrics[f"share_{tier}"] * youths)
        held.append((tier, round(metrics[f"outcome_rate_{tier}"] * n) if n else 0, n))
    present = [h for h in held if h[2] > 0]
    verdicts, parts = [], []
    for (lower, k_low, n_low), (upper, k_up, n_up) in zip(present, present[1:]):
        low, high = difference(k_up, n_up, k_low, n_low, gates.confidence)
        verdicts.append(at_least(low, high, 0.0))
        parts.append(f"{upper} - {lower} {k_up / n_up - k_low / n_low:+.3f} [{low:+.3f}, {high:+.3f}]")
    rates = ", ".join(f"{t} {k / n:.3f} of {n:,}" if n else f"{t} none" for t, k, n in held)
    empty = tuple(f"tier {t} (no test youth)" for t, _, n in held if n == 0)
    return Gate("tiers_rising", worst(verdicts), f"outcome rate per tier: {rates}; "
                + ("; ".join(parts) or "fewer than two tiers hold test youths") + " (refused when a higher tier's rate "
                "is clearly lower)", empty)


def listed_gate(name: str, refused: list[str], straddling: list[str], within: str, not_judged: tuple[str, ...]) -> Gate:
    """A gate over many groups: refused with the groups wholly beyond the bound, else undecided with those that
    straddle it, else passed."""
    if refused:
        return Gate(name, REFUSE, "; ".join(refused), not_judged)
    if straddling:
        return Gate(name, UNDECIDED, "none clearly beyond the bound; straddling it: " + "; ".join(straddling), not_judged)
    return Gate(name, PASS, within, not_judged)


def own_gates(evaluation, gates: GateConfig) -> list[Gate]:
    """The challenger's own gates, on its test cohort (and, per group, its held-out youths of every date)."""
    audit, offsets = evaluation.audit, evaluation.group_calibration
    return [
        calibration_gate(evaluation.metrics, gates),
        tiers_gate(evaluation.metrics, len(evaluation.probability), gates),
        listed_gate("fairness", fairness_failures(audit, gates), fairness_undecided(audit, gates),
                    "every gated group's error-rate ratio interval lies within the bounds",
                    tuple(groups_too_small(audit, gates))),
        listed_gate("calibration_by_group", offset_failures(offsets, gates), offsets_undecided(offsets, gates),
                    f"every gated group's log-odds offset interval lies within +-{gates.max_calibration_offset}",
                    tuple(offsets_too_small(offsets, gates))),
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
    evaluation = evaluate_model(challenger, data.test, gates, seed=0, audit_rows=data.audit_rows)
    evaluation.kinds = kind_comparison(challenger, champion, data.event_test, gates.bootstrap_samples)
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
                             evaluation.categories, challenger.target_group.outcome_age, evaluation.kinds)
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
    tag("promotion_gates", json.dumps({g.name: {"passed": g.passed, "verdict": g.verdict, "detail": g.detail,
                                                "not_judged": list(g.not_judged)}
                                       for g in results}))
    if forced_reason:
        tag("forced_reason", forced_reason)
    run_id = registry.run_of_version(settings, version)
    client.log_dict(run_id, {"comparison": comparison, "stability": figures, "gates": [g.__dict__ | {"passed": g.passed, "not_judged": list(g.not_judged)}
                                                                                      for g in results]}, "promotion/promotion.json")
    for name, value in flat_figures(comparison, figures).items():
        client.log_metric(run_id, f"promotion.{name}", value)
    for row in (result.kinds.to_dict("records") if result.kinds is not None else []):
        for name, value in row.items():
            if name != "kind" and isinstance(value, int | float) and np.isfinite(value):
                client.log_metric(run_id, f"promotion.kind.{row['kind']}.{name}", float(value))
    with tempfile.TemporaryDirectory() as scratch:
        card = Path(client.download_artifacts(run_id, "model_card.md", scratch))
        section = promotion_section(version, result.previous_champion, results, comparison, figures, result.categories,
                                    result.outcome_age, result.kinds)
        client.log_text(run_id, card.read_text(encoding="utf-8") + section, "model_card.md")
    client.set_registered_model_alias(settings.model_name, registry.CHAMPION, version)


def flat_figures(comparison: dict, figures: dict) -> dict[str, float]:
    flat = {f"{metric}_{part}": v for metric, parts in comparison.items() if isinstance(parts, dict) for part, v in parts.items()}
    flat |= {k: float(v) for k, v in comparison.items() if not isinstance(v, dict)}
    flat |= {k: float(v) for k, v in figures.items() if isinstance(v, int | float)}
    return flat
