"""The fairness audit, proven on a planted harm: in the region with a hidden outcome gap for one origin group (a
harm no table shows), the audit names the group and the promotion gate refuses the model; in the clean region
the audit passes. Both at 1:1, where the held-out test cohort holds about 500 youths of the harmed group."""

from __future__ import annotations

import pytest

from data_synthetic.generate import HARM_DEFAULTS, WorldConfig, generate_world, write_world
from training.config import GateConfig, TemporalConfig, TrainConfig
from training.dataset import build_training_data
from training.evaluation_report import evaluate_model
from training.fairness import fairness_failures
from training.group_calibration import offset_failures
from training.model import train_risk_model
from training.promote import own_gates

pytestmark = pytest.mark.slow
CONFIG = TrainConfig(temporal=TemporalConfig(data_end="2026-10-01"), gates=GateConfig(bootstrap_samples=200))


def audited(directory):
    data = build_training_data(directory, None, CONFIG)
    model, _ = train_risk_model(data, CONFIG)
    return evaluate_model(model, data.part("test"), audit_rows=data.audit_rows())


@pytest.fixture(scope="module")
def harmed_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hidden-gap")
    write_world(directory, generate_world(WorldConfig(planted_bias=(("hidden_gap", HARM_DEFAULTS["hidden_gap"]),))))
    return directory


def test_the_audit_finds_a_planted_hidden_gap_and_the_gate_refuses_naming_group_and_rate(harmed_dir):
    evaluation = audited(harmed_dir)
    failures = offset_failures(evaluation.group_calibration, CONFIG.gates)
    assert any(f.startswith("origin=buiten_europa & education=mbo: log-odds offset +") for f in failures), failures
    assert all(f.startswith("origin=buiten_europa") and f.endswith("the model underestimates the group's risk")
               for f in failures), failures
    gate = next(g for g in own_gates(evaluation, CONFIG.gates) if g.name == "calibration_by_group")
    assert not gate.passed and gate.detail == "; ".join(failures)


def test_the_clean_region_passes_the_audit(default_dir):
    evaluation = audited(default_dir)
    assert offset_failures(evaluation.group_calibration, CONFIG.gates) == []
    assert fairness_failures(evaluation.audit, CONFIG.gates) == []
