"""The monitoring's thresholds: one typed object with documented defaults, read from a `[monitor]` TOML section.

The section may sit in the training's file (`vsv train --config` leaves it alone) or in a file of its own; every
key is optional and an unknown key is refused by name. Example with the defaults:

    [monitor]
    psi_warn = 0.1              # population stability index of a feature (or of the probability) against training
    psi_alarm = 0.25
    significance = 0.001        # every finding must also be clear at this level (two-sided), so noise is no finding
    share_ratio_warn = 1.5      # share with any absence / any report, missing, unknown, each category: current over
    share_ratio_alarm = 2.0     #   reference outside [1/r, r] (and clear)
    share_change_min = 0.01     # ... and moved by at least this much (absolute), so a share of 0.1% -> 0.2% is no finding
    rate_ratio_warn = 1.5       # reports per pupil-year of a school or a municipality: current over reference
    rate_ratio_alarm = 2.0      #   outside [1/r, r] and clear (Poisson test, Bonferroni over the units judged)
    min_expected_reports = 5    # a school expected to send fewer reports in the year is not judged
    capacity_warn = 0.10        # a tier holding more youths than its places a year by this share (and clearly:
    capacity_alarm = 0.25       #   beyond a Poisson margin) warns; by capacity_alarm it alarms
    expected_auc_drop = 0.03    # the expected AUC this far below the training's: a list that ranks less well
    concept_ratio_warn = 1.5    # mean |SHAP| of a concept now over at training outside [1/r, r] (explanation drift)
    min_group_size = 100        # matured youths a group needs before its realised error rates are shown
    realised_auc_tolerance = 0.03  # realised AUC this far below the AUC estimated on the same youths (and clearly)
    max_realised_ece = 0.05     # realised expected calibration error above this warns
    min_matured = 200           # youths with a known outcome before a scoring run's realised figures are judged
    history_years = 5           # the yearly dates before --as-of also shown in the report (drift over time)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class MonitorConfig:
    """What counts as a warning or an alarm. Every rule has a size (how far from training) and a test (how sure),
    and only a finding that passes both is reported: at 1:1 a tiny real change is clear but harmless, and in a small
    school a large change can be chance."""

    psi_warn: float = 0.1
    psi_alarm: float = 0.25
    significance: float = 0.001
    share_ratio_warn: float = 1.5
    share_ratio_alarm: float = 2.0
    share_change_min: float = 0.01
    rate_ratio_warn: float = 1.5
    rate_ratio_alarm: float = 2.0
    min_expected_reports: float = 5.0
    capacity_warn: float = 0.10
    capacity_alarm: float = 0.25
    expected_auc_drop: float = 0.03
    concept_ratio_warn: float = 1.5
    min_group_size: int = 100
    realised_auc_tolerance: float = 0.03
    max_realised_ece: float = 0.05
    min_matured: int = 200
    history_years: int = 5

    def __post_init__(self):
        if not 0.0 < self.psi_warn <= self.psi_alarm:
            raise ValueError("monitor.psi_warn must be above 0 and at most monitor.psi_alarm")
        if not 0.0 < self.significance < 1.0:
            raise ValueError("monitor.significance must lie strictly between 0 and 1")
        for name in ("share_ratio", "rate_ratio"):
            warn, alarm = getattr(self, f"{name}_warn"), getattr(self, f"{name}_alarm")
            if not 1.0 < warn <= alarm:
                raise ValueError(f"monitor.{name}_warn must be above 1 and at most monitor.{name}_alarm")
        if not 0.0 <= self.capacity_warn <= self.capacity_alarm:
            raise ValueError("monitor.capacity_warn must be at least 0 and at most monitor.capacity_alarm")
        if self.history_years < 0:
            raise ValueError("monitor.history_years must be 0 or more")


def load_monitor_config(path: Path | None) -> MonitorConfig:
    """Defaults, overridden by the `[monitor]` section of a TOML file when given (other sections are the training's)."""
    if path is None:
        return MonitorConfig()
    values = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("monitor", {})
    known = {f.name for f in fields(MonitorConfig)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown setting(s) in [monitor]: {', '.join(sorted(unknown))}")
    return MonitorConfig(**values)
