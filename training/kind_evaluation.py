"""Judging the model per kind of moment it is used at: the yearly stock (1 October), the first 18+ absence report
of a period, a repeat report, a new leaver. Each kind's held-out rows (the held-out youths' events of the test
year; the test cohort for the stock) are scored with that kind's calibration, and for each kind:

- AUC, Brier, ECE and observed/expected, with 95% bootstrap intervals over youths (a youth with several events
  is resampled as one: its rows are not independent; the ECE's is the basic interval, as in training/bootstrap.py),
  and the ECE a perfectly calibrated model would show on the same rows by chance;
- the AUC within each age (does the model rank youths of the same age, or only sort the ages);
- the truth's AUC on the same rows (synthetic data: how far the model is from the best any model could do), and
  the truth's own calibration on them: its observed/expected and ECE, and the ECE a perfect model shows there by
  chance (`truth_figures`: what part of a miss is these rows' luck, what part the model);
- what the absence history adds: the AUC of the same booster settings fitted without the absence features, and
  the difference with its paired interval, said in one line.

Only aggregates come out: the table goes to the tracking store and the model card.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.bootstrap import BIASED_UPWARD, auc_of, basic_interval, brier_of, ece_of, interval
from training.config import TrainConfig
from training.dataset import OUTCOME, STOCK, TrainingData
from training.model import fit_booster
from vsv_model.risk_model import Calibration, RiskModel, TierCutoffs, encode_frame

ABSENCE_FEATURES = ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w", "absence_reports_52w",
                    "late_reports_52w", "weeks_since_last_report")
AGES = (18, 19, 20, 21, 22, 23, 24, 25, 26)
MIN_AGE_ROWS = 50  # an age's AUC is shown only with at least this many rows and both outcomes
KIND_ORDER = (STOCK, "report_first", "report_repeat", "new_leaver")


def kind_rows(data: TrainingData) -> dict[str, pd.DataFrame]:
    """Each kind's held-out rows: the test cohort for the stock, the held-out youths' events of the test year."""
    events = data.part("event_test")
    rows = {STOCK: data.part("test")}
    for kind in KIND_ORDER[1:]:
        if "kind" in events and (events["kind"] == kind).any():
            rows[kind] = events[events["kind"] == kind]
    return rows


def youth_counts(youth_ids: pd.Series, samples: int, seed: int) -> np.ndarray:
    """(samples x rows) weights of a bootstrap over youths: each row counts as often as its youth was drawn."""
    codes, uniques = pd.factorize(youth_ids)
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(len(uniques), np.full(len(uniques), 1.0 / len(uniques)), size=samples).astype(np.float64)
    return drawn[:, codes]


def observed_expected_of(y: np.ndarray, p: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return (counts @ y) / (counts @ p)


def ece_if_calibrated(p: np.ndarray, samples: int, seed: int) -> float:
    """The ECE a perfectly calibrated model would show on these rows by chance alone (outcomes drawn from its own
    chances, averaged over draws): on a few hundred rows it is not small, and an ECE near it is noise."""
    rng = np.random.default_rng(seed)
    drawn = (rng.random((min(samples, 200), len(p))) < p).astype(np.float64)
    which = np.minimum((p * 10).astype(int), 9)
    gaps = np.stack([np.abs((drawn[:, which == b] - p[which == b]).sum(axis=1)) for b in range(10)], axis=1)
    return float(gaps.sum(axis=1).mean() / len(p))


def truth_figures(y: np.ndarray, p: np.ndarray, truth: np.ndarray, samples: int, seed: int) -> dict[str, float]:
    """What the truth (synthetic data) says about these rows' calibration, apart from the outcomes' luck:
    - `truth_observed_expected`: outcomes / sum of the true chances, the luck of these rows' outcomes (a perfect
      model's observed/expected); the model's observed/expected is this times `truth_expected`;
    - `truth_expected`: sum of the true chances / sum of the model's, the model's own bias;
    - `truth_ece`: the truth's ECE against these outcomes, and `ece_floor_truth` the ECE a perfect model (p =
      p_true) shows on average on these rows by chance alone (outcomes drawn from p_true): an ECE target below it
      is out of any model's reach;
    - `ece_against_truth`: the model's ECE with the true chances as outcomes (its miscalibration without noise)."""
    full = np.ones((1, len(y)))
    return {"truth_auc": float(auc_of(y, truth, full)[0]), "truth_mean": float(truth.mean()),
            "truth_observed_expected": float(y.sum() / truth.sum()), "truth_expected": float(truth.sum() / p.sum()),
            "truth_ece": float(ece_of(y, truth, full)[0]), "ece_floor_truth": ece_if_calibrated(truth, samples, seed),
            "ece_against_truth": float(ece_of(truth, p, full)[0])}


def auc_by_age(y: np.ndarray, p: np.ndarray, age: np.ndarray) -> dict[str, float]:
    figures = {}
    for a in AGES:
        inside = age == a
        if inside.sum() >= MIN_AGE_ROWS and 0 < y[inside].mean() < 1:
            figures[f"auc_age_{a}"] = float(auc_of(y[inside], p[inside], np.ones((1, int(inside.sum()))))[0])
    return figures


def kind_figures(model: RiskModel, frame: pd.DataFrame, kind: str, samples: int, seed: int,
                 without_absence: RiskModel | None = None) -> dict:
    """The figures of one kind's held-out rows (see the module docstring)."""
    scorer = model.for_kind(kind) if kind in model.kind_names else model
    y = frame[OUTCOME].to_numpy(dtype=np.float64)
    p = scorer.probability(encode_frame(frame), num_threads=2)
    counts = youth_counts(frame["youth_id"], samples, seed)
    full = np.ones((1, len(y)))
    draws = {"roc_auc": auc_of(y, p, counts), "brier": brier_of(y, p, counts), "ece": ece_of(y, p, counts),
             "observed_expected": observed_expected_of(y, p, counts)}
    points = {"roc_auc": auc_of(y, p, full)[0], "brier": brier_of(y, p, full)[0], "ece": ece_of(y, p, full)[0],
              "observed_expected": observed_expected_of(y, p, full)[0]}
    row = {"kind": kind, "rows": len(y), "youths": int(frame["youth_id"].nunique()), "outcome_rate": float(y.mean()),
           "mean_probability": float(p.mean()), "calibration": scorer.calibration.method,
           "ece_if_calibrated": ece_if_calibrated(p, samples, seed)}
    for name, value in points.items():
        low, high = basic_interval(value, draws[name], 0.95) if name in BIASED_UPWARD else interval(draws[name], 0.95)
        row |= {name: float(value), f"{name}_low": low, f"{name}_high": high}
    row |= auc_by_age(y, p, frame["age"].to_numpy())
    if "p_true" in frame and frame["p_true"].notna().all():
        row |= truth_figures(y, p, frame["p_true"].to_numpy(dtype=np.float64), samples, seed)
    if without_absence is not None:
        q = without_absence.probability(encode_frame(frame), num_threads=2)
        gain = auc_of(y, p, counts) - auc_of(y, q, counts)
        low, high = interval(gain, 0.95)
        row |= {"auc_without_absence": float(auc_of(y, q, full)[0]), "absence_gain": float(points["roc_auc"] - auc_of(y, q, full)[0]),
                "absence_gain_low": low, "absence_gain_high": high}
    return row


def absence_line(row: dict) -> str:
    """What the absence history adds, in one plain sentence."""
    if "absence_gain" not in row:
        return ""
    gain, low, high = row["absence_gain"], row["absence_gain_low"], row["absence_gain_high"]
    verdict = ("adds clearly to the ranking" if low > 0 else
               "ranks slightly worse with it than without" if high < 0 else "makes no clear difference")
    return (f"{row['kind']}: the absence history {verdict}: AUC {row['roc_auc']:.3f} with it, "
            f"{row['auc_without_absence']:.3f} without (difference {gain:+.3f} [{low:+.3f}, {high:+.3f}]).")


def evaluate_kinds(model: RiskModel, data: TrainingData, samples: int = 500, seed: int = 0,
                   without_absence: RiskModel | None = None) -> pd.DataFrame:
    """One row of figures per kind with held-out rows (the stock first)."""
    rows = [kind_figures(model, frame, kind, samples, seed, without_absence)
            for kind, frame in kind_rows(data).items() if len(frame) and frame[OUTCOME].nunique() == 2]
    return pd.DataFrame(rows)


def absence_features_blanked(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with every absence feature set to one value (no absence): a booster fitted on them cannot use
    the absence history."""
    blank = {name: (np.nan if name == "weeks_since_last_report" else 0) for name in ABSENCE_FEATURES}
    return frame.assign(**{name: pd.Series(value, index=frame.index, dtype=frame[name].dtype)
                           for name, value in blank.items()})


def model_without_absence(data: TrainingData, config: TrainConfig, rounds: int) -> RiskModel:
    """The same booster settings and size fitted on the fit rows with the absence history blanked: the ranking the
    model would have without it (calibration left out: only its AUC is compared)."""
    booster = fit_booster(absence_features_blanked(data.part("fit")), config.lightgbm, config.seed, rounds,
                          weights=None if data.weights is None else (data.weights, None),
                          targets=None if data.labels is None else (data.labels, None))
    return RiskModel(booster, Calibration(), TierCutoffs(0.0, 1.0), target_group=data.group)


KIND_TABLE_COLUMNS = ("kind", "rows", "youths", "outcome_rate", "mean_probability", "roc_auc", "brier", "ece",
                      "observed_expected", "truth_auc", "auc_without_absence")


def kinds_markdown(table: pd.DataFrame) -> str:
    """The per-kind table for the model card: each figure with its 95% interval, then the AUC within each age and
    the absence lines."""
    if table.empty:
        return "No held-out rows per kind of event (the model was trained on the yearly stock alone).\n"
    lines = ["| kind | rows (youths) | outcome rate | mean chance | AUC | Brier | ECE (by chance alone) | observed/expected | truth's AUC |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in table.to_dict("records"):
        cells = [f"{row[m]:.3f} [{row[m + '_low']:.3f}, {row[m + '_high']:.3f}]" for m in ("roc_auc", "brier", "ece", "observed_expected")]
        cells[2] += f" ({row['ece_if_calibrated']:.3f})"
        truth = f"{row['truth_auc']:.3f}" if pd.notna(row.get("truth_auc", np.nan)) else "unknown"
        lines.append(f"| {row['kind']} | {row['rows']:,} ({row['youths']:,}) | {row['outcome_rate']:.3f} | {row['mean_probability']:.3f} | "
                     + " | ".join(cells) + f" | {truth} |")
    ages = [c for c in table.columns if c.startswith("auc_age_")]
    lines += ["", "AUC within each age (ages with at least 50 rows and both outcomes):", ""]
    for row in table.to_dict("records"):
        shown = [f"{c.removeprefix('auc_age_')}: {row[c]:.3f}" for c in ages if pd.notna(row.get(c, np.nan))]
        lines.append(f"- {row['kind']}: " + (", ".join(shown) if shown else "too few rows per age"))
    absence = [absence_line(row) for row in table.to_dict("records")]
    lines += ["", *[f"- {line}" for line in absence if line]]
    return "\n".join(lines) + "\n"


def kind_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Flat metrics per kind for the tracking store (`kind.report_first.roc_auc`...)."""
    figures = {}
    for row in table.to_dict("records"):
        for name, value in row.items():
            if name not in ("kind", "calibration") and isinstance(value, (int, float)) and np.isfinite(value):
                figures[f"kind.{row['kind']}.{name}"] = float(value)
    return figures
