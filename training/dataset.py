"""Training data: features and labels through `features/` (the code the service uses), and the splits.

Splits are by youth, never by row: the youths in the test set appear nowhere in
training. The test set is taken at the latest reference date.
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
from vsv_model.feature_spec import FEATURE_NAMES, LABEL
from vsv_model.quality import DataQuality
from vsv_model.reader import read_data_dir

TRUTH_FILE = "truth.csv"


class TrainingDataError(ValueError):
    """The data cannot train a model (empty, one outcome class, a feature with no values...)."""


@dataclass
class TrainingData:
    """All labelled rows with keys, features, label, audit columns (and p_true when known), plus the split."""

    frame: pd.DataFrame
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    latest_as_of: str
    quality: DataQuality
    data_digest: str
    unlabelled_rows: int

    def part(self, name: str) -> pd.DataFrame:
        return self.frame.iloc[getattr(self, name)]

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


def labelled_frame(data_dir: Path, as_of_dates: list[dt.date]) -> tuple[pd.DataFrame, DataQuality, int]:
    """Features, label and audit columns at each reference date; rows with unknown labels dropped."""
    data = read_data_dir(data_dir)
    events = events_from_dataset(data)
    table = concat_tables([build_feature_table(data, d, with_label=True, events=events) for d in sorted(as_of_dates)])
    frame = pd.concat([table.keys, table.features, table.label.to_frame(), table.audit], axis=1)
    known = frame[LABEL].notna()
    frame = frame.loc[known].reset_index(drop=True)
    frame[LABEL] = frame[LABEL].astype(np.int64)
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
    if frame[LABEL].nunique() < 2:
        raise TrainingDataError(f"every labelled youth has {LABEL} = {frame[LABEL].iloc[0]}: a model needs both outcomes")
    empty = [name for name in FEATURE_NAMES if frame[name].isna().all()]
    if empty:
        raise TrainingDataError(f"feature(s) without a single value: {', '.join(empty)}")


def split_by_youth(frame: pd.DataFrame, config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test: a share of the youths at the latest date (their rows there); train/valid: the other youths' rows."""
    rng = np.random.default_rng(config.seed)
    latest = frame["as_of"].max()
    at_latest = frame.loc[frame["as_of"] == latest, "youth_id"].unique()
    test_youths = rng.choice(np.sort(at_latest), size=max(1, round(len(at_latest) * config.test_share)), replace=False)
    is_test_youth = frame["youth_id"].isin(test_youths).to_numpy()
    test = np.flatnonzero(is_test_youth & (frame["as_of"] == latest).to_numpy())
    rest_youths = np.sort(frame.loc[~is_test_youth, "youth_id"].unique())
    valid_youths = rng.choice(rest_youths, size=max(1, round(len(rest_youths) * config.validation_share)), replace=False)
    is_valid = frame["youth_id"].isin(valid_youths).to_numpy()
    return np.flatnonzero(~is_test_youth & ~is_valid), np.flatnonzero(~is_test_youth & is_valid), test


def build_training_data(data_dir: Path, as_of_dates: list[dt.date], config: TrainConfig) -> TrainingData:
    frame, quality, unlabelled = labelled_frame(data_dir, as_of_dates)
    check_trainable(frame)
    train, valid, test = split_by_youth(frame, config)
    for name, rows in (("training", train), ("validation", valid), ("test", test)):
        if frame[LABEL].iloc[rows].nunique() < 2:
            raise TrainingDataError(f"the {name} split has only one outcome class: more labelled youths are needed")
    return TrainingData(frame, train, valid, test, frame["as_of"].max(), quality, digest_directory(data_dir), unlabelled)
