"""`vsv promote`: move the `champion` alias to a challenger only when its gates pass.

Both models are evaluated on the challenger's own test set (logged with its run).
Gates: AUC not more than `max_auc_drop` below the champion's, calibration error
at most `max_ece`, observed outcome rate rising from low to medium to high, and
per-group error-rate ratios of the audit-only attributes within bounds (judged only
for groups of at least `min_group_size` youths, failed only when the difference is
clear at `significance_level`; the groups too small to judge are reported). `--force`
overrides a failed gate and needs a reason, recorded as a tag on the version.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from registry import mlflow_registry as registry
from training.config import GateConfig
from training.evaluation_report import evaluate_model
from training.fairness import fairness_failures, groups_too_small
from vsv_model.risk_model import ModelLoadError, RiskModel
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


def evaluate_gates(challenger: dict, champion: dict | None, audit, gates: GateConfig) -> list[Gate]:
    results = []
    if champion is not None:
        floor = champion["roc_auc"] - gates.max_auc_drop
        results.append(Gate("auc", challenger["roc_auc"] >= floor,
                            f"AUC {challenger['roc_auc']:.4f} vs champion {champion['roc_auc']:.4f} (floor {floor:.4f})"))
    results.append(Gate("calibration", challenger["ece"] <= gates.max_ece,
                        f"expected calibration error {challenger['ece']:.4f} (max {gates.max_ece})"))
    rates = " < ".join(f"{challenger[f'outcome_rate_{t}']:.3f}" for t in ("low", "medium", "high"))
    results.append(Gate("tiers_rising", bool(challenger["tiers_rising"]), f"outcome rate low < medium < high: {rates}"))
    failures = fairness_failures(audit, gates)
    results.append(Gate("fairness", not failures, "; ".join(failures) or "all gated group ratios within bounds",
                        tuple(groups_too_small(audit, gates))))
    return results


def load_champion(settings: Settings, version: str, scratch: Path) -> RiskModel:
    try:
        return registry.load_version(settings, version, scratch)
    except ModelLoadError as exc:
        raise ModelLoadError(f"the champion (version {version}) cannot be loaded, so nothing can be compared "
                             f"with it: {exc}") from exc


def promote(settings: Settings, gates: GateConfig, version: str | None = None, force: bool = False,
            reason: str | None = None) -> PromotionResult:
    if force and not (reason and reason.strip()):
        raise PromotionError("--force needs --reason: say why the gates are overridden (it is recorded)")
    registry.configure_tracking(settings)
    version = version or registry.version_by_alias(settings, registry.CHALLENGER)
    if version is None:
        raise PromotionError(f"no version given and no '{registry.CHALLENGER}' alias on {settings.model_name}: train first")
    champion_version = registry.version_by_alias(settings, registry.CHAMPION)
    if champion_version == version:
        raise PromotionError(f"version {version} is already the champion")
    with tempfile.TemporaryDirectory() as scratch:
        test = registry.load_test_set(settings, version, Path(scratch) / "test")
        challenger = evaluate_model(registry.load_version(settings, version, Path(scratch) / "challenger"), test)
        champion = None
        if champion_version is not None:
            champion = evaluate_model(load_champion(settings, champion_version, Path(scratch) / "champion"), test).metrics
    results = evaluate_gates(challenger.metrics, champion, challenger.audit, gates)
    failed = [g for g in results if not g.passed]
    if failed and not force:
        raise PromotionError("promotion refused, gate(s) failed: " + "; ".join(f"{g.name}: {g.detail}" for g in failed),
                             results)
    record_promotion(settings, version, results, reason if force else None)
    return PromotionResult(version, champion_version, results, force and bool(failed))


def record_promotion(settings: Settings, version: str, results: list[Gate], forced_reason: str | None) -> None:
    client = registry.client_for(settings)
    client.set_model_version_tag(settings.model_name, version, "promoted_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    client.set_model_version_tag(settings.model_name, version, "promotion_gates",
                                 json.dumps({g.name: {"passed": g.passed, "detail": g.detail, "not_judged": list(g.not_judged)}
                                             for g in results}))
    if forced_reason:
        client.set_model_version_tag(settings.model_name, version, "forced_reason", forced_reason)
    client.set_registered_model_alias(settings.model_name, registry.CHAMPION, version)
