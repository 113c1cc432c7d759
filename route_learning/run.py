"""`vsv routes evaluate` as one call: read, estimate, judge the gates, register the evaluation (alias `evaluated`)
and (optionally) promote it, compare with the truth, report. The truth is read only after every estimate and gate
is fixed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from features.route_outcomes import SCHOOL_365
from route_learning.cases import cases_of_period, read_office_cases
from route_learning.evaluate import evaluate_routes
from route_learning.gates import AUDIT_COLUMNS, judge_gates
from route_learning.promotion import route_policy
from route_learning.report import report_text, summary, write_summary
from route_learning.tracking import log_route_run
from route_learning.truth import compare_with_truth
from vsv_model.reader import DataSet
from vsv_model.settings import Settings


@dataclass(frozen=True)
class RoutesRun:
    text: str
    summary: dict
    run_id: str
    promoted_version: str | None
    evaluated_version: str


def decision_text(gates, promote: bool, passed: bool, version: str) -> str:
    failed = [g.name for g in gates if not g.passed]
    registered = (f"The evaluation is registered as vsv-route-policy version {version}, alias evaluated (the case "
                  "page shows its evidence while no policy is promoted).")
    if passed:
        return registered + (" All gates passed: the benefit policy is promoted (alias champion)." if promote else
                             " All gates passed: run with --promote to make this policy the champion.")
    return f"{registered} Not promoted: the gate(s) {', '.join(failed)} failed (see above). The tier advice stands."


def run_routes(directory: Path, data: DataSet, start: dt.date, end: dt.date, settings: Settings,
               outcome: str = SCHOOL_365, seed: int = 0, promote: bool = False, out: Path | None = None,
               depth: int = 2) -> RoutesRun:
    cases = cases_of_period(read_office_cases(directory), data, start, end, outcome)
    evaluation = evaluate_routes(cases, (start.isoformat(), end.isoformat()), outcome, seed, depth)
    audit = data.youths[["youth_id", *[c for c in AUDIT_COLUMNS if c in data.youths]]]
    gates, groups = judge_gates(evaluation, audit)
    passed = all(g.passed for g in gates)
    policy = route_policy(evaluation, gates)  # registered as `evaluated` whatever the gates say
    comparison = compare_with_truth(directory, evaluation)  # after the estimate: judging only
    result = summary(evaluation, policy.rules, gates, groups, comparison, None)
    run_id, version = log_route_run(evaluation, result, settings, policy, promoted=passed and promote)
    result |= {"promoted_version": version if passed and promote else None, "evaluated_version": version}
    if out is not None:
        write_summary(result, out)
    text = report_text(evaluation, policy.rules, gates, groups, comparison, decision_text(gates, promote, passed, version))
    return RoutesRun(text, result, run_id, result["promoted_version"], version)
