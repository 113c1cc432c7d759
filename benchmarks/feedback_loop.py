"""The feedback loop of the office's own reactions: the risk model trained with each route adjustment
(`[training] route_adjustment`: none, weights (training/route_weights.py), outcome (training/route_labels.py)) on a world with the office, judged on the held-out
youths' events against the world's exact truth under the letter.

    python benchmarks/feedback_loop.py DATA_DIR [DATA_DIR ...] [--methods none,weights,outcome]

Each DATA_DIR is a world with the office (`vsv generate --out DIR --youths 40000 --seed S`: office_cases.csv and
truth_events.csv's `p_true_waarschuwingsbrief`). Printed per world and model, on the held-out events (each scored as
of its own day with its kind's calibration):

- per kind and per risk category (by the model's own probability): rows, the observed outcome rate, the mean truth
  of the route taken (`p_true_<route>`, `p_true` where the office did not react: the truth's own gap to the
  outcomes), the mean truth under the letter (`p_true_waarschuwingsbrief`), the model's mean probability and their
  ratio truth/expected (1: calibrated for the letter; below 1 the model overestimates, above it underestimates the
  risk without a place), and the same ratio on the rows whose youth got only letters or nothing;
- the ranking: AUC against the observed outcomes (every row; rows whose youth got only letters or nothing) and
  Spearman's correlation with the truth under the letter;
- on the rows whose youth got a conversation or a matchmaker (where the loop bites): the truth under the letter over
  the model's mean;
- the plain observed/expected with outcomes on the rows whose youth got only letters or nothing (what an office
  without the truth can measure), beside the truth's own observed/expected on them (the rows' luck and selection).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import fast_config  # noqa: E402
from training.config import AdjustmentConfig  # noqa: E402
from training.dataset import EVENT_TRUTH_FILE, OUTCOME, build_training_data  # noqa: E402
from training.model import train_risk_model  # noqa: E402
from training.route_weights import LETTER, read_cases, row_reactions  # noqa: E402
from vsv_model.route_draws import ROUTE_CODES  # noqa: E402

TRUTH_LETTER = f"p_true_{LETTER}"


def held_out_events(data, data_dir: Path, carry_days: int) -> pd.DataFrame:
    """The held-out youths' events with the truth under the letter and the heaviest route in the row's window."""
    events = data.part("event_test").reset_index(drop=True)
    truth = pd.read_csv(data_dir / EVENT_TRUTH_FILE, dtype={"youth_id": str, "event_date": str, "kind": str})
    taken = [f"p_true_{r}" for r in ROUTE_CODES]
    route = truth["route"].fillna("").to_numpy(object)
    chosen = np.column_stack([truth[c].to_numpy(float) for c in taken])[np.arange(len(truth)),
                                                                         np.maximum(pd.Index(ROUTE_CODES).get_indexer(route), 0)]
    truth = truth.assign(truth_taken=np.where(route == "", truth["p_true"].to_numpy(float), chosen))
    truth = truth.rename(columns={"event_date": "as_of"})[["youth_id", "as_of", "kind", TRUTH_LETTER, "truth_taken"]]
    keyed = events.assign(as_of=events["as_of"].astype(str))[["youth_id", "as_of", "kind"]]
    joined = keyed.merge(truth.drop_duplicates(["youth_id", "as_of", "kind"]), how="left",
                         on=["youth_id", "as_of", "kind"], validate="many_to_one")
    events = events.assign(**{TRUTH_LETTER: joined[TRUTH_LETTER].to_numpy(), "truth_taken": joined["truth_taken"].to_numpy()})
    cases = read_cases(data_dir).assign(propensity=1.0)
    pairs = row_reactions(events, cases, carry_days)
    heavier = pairs.assign(h=pairs["route"] != LETTER).groupby("row")["h"].any()
    treated = np.zeros(len(events), bool)
    treated[heavier.index[heavier].to_numpy()] = True
    return events.assign(heavier=treated)


def calibration_table(events: pd.DataFrame, p: np.ndarray, categories) -> pd.DataFrame:
    frame = events.assign(p=p, category=categories.assign(p))
    rows = []
    for by in ("kind", "category"):
        for value, part in frame.groupby(by):
            part = part[part[TRUTH_LETTER].notna()]
            light = part[~part["heavier"]]
            rows.append({"by": by, "value": value, "rows": len(part), "observed": part[OUTCOME].mean(),
                         "truth_taken": part["truth_taken"].mean(), "truth_letter": part[TRUTH_LETTER].mean(),
                         "expected": part["p"].mean(), "truth/expected": part[TRUTH_LETTER].sum() / part["p"].sum(),
                         "letter_rows": len(light),
                         "truth/expected_letter_rows": light[TRUTH_LETTER].sum() / light["p"].sum()})
    return pd.DataFrame(rows)


def ranking(events: pd.DataFrame, p: np.ndarray) -> dict[str, float]:
    y = events[OUTCOME].to_numpy()
    light = ~events["heavier"].to_numpy()
    known = events[TRUTH_LETTER].notna().to_numpy()
    return {"auc_all": roc_auc_score(y, p), "auc_letter_rows": roc_auc_score(y[light], p[light]),
            "spearman_truth_letter": spearmanr(p[known], events.loc[known, TRUTH_LETTER]).statistic,
            "oe_letter_rows": y[light].sum() / p[light].sum(),
            "truth_oe_letter_rows": y[light & known].sum() / events.loc[light & known, TRUTH_LETTER].sum(),
            "truth/expected_heavier_rows": events.loc[~light & known, TRUTH_LETTER].sum() / p[~light & known].sum(),
            "mean_p_heavier_rows": p[~light].mean(), "mean_truth_letter_heavier_rows": events.loc[~light, TRUTH_LETTER].mean(),
            "letter_rows": int(light.sum()), "rows": len(y)}


def judge(data_dir: Path, methods: tuple[str, ...]) -> None:
    events = None
    for method in methods:
        config = fast_config(training=AdjustmentConfig(route_adjustment=method))
        start = time.perf_counter()
        data = build_training_data(data_dir, None, config)
        built = time.perf_counter() - start
        if events is None:
            events = held_out_events(data, data_dir, config.training.route_carry_days)
        start = time.perf_counter()
        model, _ = train_risk_model(data, config)
        p = model.predict_frame(events.drop(columns=["heavier", TRUTH_LETTER, "truth_taken"]))
        print(f"\n== {data_dir} -- route_adjustment = {method} (data built in {built:.0f} s, fit {time.perf_counter() - start:.0f} s)")
        print(f"route adjustment: {data.route_summary.to_dict()}")
        print(calibration_table(events, p, model.categories).round(4).to_string(index=False))
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in ranking(events, p).items()})


def main(arguments: list[str]) -> None:
    methods = tuple(arguments[arguments.index("--methods") + 1].split(",")) if "--methods" in arguments else (
        "none", "weights", "outcome")
    directories = [a for i, a in enumerate(arguments) if a != "--methods" and (i == 0 or arguments[i - 1] != "--methods")]
    print("floor: a model whose probability is the truth under the letter has truth/expected 1.0000 in every cell")
    for directory in directories:
        judge(Path(directory), methods)


if __name__ == "__main__":
    main(sys.argv[1:])
