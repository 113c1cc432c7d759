"""Training data: features and labels through `features/` (the code the service uses), and the splits.

Splits are by youth, never by row, into four parts that share no youth: `train`
(boosting), `valid` (early stopping), `calib` (Platt calibration) and `test`. The
test set is taken at the latest reference date; the test youths' rows at earlier
dates are used nowhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_feature_table, concat_tables
from features.events import events_from_dataset
from training.config import TrainConfig
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.quality import DataQuality
from vsv_model.reader import read_data_dir
from vsv_model.target_group import TargetGroup

TRUTH_FILE = "truth.csv"
OUTCOME = "outcome"  # the target group's label (no_sq_by_23, or no_sq_by_27 after the law change) inside training
PARTS = ("train", "valid", "calib", "test")
PART_NAMES = {"train": "training", "valid": "early-stopping", "calib": "calibration", "test": "test"}


class TrainingDataError(ValueError):
    """The data cannot train a model (empty, one outcome class, a feature with no values...)."""


@dataclass
class TrainingData:
    """All labelled rows with keys, features, label, audit columns (and p_true when known), plus the split."""

    frame: pd.DataFrame
    train: np.ndarray
    valid: np.ndarray
    calib: np.ndarray
    test: np.ndarray
    latest_as_of: str
    quality: DataQuality
    data_digest: str
    unlabelled_rows: int
    group: TargetGroup

    def part(self, name: str) -> pd.DataFrame:
        return self.frame.iloc[getattr(self, name)]

    def development(self) -> pd.DataFrame:
        """Every row outside the test set that a model may learn from (train, valid and calib)."""
        return self.frame.iloc[np.sort(np.concatenate([self.train, self.valid, self.calib]))]

    def row_counts(self) -> dict[str, int]:
        return {"train_rows": len(self.train), "early_stopping_rows": len(self.valid),
                "calibration_rows": len(self.calib), "test_rows": len(self.test)}

    @property
    def has_truth(self) -> bool:
        return "p_true" in self.frame

    def population_at_latest(self) -> int:
        return int((self.frame["as_of"] == self.latest_as_of).sum())


def digest_directory(directory: Path) -> str:
    """sha256 over the data files (name and bytes), so a run records exactly what it saw."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(directory).iterdir() if p.suffix in (".csv", ".parquet")):
        digest.update(path.name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def labelled_frame(data_dir: Path, as_of_dates: list[dt.date], group: TargetGroup) -> tuple[pd.DataFrame, DataQuality, int]:
    """Features, label (as OUTCOME) and audit columns of `group` at each reference date; rows with unknown
    labels dropped."""
    data = read_data_dir(data_dir)
    events = events_from_dataset(data)
    tables = [build_feature_table(data, d, group=group, with_label=True, events=events) for d in sorted(as_of_dates)]
    table = concat_tables(tables)
    frame = pd.concat([table.keys, table.features, table.label.rename(OUTCOME).to_frame(), table.audit], axis=1)
    known = frame[OUTCOME].notna()
    frame = frame.loc[known].reset_index(drop=True)
    frame[OUTCOME] = frame[OUTCOME].astype(np.int64)
    return attach_truth(frame, Path(data_dir) / TRUTH_FILE), table.quality, int((~known).sum())


def attach_truth(frame: pd.DataFrame, truth_file: Path) -> pd.DataFrame:
    """Add p_true (synthetic data only) where the generator's truth covers the row."""
    if not truth_file.exists():
        return frame
    truth = pd.read_csv(truth_file, dtype={"youth_id": str, "as_of": str})[["youth_id", "as_of", "p_true"]]
    merged = frame.merge(truth, on=["youth_id", "as_of"], how="left")
    return merged if merged["p_true"].notna().any() else frame


def check_trainable(frame: pd.DataFrame) -> None:
    """Refuse data that cannot give a meaningful model, saying why."""
    if len(frame) == 0:
        raise TrainingDataError("no labelled in-scope youths at the given reference date(s): nothing to train on")
    if frame[OUTCOME].nunique() < 2:
        raise TrainingDataError(f"every labelled youth has the outcome {frame[OUTCOME].iloc[0]}: a model needs both outcomes")
    empty = [name for name in FEATURE_NAMES if frame[name].isna().all()]
    if empty:
        raise TrainingDataError(f"feature(s) without a single value: {', '.join(empty)}")


def split_by_youth(frame: pd.DataFrame, config: TrainConfig) -> dict[str, np.ndarray]:
    """Row positions per part (`PARTS`). Test: a share of the youths at the latest date, their rows there
    only; valid and calib: disjoint shares of the other youths; train: the rest of those youths."""
    rng = np.random.default_rng(config.seed)
    latest = frame["as_of"].max()
    at_latest = np.sort(frame.loc[frame["as_of"] == latest, "youth_id"].unique())
    test_youths = rng.choice(at_latest, size=max(1, round(len(at_latest) * config.test_share)), replace=False)
    is_test_youth = frame["youth_id"].isin(test_youths).to_numpy()
    rest = rng.permutation(np.sort(frame.loc[~is_test_youth, "youth_id"].unique()))
    n_valid = max(1, round(len(rest) * config.validation_share))
    n_calib = max(1, round(len(rest) * config.calibration_share))
    part = np.zeros(len(frame), dtype=np.int8)  # 0 train, 1 valid, 2 calib, 3 test, -1 unused
    part[frame["youth_id"].isin(rest[:n_valid]).to_numpy()] = 1
    part[frame["youth_id"].isin(rest[n_valid:n_valid + n_calib]).to_numpy()] = 2
    part[is_test_youth] = np.where(frame["as_of"].to_numpy()[is_test_youth] == latest, 3, -1)
    return {name: np.flatnonzero(part == code) for code, name in enumerate(PARTS)}


def build_training_data(data_dir: Path, as_of_dates: list[dt.date], config: TrainConfig) -> TrainingData:
    frame, quality, unlabelled = labelled_frame(data_dir, as_of_dates, config.target_group)
    check_trainable(frame)
    parts = split_by_youth(frame, config)
    for name, rows in parts.items():
        if frame[OUTCOME].iloc[rows].nunique() < 2:
            raise TrainingDataError(f"the {PART_NAMES[name]} split has only one outcome class: more labelled youths are needed")
    return TrainingData(frame, **parts, latest_as_of=frame["as_of"].max(), quality=quality,
                        data_digest=digest_directory(data_dir), unlabelled_rows=unlabelled, group=config.target_group)
