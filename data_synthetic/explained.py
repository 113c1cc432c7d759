"""How much of the outcome the registrations cannot explain: per reference date, the AUC of `p_true` (which
knows the hidden state) beside the AUC a LightGBM on the contract's features reaches on the same youths.

    python -m data_synthetic.explained [--youths N] [--seed S]

A quick script, not a test. It generates a world, writes and reads it back as any user would, builds the
features at every yearly reference date with the project's builders, and fits LightGBM on all labelled rows
(18–22, outcome by 23) pooled over the dates, two-fold by youth (a youth's rows are all in one fold, so no
youth is scored by a model that saw them). Both AUCs are computed on the same out-of-fold rows. The
figures at 1:1 are in the docstring of `data_synthetic.generate`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from data_synthetic.generate import WorldConfig, auc, generate_world, write_world
from features.build import build_feature_table
from features.events import events_from_dataset
from vsv_model.feature_spec import CATEGORICAL_FEATURES, FEATURE_NAMES
from vsv_model.reader import read_data_dir

PARAMS = {"objective": "binary", "learning_rate": 0.03, "num_leaves": 31, "min_data_in_leaf": 40,
          "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "lambda_l2": 1.0,
          "verbosity": -1, "seed": 7, "deterministic": True, "force_col_wise": True}


def labelled_rows(directory: Path, truth: pd.DataFrame, data_end: dt.date) -> pd.DataFrame:
    """Features, label and p_true of every labelled in-scope row (18–22) at every reference date."""
    data = read_data_dir(directory)
    events = events_from_dataset(data)
    frames = []
    for as_of in sorted(truth["as_of"].unique()):
        table = build_feature_table(data, dt.date.fromisoformat(as_of), with_label=True, end_date=data_end,
                                    events=events)
        frames.append(table.to_frame(with_label=True))
    rows = pd.concat(frames, ignore_index=True).merge(truth, on=["youth_id", "as_of"], how="inner", validate="1:1")
    return rows[rows["no_sq_by_23_x"].notna()].rename(columns={"no_sq_by_23_x": "label"}).reset_index(drop=True)


def out_of_fold(rows: pd.DataFrame) -> np.ndarray:
    """LightGBM scores, each row by the model fitted on the other fold's youths (early stopping inside it)."""
    fold = pd.util.hash_pandas_object(rows["youth_id"], index=False).to_numpy() % 2
    scores = np.zeros(len(rows))
    for k in (0, 1):
        train, test = rows[fold != k], rows[fold == k]
        inner = pd.util.hash_pandas_object(train["youth_id"], index=False).to_numpy() % 5 == 0
        fit = lgb.Dataset(train.loc[~inner, list(FEATURE_NAMES)], train.loc[~inner, "label"],
                          categorical_feature=list(CATEGORICAL_FEATURES))
        stop = lgb.Dataset(train.loc[inner, list(FEATURE_NAMES)], train.loc[inner, "label"], reference=fit)
        booster = lgb.train(PARAMS, fit, num_boost_round=2000, valid_sets=[stop],
                            callbacks=[lgb.early_stopping(100, verbose=False)])
        scores[fold == k] = booster.predict(test[list(FEATURE_NAMES)], num_iteration=booster.best_iteration)
    return scores


def compare(rows: pd.DataFrame, scores: np.ndarray) -> pd.DataFrame:
    """Per reference date: rows, outcome rate, AUC of p_true, AUC of LightGBM, and the gap."""
    out = []
    for as_of, index in rows.groupby("as_of").groups.items():
        y, p, s = (a[index] for a in (rows["label"].to_numpy(), rows["p_true"].to_numpy(), scores))
        truth_auc, model_auc = auc(y, p), auc(y, s)
        out.append({"as_of": as_of, "labelled": len(index), "outcome_rate": round(float(y.mean()), 4),
                    "auc_p_true": truth_auc, "auc_lightgbm": model_auc,
                    "gap": None if truth_auc is None or model_auc is None else truth_auc - model_auc})
    return pd.DataFrame(out).round(4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--youths", type=int, default=None, help="default: the region at 1:1")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    world = generate_world(WorldConfig(youths=args.youths, seed=args.seed))
    with tempfile.TemporaryDirectory() as directory:
        write_world(Path(directory), world)
        rows = labelled_rows(Path(directory), world.truth, world.config.data_end)
    print(compare(rows, out_of_fold(rows)).to_string(index=False))


if __name__ == "__main__":
    main()
