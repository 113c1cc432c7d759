"""The fairness audit, proven on a planted harm: in the region with a hidden outcome gap for one origin group (a
harm no table shows), the audit names the group and the promotion gate refuses the model; in the clean region
the audit passes. Both at 1:1, where the held-out test cohort holds about 500 youths of the harmed group."""

from __future__ import annotations

import pytest

from data_synthetic.generate import HARM_DEFAULTS, WorldConfig, generate_world, write_world
from training.config import GateConfig, TemporalConfig, TrainConfig
from training.dataset import build_training_data
from training.evaluation_report import evaluate_model
from training.fairness import calibration_failures, fairness_failures
from training.model import train_risk_model
from training.promote import own_gates

pytestmark = pytest.mark.slow
CONFIG = TrainConfig(temporal=TemporalConfig(data_end="2026-10-01"), gates=GateConfig(bootstrap_samples=200))


def audited(directory):
    data = build_training_data(directory, None, CONFIG)
    model, _ = train_risk_model(data, CONFIG)
    return evaluate_model(model, data.part("test"))


@pytest.fixture(scope="module")
def harmed_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hidden-gap")
    write_world(directory, generate_world(WorldConfig(planted_bias=(("hidden_gap", HARM_DEFAULTS["hidden_gap"]),))))
    return directory


def test_the_audit_finds_a_planted_hidden_gap_and_the_gate_refuses_naming_group_and_rate(harmed_dir):
    evaluation = audited(harmed_dir)
    failures = calibration_failures(evaluation.audit, CONFIG.gates)
    assert len(failures) == 1 and failures[0].startswith("origin=buiten_europa: observed/expected 1.")
    assert "the model underestimates the group's risk" in failures[0] and "outcome rate 0." in failures[0]
    gate = next(g for g in own_gates(evaluation, CONFIG.gates) if g.name == "calibration_by_group")
    assert not gate.passed and gate.detail == failures[0]


def test_the_clean_region_passes_the_audit(default_dir):
    evaluation = audited(default_dir)
    assert calibration_failures(evaluation.audit, CONFIG.gates) == []
    assert fairness_failures(evaluation.audit, CONFIG.gates) == []
