"""Training configuration: one typed object with documented defaults, optionally read from TOML.

Example `train.toml` (every key optional; unknown keys are refused by name):

    seed = 42                  # fold assignment (by youth) and LightGBM's own randomness

    [lightgbm]
    num_boost_round = 300      # upper bound; early stopping inside the cross-fitting folds picks the size
    num_leaves = 7

    [temporal]
    first_date = "2014-10-01"  # the earliest yearly reference date (1 October of each year after it)
    label_maturity = "known"   # "known": every row whose outcome is known; "complete": only dates whose whole cohort is
    folds = 5                  # cross-fitting folds by youth (early stopping and the out-of-fold calibration)
    test_date = ""             # default: the newest date whose whole cohort's outcome is known
    test_share = 0.3           # the held-out group: this share of all youths, by a keyed hash of the id
    split_key = "vsv-risk"     # keep it across retrains: no model then ever fits on another's test youths
    data_end = ""              # the data's end (outcomes known up to it); default: the latest date in the data
    event_kinds = ["report_first", "report_repeat", "new_leaver"]  # events giving rows as of their day; [] = stock only

    [tiers]                    # the region's places a year (a smaller or larger region sets its own: config/region-40k.toml)
    mode = "capacity"          # or "thresholds"
    high_capacity = 470        # matchmaker places a year
    medium_capacity = 1500     # conversations a year
    population = 0             # 0: the youths of the target group at the newest reference date (the year ahead);
                               # places that fill it are refused, places over half of it warned about
    conversations_per_week = 12        # events: conversations a week (shared by reports, repeats and new leavers)
    matchmaker_places_per_month = 20   # events: new matchmaker trajectories a month

    [risk_categories]          # the risk words, from the probability alone (defaults: vsv_model/policy.py)
    medium = 0.30              # "midden" from this probability
    high = 0.70                # "hoog" from this probability

    [search]                   # `vsv train --search`: the grid, on time-ordered validation folds
    num_leaves = [7, 15, 31]
    max_shap_microseconds = 300

    [gates]                    # every gate judges an interval: refused only when it lies wholly beyond the bound
                               # (undecided, and passed, when it straddles it); what each judges: training/promote.py
    max_auc_drop = 0.005       # the 95% interval of the challenger's AUC minus the champion's (on youths neither has
                               # seen) wholly below -max_auc_drop
    max_brier_rise = 0.002
    max_ece = 0.03             # the ECE's interval (bias taken off: training/bootstrap.py) wholly above it
    min_jaccard_high = 0.6     # list stability against the champion on the current population (Wilson intervals)
    fairness_ratio_min = 0.5   # a group's error-rate ratio interval (at significance_level) wholly outside the bounds
    fairness_ratio_max = 2.0
    max_calibration_offset = 0.1    # calibration per group: refused when the whole Bonferroni interval of a group's
                                    # log-odds offset delta (logit P = logit p + delta) lies beyond +-0.1
    min_group_size = 100       # youths in the test set; smaller groups are shown, not judged
    significance_level = 0.01  # the fairness ratios' and the per-group offsets' intervals (two-sided)
    confidence = 0.95          # the other intervals (bootstrap, stability, tiers)

    [training]                 # the office's own reactions in the training rows (training/route_labels.py)
    route_adjustment = ""      # "" (default): "outcome" with office_cases.csv, else "none". The risk under the letter:
                               # "outcome": the route an input of an outcome model, heavier rows' labels moved to the letter;
                               # "weights": heavier routes weigh 0, letters 1/P(letter); "none": every row as it is
    route_carry_days = 365     # a reaction this many days before a row's day still counts for it (support still running)
    min_propensity = 0.05      # P(letter) is clipped from below here: no row weighs more than 1/0.05 = 20 times

A `[monitor]` section in the same file is read by `vsv monitor` (monitoring/config.py) and left alone here.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from features.office_events import EVENT_KINDS
from vsv_model.policy import CAPACITY, EVENT_CAPACITY, RISK_CUTOFFS, RiskCategories
from vsv_model.target_group import CURRENT_LAW, TargetGroup, target_group_for

ROUTE_ADJUSTMENTS = ("outcome", "weights", "none")  # how the office's own reactions enter the training rows


@dataclass(frozen=True)
class LightGBMConfig:
    """Small trees on purpose: SHAP's cost grows with trees x leaves x depth^2. Measured on a
    100,000-youth population (benchmarks/model_size.py): 7 leaves kept 203 trees, AUC 0.8367, one
    youth explained in 123 us; 15 leaves 0.8361 and 291 us; 63 leaves 0.8345 and 1,211 us."""

    num_boost_round: int = 300
    early_stopping_rounds: int = 30  # inside each cross-fitting fold, on a fold of other youths
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
class TemporalConfig:
    """Which reference dates train and test, and how. Every youth belongs, by a keyed hash of its id
    (`split_key`), to the held-out group (`test_share` of the youths) or not, the same in every training. The
    test set is the held-out youths of the newest cohort whose whole outcome is known (`test_date`); the fit set
    is the other youths' rows at the dates before it. The split depends on nothing that happens later, so
    neither set is selected on the outcome (dropping every youth still in scope at the test date from the
    earlier dates would be: it removes those who stay without a diploma), and a retrain with the same key never
    fits on a youth an earlier model was tested on. The label-maturity rule decides which fit rows count: `known`
    uses every row whose outcome is known at the data's end (a later date then holds only its older youths: the
    selection is on age, which the model sees); `complete` uses only dates whose whole cohort is known."""

    first_date: str = "2014-10-01"
    label_maturity: str = "known"
    folds: int = 5
    test_date: str = ""
    test_share: float = 0.3
    split_key: str = "vsv-risk"
    data_end: str = ""  # the data's end for labels; default the latest date in the data (the contract's rule)
    # The office's events that give training rows besides the yearly stock, each as of its own day
    # (features/office_events.py); () trains on the yearly stock alone (the model before events).
    event_kinds: tuple[str, ...] = ("report_first", "report_repeat", "new_leaver")

    def __post_init__(self):
        unknown = set(self.event_kinds) - set(EVENT_KINDS)
        if unknown:
            raise ValueError(f"temporal.event_kinds: unknown kind(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(EVENT_KINDS)}")
        if not 0.0 < self.test_share < 1.0:
            raise ValueError("temporal.test_share must lie strictly between 0 and 1")
        if self.label_maturity not in ("known", "complete"):
            raise ValueError(f"temporal.label_maturity must be 'known' or 'complete', got {self.label_maturity!r}")
        if self.folds < 3:
            raise ValueError("temporal.folds must be at least 3 (train, early stopping and the out-of-fold part)")


@dataclass(frozen=True)
class SearchConfig:
    """The small hyperparameter search of `vsv train --search`: every combination, on time-ordered validation
    folds (train on the dates before a validation date, validate on that date's other youths). A candidate
    whose TreeSHAP explanation of one youth costs more than `max_shap_microseconds` is not chosen: the
    service's latency must hold."""

    num_leaves: tuple[int, ...] = (7, 15, 31)
    learning_rate: tuple[float, ...] = (0.05, 0.1)
    min_data_in_leaf: tuple[int, ...] = (50, 200)
    max_rounds: int = 600
    validation_dates: int = 3
    max_shap_microseconds: float = 300.0


@dataclass(frozen=True)
class TierConfig:
    """Capacity mode: `high` holds as many youths a year as the matchmakers can take, `medium` as many as the
    consultants can invite for a conversation; the cut-offs are the matching quantiles of the calibrated
    probability over the youths of the target group at the newest reference date in the data (the year the
    model will serve). Threshold mode: fixed probabilities.

    The places are the region's own (the defaults are Zuid-Holland Zuid's, for a target group of about 10,400): a
    region of another size sets its places in its config, and places that leave no youth for the letter are
    refused by name before anything is fitted (`check_population`)."""

    mode: str = "capacity"
    high_capacity: int = CAPACITY["high"]
    medium_capacity: int = CAPACITY["medium"]
    population: int = 0
    medium_threshold: float = 0.35
    high_threshold: float = 0.65
    # Events (an 18+ absence report, a repeat, a new leaver) are answered as they come: their capacity is per week
    # and per month, shared by every kind of event, and their cut-offs are the matching quantiles of the chances at
    # the events of the data's last year (each scored as of its own day).
    conversations_per_week: int = EVENT_CAPACITY["conversations_per_week"]
    matchmaker_places_per_month: int = EVENT_CAPACITY["matchmaker_places_per_month"]

    def __post_init__(self):
        if self.high_capacity < 1 or self.medium_capacity < 0:
            raise ValueError("tiers.high_capacity must be at least 1 and tiers.medium_capacity at least 0 (places a year)")
        if self.population < 0:
            raise ValueError("tiers.population must be 0 (the target group at the newest date) or a number of youths")

    def check_population(self, youths: int) -> str:
        """The places against the target group they serve (`population` when set, else `youths`): a ValueError when
        they fill it (no youth left for the letter: the low tier would be empty), a warning when they take more than
        half of it, else ''. Threshold mode has no places."""
        if self.mode != "capacity":
            return ""
        population, places = self.population or youths, self.high_capacity + self.medium_capacity
        fix = ("set the region's places in [tiers] of the training config, scaled to its target group (README: "
               "'Capacity for a smaller or larger region'; config/region-40k.toml for a region of 40,000 youths)")
        if places >= population:
            raise ValueError(f"[tiers] high_capacity {self.high_capacity:,} + medium_capacity {self.medium_capacity:,} = "
                             f"{places:,} places a year for a target group of {population:,} youths: no youth would be "
                             f"left for the letter (the low tier would be empty); {fix}")
        if places > population / 2:
            return (f"[tiers] {places:,} places a year ({self.high_capacity:,} + {self.medium_capacity:,}) for a target group of "
                    f"{population:,} youths: {places / population:.0%} of the group is advised more than a letter; {fix}")
        return ""


@dataclass(frozen=True)
class RiskCategoryConfig:
    """The risk categories' probability cut-offs, a regional setting: "laag" below `medium`, "midden" from it,
    "hoog" from `high`. They never follow the capacity; why these defaults: `vsv_model.policy.RISK_CUTOFFS`."""

    medium: float = RISK_CUTOFFS["medium"]
    high: float = RISK_CUTOFFS["high"]

    def __post_init__(self):
        RiskCategories(self.medium, self.high)  # refuses cut-offs outside 0 < medium <= high < 1

    def categories(self) -> RiskCategories:
        return RiskCategories(self.medium, self.high)


@dataclass(frozen=True)
class GateConfig:
    """What `vsv promote` requires of a challenger. Every bound is judged on an interval, never a point estimate: a
    gate refuses only when the interval lies wholly beyond its bound (training/promote.py says per gate which
    interval). A group of a gated attribute is judged only when it has at least `min_group_size` youths in the test
    set; one of its error-rate ratios refuses when the ratio's interval at `significance_level` lies wholly outside
    [fairness_ratio_min, fairness_ratio_max]."""

    max_auc_drop: float = 0.005
    max_brier_rise: float = 0.002
    max_ece: float = 0.03
    min_jaccard_high: float = 0.6
    min_jaccard_high_medium: float = 0.7
    max_route_change: float = 0.2
    max_top_reason_change: float = 0.3
    # Calibration per group (training/group_calibration.py): a group fails when the whole interval of its log-odds
    # offset delta, at family-wise `significance_level` Bonferroni-corrected over the groups judged, lies beyond
    # +-max_calibration_offset. An offset of 0.1 is a group's odds under- or overestimated by about a tenth; why 0.1
    # (the size of a planted harm, the clean world's own offsets): training/group_calibration.py.
    max_calibration_offset: float = 0.1
    bootstrap_samples: int = 1000
    confidence: float = 0.95
    fairness_ratio_min: float = 0.5
    fairness_ratio_max: float = 2.0
    min_group_size: int = 100
    significance_level: float = 0.01
    gated_attributes: tuple[str, ...] = ("gender", "origin")

    def __post_init__(self):
        if not 0.0 < self.significance_level < 1.0:
            raise ValueError("gates.significance_level must lie strictly between 0 and 1")
        if self.max_calibration_offset < 0:
            raise ValueError("gates.max_calibration_offset must be at least 0")
        if self.min_group_size < 1:
            raise ValueError("gates.min_group_size must be at least 1")


@dataclass(frozen=True)
class AdjustmentConfig:
    """`[training]`: how the office's own reactions enter the training rows. The model estimates the risk under the
    lightest reaction, the letter. "outcome" (training/route_labels.py): the route taken is an input of an outcome
    model, and the labels of rows whose youth got a heavier route become their chance under the letter. "weights"
    (training/route_weights.py): those rows weigh 0, rows with letters 1/P(letter | recorded variables), clipped at
    `min_propensity`. "none": every row as it is. "" is "outcome" with the office's cases and "none" without them
    (measured in docs/event-model.md: the weights cost more in variance than the loop they remove)."""

    route_adjustment: str = ""
    route_carry_days: int = 365
    min_propensity: float = 0.05

    def __post_init__(self):
        if self.route_adjustment not in ("", *ROUTE_ADJUSTMENTS):
            *others, last = (f'"{a}"' for a in ROUTE_ADJUSTMENTS)
            raise ValueError(f"training.route_adjustment must be {', '.join(others)} or {last}, got {self.route_adjustment!r}")
        if self.route_carry_days < 0:
            raise ValueError("training.route_carry_days must be at least 0")
        if not 0.0 < self.min_propensity <= 1.0:
            raise ValueError("training.min_propensity must lie in (0, 1]")


@dataclass(frozen=True)
class TrainConfig:
    """Everything `vsv train` and `vsv promote` read: the seed, the booster, the temporal design, the tiers, the
    search grid, the gates, the target group and the route adjustment."""

    seed: int = 42
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    temporal: TemporalConfig = field(default_factory=TemporalConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    tiers: TierConfig = field(default_factory=TierConfig)
    risk_categories: RiskCategoryConfig = field(default_factory=RiskCategoryConfig)
    gates: GateConfig = field(default_factory=GateConfig)
    target_group: TargetGroup = CURRENT_LAW
    training: AdjustmentConfig = field(default_factory=AdjustmentConfig)

    def __post_init__(self):
        if self.tiers.mode not in ("capacity", "thresholds"):
            raise ValueError(f"tiers.mode must be 'capacity' or 'thresholds', got {self.tiers.mode!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def _section(cls, values: dict, name: str):
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}")
    tuples = {f.name for f in fields(cls) if str(f.type).startswith("tuple")}
    return cls(**{k: tuple(v) if k in tuples else v for k, v in values.items()})


RETIRED = {  # top-level keys of the random split, refused with what replaced them
    "test_share": "the test set is now a cohort: set [temporal] test_share (the held-out share of youths) and test_date",
    "validation_share": "early stopping now uses the cross-fitting folds: set [temporal] folds",
    "calibration_share": "the calibration is now fitted out of fold on every fit youth: set [temporal] folds",
}


OTHER_SECTIONS = ("monitor",)  # sections of the same file that other stages read (`vsv monitor`: monitoring/config.py)


def load_config(path: Path | None) -> TrainConfig:
    """Defaults, overridden by a TOML file when given; unknown keys are refused by name, and the keys of the
    former random split with what replaced them."""
    if path is None:
        return TrainConfig()
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    retired = [f"{key}: {RETIRED[key]}" for key in RETIRED if key in raw]
    if retired:
        raise ValueError("setting(s) of the former random split in " + str(path) + ": " + "; ".join(retired))
    for name in OTHER_SECTIONS:
        raw.pop(name, None)
    sections = {"lightgbm": LightGBMConfig, "temporal": TemporalConfig, "search": SearchConfig, "tiers": TierConfig,
                "risk_categories": RiskCategoryConfig, "gates": GateConfig, "training": AdjustmentConfig}
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
