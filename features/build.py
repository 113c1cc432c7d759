"""Orchestration: from a data directory's tables to one feature row per in-scope youth at a reference date."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import absence, diplomas, enrolment
from features.events import Events, events_from_dataset, per_youth
from features.group_exit import group_exit_frame
from features.labels import no_startkwalificatie_by
from features.scope import SCOPE_REASONS, scope_reasons
from vsv_model.dates import completed_years, day_of, to_days
from vsv_model.feature_spec import AUDIT_COLUMNS, FEATURE_NAMES, FEATURES
from vsv_model.quality import DataQuality
from vsv_model.reader import DataSet
from vsv_model.target_group import CURRENT_LAW, TargetGroup


@dataclass
class FeatureTable:
    """Rows keyed by (youth_id, as_of) of the youths in `group`: the model's features, the audit-only columns
    beside them (never inside), the label when asked for, and the data-quality summary of the run."""

    keys: pd.DataFrame
    features: pd.DataFrame
    audit: pd.DataFrame
    label: pd.Series | None
    quality: DataQuality
    group: TargetGroup = CURRENT_LAW
    group_exit: pd.DataFrame | None = None  # when each youth leaves the group after as_of (features/group_exit.py)

    def to_frame(self, with_label: bool = False) -> pd.DataFrame:
        """The output layout: youth_id, as_of, the features in contract order, then the label."""
        parts = [self.keys, self.features]
        if with_label and self.label is not None:
            parts.append(self.label.to_frame())
        return pd.concat(parts, axis=1)

    def __len__(self) -> int:
        return len(self.keys)


def compute_features(ev_as_of: Events, as_of_day) -> dict[str, np.ndarray]:
    """Every feature for every youth in `ev_as_of` (already cut at the reference date), as arrays.

    `as_of_day` is one day for everyone or one day per youth; categoricals come back as codes.
    """
    as_of_day = per_youth(as_of_day, ev_as_of.n_youths)
    arrays = {"age": completed_years(ev_as_of.birth_day, as_of_day)}
    arrays |= enrolment.school_location(ev_as_of)
    arrays |= diplomas.last_diploma(ev_as_of)
    arrays |= enrolment.school_switches(ev_as_of, as_of_day)
    arrays |= enrolment.current_enrolment(ev_as_of, as_of_day)
    arrays |= absence.absence_hours(ev_as_of, as_of_day)
    arrays |= absence.report_counts(ev_as_of, as_of_day)
    arrays |= absence.report_recency(ev_as_of, as_of_day)
    arrays |= enrolment.dropout_episodes(ev_as_of, as_of_day)
    arrays |= enrolment.vo_mbo_transition(ev_as_of, as_of_day)
    return {name: arrays[name] for name in FEATURE_NAMES}


def feature_frame(arrays: dict[str, np.ndarray], rows: np.ndarray | slice = slice(None)) -> pd.DataFrame:
    """Feature arrays to a frame with each feature's dtype; categoricals keep their fixed categories."""
    columns = {}
    for spec in FEATURES:
        values = arrays[spec.name][rows]
        if spec.is_categorical:
            columns[spec.name] = pd.Categorical.from_codes(values, categories=list(spec.categories))
        elif spec.kind == "number":
            columns[spec.name] = values.astype(float)
        else:
            columns[spec.name] = values.astype(np.int64)
    return pd.DataFrame(columns)


def build_feature_table(
    data: DataSet,
    as_of: dt.date,
    *,
    group: TargetGroup = CURRENT_LAW,
    with_label: bool = False,
    end_date: dt.date | None = None,
    events: Events | None = None,
) -> FeatureTable:
    """Features (and optionally labels) for the youths of `group` at `as_of`.

    Pass `events` to reuse the arrays across several reference dates.
    """
    events = events if events is not None else events_from_dataset(data)
    as_of_day = day_of(as_of)
    cut = events.as_of(as_of_day)
    reasons = scope_reasons(cut, as_of_day, group)
    rows = np.flatnonzero(pd.isna(reasons))
    quality = summarise_quality(data.quality, events, cut, reasons, as_of)
    label = None
    if with_label:
        end_day = day_of(end_date or data.end_date())
        label = pd.Series(no_startkwalificatie_by(events, end_day, group.outcome_age)[rows], name=group.label)
    return FeatureTable(
        keys=pd.DataFrame({"youth_id": events.youth_ids[rows], "as_of": pd.Series([as_of.isoformat()] * len(rows), dtype="string")}),
        features=feature_frame(compute_features(cut.take_youths(rows), as_of_day)),
        audit=audit_frame(data, rows),
        label=label,
        quality=quality,
        group=group,
        group_exit=group_exit_frame(events, rows, as_of_day, group),
    )


def build_event_table(
    data: DataSet,
    office: pd.DataFrame,
    *,
    group: TargetGroup = CURRENT_LAW,
    with_label: bool = False,
    end_date: dt.date | None = None,
    events: Events | None = None,
) -> FeatureTable:
    """Features (and optionally labels) of every event in `office` (`features.office_events`: youth_id,
    event_date, kind, report_id), each as of its own day: a youth with several events gives one row per event,
    and each row sees only the records dated on or before its day. Rows keep the order of `office`; the keys carry
    the event's `kind` and `report_id` beside youth_id and as_of, and `group_exit` when each youth leaves the group
    after its event's day. An event of a youth outside the group on its day (not possible for events `office_events`
    derived with the group's ages) is left out, and counted as `event_out_of_scope`."""
    events = events if events is not None else events_from_dataset(data)
    position = pd.Series(np.arange(events.n_youths), index=pd.Index(events.youth_ids))
    youths = position.reindex(office["youth_id"].to_numpy()).to_numpy()
    if np.isnan(youths).any():
        raise ValueError("events of youths that are not in the youths table: " + ", ".join(
            map(str, office["youth_id"][np.isnan(youths)].unique()[:5])))
    youths = youths.astype(np.int64)
    days = to_days(pd.to_datetime(office["event_date"]).to_numpy())
    copies = events.take_rows(youths)
    cut = copies.as_of(days)
    rows = np.flatnonzero(pd.isna(scope_reasons(cut, days, group)))
    cut = cut.take_youths(rows)
    label = None
    if with_label:
        end_day = day_of(end_date or data.end_date())
        label = pd.Series(no_startkwalificatie_by(copies.take_youths(rows), end_day, group.outcome_age), name=group.label)
    as_of = pd.Series(np.datetime_as_string(pd.to_datetime(office["event_date"]).to_numpy()[rows], unit="D"), dtype="string")
    keys = pd.DataFrame({"youth_id": events.youth_ids[youths[rows]], "as_of": as_of,
                         "kind": office["kind"].to_numpy(dtype=object)[rows],
                         "report_id": office["report_id"].to_numpy(dtype=object)[rows]})
    quality = copy.deepcopy(data.quality)
    quality.out_of_scope = {"event_out_of_scope": len(office) - len(rows)}
    quality.in_scope = len(rows)
    return FeatureTable(keys=keys, features=feature_frame(compute_features(cut, days[rows])),
                        audit=audit_frame(data, youths[rows]), label=label, quality=quality, group=group,
                        group_exit=group_exit_frame(copies, rows, days, group))


def audit_frame(data: DataSet, rows: np.ndarray) -> pd.DataFrame:
    return data.youths.iloc[rows][list(AUDIT_COLUMNS)].reset_index(drop=True)


def summarise_quality(read_quality: DataQuality, events: Events, cut: Events, reasons: np.ndarray, as_of: dt.date) -> DataQuality:
    """The reader's counts plus what this reference date ignored and left out of scope."""
    quality = copy.deepcopy(read_quality)
    quality.as_of = as_of.isoformat()
    quality.records_after_as_of = {
        "enrollments": len(events.enr_youth) - len(cut.enr_youth),
        "diplomas": len(events.dip_youth) - len(cut.dip_youth),
        "absence_reports": len(events.rep_youth) - len(cut.rep_youth),
    }
    quality.out_of_scope = {reason: int((reasons == reason).sum()) for reason in SCOPE_REASONS}
    quality.in_scope = int(pd.isna(reasons).sum())
    return quality


def concat_tables(tables: list[FeatureTable]) -> FeatureTable:
    """Several reference dates into one table (quality of the latest date)."""
    label = None if tables[0].label is None else pd.concat([t.label for t in tables], ignore_index=True)
    return FeatureTable(
        keys=pd.concat([t.keys for t in tables], ignore_index=True),
        features=pd.concat([t.features for t in tables], ignore_index=True),
        audit=pd.concat([t.audit for t in tables], ignore_index=True),
        label=label,
        quality=tables[-1].quality,
        group=tables[-1].group,
        group_exit=None if any(t.group_exit is None for t in tables) else pd.concat([t.group_exit for t in tables], ignore_index=True),
    )
