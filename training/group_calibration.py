"""Calibration per group as a log-odds offset with its interval, and the gate that judges the interval.

For each audited group the offset delta in logit(P(y = 1)) = logit(p) + delta is fitted on the group's rows: a
one-parameter logistic regression with the model's log-odds as offset (Newton steps, every group at once). A
positive delta means the model underestimates the group's risk. Unlike an observed/expected ratio, the offset can
grow for a group whose outcome rate is already high, and it is on the scale the model works on.

The interval is Wald's, delta +- z * se, with se from the sandwich (cluster-robust) variance: the score summed per
youth, squared, over the Fisher information squared. A youth with rows at several dates (the held-out youths of
every date, pooled for power) counts as one cluster, so repeated rows of one youth add no false certainty; with one
row per youth it equals the model-based variance at the MLE up to the score's sample variance.

Groups: each audited attribute (gender, origin), and each crossed with every column of `CROSSINGS`: the youth's
current education group (mbo, vo, not enrolled, other; from `enrolled` and `current_education`), so
`origin=buiten_europa & education=mbo` is a group, and the kind of row (stock, report_first, report_repeat,
new_leaver) when the rows carry a `kind` column. A crossing that is absent or splits nothing (one value) adds no
groups, so the Bonferroni family does not grow with copies of the attribute alone.

The gate. A group is judged when it has at least `min_group_size` youths and a finite offset (both outcomes occur);
the others are shown, not judged. A judged group fails when its whole interval at family-wise `significance_level`,
Bonferroni over the groups judged, lies beyond +-`max_calibration_offset`: each side is a one-sided test that the
offset lies within the tolerated bound, so a group miscalibrated by less than the bound fails with probability at
most `significance_level`, at any region size. Measured at 1:1 over 5 seeds per condition (README, the table of
benchmarks/fairness_power.py):
- not "the interval excludes 0 and the point offset is material": the clean world carries real offsets the model
  cannot see (gender is no input; girls out of school -0.19, girls in mbo -0.07), and a rule on the point flags
  them more often as the rows grow; the test against the bound raised no false alarm in 5 clean worlds;
- a bound of 0.1, not 0.2: `hidden_gap=0.5` raises the harmed group's outcome log-odds in mbo by 0.18 (exactly, from
  the truth), which 0.2 calls immaterial by definition; 0.1 finds +1.0 and +1.5 more often, still with no false alarm;
- +0.5 is still not found at 1:1: the held-out youths give the harmed group in mbo a standard error of 0.08 and a z
  of 0.4 to 2.1, below the family-wise threshold (about 3.5 over 20 groups; a smaller family barely lowers it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from training.config import GateConfig
from vsv_model.contract import MBO_TYPES, SECONDARY_TYPES

NEWTON_STEPS = 50
CLIP = 1e-12  # probabilities of exactly 0 or 1 have infinite log-odds


def education_group(frame: pd.DataFrame) -> pd.Series:
    """The youth's current education, coarsely: mbo, vo (secondary school and vavo), not_enrolled, other."""
    education = frame["current_education"].astype(str)
    group = np.select([frame["enrolled"].to_numpy() == 0, education.isin(MBO_TYPES).to_numpy(),
                       education.isin((*SECONDARY_TYPES, "vavo")).to_numpy()],
                      ["not_enrolled", "mbo", "vo"], "other")
    return pd.Series(group, index=frame.index, dtype=object)


def event_kind(frame: pd.DataFrame) -> pd.Series | None:
    """The kind of row (stock, report_first, report_repeat, new_leaver) when the rows carry one, else None."""
    return frame["kind"].astype(str) if "kind" in frame else None


# Crossing columns: name -> how to read it from a frame of features (None: the frame has no such column). Add one
# here to audit every attribute within it.
Crossing = Callable[[pd.DataFrame], pd.Series | None]
CROSSINGS: dict[str, Crossing] = {"education": education_group, "kind": event_kind}
SEPARATOR = " & "


def audited_groups(frame: pd.DataFrame, attributes: tuple[str, ...],
                   crossings: dict[str, Crossing] = CROSSINGS) -> dict[str, pd.Series]:
    """Attribute name -> each row's group: every attribute alone, then crossed with every crossing column that
    splits the rows (`origin & education` -> `buiten_europa & mbo`); an absent or one-valued crossing is left out."""
    plain = {a: frame[a].astype(str).fillna("onbekend").reset_index(drop=True) for a in attributes}
    crossed = {}
    for name, derive in crossings.items():
        column = derive(frame)
        if column is None or column.nunique() < 2:
            continue
        column = column.astype(str).reset_index(drop=True)
        crossed |= {f"{a}{SEPARATOR}{name}": plain[a] + SEPARATOR + column for a in attributes}
    return plain | crossed


def group_label(attribute: str, group: str) -> str:
    """`origin & education`, `buiten_europa & mbo` -> `origin=buiten_europa & education=mbo`."""
    return SEPARATOR.join(f"{a}={g}" for a, g in zip(attribute.split(SEPARATOR), group.split(SEPARATOR), strict=True))


def newton_offsets(y: np.ndarray, offset: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """The MLE of each group's delta in logit P(y=1) = offset + delta, all groups at once; NaN for a group whose
    outcomes are all one class (the MLE is infinite there)."""
    delta = np.zeros(n_groups)
    positives, rows = np.bincount(codes, y, n_groups), np.bincount(codes, minlength=n_groups)
    for _ in range(NEWTON_STEPS):
        q = expit(offset + delta[codes])
        score = positives - np.bincount(codes, q, n_groups)
        information = np.bincount(codes, q * (1 - q), n_groups)
        step = np.divide(score, information, out=np.zeros(n_groups), where=information > 0)
        delta += np.clip(step, -5, 5)  # damped far from the optimum; Newton's own steps near it
        if np.all(np.abs(step) < 1e-12):
            break
    return np.where((positives > 0) & (positives < rows), delta, np.nan)


def offset_variance(y: np.ndarray, q: np.ndarray, codes: np.ndarray, clusters: np.ndarray, n_groups: int) -> np.ndarray:
    """Cluster-robust variance of each group's delta at the MLE: sum over clusters of the squared summed score,
    over the squared Fisher information."""
    information = np.bincount(codes, q * (1 - q), n_groups)
    per_cluster = pd.Series(y - q).groupby([codes, clusters]).sum()
    meat = np.bincount(per_cluster.index.get_level_values(0).to_numpy(), per_cluster.to_numpy() ** 2, n_groups)
    return np.divide(meat, information ** 2, out=np.full(n_groups, np.nan), where=information > 0)


def calibration_offsets(y: np.ndarray, p: np.ndarray, groups: pd.Series, clusters: np.ndarray | None = None,
                        confidence: float = 0.95) -> pd.DataFrame:
    """One row per group: rows, youths (clusters), outcome rate, mean p, observed/expected (for reference), delta,
    its standard error, the `confidence` interval, z and the two-sided p-value of delta = 0."""
    y, p = np.asarray(y, float), np.clip(np.asarray(p, float), CLIP, 1 - CLIP)
    clusters = np.arange(len(y)) if clusters is None else pd.factorize(np.asarray(clusters))[0]
    codes, names = pd.factorize(np.asarray(groups, dtype=object), sort=True)
    n = len(names)
    delta = newton_offsets(y, logit(p), codes, n)
    q = expit(logit(p) + np.nan_to_num(delta)[codes])
    se = np.sqrt(offset_variance(y, q, codes, clusters, n))
    half = norm.isf((1 - confidence) / 2) * se
    rows = np.bincount(codes, minlength=n)
    outcome, mean_p = np.bincount(codes, y, n) / rows, np.bincount(codes, p, n) / rows
    z = delta / se
    return pd.DataFrame({"group": names, "rows": rows, "youths": pd.Series(clusters).groupby(codes).nunique().to_numpy(),
                         "outcome_rate": outcome, "mean_p": mean_p, "observed_expected": outcome / mean_p,
                         "delta": delta, "delta_se": se, "delta_low": delta - half, "delta_high": delta + half,
                         "delta_z": z, "delta_p_value": 2 * norm.sf(np.abs(z))})


def calibration_audit(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray, attributes: tuple[str, ...],
                      clusters: np.ndarray | None = None) -> pd.DataFrame:
    """The offsets for every audited attribute and crossing, stacked: columns attribute, group, label, figures."""
    tables = [calibration_offsets(y, p, groups, clusters).assign(attribute=attribute)
              for attribute, groups in audited_groups(frame, attributes).items()]
    table = pd.concat(tables, ignore_index=True)
    table["label"] = [group_label(a, g) for a, g in zip(table["attribute"], table["group"], strict=True)]
    return table[["attribute", "group", "label", *[c for c in table.columns if c not in ("attribute", "group", "label")]]]


def gated(audit: pd.DataFrame, gates: GateConfig) -> pd.DataFrame:
    """The groups of the gated attributes, alone or crossed."""
    return audit[audit["attribute"].str.split(SEPARATOR).str[0].isin(gates.gated_attributes)]


def judged(audit: pd.DataFrame, gates: GateConfig) -> pd.DataFrame:
    """The groups the gate judges: of a gated attribute, with at least `min_group_size` youths and a finite delta."""
    table = gated(audit, gates)
    return table[(table["youths"] >= gates.min_group_size) & np.isfinite(table["delta"])]


def offsets_too_small(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """The groups of the gated attributes shown but not judged: fewer than `min_group_size` youths, or one outcome
    only (no finite offset)."""
    table = gated(audit, gates)
    small = table["youths"] < gates.min_group_size
    shown = table[small | ~np.isfinite(table["delta"])]
    return [f"{label} (n={int(n)}{'' if few else ', one outcome only'})"
            for label, n, few in zip(shown["label"], shown["youths"], small[shown.index], strict=True)]


def judged_interval(audit: pd.DataFrame, gates: GateConfig) -> tuple[pd.DataFrame, float]:
    """The judged groups with their Bonferroni interval (family-wise `significance_level` over the groups judged),
    and that interval's confidence."""
    table = judged(audit, gates)
    confidence = 1 - gates.significance_level / max(len(table), 1)
    half = norm.isf((1 - confidence) / 2) * table["delta_se"]
    return table.assign(gate_low=table["delta"] - half, gate_high=table["delta"] + half), confidence


def offset_failures(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """Judged groups whose whole Bonferroni interval for delta lies beyond +-`max_calibration_offset`: the model
    clearly under- (delta > 0) or overestimates the group's risk by more than the tolerated offset. An interval
    that reaches the bound (or straddles it) passes."""
    table, confidence = judged_interval(audit, gates)
    bound = gates.max_calibration_offset
    beyond = table[(table["gate_low"] > bound) | (table["gate_high"] < -bound)]
    return [f"{row.label}: log-odds offset {row.delta:+.2f} [{row.gate_low:+.2f}, {row.gate_high:+.2f}] "
            f"({confidence:.2%} interval, Bonferroni over {len(table)} groups) beyond +-{bound} over {int(row.youths)} "
            f"youths ({int(row.rows)} rows; observed/expected {row.observed_expected:.2f}): the model "
            f"{'underestimates' if row.delta > 0 else 'overestimates'} the group's risk"
            for row in beyond.itertuples(index=False)]


def offsets_undecided(audit: pd.DataFrame, gates: GateConfig) -> list[str]:
    """Judged groups whose Bonferroni interval for delta straddles +-`max_calibration_offset`: not clearly beyond it,
    not clearly within it either. Shown, not refused."""
    table, _ = judged_interval(audit, gates)
    bound = gates.max_calibration_offset
    beyond = (table["gate_low"] > bound) | (table["gate_high"] < -bound)
    within = (table["gate_low"] >= -bound) & (table["gate_high"] <= bound)
    return [f"{row.label}: {row.delta:+.2f} [{row.gate_low:+.2f}, {row.gate_high:+.2f}]"
            for row in table[~beyond & ~within].itertuples(index=False)]
