"""The feedback loop of the office's own reactions, taken out of the training rows by weights.

In a region where the office reacts to events, a training row's outcome was partly made by that reaction: a
conversation or a matchmaker lowers the risk of exactly the youths who got one, the most at risk, and a model fitted
on those outcomes would rank them lower the next year. The model therefore estimates the risk **under the office's
lightest reaction**, the letter: what the youth faces without a place.

A row's reactions are the office's recorded reactions (`office_cases.csv`) to its youth dated from `carry_days`
before the row's day on (the label's horizon, and a route's support still running from before it):

- a row with a reaction heavier than the letter gets weight 0 (its outcome is not the letter's);
- a row whose reactions are all letters gets 1 / P(letter | recorded variables) for each (their product): the
  draw's exact chance where the route was drawn by the randomised share and not refused, else the share of letters
  among the officers' own choices (every case but those exact draws) of its cell (policy x advised route x kind x score band of 0.1; a cell with fewer than
  `MIN_CELL_CASES` cases takes its coarser cell without the score band, then policy x advised route, then all);
- a row without a reaction keeps weight 1.

The chance is clipped from below at `min_propensity` (a weight never exceeds its inverse), and the weights are
scaled to a mean of 1 over the fit rows. What was done is summed up in `WeightSummary` (rows per route, the
effective sample size, how many were clipped): aggregates only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vsv_model.office_cases import FILE_NAME, read_office_cases
from vsv_model.progress import say
from vsv_model.route_draws import ROUTE_CODES

DEFAULT_ADJUSTMENT = "outcome"  # with the office's cases; without them there is nothing to adjust: "none"
LETTER = ROUTE_CODES[0]
MIN_CELL_CASES = 30  # cases a cell needs for its own share of letters
SCORE_BAND = 0.1
CELLS = (("policy", "advised_route", "kind", "score_band"), ("policy", "advised_route", "kind"),
         ("policy", "advised_route"), ())


class RouteWeightError(ValueError):
    """The route adjustment cannot be made as asked (e.g. weights asked for without the office's cases)."""


@dataclass(frozen=True)
class WeightSummary:
    """What the weights did to the fit rows (aggregates only)."""

    method: str
    fit_rows: int
    rows_without_reaction: int = 0
    rows_letter: int = 0
    rows_heavier: int = 0  # weight 0
    clipped: int = 0  # letter rows whose chance was clipped at min_propensity
    max_weight: float = 1.0
    effective_sample_size: float = 0.0
    cases: int = 0  # recorded reactions read
    exact_propensities: int = 0  # reactions whose chance is a draw's
    rows_soft: int = 0  # "outcome": heavier rows whose label under the letter lies strictly between 0 and 1
    mean_label_shift: float = 0.0  # "outcome": the heavier rows' mean label change (letter's chance minus outcome)
    effects: dict = field(default_factory=dict)  # "outcome": per heavier route, the mean chance under the letter
                                                 # minus under the route, on the rows that got it

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def resolve_adjustment(asked: str, data_dir: Path | None, cases_given: bool = False) -> str:
    """The adjustment used: the one asked for; else DEFAULT_ADJUSTMENT ("outcome", training/route_labels.py:
    measured in docs/event-model.md) when the office's cases are there (`data_dir`'s office_cases.csv, or
    `cases_given`), and "none" when they are not. An adjustment asked for by name without the cases is refused."""
    has_cases = cases_given or (data_dir is not None and (Path(data_dir) / FILE_NAME).is_file())
    if not asked:
        return DEFAULT_ADJUSTMENT if has_cases else "none"
    if asked != "none" and not has_cases:
        raise RouteWeightError(f"[training] route_adjustment = \"{asked}\", but {data_dir} has no {FILE_NAME}: "
                               "without the office's recorded routes there is nothing to adjust (set \"none\")")
    return asked


def read_cases(data_dir: Path, until=None) -> pd.DataFrame:
    """The office's recorded cases, with `event_date` as a date; only those dated before `until` when given (what
    the office knew on that day)."""
    cases = read_office_cases(Path(data_dir) / FILE_NAME)  # checked and typed: event_date is a date
    return cases[cases["event_date"] < pd.Timestamp(until)] if until is not None else cases


def letter_propensity(cases: pd.DataFrame) -> np.ndarray:
    """P(letter | the case's recorded variables) per case: the draw's chance on a randomised, not refused case
    whose drawn route is the letter (on one drawn to a heavier route the letter had chance 0 beside it: the row
    weighs 0 anyway), else the share of letters in its cell (see the module docstring)."""
    exact = exact_draws(cases)
    chance = pd.to_numeric(cases["draw_propensity"], errors="coerce").to_numpy(float, copy=True)
    chosen = cases[~exact]  # the officers' own choices (a refused draw is one): the cells learn from these alone
    chance[~exact] = cell_shares(chosen.assign(score_band=np.floor(chosen["score"].to_numpy(float) / SCORE_BAND),
                                               letter=(chosen["route"] == LETTER).astype(float)))
    return chance


def exact_draws(cases: pd.DataFrame) -> np.ndarray:
    return ((cases["randomised"] == 1) & (cases["refused"] == 0)).to_numpy()


def cell_shares(cases: pd.DataFrame) -> np.ndarray:
    """The share of letters among the cases of each case's finest cell with at least MIN_CELL_CASES cases."""
    share = np.full(len(cases), np.nan)
    if cases.empty:
        return share
    for cell in CELLS:
        grouped = cases.groupby(list(cell), dropna=False)["letter"] if cell else None
        count = grouped.transform("size").to_numpy() if cell else np.full(len(cases), len(cases))
        mean = grouped.transform("mean").to_numpy() if cell else np.full(len(cases), cases["letter"].mean())
        take = np.isnan(share) & (count >= (MIN_CELL_CASES if cell else 1))
        share[take] = mean[take]
    return share


def row_reactions(rows: pd.DataFrame, cases: pd.DataFrame, carry_days: int) -> pd.DataFrame:
    """Every (row, reaction) pair: the reactions to the row's youth dated from `carry_days` before its day on
    (`row` is the position in `rows`)."""
    keys = pd.DataFrame({"row": np.arange(len(rows)), "youth_id": rows["youth_id"].astype(str).to_numpy(),
                         "day": pd.to_datetime(rows["as_of"].astype(str)).to_numpy()})
    pairs = keys.merge(cases[["youth_id", "event_date", "route", "propensity"]], on="youth_id", how="inner")
    return pairs[pairs["event_date"] >= pairs["day"] - pd.Timedelta(days=carry_days)]


def route_weights(rows: pd.DataFrame, cases: pd.DataFrame, carry_days: int,
                  min_propensity: float) -> tuple[np.ndarray, WeightSummary]:
    """Each fit row's weight (module docstring) and what the weights did."""
    cases = cases.assign(propensity=letter_propensity(cases))
    pairs = row_reactions(rows, cases, carry_days)
    clipped = pairs["propensity"].to_numpy(float) < min_propensity
    pairs = pairs.assign(heavier=(pairs["route"] != LETTER).to_numpy(),
                         inverse=1.0 / np.maximum(pairs["propensity"].to_numpy(float), min_propensity), clipped=clipped)
    per_row = pairs.groupby("row").agg(heavier=("heavier", "any"), inverse=("inverse", "prod"), clipped=("clipped", "any"))
    weights = np.ones(len(rows))
    letter_rows = per_row.index[~per_row["heavier"]].to_numpy()
    heavy_rows = per_row.index[per_row["heavier"]].to_numpy()
    weights[letter_rows] = per_row.loc[~per_row["heavier"], "inverse"].to_numpy()
    weights[heavy_rows] = 0.0
    weights = weights * len(weights) / weights.sum() if weights.sum() > 0 else weights
    summary = WeightSummary("weights", len(rows), len(rows) - len(per_row), len(letter_rows), len(heavy_rows),
                            int(per_row.loc[~per_row["heavier"], "clipped"].sum()), float(weights.max(initial=0.0)),
                            effective_size(weights), len(cases), int(exact_draws(cases).sum()))
    return weights, summary


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2."""
    squares = float(np.square(weights).sum())
    return float(weights.sum() ** 2 / squares) if squares > 0 else 0.0


def fit_weights(fit: pd.DataFrame, cases: pd.DataFrame, settings) -> tuple[np.ndarray, WeightSummary]:
    """The fit rows' weights of the "weights" adjustment (`settings`: AdjustmentConfig), from the office's `cases`."""
    weights, summary = route_weights(fit, cases, settings.route_carry_days, settings.min_propensity)
    say(f"route adjustment (the risk under the letter, by weights): {summary.rows_heavier:,} of {summary.fit_rows:,} fit "
        f"rows had a conversation or matchmaker and weigh 0, {summary.rows_letter:,} with letters weigh 1/P(letter) (largest "
        f"{summary.max_weight:.1f}, {summary.clipped:,} clipped); effective sample size {summary.effective_sample_size:,.0f}")
    return weights, summary
