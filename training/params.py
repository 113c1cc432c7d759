"""The booster's LightGBM parameters, one owner for every booster training fits: the risk model, its cross-fitting
folds, the search grid and the route adjustment's outcome model."""

from __future__ import annotations

from training.config import LightGBMConfig
from vsv_model.feature_spec import FEATURES


def lightgbm_params(config: LightGBMConfig, seed: int, extra_monotone: int = 0) -> dict:
    """The booster's parameters: `config` without the round counts, binary log-loss, the features' monotone
    constraints (and `extra_monotone` unconstrained inputs after them), deterministic."""
    params = {k: v for k, v in vars(config).items() if k not in ("num_boost_round", "early_stopping_rounds")}
    return params | {
        "objective": "binary",
        "metric": "binary_logloss",
        "monotone_constraints": [f.monotone for f in FEATURES] + [0] * extra_monotone,
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
    }
