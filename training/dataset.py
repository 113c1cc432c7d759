"""Training data: features and labels through `features/` (the code the service uses), over time.

The temporal design. Features and labels are built at yearly reference dates (1 October) from
`temporal.first_date` up to a cut-off. Every youth belongs, by a keyed hash of its id, to the held-out group
(`temporal.test_share`) or not, the same in every training with the same `split_key`. The **test set** is the
held-out youths of the newest cohort whose whole outcome is known; none of their rows at earlier dates is used
anywhere, so no candidate ever sees them. The **fit set** is the other youths' labelled rows at the dates before
the test date (the label-maturity rule decides which rows count as labelled; its effect is printed per date). A
youth in scope at several dates is in one part only. The split uses nothing that happens after a row's date:
holding out "everyone still in scope at the test date" instead would drop, from the earlier dates, exactly the
youths who stay without a diploma, and the model would learn too low a risk. Within the fit set every youth has
one fold (a hash of its id and the seed): the cross-fitting folds give early stopping on other youths and the
out-of-fold predictions the calibration is fitted on. What defines the sets (data digest, dates, seed, rule) is recorded with the model, so
`vsv promote` can rebuild them from the data: no youth-level row is ever written to the tracking store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import FeatureTable, build_event_table, build_feature_table
from features.events import Events, events_from_dataset
from features.office_events import EventRules, office_events
from training.config import TrainConfig
from training.route_labels import adjust_fit
from training.route_weights import WeightSummary
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.progress import say
from vsv_model.quality import DataQuality
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.target_group import TargetGroup

TRUTH_FILE = "truth.csv"
EVENT_TRUTH_FILE = "truth_events.csv"  # the truth at each office event's day (synthetic data only)
STOCK = "stock"  # the kind of a yearly row: everyone of the target group on 1 October
OUTCOME = "outcome"  # the target group's label (no_sq_by_23, or no_sq_by_27 after the law change) inside training
REFERENCE_DAY = (10, 1)  # every reference date is the 1st of October


class TrainingDataError(ValueError):
    """The data cannot train a model (empty, one outcome class, a feature with no values...)."""


@dataclass
class TrainingData:
    """The labelled rows of the fit and test sets (keys, features, outcome, audit columns, p_true when known), the
    fold of every fit row, the youths of the newest date in the data (the year ahead, unlabelled), and what
    defines it all."""

    frame: pd.DataFrame
    fit: np.ndarray
    test: np.ndarray
    folds: np.ndarray  # per row of `frame`; -1 for test rows
    current: pd.DataFrame
    maturity: pd.DataFrame
    definition: dict
    quality: DataQuality
    group: TargetGroup
    extra: dict = field(default_factory=dict)
    held_out_earlier: pd.DataFrame | None = None  # the held-out youths' labelled rows before the test date
    event_test: np.ndarray | None = None  # rows of `frame`: the held-out youths' events up to the test year's end
    recent_events: pd.DataFrame | None = None  # the events of the data's last year, as of their days (cut-offs)
    weights: np.ndarray | None = None  # per fit row: the route adjustment's weight (route_weights/route_labels); None: 1
    labels: np.ndarray | None = None  # per fit row: what the booster learns (route_labels: the label under the letter,
                                      # in [0, 1]); None: the outcome
    route_summary: WeightSummary | None = None  # what the route adjustment did (aggregates)

    def part(self, name: str) -> pd.DataFrame:
        rows = getattr(self, name)
        return self.frame.iloc[rows if rows is not None else []]

    def audit_rows(self) -> pd.DataFrame:
        """Every labelled row of the held-out youths, the test cohort and the dates before it: never fitted on, so
        the calibration audit may pool them for power (a youth at several dates is one cluster there)."""
        earlier = self.held_out_earlier if self.held_out_earlier is not None else self.frame.iloc[:0]
        return pd.concat([earlier, self.part("test"), self.part("event_test")], ignore_index=True)

    def row_counts(self) -> dict[str, int]:
        fit, test = self.part("fit"), self.part("test")
        counts = {"fit_rows": len(fit), "fit_youths": int(fit["youth_id"].nunique()), "calibration_rows": len(fit),
                  "test_rows": len(test), "current_rows": len(self.current)}
        kinds = fit["kind"].value_counts() if "kind" in fit else pd.Series(dtype=int)
        events = self.part("event_test")["kind"].value_counts() if "kind" in fit else pd.Series(dtype=int)
        return counts | {f"fit_rows_{k}": int(n) for k, n in kinds.items()} | {f"test_rows_{k}": int(n) for k, n in events.items()}

    @property
    def has_truth(self) -> bool:
        return "p_true" in self.frame and self.frame["p_true"].notna().any()

    @property
    def test_date(self) -> str:
        return self.definition["test_date"]


def digest_directory(directory: Path) -> str:
    """sha256 over the data files (name and bytes), so a run records exactly what it saw."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(directory).iterdir() if p.suffix in (".csv", ".parquet")):
        digest.update(path.name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def yearly_dates(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every 1 October from `first` up to and including `last`."""
    month, day = REFERENCE_DAY
    return [dt.date(year, month, day) for year in range(first.year, last.year + 1)
            if first <= dt.date(year, month, day) <= last]


def labelled_tables(data: DataSet, dates: list[dt.date], group: TargetGroup, end: dt.date,
                    events: Events | None = None) -> list[FeatureTable]:
    events = events if events is not None else events_from_dataset(data)
    tables = []
    for number, day in enumerate(dates, start=1):
        tables.append(build_feature_table(data, day, group=group, with_label=True, end_date=end, events=events))
        say(f"features and outcomes at {day} ({number} of {len(dates)}): {len(tables[-1]):,} youths in the target group")
    return tables


def frame_of(table: FeatureTable) -> pd.DataFrame:
    """One date's rows (or the events' rows): keys, the kind of row, features, the outcome (NaN where unknown) and
    the audit columns."""
    keys = table.keys if "kind" in table.keys else table.keys.assign(kind=STOCK, report_id=None)
    parts = [keys, table.features] + ([table.label.rename(OUTCOME).to_frame()] if table.label is not None else [])
    return pd.concat([*parts, table.audit], axis=1)


def event_rules(group: TargetGroup) -> EventRules:
    """The office's events for the target group's ages."""
    return EventRules(min_age=group.min_age, max_age=group.max_age)


def event_rows(data: DataSet, first: dt.date, end: dt.date, kinds: tuple[str, ...], group: TargetGroup, events,
               with_label: bool = True) -> pd.DataFrame:
    """Every event of `kinds` (the model's: `temporal.event_kinds`) dated from `first` to `end`, each as of its own
    day, with its outcome."""
    if not kinds:
        return pd.DataFrame()
    office = office_events(data, first, end, event_rules(group))
    office = office[office["kind"].isin(kinds)].reset_index(drop=True)
    table = build_event_table(data, office, group=group, with_label=with_label, end_date=end, events=events)
    say(f"features and outcomes as of each event's day, {first} to {end}: " + ", ".join(
        f"{n:,} {kind}" for kind, n in table.keys["kind"].value_counts().sort_index().items()))
    return frame_of(table)


def split_events(frame: pd.DataFrame, test_date: dt.date, split_key: str, test_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events' fit rows (the other youths' events dated before the test date) and the held-out youths' events
    up to the end of the test year (the next 1 October): never fitted on, pooled over the years for power, as the
    calibration audit pools the held-out youths' rows. Only rows whose outcome is known."""
    if frame.empty:
        return frame, frame
    frame = frame[frame[OUTCOME].notna()]
    day = pd.to_datetime(frame["as_of"].astype(str)).dt.date
    test_end = dt.date(test_date.year + 1, *REFERENCE_DAY)
    hold = hashed(frame["youth_id"], f"split-{split_key}") < test_share  # the held-out group (`held_out`)
    return frame[(day < test_date).to_numpy() & ~hold], frame[(day < test_end).to_numpy() & hold]


def maturity_table(frames: list[pd.DataFrame], dates: list[dt.date], test_date: dt.date, rule: str) -> pd.DataFrame:
    """Per date: youths of the target group, how many have a known outcome, how many are dropped for it, the role."""
    rows = []
    for day, frame in zip(dates, frames, strict=True):
        known = int(frame[OUTCOME].notna().sum())
        used = known if rule == "known" or known == len(frame) else 0
        role = "test" if day == test_date else ("fit" if day < test_date else "not used (after the test date)")
        rows.append({"as_of": day.isoformat(), "in_scope": len(frame), "outcome_known": known,
                     "dropped_outcome_unknown": len(frame) - used if day <= test_date else len(frame), "role": role})
    return pd.DataFrame(rows)


def newest_complete(frames: list[pd.DataFrame], dates: list[dt.date]) -> dt.date:
    complete = [d for d, f in zip(dates, frames, strict=True) if len(f) and f[OUTCOME].notna().all()]
    if not complete:
        raise TrainingDataError("no reference date has its whole cohort's outcome known: there is no test cohort "
                                "(the outcome is known once the youngest youth's outcome birthday has passed)")
    return max(complete)


def hashed(youth_ids: pd.Series, key: str) -> np.ndarray:
    """A keyed hash of each id, uniform in [0, 1): stable, the same at every date, and needing no list of youths."""
    digest_key = hashlib.sha256(key.encode()).hexdigest()[:16]
    return pd.util.hash_array(youth_ids.to_numpy(dtype=object), hash_key=digest_key) / np.float64(2**64)


def held_out(youth_ids: pd.Series, config: TrainConfig) -> np.ndarray:
    """True for the youths of the held-out (test) group."""
    return hashed(youth_ids, f"split-{config.temporal.split_key}") < config.temporal.test_share


def folds_of(youth_ids: pd.Series, seed: int, folds: int) -> np.ndarray:
    """Each fit youth's cross-fitting fold, the same at every date."""
    return np.minimum((hashed(youth_ids, f"folds-{seed}") * folds).astype(np.int64), folds - 1)


def youth_digest(youth_ids: pd.Series) -> str:
    """Identifies a set of youths without listing them (sha256 over the sorted distinct ids)."""
    return hashlib.sha256("\n".join(sorted(set(youth_ids))).encode()).hexdigest()


def current_date(end: dt.date) -> dt.date:
    """The reference date a population ending on `end` is scored at: the newest 1 October up to the day after."""
    return yearly_dates(dt.date(end.year - 1, 1, 1), end + dt.timedelta(days=1))[-1]


def attach_truth(frame: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """Add p_true (synthetic data only) where the generator's truth covers the row, keeping the rows' order:
    `truth.csv` for the yearly rows, `truth_events.csv` (the truth at each event's day) for the events' rows."""
    p_true = np.full(len(frame), np.nan)
    stock = (frame["kind"] == STOCK).to_numpy() if "kind" in frame else np.ones(len(frame), bool)
    for rows, path, columns in ((stock, Path(data_dir) / TRUTH_FILE, ["youth_id", "as_of"]),
                                (~stock, Path(data_dir) / EVENT_TRUTH_FILE, ["youth_id", "as_of", "kind"])):
        if not (path.exists() and rows.any()):
            continue
        truth = pd.read_csv(path, dtype={"youth_id": str, "as_of": str, "event_date": str, "kind": str})
        truth = truth.rename(columns={"event_date": "as_of"})[[*columns, "p_true"]].drop_duplicates(columns)
        part = frame.loc[rows, columns].astype({"as_of": str}).merge(truth, on=columns, how="left")  # keeps the order
        p_true[rows] = part["p_true"].to_numpy(dtype=float)
    return frame.assign(p_true=p_true) if np.isfinite(p_true).any() else frame


def check_trainable(frame: pd.DataFrame, what: str) -> None:
    """Refuse data that cannot give a meaningful model, saying why."""
    if len(frame) == 0:
        raise TrainingDataError(f"no labelled youths of the target group in the {what}: nothing to train on")
    if frame[OUTCOME].nunique() < 2:
        raise TrainingDataError(f"every labelled youth in the {what} has the outcome {frame[OUTCOME].iloc[0]}: "
                                "a model needs both outcomes")
    empty = [name for name in FEATURE_NAMES if frame[name].isna().all()]
    if empty:
        raise TrainingDataError(f"feature(s) without a single value in the {what}: {', '.join(empty)}")


def build_training_data(data_dir: Path | None, as_of_dates: list[dt.date] | None, config: TrainConfig,
                        data: DataSet | None = None, hold_out_test: bool = True,
                        cases: pd.DataFrame | None = None) -> TrainingData:
    """The fit and test sets of the temporal design (see the module docstring). `data` replaces reading
    `data_dir`, and `hold_out_test=False` fits on every labelled row: a backtest trains on what was known at its
    origin and is judged on the cohorts after it. The fit rows get the route adjustment's weights (`[training]`):
    from `data_dir`'s office_cases.csv, or from `cases` when given (the backtest's cases known at its origin)."""
    data = data if data is not None else read_data_dir(data_dir)
    end = data_end_of(data, config) if hold_out_test else data.end_date()
    dates = sorted(as_of_dates) if as_of_dates else yearly_dates(dt.date.fromisoformat(config.temporal.first_date), end)
    events = events_from_dataset(data)  # the arrays every builder below reads, made once
    tables = labelled_tables(data, dates, config.target_group, end, events)
    frames = [frame_of(t) for t in tables]
    test_date = test_date_of(frames, dates, config) if hold_out_test else dates[-1] + dt.timedelta(days=1)
    maturity = maturity_table(frames, dates, test_date, config.temporal.label_maturity)
    cohort = frames[dates.index(test_date)] if hold_out_test else frames[0].iloc[:0]
    test = cohort[held_out(cohort["youth_id"], config)].dropna(subset=[OUTCOME])
    fit = fit_rows(frames, dates, test_date, config if hold_out_test else None, config.temporal.label_maturity)
    earlier = held_out_rows(frames, dates, test_date, config, config.temporal.label_maturity) if hold_out_test else None
    first_event = dt.date.fromisoformat(config.temporal.first_date)
    split = test_date if hold_out_test else end + dt.timedelta(days=1)
    kinds = config.temporal.event_kinds
    event_fit, event_test = split_events(event_rows(data, first_event, end, kinds, config.target_group, events), split,
                                         config.temporal.split_key, config.temporal.test_share)
    fit = pd.concat([fit, event_fit], ignore_index=True)
    check_trainable(fit, "fit set (dates before the test date)")
    if hold_out_test:
        check_trainable(test, f"test cohort ({test_date})")
    frame = pd.concat([fit, test, event_test], ignore_index=True)
    frame[OUTCOME] = frame[OUTCOME].astype(np.int64)
    frame = attach_truth(frame, data_dir) if data_dir is not None else frame
    n_fit, n_test = len(fit), len(test)
    fit_folds = folds_of(fit["youth_id"], config.seed, config.temporal.folds)
    folds = np.r_[fit_folds, np.full(n_test + len(event_test), -1)]
    weights, labels, summary = adjust_fit(frame.iloc[:n_fit], OUTCOME, fit_folds, config, data_dir, cases, end)
    definition = {"data_digest": digest_directory(data_dir) if data_dir is not None else "", "data_dir": str(data_dir),
                  "data_end": end.isoformat(), "fit_dates": [d.isoformat() for d in dates if d < test_date],
                  "test_date": test_date.isoformat() if hold_out_test else "", "label_maturity": config.temporal.label_maturity,
                  "seed": config.seed, "folds": config.temporal.folds, "target_group": config.target_group.to_dict(),
                  "split_key": config.temporal.split_key, "test_share": config.temporal.test_share,
                  "fit_youths_digest": youth_digest(fit["youth_id"]), "test_youths_digest": youth_digest(test["youth_id"]),
                  "fit_youths": int(fit["youth_id"].nunique()), "test_youths": len(test),
                  "event_kinds": list(kinds), "event_first_date": first_event.isoformat(), "event_test_rows": len(event_test),
                  "event_test_youths_digest": youth_digest(event_test["youth_id"]) if len(event_test) else ""}
    definition["route_adjustment"] = summary.method
    recent = event_rows(data, end - dt.timedelta(days=364), end, kinds, config.target_group, events, with_label=False)
    return TrainingData(frame, np.arange(n_fit), np.arange(n_fit, n_fit + n_test), folds, current_population(data, end, config, events),
                        maturity, definition, tables[-1].quality, config.target_group,
                        held_out_earlier=labelled_with_truth(earlier, data_dir),
                        event_test=np.arange(n_fit + n_test, len(frame)), recent_events=recent, weights=weights,
                        labels=labels, route_summary=summary)


def labelled_with_truth(frame: pd.DataFrame | None, data_dir: Path | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    frame = frame.assign(**{OUTCOME: frame[OUTCOME].astype(np.int64)}).reset_index(drop=True)
    return attach_truth(frame, data_dir) if data_dir is not None else frame


def data_end_of(data: DataSet, config: TrainConfig) -> dt.date:
    """The last day the data covers: `temporal.data_end` when set (the registrations of the last days may be
    few), else the newest date in the data."""
    return dt.date.fromisoformat(config.temporal.data_end) if config.temporal.data_end else data.end_date()


def test_date_of(frames: list[pd.DataFrame], dates: list[dt.date], config: TrainConfig) -> dt.date:
    """The configured test date, else the newest date whose whole cohort's outcome is known."""
    day = dt.date.fromisoformat(config.temporal.test_date) if config.temporal.test_date else newest_complete(frames, dates)
    if day not in dates:
        raise TrainingDataError(f"the test date {day} is not one of the reference dates {', '.join(map(str, dates))}")
    return day


def fit_rows(frames: list[pd.DataFrame], dates: list[dt.date], test_date: dt.date, split: TrainConfig | None,
             rule: str) -> pd.DataFrame:
    """The labelled rows before the test date of the youths outside the held-out group (all youths when `split`
    is None: nothing held out), by the label-maturity rule."""
    kept = []
    for day, frame in zip(dates, frames, strict=True):
        if day >= test_date or (rule == "complete" and frame[OUTCOME].isna().any()):
            continue
        outside = ~held_out(frame["youth_id"], split) if split is not None else np.ones(len(frame), bool)
        kept.append(frame[frame[OUTCOME].notna() & outside])
    return pd.concat(kept, ignore_index=True) if kept else frames[0].iloc[:0]


def held_out_rows(frames: list[pd.DataFrame], dates: list[dt.date], test_date: dt.date, split: TrainConfig,
                  rule: str) -> pd.DataFrame:
    """The held-out youths' labelled rows before the test date, by the label-maturity rule: the fit never sees them."""
    kept = [frame[frame[OUTCOME].notna() & held_out(frame["youth_id"], split)]
            for day, frame in zip(dates, frames, strict=True)
            if day < test_date and not (rule == "complete" and frame[OUTCOME].isna().any())]
    return pd.concat(kept, ignore_index=True) if kept else frames[0].iloc[:0]


def current_population(data: DataSet, end: dt.date, config: TrainConfig, events: Events | None = None) -> pd.DataFrame:
    """The target group on the newest 1 October up to the day after the data's end (data ending on 30 September is
    scored on 1 October): the year the model will serve (cut-offs, stability)."""
    newest = current_date(end)
    table = build_feature_table(data, newest, group=config.target_group, events=events)
    return pd.concat([table.keys, table.features, table.audit], axis=1)
