"""The risk model at run time: a LightGBM booster, a calibration of its log-odds, tier cut-offs (the advised
approach, sized by capacity) and the risk categories (from the probability alone, with their measured meaning).

One object serves training (evaluation), the MLflow pyfunc wrapper, batch scoring
and the service. Inputs are the features of `vsv_model.feature_spec` in that order;
categoricals become fixed integer codes, so arrays go straight into the booster.

Calibration is an affine map of the booster's raw log-odds, `a * raw + b`, so
the TreeSHAP contributions scale with it and stay exactly additive:
base value + sum of contributions = calibrated log-odds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from vsv_model.columns import positions_in
from vsv_model.contract import UNKNOWN
from vsv_model.feature_spec import FEATURE_NAMES, FEATURES
from vsv_model.policy import TIERS, RiskCategories
from vsv_model.split_bins import split_thresholds
from vsv_model.target_group import CURRENT_LAW, TargetGroup

BOOSTER_FILE = "model.txt"
META_FILE = "risk_model.json"
FORMAT_VERSION = 1
CATEGORY_INDEX = {f.name: {c: i for i, c in enumerate(f.categories)} for f in FEATURES if f.is_categorical}


@dataclass(frozen=True)
class Calibration:
    """Calibrated log-odds = slope * raw log-odds + intercept (Platt scaling on held-out data)."""

    slope: float = 1.0
    intercept: float = 0.0
    method: str = "platt"


@dataclass(frozen=True)
class TierCutoffs:
    """The advised approach's cut-offs (tier: low = letter, medium = conversation, high = matchmaker): high when
    p >= high, medium when p >= medium, else low. In capacity mode they are a place in the ranking, not a risk
    word: the risk category is `RiskCategories`'."""

    medium: float
    high: float
    mode: str = "thresholds"
    details: dict = field(default_factory=dict)  # e.g. capacities and the reference population

    def __post_init__(self):
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise ValueError(f"tier cut-offs must satisfy 0 <= medium <= high <= 1, got {self.medium}, {self.high}")

    def assign(self, probability: np.ndarray) -> np.ndarray:
        p = np.asarray(probability)
        return np.array(TIERS, dtype=object)[(p >= self.medium).astype(int) + (p >= self.high).astype(int)]

    def places(self) -> dict[str, int | None]:
        """Places a year per tier, as the cut-offs were sized (none in threshold mode; low has no limit)."""
        return {"high": self.details.get("high_capacity"), "medium": self.details.get("medium_capacity")}


# A made-up youth (no real person's data) in the model's input layout: the input example logged with
# every model version, so a registry never carries real rows.
EXAMPLE_FEATURES: dict[str, object] = {
    "age": 19, "school_municipality": "Dordrecht", "last_diploma": "vmbo-kb", "school_switches": 1,
    "school_switches_2y": 1, "enrolled": 1, "current_education": "mbo-2", "learning_path": "BOL",
    "months_not_enrolled": 0.0, "absence_hours_4w": 6.0, "absence_hours_13w": 18.0, "absence_hours_52w": 40.0,
    "absence_reports_52w": 2, "late_reports_52w": 3, "weeks_since_last_report": 5.0, "dropout_episodes": 0,
    "vo_mbo_transition_1y": 1,
}
INPUT_DTYPES = {"count": "int64", "flag": "int64", "number": "float64", "category": "str"}


def example_frame() -> pd.DataFrame:
    """`EXAMPLE_FEATURES` as a one-row frame with the dtypes of a feature table (the model signature's)."""
    return pd.DataFrame({f.name: pd.Series([EXAMPLE_FEATURES[f.name]], dtype=INPUT_DTYPES[f.kind]) for f in FEATURES})


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def encode_frame(frame: pd.DataFrame) -> np.ndarray:
    """A feature frame (strings or categoricals for categorical features) to the booster's float matrix."""
    matrix = np.empty((len(frame), len(FEATURES)), dtype=np.float64)
    for j, spec in enumerate(FEATURES):
        values = frame[spec.name]
        if spec.is_categorical:
            codes = positions_in(values.astype("string"), spec.categories)
            codes[codes < 0] = spec.categories.index(UNKNOWN)
            matrix[:, j] = codes
        else:
            matrix[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix


def encode_records(records: list[dict]) -> np.ndarray:
    """Feature dicts (already validated) to the booster's float matrix, without pandas."""
    matrix = np.empty((len(records), len(FEATURES)), dtype=np.float64)
    for j, spec in enumerate(FEATURES):
        if spec.is_categorical:
            index = CATEGORY_INDEX[spec.name]
            unknown = index[UNKNOWN]
            matrix[:, j] = [index.get(r[spec.name], unknown) for r in records]
        else:
            matrix[:, j] = [np.nan if r[spec.name] is None else r[spec.name] for r in records]
    return matrix


def decode_value(name: str, code: float):
    """A matrix value back to what an officer reads (category names for categoricals)."""
    spec = FEATURES[FEATURE_NAMES.index(name)]
    if spec.is_categorical:
        return spec.categories[int(code)]
    if np.isnan(code):
        return None
    return int(code) if spec.kind in ("count", "flag") else float(code)


STOCK_KIND = "stock"  # a youth scored on a reference date without an event (the yearly list); the default


@dataclass(frozen=True)
class KindSettings:
    """What differs per kind of moment a youth is scored at (an 18+ absence report, a repeat, a new leaver): the
    calibration of the shared booster's log-odds, the advised approach's cut-offs (sized by the weekly and monthly
    capacity for events) and the risk categories' meaning measured on that kind's held-out rows."""

    calibration: Calibration
    cutoffs: TierCutoffs
    categories: RiskCategories | None = None

    def to_dict(self) -> dict:
        return {"calibration": asdict(self.calibration), "tiers": asdict(self.cutoffs),
                "risk_categories": None if self.categories is None else self.categories.to_dict()}

    @classmethod
    def from_dict(cls, values: dict) -> KindSettings:
        categories = values.get("risk_categories")
        return cls(Calibration(**values["calibration"]), TierCutoffs(**values["tiers"]),
                   None if categories is None else RiskCategories.from_dict(categories))


@dataclass
class RiskModel:
    booster: lgb.Booster
    calibration: Calibration  # the stock's (the yearly list); other kinds in `kinds`
    cutoffs: TierCutoffs
    info: dict = field(default_factory=dict)  # provenance: training date, rows, reference dates, metrics
    target_group: TargetGroup = CURRENT_LAW  # who the model was trained for: every user of the model takes it from here
    categories: RiskCategories = field(default_factory=RiskCategories)  # risk words from the probability, with meaning
    kinds: dict[str, KindSettings] = field(default_factory=dict)  # per kind of event; absent kinds use the stock's

    def for_kind(self, kind: str | None) -> RiskModel:
        """The same booster with the calibration, cut-offs and category meaning of `kind` (an event kind of
        `features.office_events`, or `stock`/None for the yearly list). A kind the model has no settings for is
        refused: scoring it with another kind's calibration would misstate the chance. A model from before events
        (no kinds at all) scores every kind with its one calibration."""
        if kind in (None, STOCK_KIND) or not self.kinds:
            return self
        if kind not in self.kinds:
            known = ", ".join([STOCK_KIND, *self.kinds])
            raise ValueError(f"this model has no calibration for the kind of event {kind!r}; it knows: {known}")
        settings = self.kinds[kind]
        # made once per kind, and again when what it takes from this model was replaced since (training measures the
        # categories' meaning after the kinds' cut-offs were sized with these models)
        parts = (settings, self.booster, self.info, self.target_group, self.categories)
        made = self.__dict__.setdefault("_kind_models", {})
        if kind not in made or any(now is not then for now, then in zip(parts, made[kind][1], strict=True)):
            model = RiskModel(self.booster, settings.calibration, settings.cutoffs, self.info, self.target_group,
                              settings.categories or self.categories, self.kinds)
            made[kind] = (model, parts)
        model = made[kind][0]
        for shared in ("split_thresholds", "booster_sha256"):  # the same booster: computed once
            if shared in self.__dict__:
                model.__dict__.setdefault(shared, self.__dict__[shared])
        return model

    @property
    def kind_names(self) -> tuple[str, ...]:
        return (STOCK_KIND, *self.kinds)

    # One thread by default: a request in a server must not fight the other requests for the cores;
    # batch scoring asks for more.
    def raw_log_odds(self, matrix: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return self.booster.predict(matrix, raw_score=True, num_threads=num_threads)

    def log_odds(self, matrix: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return self.calibration.slope * self.raw_log_odds(matrix, num_threads) + self.calibration.intercept

    def probability(self, matrix: np.ndarray, num_threads: int = 1) -> np.ndarray:
        return sigmoid(self.log_odds(matrix, num_threads))

    def contributions(self, matrix: np.ndarray, num_threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """TreeSHAP contributions per feature and the base value, both in calibrated log-odds (none for no rows:
        LightGBM's pred_contrib cannot take an empty matrix, as when every event of a window is out of scope)."""
        if len(matrix) == 0:
            return np.zeros((0, matrix.shape[1])), np.zeros(0)
        raw = self.booster.predict(matrix, pred_contrib=True, num_threads=num_threads)
        slope, intercept = self.calibration.slope, self.calibration.intercept
        return slope * raw[:, :-1], slope * raw[:, -1] + intercept

    @cached_property
    def split_thresholds(self) -> list[np.ndarray | None]:
        """Per feature, the thresholds the booster splits it at (`vsv_model.split_bins`)."""
        return split_thresholds(self.booster)

    def tiers(self, probability: np.ndarray) -> np.ndarray:
        """The advised approach (capacity ranking) per probability; never a risk word."""
        return self.cutoffs.assign(probability)

    def tiers_of_rows(self, probability: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        """The advised approach per row, by the cut-offs of each row's kind (`kind` column; the stock's without)."""
        if "kind" not in frame:
            return self.tiers(probability)
        kinds, tiers = frame["kind"].to_numpy(dtype=object), np.empty(len(frame), dtype=object)
        for kind in pd.unique(kinds):
            rows = kinds == kind
            tiers[rows] = self.for_kind(kind).tiers(np.asarray(probability)[rows])
        return tiers

    def risk_categories(self, probability: np.ndarray) -> np.ndarray:
        """The risk category (low, medium, high) per probability, by the model's fixed probability cut-offs."""
        return self.categories.assign(probability)

    def predict_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """The chance of every row: each with its own kind's calibration when the frame has a `kind` column."""
        raw = self.raw_log_odds(encode_frame(frame))  # one thread, as before: the pyfunc may serve requests
        kinds = frame["kind"].to_numpy(dtype=object) if "kind" in frame else np.full(len(frame), STOCK_KIND, dtype=object)
        slope, intercept = np.empty(len(frame)), np.empty(len(frame))
        for kind in pd.unique(kinds):
            rows = kinds == kind
            calibration = self.for_kind(kind).calibration
            slope[rows], intercept[rows] = calibration.slope, calibration.intercept
        return sigmoid(slope * raw + intercept)

    @property
    def n_trees(self) -> int:
        return self.booster.num_trees()

    @cached_property
    def booster_sha256(self) -> str:
        """SHA-256 of the booster as saved (`model.txt`): with the run id, what identifies a model version."""
        return hashlib.sha256(self.booster.model_to_string().encode("utf-8")).hexdigest()

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / BOOSTER_FILE))
        meta = {"format_version": FORMAT_VERSION, "features": list(FEATURE_NAMES),
                "booster_sha256": file_sha256(directory / BOOSTER_FILE),
                "categories": {f.name: list(f.categories) for f in FEATURES if f.is_categorical},
                "calibration": asdict(self.calibration), "tiers": asdict(self.cutoffs), "info": self.info,
                "target_group": self.target_group.to_dict(), "risk_categories": self.categories.to_dict(),
                "kinds": {kind: settings.to_dict() for kind, settings in self.kinds.items()}}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path) -> RiskModel:
        """Load a saved model; refuses a damaged one (its checksum is checked before LightGBM parses it:
        LightGBM can crash the whole process on a truncated file) and one built for other features."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
            if meta.get("booster_sha256") != file_sha256(directory / BOOSTER_FILE):
                raise ValueError(f"{BOOSTER_FILE} does not match the checksum saved with it: the file is damaged or was changed")
            booster = lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ModelLoadError(f"cannot load the risk model from {directory}: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION or meta.get("features") != list(FEATURE_NAMES):
            raise ModelLoadError(f"the model in {directory} was built for another feature list or format")
        if booster.num_feature() != len(FEATURE_NAMES):
            raise ModelLoadError(f"the booster in {directory} expects {booster.num_feature()} features, not {len(FEATURE_NAMES)}")
        return cls(booster, Calibration(**meta["calibration"]), TierCutoffs(**meta["tiers"]), meta.get("info", {}),
                   TargetGroup.from_dict(meta.get("target_group")), RiskCategories.from_dict(meta.get("risk_categories")),
                   {kind: KindSettings.from_dict(values) for kind, values in meta.get("kinds", {}).items()})


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class ModelLoadError(RuntimeError):
    """The model artifact is missing, corrupt or built for other features."""
