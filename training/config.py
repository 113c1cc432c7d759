"""Training configuration: one typed object with documented defaults, optionally read from TOML.

Example `train.toml` (every key optional):

    seed = 42
    test_share = 0.25          # youths at the latest reference date held out for testing
    validation_share = 0.15    # of the remaining youths: early stopping
    calibration_share = 0.2    # of the remaining youths, disjoint from those: Platt calibration

    [lightgbm]
    num_boost_round = 300      # upper bound; early stopping picks the size
    num_leaves = 7

    [tiers]
    mode = "capacity"          # or "thresholds"
    high_capacity = 470        # youths per cohort the matchmakers can take
    medium_capacity = 1500     # conversations per cohort
    population = 0             # 0: the in-scope cohort at the latest reference date

    [target_group]
    max_age = 23               # exclusive; 27 after the law change (the outcome is then judged by 27 too)

    [gates]
    max_auc_drop = 0.005
    max_ece = 0.03
    fairness_ratio_min = 0.5
    fairness_ratio_max = 2.0
    min_group_size = 100       # youths in the test set; smaller groups are listed as not judged
    significance_level = 0.01  # two-sided z-test: a ratio out of bounds fails only when clear
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from vsv_model.policy import CAPACITY
from vsv_model.target_group import CURRENT_LAW, TargetGroup, target_group_for


@dataclass(frozen=True)
class LightGBMConfig:
    """Small trees on purpose: SHAP's cost grows with trees x leaves x depth^2. Measured on a
    100,000-youth population (benchmarks/model_size.py): 7 leaves kept 203 trees, AUC 0.8367, one
    youth explained in 123 us; 15 leaves 0.8361 and 291 us; 63 leaves 0.8345 and 1,211 us."""

    num_boost_round: int = 300
    early_stopping_rounds: int = 30
    num_leaves: int = 7
    learning_rate: float = 0.05
    min_data_in_leaf: int = 100
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    cat_smooth: float = 10.0
    # "advanced" breaks the constraint on some rows (LightGBM issues #5358, #6155; 14-70 violations
    # measured here); "intermediate" keeps it exactly at the same AUC. Officers are promised that more
    # absence never lowers the risk, so the guarantee wins.
    monotone_constraints_method: str = "intermediate"
    num_threads: int = 2


@dataclass(frozen=True)
class TierConfig:
    """Capacity mode: `high` holds as many youths per cohort as matchmakers can take, `medium` as many
    as consultants can invite for a conversation; cut-offs are the matching quantiles of the
    calibrated probability over the cohort at the latest reference date. Threshold mode: fixed
    probabilities."""

    mode: str = "capacity"
    high_capacity: int = CAPACITY["high"]
    medium_capacity: int = CAPACITY["medium"]
    population: int = 0
    medium_threshold: float = 0.35
    high_threshold: float = 0.65


@dataclass(frozen=True)
class GateConfig:
    """What `vsv promote` requires of a challenger. A group of a gated attribute is judged only when it
    has at least `min_group_size` youths in the test set; one of its error-rate ratios fails only when it
    leaves [fairness_ratio_min, fairness_ratio_max] and the group's rate differs clearly from the whole
    (two-sided z-test at `significance_level`)."""

    max_auc_drop: float = 0.005
    max_ece: float = 0.03
    fairness_ratio_min: float = 0.5
    fairness_ratio_max: float = 2.0
    min_group_size: int = 100
    significance_level: float = 0.01
    gated_attributes: tuple[str, ...] = ("gender", "origin")

    def __post_init__(self):
        if not 0.0 < self.significance_level < 1.0:
            raise ValueError("gates.significance_level must lie strictly between 0 and 1")
        if self.min_group_size < 1:
            raise ValueError("gates.min_group_size must be at least 1")


@dataclass(frozen=True)
class TrainConfig:
    """Split shares: `test_share` of the youths at the latest reference date are the test set; of the
    other youths, `validation_share` serve early stopping and a disjoint `calibration_share` the Platt
    calibration, so the calibration is fitted on youths the booster never saw, not even to stop."""

    seed: int = 42
    test_share: float = 0.25
    validation_share: float = 0.15
    calibration_share: float = 0.2
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    tiers: TierConfig = field(default_factory=TierConfig)
    gates: GateConfig = field(default_factory=GateConfig)
    target_group: TargetGroup = CURRENT_LAW

    def __post_init__(self):
        for name in ("test_share", "validation_share", "calibration_share"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(f"{name} must lie strictly between 0 and 1")
        if self.validation_share + self.calibration_share >= 1.0:
            raise ValueError("validation_share + calibration_share must be below 1: training needs youths too")
        if self.tiers.mode not in ("capacity", "thresholds"):
            raise ValueError(f"tiers.mode must be 'capacity' or 'thresholds', got {self.tiers.mode!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def _section(cls, values: dict, name: str):
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}")
    if "gated_attributes" in values:
        values = values | {"gated_attributes": tuple(values["gated_attributes"])}
    return cls(**values)


def load_config(path: Path | None) -> TrainConfig:
    """Defaults, overridden by a TOML file when given; unknown keys are refused by name."""
    if path is None:
        return TrainConfig()
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    sections = {"lightgbm": LightGBMConfig, "tiers": TierConfig, "gates": GateConfig}
    nested = {name: _section(cls, raw.pop(name, {}), name) for name, cls in sections.items()}
    nested["target_group"] = target_group_section(raw.pop("target_group", {}))
    top = _section(TrainConfig, raw, "top level")
    return replace(top, **nested)


def target_group_section(values: dict) -> TargetGroup:
    """`[target_group]`: `max_age` alone moves the outcome age with it (18-27, outcome by 27)."""
    if not values:
        return CURRENT_LAW
    group = target_group_for(int(values.get("max_age", CURRENT_LAW.max_age)))
    return _section(TargetGroup, group.to_dict() | values, "target_group")
