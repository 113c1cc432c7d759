"""The feedback loop of the office's own reactions, taken out with the route as an input:
`[training] route_adjustment = "outcome"` (the default when the office's cases are there).

In a region where the office reacts to events, a training row's outcome was partly made by that reaction (see
training/route_weights.py). Like the weights, this adjustment makes the model estimate the risk **under the office's
lightest reaction, the letter**; unlike them, it keeps every row at weight at most 1.

1. **The route in the training data.** An outcome model (LightGBM, the risk model's settings) learns each fit row's
   outcome from the model's inputs, the row's kind, the heaviest reaction the office recorded for its youth from
   `carry_days` before the row's day on (`ROUTE_INPUT`: none, letter, conversation, matchmaker), and what that
   choice hung on: the office's recorded score and advised route. It is cross-fitted over two halves of the youths:
   a row's chances come from a model that never saw its youth. Given the score and advice, the officers' own
   deviations and the draws do not look at the youth, so at equal inputs the routes compare like with like. (The
   score is an input because it sees more than the registrations: without it, on a 40,000-youth world, a matchmaker
   seemed to raise the risk; docs/event-model.md.)
2. **The label under the letter.** For a row whose youth got a conversation or a matchmaker, with `taken` and
   `letter` the outcome model's chances under the route taken and under the letter:
   - the route lowered the chance (`letter > taken`): an outcome 1 stays 1; an outcome 0 counts as 1 with chance
     `(letter - taken) / (1 - taken)`;
   - the route raised it: an outcome 0 stays 0; an outcome 1 counts as 1 with chance `letter / taken`.

   Either way the label's expectation is `letter` exactly when the outcome model is right, and it stays in [0, 1].
3. **Soft labels as two rows.** A label q strictly between 0 and 1 enters the boosters, their early stopping and
   the Platt scaling as two rows (`training.model.soft_expanded`): outcome 1 with weight q and outcome 0 with weight
   1 - q (the log-loss of the soft label, exactly). Every other row keeps its label and weight 1. The fit rows
   themselves, their outcomes and everything measured on them (counts, the reference profile, the calibration
   report) stay as they are: the labels live beside them (`TrainingData.labels`).

Rows without a heavier reaction (letters only, or none) are left as they are: a letter is the reaction the model
assumes. What was done is summed up in the `WeightSummary` it returns (rows per route, soft labels, the outcome model's mean
effect of each heavier route on the rows that got it): aggregates only.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from training.config import LightGBMConfig, TrainConfig
from training.params import lightgbm_params
from training.route_weights import LETTER, WeightSummary, fit_weights, read_cases, resolve_adjustment, row_reactions
from vsv_model.feature_spec import CATEGORICAL_FEATURES, FEATURE_NAMES
from vsv_model.progress import say
from vsv_model.risk_model import STOCK_KIND, encode_frame
from vsv_model.route_draws import ROUTE_CODES

ROUTE_INPUT = "office_route"  # the outcome model's extra input: 0 none, then ROUTE_CODES' order (letter first)
NO_REACTION = 0
LETTER_CODE = 1 + ROUTE_CODES.index(LETTER)
KINDS = (STOCK_KIND, "report_first", "report_repeat", "new_leaver", "other")
INPUTS = [*FEATURE_NAMES, "kind", ROUTE_INPUT, "office_score", "office_advised_route"]
ROUTE_COLUMN = INPUTS.index(ROUTE_INPUT)
CATEGORICAL = [FEATURE_NAMES.index(name) for name in CATEGORICAL_FEATURES] + [len(FEATURE_NAMES), ROUTE_COLUMN, len(INPUTS) - 1]


def heaviest_reactions(rows: pd.DataFrame, cases: pd.DataFrame, carry_days: int) -> pd.DataFrame:
    """Per row, the heaviest reaction to its youth from `carry_days` before its day on (the latest of equals):
    `route` (its code, 0: none), the office's recorded `score` and `advised` route code (NaN without a reaction)."""
    pairs = row_reactions(rows, cases.assign(propensity=1.0), carry_days)
    out = pd.DataFrame({"route": np.zeros(len(rows), dtype=np.int64), "score": np.nan, "advised": np.nan})
    if len(pairs):
        pairs = pairs.assign(code=1 + pd.Index(ROUTE_CODES).get_indexer(pairs["route"].to_numpy(object)))
        chosen = pairs.merge(cases[["youth_id", "event_date", "score", "advised_route"]].drop_duplicates(["youth_id", "event_date"]),
                             on=["youth_id", "event_date"], how="left")
        chosen = chosen.sort_values(["row", "code", "event_date"]).drop_duplicates("row", keep="last")
        at = chosen["row"].to_numpy()
        out.loc[at, "route"] = chosen["code"].to_numpy()
        out.loc[at, "score"] = chosen["score"].to_numpy(float)
        out.loc[at, "advised"] = (1 + pd.Index(ROUTE_CODES).get_indexer(chosen["advised_route"].to_numpy(object))).astype(float)
    return out


def outcome_inputs(rows: pd.DataFrame, reactions: pd.DataFrame) -> np.ndarray:
    """The outcome model's matrix: the model's inputs, the row's kind, the route code, and what the office's choice
    hung on: its recorded score and advised route."""
    kinds = rows["kind"].fillna(STOCK_KIND).astype(str).to_numpy(object) if "kind" in rows else np.full(len(rows), STOCK_KIND, object)
    kind_codes = pd.Index(KINDS).get_indexer(kinds)
    kind_codes[kind_codes < 0] = KINDS.index("other")
    return np.column_stack([encode_frame(rows), kind_codes.astype(float), reactions["route"].to_numpy(float),
                            reactions["score"].to_numpy(float), reactions["advised"].to_numpy(float)])


def cross_fitted_chances(rows: pd.DataFrame, y: np.ndarray, reactions: pd.DataFrame, folds: np.ndarray,
                         treated: np.ndarray, config: LightGBMConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """For the `treated` rows: the outcome model's chance under the route taken and under the letter, each from
    the half of the youths (by fold parity) the row's youth is not in; early stopping on a fifth of that half's youths
    (by a hash of the id, whatever the number of folds)."""
    matrix = outcome_inputs(rows, reactions)
    as_letter = matrix.copy()
    as_letter[:, ROUTE_COLUMN] = LETTER_CODE
    taken, letter = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    params = lightgbm_params(config, seed, extra_monotone=len(INPUTS) - len(FEATURE_NAMES))
    fifth = (pd.util.hash_pandas_object(rows["youth_id"].astype(str), index=False).to_numpy() % 5) == 0
    for half in (0, 1):
        learn = folds % 2 != half
        stop, train = learn & fifth, learn & ~fifth
        data = lgb.Dataset(matrix[train], y[train], feature_name=INPUTS, categorical_feature=CATEGORICAL, free_raw_data=True)
        valid = lgb.Dataset(matrix[stop], y[stop], reference=data)
        booster = lgb.train(params, data, num_boost_round=config.num_boost_round, valid_sets=[valid],
                            callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)])
        target = treated & ~learn
        taken[target] = booster.predict(matrix[target])
        letter[target] = booster.predict(as_letter[target])
    return taken, letter


def letter_labels(y: np.ndarray, taken: np.ndarray, letter: np.ndarray) -> np.ndarray:
    """The chance that each outcome counts as 1 under the letter (module docstring, step 2)."""
    taken, letter = np.clip(taken, 1e-6, 1 - 1e-6), np.clip(letter, 1e-6, 1 - 1e-6)
    lowered = letter >= taken
    return np.where(lowered, np.where(y == 1, 1.0, (letter - taken) / (1.0 - taken)),
                    np.where(y == 1, letter / taken, 0.0))


def letter_fit(fit: pd.DataFrame, outcome: str, cases: pd.DataFrame, folds: np.ndarray, carry_days: int,
               config: LightGBMConfig, seed: int) -> tuple[np.ndarray, WeightSummary]:
    """Each fit row's label under the letter (the `outcome` where the youth got no heavier route; in [0, 1]) and
    what was done."""
    reactions = heaviest_reactions(fit, cases, carry_days)
    routes = reactions["route"].to_numpy()
    treated = routes > LETTER_CODE
    y = fit[outcome].to_numpy(float)
    taken = letter = np.full(len(fit), np.nan)
    if treated.any():  # else there is nothing to move (and no outcome model to fit)
        taken, letter = cross_fitted_chances(fit, y, reactions, folds, treated, config, seed)
    labels = y.copy()
    labels[treated] = letter_labels(y[treated], taken[treated], letter[treated])
    soft = (labels > 0) & (labels < 1)
    effects = {ROUTE_CODES[code - 1]: round(float(np.mean(letter[routes == code] - taken[routes == code])), 4)
               for code in range(LETTER_CODE + 1, len(ROUTE_CODES) + 1) if (routes == code).any()}
    summary = WeightSummary("outcome", len(fit), int((routes == NO_REACTION).sum()), int((routes == LETTER_CODE).sum()),
                            int(treated.sum()), cases=len(cases), rows_soft=int(soft.sum()),
                            mean_label_shift=float((labels - y)[treated].mean()) if treated.any() else 0.0, effects=effects)
    say(f"route adjustment (the risk under the letter, the route as an input): {summary.rows_heavier:,} of {len(fit):,} fit "
        f"rows had a conversation or matchmaker; {summary.rows_soft:,} got a soft label; mean effect against the letter "
        + (", ".join(f"{route} {effect:+.3f}" for route, effect in effects.items()) or "none"))
    return labels, summary


def adjust_fit(fit: pd.DataFrame, outcome: str, folds: np.ndarray, config: TrainConfig, data_dir, cases: pd.DataFrame | None,
               end) -> tuple[np.ndarray | None, np.ndarray | None, WeightSummary]:
    """The fit rows' weights and labels by `[training] route_adjustment` (training/route_weights.resolve_adjustment;
    None: every row weighs 1 / learns its outcome) and what was done. The office's cases come from `cases` when given
    (a backtest's, known at its origin), else from `data_dir`; only those dated up to `end` (a row's horizon runs to
    the data's end)."""
    settings = config.training
    method = resolve_adjustment(settings.route_adjustment, data_dir, cases is not None)
    if method == "none":
        return None, None, WeightSummary("none", len(fit))
    cases = cases if cases is not None else read_cases(data_dir)
    cases = cases[cases["event_date"] <= pd.Timestamp(end)]
    if method == "weights":
        weights, summary = fit_weights(fit, cases, settings)
        return weights, None, summary
    labels, summary = letter_fit(fit, outcome, cases, folds, settings.route_carry_days, config.lightgbm, config.seed)
    return None, labels, summary
