"""Champion against challenger, cleanly: on youths neither has seen in any fitting role, paired, with intervals;
and how much the list an officer works from would change.

The comparison set is rebuilt from the data by the challenger's recorded definition (data digest, test date,
target group, split) and the champion's (its fit dates and split): the challenger's test youths, minus every
youth the champion could have fitted on (in scope at one of its fit dates and outside its held-out group). With
the same split key, which is the default, that is none of them: the held-out group is never fitted on. No
youth-level row is kept in the tracking store; the set is identified by its digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_feature_table
from features.events import events_from_dataset
from training.bootstrap import auc_of, interval
from training.dataset import (
    OUTCOME,
    current_date,
    digest_directory,
    event_rows,
    frame_of,
    hashed,
    split_events,
    youth_digest,
)
from training.kind_evaluation import kind_figures, youth_counts
from vsv_model.explanations import explain_rows, reason_columns
from vsv_model.policy import TIERS
from vsv_model.reader import DataSet, read_data_dir
from vsv_model.risk_model import RiskModel, encode_frame
from vsv_model.target_group import TargetGroup


class ComparisonError(ValueError):
    """The comparison set cannot be rebuilt (the data changed, or the definition is missing)."""


@dataclass
class ComparisonData:
    data: DataSet
    test: pd.DataFrame  # the challenger's test cohort, labelled
    clean: np.ndarray  # rows of `test` the champion never fitted on
    current: pd.DataFrame  # the target group at the data's newest 1 October
    audit_rows: pd.DataFrame | None = None  # the challenger's held-out youths' labelled rows of every date up to the test
    event_test: pd.DataFrame | None = None  # the challenger's held-out youths' events, each as of its day, labelled


def load_comparison_data(challenger: RiskModel, champion: RiskModel | None, data_dir: Path | None) -> ComparisonData:
    """Read the challenger's data (checked against its digest) and rebuild its test cohort and the clean rows."""
    definition = challenger.info.get("definition")
    if not definition:
        raise ComparisonError("the challenger records no training definition: train it again with this version of vsv")
    directory = Path(data_dir or definition["data_dir"])
    if not directory.is_dir():
        raise ComparisonError(f"the challenger's data directory {directory} is not there: pass --data to a copy of it")
    if digest_directory(directory) != definition["data_digest"]:
        raise ComparisonError(f"the data in {directory} is not the data the challenger was trained on (its digest differs)")
    data = read_data_dir(directory)
    group = TargetGroup.from_dict(definition["target_group"])
    test = test_cohort(data, dt.date.fromisoformat(definition["test_date"]), group, definition)
    if youth_digest(test["youth_id"]) != definition["test_youths_digest"]:
        raise ComparisonError("the rebuilt test cohort is not the one the challenger was evaluated on")
    seen = fitted_youths(data, champion, group) if champion is not None else set()
    clean = np.flatnonzero(~test["youth_id"].isin(seen).to_numpy())
    current_day = dt.date.fromisoformat(definition["data_end"])
    events = held_out_events(data, group, definition)
    return ComparisonData(data, test, clean, current_cohort(data, current_day, group),
                          pd.concat([*held_out_earlier(data, group, definition), test, events], ignore_index=True), events)


def held_out_events(data: DataSet, group: TargetGroup, definition: dict) -> pd.DataFrame:
    """The challenger's held-out youths' events up to the end of its test year, each as of its day, labelled (as
    `training.dataset.split_events` made them); empty for a model trained on the yearly stock alone."""
    kinds = tuple(definition.get("event_kinds", ()))
    if not kinds:
        return pd.DataFrame()
    end = dt.date.fromisoformat(definition["data_end"])
    frame = event_rows(data, dt.date.fromisoformat(definition["event_first_date"]), end, kinds, group, events_from_dataset(data))
    _, test = split_events(frame, dt.date.fromisoformat(definition["test_date"]), definition["split_key"], definition["test_share"])
    if len(test) and youth_digest(test["youth_id"]) != definition.get("event_test_youths_digest"):
        raise ComparisonError("the rebuilt held-out events are not the ones the challenger was evaluated on")
    return test.assign(**{OUTCOME: test[OUTCOME].astype(np.int64)}).reset_index(drop=True)


def kind_comparison(challenger: RiskModel, champion: RiskModel | None, events: pd.DataFrame | None, samples: int) -> pd.DataFrame:
    """Per kind of event, on the challenger's held-out events: its AUC, ECE and observed/expected with intervals,
    the champion's on the same rows (with its own calibration for that kind, or its only one) and the paired AUC
    difference."""
    if events is None or events.empty:
        return pd.DataFrame()
    rows = []
    for kind, frame in events.groupby("kind", sort=False):
        if frame[OUTCOME].nunique() < 2:
            continue
        row = {k: v for k, v in kind_figures(challenger, frame, kind, samples, 0).items()
               if k.split("_")[0] in ("kind", "rows", "youths", "roc", "ece", "observed")}
        if champion is not None:
            old = kind_figures(champion, frame, kind, samples, 0)
            y = frame[OUTCOME].to_numpy(dtype=np.float64)
            counts = youth_counts(frame["youth_id"], samples, 0)
            new_p, old_p = challenger.predict_frame(frame), champion.predict_frame(frame)
            low, high = interval(auc_of(y, new_p, counts) - auc_of(y, old_p, counts), 0.95)
            row |= {"champion_roc_auc": old["roc_auc"], "champion_ece": old["ece"],
                    "champion_observed_expected": old["observed_expected"],
                    "auc_difference": row["roc_auc"] - old["roc_auc"], "auc_difference_low": low, "auc_difference_high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def held_out_earlier(data: DataSet, group: TargetGroup, definition: dict) -> list[pd.DataFrame]:
    """The challenger's held-out youths at its fit dates, labelled (none was fitted on), by its maturity rule."""
    events, complete = events_from_dataset(data), definition.get("label_maturity") == "complete"
    return [test_cohort(data, dt.date.fromisoformat(day), group, definition, complete, events)
            for day in definition["fit_dates"]]


def test_cohort(data: DataSet, day: dt.date, group: TargetGroup, definition: dict, complete: bool = False,
                events=None) -> pd.DataFrame:
    """The challenger's held-out youths of the cohort at `day`, labelled (with `complete`: none unless all are)."""
    end = dt.date.fromisoformat(definition["data_end"])
    events = events if events is not None else events_from_dataset(data)
    table = build_feature_table(data, day, group=group, with_label=True, end_date=end, events=events)
    frame = frame_of(table)
    frame = frame.iloc[:0] if complete and frame[OUTCOME].isna().any() else frame.dropna(subset=[OUTCOME])
    frame = frame[hashed(frame["youth_id"], f"split-{definition['split_key']}") < definition["test_share"]]
    return frame.assign(**{OUTCOME: frame[OUTCOME].astype(np.int64)}).reset_index(drop=True)


def fitted_youths(data: DataSet, champion: RiskModel, group: TargetGroup) -> set:
    """Every youth the champion could have fitted on: in scope at one of its fit dates, outside its held-out group
    (a model without a recorded split is taken to have fitted on everyone it saw)."""
    definition = champion.info.get("definition") or {}
    dates = [dt.date.fromisoformat(d) for d in definition.get("fit_dates", champion.info.get("as_of_dates", []))]
    events = events_from_dataset(data)
    seen = pd.concat([build_feature_table(data, day, group=group, events=events).keys["youth_id"] for day in dates]
                     ) if dates else pd.Series([], dtype=object)
    if "split_key" in definition:
        seen = seen[hashed(seen, f"split-{definition['split_key']}") >= definition["test_share"]]
    return set(seen)


def current_cohort(data: DataSet, end: dt.date, group: TargetGroup) -> pd.DataFrame:
    table = build_feature_table(data, current_date(end), group=group)
    return pd.concat([table.keys, table.features], axis=1)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def stability(champion: RiskModel, challenger: RiskModel, current: pd.DataFrame) -> dict:
    """How the list would change on the current population: overlap of the high tier and of high plus medium,
    the tier transition matrix, the share whose advised route changes, the share whose top reason changes; with the
    counts each share is made of, for its interval (`training.promote`)."""
    matrix = encode_frame(current)
    old, new = explain_for(champion, matrix), explain_for(challenger, matrix)
    old_tier, new_tier = old["tier"], new["tier"]
    transitions = pd.crosstab(pd.Categorical(old_tier, TIERS), pd.Categorical(new_tier, TIERS), dropna=False)
    high, listed = (old_tier == "high", new_tier == "high"), (old_tier != "low", new_tier != "low")
    return {
        "youths": len(current),
        "high_both": int((high[0] & high[1]).sum()), "high_either": int((high[0] | high[1]).sum()),
        "high_medium_both": int((listed[0] & listed[1]).sum()), "high_medium_either": int((listed[0] | listed[1]).sum()),
        "route_changes": int((old_tier != new_tier).sum()), "top_reason_changes": int((old["top"] != new["top"]).sum()),
        "jaccard_high": jaccard(old_tier == "high", new_tier == "high"),
        "jaccard_high_medium": jaccard(old_tier != "low", new_tier != "low"),
        "route_change_share": float((old_tier != new_tier).mean()) if len(current) else 0.0,
        "top_reason_change_share": float((old["top"] != new["top"]).mean()) if len(current) else 0.0,
        "transitions": {f"{a}->{b}": int(transitions.loc[a, b]) for a in TIERS for b in TIERS},
    }


def explain_for(model: RiskModel, matrix: np.ndarray) -> dict[str, np.ndarray]:
    contributions, _ = model.contributions(matrix, num_threads=2)
    probability = model.probability(matrix, num_threads=2)
    top = reason_columns(explain_rows(matrix, contributions), k=1)["reason_1_concept"]
    return {"tier": model.tiers(probability), "top": pd.Series(top).to_numpy(dtype=object, na_value=None)}
