"""Benchmark: what limits the calibration per kind of event, and which calibration serves it best.

For each world (`--data DIR ...`, each written by `vsv generate`, with truth_events.csv; default: the default world,
seed 5, and the suite's, seed 1, generated at 1:1), it trains the event model as `vsv train` does (one booster, the
fit rows' cross-fitted out-of-fold log-odds) and judges calibration variants fitted on those same out-of-fold
log-odds, on the held-out youths' events of each kind:

- observed/expected, ECE and AUC;
- from the truth (synthetic data), the miss split in two: `luck` = the held-out outcomes over their true chances (a
  perfect model's observed/expected on these rows) and `bias` = the true chances over the model's (observed/expected =
  luck x bias), with `fit luck` = the outcomes of the rows the calibration was fitted on over their true chances;
- the model's own calibration (`training.model.kind_calibrations`) with 95% intervals over youths
  (`training.kind_evaluation`), and what a perfect model (p = p_true) achieves on the same rows: its chance of an
  observed/expected within [0.95, 1.05] and of an ECE at most 0.03, and its mean ECE (the floor), with outcomes drawn
  from p_true, each row apart and, as a youth's rows share one outcome, with one draw per youth.

The variants, all affine in the booster's log-odds unless said:
- `platt per kind`: the model's (each kind's rows of every fit year);
- `recent 3 years`, `recency weight`: the same on the last three school years only, or weighted 0.5 per two years;
- `reports pooled + offset`: first and repeat reports share a slope, each its intercept; `reports pooled`: one
  Platt for both;
- `stock slope`: the stock's slope, an intercept per kind;
- `youth weighted`: each youth's rows of a kind weigh 1 in all;
- `platt + age`, `isotonic`: not affine (the reasons would no longer add up), measured only.

The summary over the worlds: per kind and variant, how many worlds fall within [0.95, 1.05] and ECE <= 0.03, the
root mean square of log observed/expected and of log bias. The floor is the perfect model's line, measured here.
Usage: python benchmarks/event_calibration.py [--data DIR ...] [--samples 500]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from data_synthetic.generate import WorldConfig, generate_world, write_world
from training.bootstrap import auc_of, ece_of
from training.config import TemporalConfig, TrainConfig
from training.dataset import OUTCOME, STOCK, build_training_data
from training.kind_evaluation import evaluate_kinds, kind_rows
from training.model import kind_calibrations, train_risk_model
from vsv_model.risk_model import encode_frame

CONFIG = TrainConfig(temporal=TemporalConfig(data_end="2026-10-01"))
EVENTS = ("report_first", "report_repeat", "new_leaver")
REPORTS = ["report_first", "report_repeat"]
TARGET_OE, TARGET_ECE = (0.95, 1.05), 0.03


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    model = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000).fit(x.reshape(len(y), -1), y, sample_weight=weight)
    return model.coef_[0], float(model.intercept_[0])


def affine(slope: float, intercept: float):
    return lambda rows, raw: sigmoid(slope * raw + intercept)


def platt(rows: pd.DataFrame, weight: np.ndarray | None = None):
    (slope,), intercept = logistic(rows["raw"].to_numpy(), rows[OUTCOME].to_numpy(), weight)
    return affine(slope, intercept)


def per_kind(fit: pd.DataFrame, rows_of=lambda f: f, weight_of=lambda f: None) -> dict:
    return {kind: platt(rows_of(fit[fit["kind"] == kind]), weight_of(rows_of(fit[fit["kind"] == kind]))) for kind in EVENTS}


def model_platt(fit: pd.DataFrame, test_year: int) -> dict:
    calibrations = kind_calibrations(fit["raw"].to_numpy(), fit)
    return {kind: affine(calibrations[kind].slope, calibrations[kind].intercept) for kind in EVENTS}


def recent(fit: pd.DataFrame, test_year: int) -> dict:
    return per_kind(fit, rows_of=lambda f: f[f["school_year"] >= test_year - 3])


def recency_weighted(fit: pd.DataFrame, test_year: int) -> dict:
    return per_kind(fit, weight_of=lambda f: 0.5 ** ((test_year - 1 - f["school_year"].to_numpy()) / 2.0))


def youth_weighted(fit: pd.DataFrame, test_year: int) -> dict:
    return per_kind(fit, weight_of=lambda f: 1.0 / f.groupby("youth_id")["youth_id"].transform("size").to_numpy())


def reports_offset(fit: pd.DataFrame, test_year: int) -> dict:
    reports = fit[fit["kind"].isin(REPORTS)]
    (slope, repeat), intercept = logistic(np.column_stack([reports["raw"], reports["kind"] == "report_repeat"]),
                                          reports[OUTCOME].to_numpy())
    return {"report_first": affine(slope, intercept), "report_repeat": affine(slope, intercept + repeat),
            "new_leaver": platt(fit[fit["kind"] == "new_leaver"])}


def reports_pooled(fit: pd.DataFrame, test_year: int) -> dict:
    one = platt(fit[fit["kind"].isin(REPORTS)])
    return {"report_first": one, "report_repeat": one, "new_leaver": platt(fit[fit["kind"] == "new_leaver"])}


def stock_slope(fit: pd.DataFrame, test_year: int) -> dict:
    stock = fit[fit["kind"] == STOCK]
    (slope,), _ = logistic(stock["raw"].to_numpy(), stock[OUTCOME].to_numpy())
    return {kind: affine(slope, intercept_given(slope, fit[fit["kind"] == kind])) for kind in EVENTS}


def intercept_given(slope: float, rows: pd.DataFrame) -> float:
    """The intercept that makes the mean chance equal the outcome rate at a fixed slope (Newton's method)."""
    z, y, a = slope * rows["raw"].to_numpy(), rows[OUTCOME].to_numpy(), 0.0
    for _ in range(50):
        p = sigmoid(z + a)
        a += (y - p).sum() / (p * (1 - p)).sum()
    return a


def platt_age(fit: pd.DataFrame, test_year: int) -> dict:
    out = {}
    for kind in EVENTS:
        rows = fit[fit["kind"] == kind]
        (slope, per_year), intercept = logistic(np.column_stack([rows["raw"], rows["age"] - 20]), rows[OUTCOME].to_numpy())
        out[kind] = (lambda s, b, a: lambda r, raw: sigmoid(s * raw + b * (r["age"].to_numpy() - 20) + a))(slope, per_year, intercept)
    return out


def isotonic(fit: pd.DataFrame, test_year: int) -> dict:
    out = {}
    for kind in EVENTS:
        rows = fit[fit["kind"] == kind]
        curve = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4).fit(rows["raw"], rows[OUTCOME])
        out[kind] = (lambda c: lambda r, raw: c.predict(raw))(curve)
    return out


VARIANTS = {"platt per kind": model_platt, "recent 3 years": recent, "recency weight": recency_weighted,
            "reports pooled + offset": reports_offset, "reports pooled": reports_pooled, "stock slope": stock_slope,
            "youth weighted": youth_weighted, "platt + age (not affine)": platt_age, "isotonic (not affine)": isotonic}


def school_year(frame: pd.DataFrame) -> np.ndarray:
    """The school year of each row's day, by its first 1 October (a day in 2018/19 gives 2018)."""
    day = pd.to_datetime(frame["as_of"].astype(str))
    return (day.dt.year - (day.dt.month < 10)).to_numpy()


def ece_point(y: np.ndarray, p: np.ndarray) -> float:
    return float(ece_of(y.astype(np.float64), p, np.ones((1, len(y))))[0])


def variant_rows(world: str, fit: pd.DataFrame, held: dict[str, pd.DataFrame], test_year: int) -> list[dict]:
    """Every variant's figures on every event kind's held-out rows, with the truth's split of the miss."""
    rows = []
    for name, make in VARIANTS.items():
        scorers = make(fit, test_year)
        for kind in EVENTS:
            frame, fitted = held[kind], fit[fit["kind"] == kind]
            y, truth = frame[OUTCOME].to_numpy(np.float64), frame["p_true"].to_numpy(np.float64)
            p = scorers[kind](frame, frame["raw"].to_numpy())
            rows.append({"world": world, "variant": name, "kind": kind, "rows": len(y), "observed_expected": y.sum() / p.sum(),
                         "ece": ece_point(y, p), "auc": float(auc_of(y, p, np.ones((1, len(y))))[0]),
                         "luck": y.sum() / truth.sum(), "bias": truth.sum() / p.sum(),
                         "fit_luck": fitted[OUTCOME].sum() / fitted["p_true"].sum(), "ece_against_truth": ece_point(truth, p)})
    return rows


def perfect_model(frame: pd.DataFrame, draws: int, seed: int) -> dict:
    """A perfect model (p = p_true) on these rows: outcomes drawn from p_true, each row apart and one draw per youth
    (a youth's rows share one outcome), its chance of meeting each target and its mean ECE."""
    truth = frame["p_true"].to_numpy(np.float64)
    rng = np.random.default_rng(seed)
    codes, youths = pd.factorize(frame["youth_id"])
    which = np.minimum((truth * 10).astype(int), 9)
    out = {}
    for label, uniform in (("rows apart", rng.random((draws, len(truth)))), ("per youth", rng.random((draws, len(youths)))[:, codes])):
        y = (uniform < truth).astype(np.float64)
        oe = y.sum(axis=1) / truth.sum()
        ece = np.stack([np.abs((y[:, which == b] - truth[which == b]).sum(axis=1)) for b in range(10)], axis=1).sum(axis=1) / len(truth)
        out[label] = {"in_target_oe": float(np.mean((oe >= TARGET_OE[0]) & (oe <= TARGET_OE[1]))), "sd_oe": float(oe.std()),
                      "ece_floor": float(ece.mean()), "ece_within_target": float(np.mean(ece <= TARGET_ECE))}
    return out


def print_world(world: str, table: pd.DataFrame, kinds: pd.DataFrame, floors: dict) -> None:
    print(f"\n== {world}: the model's calibration per kind (held-out youths, 95% intervals over youths)")
    for row in kinds.to_dict("records"):
        print(f"  {row['kind']:<14} rows {row['rows']:>5,}  O/E {row['observed_expected']:.3f} [{row['observed_expected_low']:.3f}, "
              f"{row['observed_expected_high']:.3f}]  ECE {row['ece']:.3f} [{row['ece_low']:.3f}, {row['ece_high']:.3f}]  "
              f"AUC {row['roc_auc']:.3f}  truth: luck {row['truth_observed_expected']:.3f} x bias {row['truth_expected']:.3f}, "
              f"truth's ECE {row['truth_ece']:.3f}, ECE against the truth {row['ece_against_truth']:.3f}  ({row['calibration']})")
        if row["kind"] in floors:
            line = "; ".join(f"{label}: P(O/E in target) {f['in_target_oe']:.2f}, sd O/E {f['sd_oe']:.3f}, mean ECE {f['ece_floor']:.3f}, "
                             f"P(ECE <= {TARGET_ECE}) {f['ece_within_target']:.2f}" for label, f in floors[row["kind"]].items())
            print(f"  {'':<14} a perfect model on these rows ({line})")
    print(f"\n  variants on {world} (O/E, ECE, AUC; luck x bias = O/E; fit luck: the calibration rows' outcomes over their truth)")
    for kind, part in table.groupby("kind", sort=False):
        print(f"  {kind} (fit luck {part['fit_luck'].iloc[0]:.3f}, held-out luck {part['luck'].iloc[0]:.3f})")
        for row in part.to_dict("records"):
            print(f"    {row['variant']:<26} O/E {row['observed_expected']:.3f}  ECE {row['ece']:.3f}  AUC {row['auc']:.3f}  "
                  f"bias {row['bias']:.3f}  ECE against the truth {row['ece_against_truth']:.3f}")


def summary(table: pd.DataFrame) -> pd.DataFrame:
    def rms_log(values: pd.Series) -> float:
        return float(np.sqrt((np.log(values) ** 2).mean()))

    return table.groupby(["kind", "variant"], sort=False).agg(
        worlds=("world", "size"),
        oe_in_target=("observed_expected", lambda v: int(v.between(*TARGET_OE).sum())),
        ece_in_target=("ece", lambda v: int((v <= TARGET_ECE).sum())),
        rms_log_oe=("observed_expected", rms_log), mean_ece=("ece", "mean"),
        mean_log_bias=("bias", lambda v: float(np.log(v).mean())), rms_log_bias=("bias", rms_log),
        mean_ece_against_truth=("ece_against_truth", "mean"))


def judge_world(directory: Path, samples: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    started = time.perf_counter()
    data = build_training_data(directory, None, CONFIG)
    model, raw_oof = train_risk_model(data, CONFIG)
    print(f"{directory}: trained in {time.perf_counter() - started:.0f} s")
    fit = data.part("fit").assign(raw=raw_oof)
    fit = fit.assign(school_year=school_year(fit))
    held = {kind: frame.assign(raw=model.raw_log_odds(encode_frame(frame), num_threads=2))
            for kind, frame in kind_rows(data).items() if kind in EVENTS}
    table = pd.DataFrame(variant_rows(str(directory), fit, held, int(data.test_date[:4])))
    kinds = evaluate_kinds(model, data, samples, 0)
    floors = {kind: perfect_model(frame, 2000, 7) for kind, frame in held.items()}
    return table, kinds, floors


def default_worlds(scratch: Path) -> list[Path]:
    directories = []
    for seed in (5, 1):
        directory = scratch / f"seed{seed}"
        write_world(directory, generate_world(WorldConfig(seed=seed)))
        directories.append(directory)
    return directories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+")
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    scratch = None
    if not args.data:
        scratch = Path(tempfile.mkdtemp(prefix="event-calibration-"))
        args.data = default_worlds(scratch)
    try:
        tables = []
        for directory in args.data:
            table, kinds, floors = judge_world(directory, args.samples)
            print_world(str(directory), table, kinds, floors)
            tables.append(table)
        pd.set_option("display.width", 250)
        print(f"\nover {len(tables)} world(s): worlds with O/E within {TARGET_OE} and ECE <= {TARGET_ECE}, root mean square "
              "of log O/E and of log bias (the model against the truth), mean ECE and ECE against the truth")
        print(summary(pd.concat(tables, ignore_index=True)).round(3).to_string())
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
