"""`vsv backtest`: a rolling-origin backtest. For each origin year the model is trained on what the office knew
on 1 October of that year (records dated later are not there yet; outcomes not yet known are not used) and
judged on the cohorts of that date and the following ones, with the outcomes the full data knows.

It shows how a model trained before a shock (the 2020-21 school closures, the 2022-24 labour market) fares
through it: per origin and cohort, AUC, Brier, calibration error, precision and recall at capacity, the
outcome rate per tier and the gap to the known truth, each with a bootstrap interval. Beside each cohort (kind
`stock`), the events of the school year that starts on its date (first reports, repeats, new leavers), each scored
as of its own day with its kind's calibration: AUC, Brier, ECE and observed/expected with intervals over youths.
With the office's cases (`[training] route_adjustment`), each origin's model is adjusted by the cases the office
had recorded before that origin. With the cases in the data (whatever the adjustment), every events row is judged
once more on its **untreated** events: those whose youth got no conversation or matchmaker from a year before the
event on (the office's cases as the full data knows them). Their outcomes are outcomes under the letter, the risk
the adjusted model estimates, so their observed/expected (`untreated_observed_expected`, with its interval over
youths) shows whether the model stays calibrated for untreated youths after the office's own reactions changed the
outcomes it learned from.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from features.events import events_from_dataset
from training.config import TrainConfig
from training.dataset import (
    OUTCOME,
    STOCK,
    attach_truth,
    build_training_data,
    data_end_of,
    event_rows,
    frame_of,
    labelled_tables,
)
from training.evaluation_report import evaluate_model
from training.kind_evaluation import kind_figures
from training.model import train_risk_model
from training.route_labels import LETTER_CODE, heaviest_reactions
from training.route_weights import read_cases, resolve_adjustment
from vsv_model.office_cases import FILE_NAME as OFFICE_CASES_FILE
from vsv_model.progress import progress_bar
from vsv_model.reader import read_data_dir

SHOWN = ("roc_auc", "brier", "ece", "precision_at_capacity", "recall_at_capacity")
UNTREATED_SHOWN = ("untreated_observed_expected", "untreated_truth_expected")


def backtest(data_dir: Path, first: int, last: int, config: TrainConfig) -> pd.DataFrame:
    """One row per (origin year, judged cohort): the figures of the model trained at that origin."""
    full = read_data_dir(data_dir)
    end = data_end_of(full, config)
    cohorts = judged_cohorts(full, first, end, config, Path(data_dir))
    events = judged_events(full, first, end, config, Path(data_dir))
    recorded = read_cases(data_dir) if (Path(data_dir) / OFFICE_CASES_FILE).is_file() else None
    cases = recorded if resolve_adjustment(config.training.route_adjustment, data_dir) != "none" else None
    untreated = untreated_events(events, recorded, config.training.route_carry_days) if recorded is not None else {}
    rows = []
    with progress_bar(last - first + 1, "backtest", "origins") as bar:
        for year in range(first, last + 1):
            origin = dt.date(year, 10, 1)
            known = None if cases is None else cases[cases["event_date"] < pd.Timestamp(origin)]  # the office's cases then
            data = build_training_data(None, None, config, data=full.known_at(origin), hold_out_test=False, cases=known)
            config.tiers.check_population(len(data.current))  # places that fill the group are refused by name
            model, _ = train_risk_model(data, config)
            for day, (cohort, known) in cohorts.items():
                if day >= origin:
                    rows.append(judged(model, cohort, origin, day, len(data.frame), config) | {"outcome_known_share": known})
            for (day, kind), (frame, known) in events.items():
                if day >= origin:
                    rows.append(judged_events_row(model, frame, kind, origin, day, len(data.frame), config)
                                | {"outcome_known_share": known} | untreated_figures(model, frame, kind, untreated.get((day, kind)), config))
            bar.update(1)
    return pd.DataFrame(rows)


def judged_cohorts(full, first: int, end: dt.date, config: TrainConfig, data_dir: Path) -> dict[dt.date, tuple]:
    """The cohorts from the first origin on, with the outcomes the full data knows (unknown ones left out, and
    their share said: a recent cohort is judged on its older youths only)."""
    dates = [dt.date(y, 10, 1) for y in range(first, end.year + 1) if dt.date(y, 10, 1) <= end]
    tables = labelled_tables(full, dates, config.target_group, end)
    cohorts = {}
    for day, table in zip(dates, tables, strict=True):
        everyone = frame_of(table)
        frame = everyone.dropna(subset=[OUTCOME])
        if frame[OUTCOME].nunique() == 2:
            labelled = attach_truth(frame.assign(**{OUTCOME: frame[OUTCOME].astype(int)}), data_dir)
            cohorts[day] = (labelled, len(frame) / len(everyone))
    return cohorts


def judged_events(full, first: int, end: dt.date, config: TrainConfig, data_dir: Path) -> dict[tuple[dt.date, str], tuple]:
    """Per school year from the first origin on (1 October to 30 September) and kind of event: the events of that
    year as of their own days, with the outcomes the full data knows (the share known said)."""
    frame = event_rows(full, dt.date(first, 10, 1), end, config.temporal.event_kinds, config.target_group,
                       events_from_dataset(full))
    if frame.empty:
        return {}
    starts = pd.to_datetime(frame["as_of"].astype(str))
    year = starts.dt.year - (starts.dt.month < 10)
    judged = {}
    for (start, kind), part in frame.groupby([year.to_numpy(), "kind"]):
        labelled = part.dropna(subset=[OUTCOME])
        if labelled[OUTCOME].nunique() == 2:
            labelled = attach_truth(labelled.assign(**{OUTCOME: labelled[OUTCOME].astype(int)}), data_dir)
            judged[(dt.date(int(start), 10, 1), kind)] = (labelled, len(labelled) / len(part))
    return judged


def untreated_events(events: dict, cases: pd.DataFrame, carry_days: int) -> dict[tuple[dt.date, str], np.ndarray]:
    """Per judged (year, kind): which events' youths got no conversation or matchmaker from `carry_days` before the
    event on (training/route_labels.heaviest_reactions)."""
    return {key: heaviest_reactions(frame, cases, carry_days)["route"].to_numpy() <= LETTER_CODE
            for key, (frame, _) in events.items()}


def untreated_figures(model, frame: pd.DataFrame, kind: str, untreated: np.ndarray | None, config: TrainConfig) -> dict:
    """The untreated events' rows, observed/expected with its interval over youths, and the truth's (synthetic
    data) over expected; {} without the office's cases or with too few rows of both outcomes."""
    if untreated is None:
        return {}
    part = frame[untreated]
    row = {"untreated_rows": len(part)}
    if len(part) < 2 or part[OUTCOME].nunique() < 2:
        return row
    figures = kind_figures(model, part, kind, config.gates.bootstrap_samples, config.seed)
    row |= {f"untreated_{name}": figures[name] for name in ("observed_expected", "observed_expected_low", "observed_expected_high")}
    if "p_true" in part and part["p_true"].notna().all():
        row["untreated_truth_expected"] = float(part["p_true"].sum() / (figures["mean_probability"] * len(part)))
    return row


def judged_events_row(model, frame: pd.DataFrame, kind: str, origin: dt.date, day: dt.date, fit_rows: int,
                      config: TrainConfig) -> dict:
    figures = kind_figures(model, frame, kind, config.gates.bootstrap_samples, config.seed)
    row = {"origin": origin.isoformat(), "cohort": day.isoformat(), "kind": kind, "years_ahead": day.year - origin.year,
           "fit_rows": fit_rows, "youths": figures["youths"], "rows": figures["rows"], "outcome_rate": figures["outcome_rate"]}
    for name in ("roc_auc", "brier", "ece", "observed_expected"):
        row |= {name: figures[name], f"{name}_low": figures[f"{name}_low"], f"{name}_high": figures[f"{name}_high"]}
    return row | ({"truth_roc_auc": figures["truth_auc"]} if "truth_auc" in figures else {})


def judged(model, cohort: pd.DataFrame, origin: dt.date, day: dt.date, fit_rows: int, config: TrainConfig) -> dict:
    evaluation = evaluate_model(model, cohort, config.gates, seed=config.seed)
    m = evaluation.metrics
    row = {"origin": origin.isoformat(), "cohort": day.isoformat(), "kind": STOCK, "years_ahead": day.year - origin.year,
           "fit_rows": fit_rows, "youths": len(cohort), "rows": len(cohort), "outcome_rate": float(cohort[OUTCOME].mean())}
    for name in SHOWN:
        row[name] = m[name]
        if f"{name}_low" in m:
            row[f"{name}_low"], row[f"{name}_high"] = m[f"{name}_low"], m[f"{name}_high"]
    row |= {f"outcome_rate_{t}": m[f"outcome_rate_{t}"] for t in ("low", "medium", "high")}
    row |= {k: m[k] for k in ("truth_roc_auc", "truth_auc_gap") if k in m}
    return row


def log_backtest(data_dir: Path, first: int, last: int, config: TrainConfig, settings) -> tuple[pd.DataFrame, str]:
    """Run the backtest and log it to MLflow: the table, a plot per metric over the cohorts, and summary metrics."""
    import tempfile

    import mlflow

    from registry import mlflow_registry as registry
    from training import plots

    table = backtest(data_dir, first, last, config)
    with (registry.using_store(settings),
          mlflow.start_run(experiment_id=registry.experiment_id(settings), run_name=f"backtest {first}-{last}") as run,
          tempfile.TemporaryDirectory() as tmp):
        mlflow.log_params({"from": first, "to": last, "data_dir": str(Path(data_dir).resolve())})
        for row in table.itertuples():
            prefix = f"origin_{row.origin[:4]}.cohort_{row.cohort[:4]}" + ("" if row.kind == STOCK else f".{row.kind}")
            mlflow.log_metrics({f"{prefix}.{name}": getattr(row, name) for name in (*SHOWN, *UNTREATED_SHOWN)
                                if pd.notna(getattr(row, name, None))})
        table.to_csv(Path(tmp) / "backtest.csv", index=False)
        plots.plot_backtest(table, Path(tmp) / "backtest.png")
        mlflow.log_artifacts(tmp, "backtest")
    return table, run.info.run_id
