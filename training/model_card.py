"""The model card: what the model is for and not for, its data, metrics, per-group figures and
caveats, and a short summary in Dutch for the officers who act on it."""

from __future__ import annotations

import pandas as pd

from vsv_model.feature_spec import FEATURES
from vsv_model.policy import ROUTES, TIER_LABELS_NL, TIERS
from vsv_model.risk_model import RiskModel


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
    header = "| " + " | ".join(map(str, shown.columns)) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = ["| " + " | ".join(map(str, r)) + " |" for r in shown.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def comparison_table(metrics: dict, baselines: dict) -> pd.DataFrame:
    names = ["roc_auc", "pr_auc", "brier", "log_loss", "ece", "precision_at_capacity", "recall_at_capacity"]
    rows = {"LightGBM (calibrated)": metrics, **baselines}
    return pd.DataFrame([{"model": k, **{n: v[n] for n in names}} for k, v in rows.items()])


def render_model_card(model: RiskModel, metrics: dict, baselines: dict, audit: pd.DataFrame, version_note: str) -> str:
    cut = model.cutoffs
    per_group = audit[audit["attribute"].isin(["gender", "origin"])][
        ["attribute", "group", "n", "outcome_rate", "mean_p", "fnr_high", "fnr_high_ratio", "tpr_high_ratio", "for_high_ratio",
         "fpr_medium_ratio", "fdr_medium_ratio", "calibration_in_the_large", "observed_expected", "observed_expected_ratio"]]
    per_group = per_group.astype({"n": int})
    sizing = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in cut.details.items())
    tiers = pd.DataFrame([{"tier": t, "share (test)": metrics[f"share_{t}"], "observed rate (test)": metrics[f"outcome_rate_{t}"],
                           "route": ROUTES[t].label_nl} for t in TIERS])
    truth = ""
    if "truth_roc_auc" in metrics:
        truth = (f"\nOn this synthetic population the true probability is known: its AUC is {metrics['truth_roc_auc']:.3f} "
                 f"(the model's gap {metrics['truth_auc_gap']:+.4f}), its Brier score {metrics['truth_brier']:.4f} "
                 f"(the model is {metrics['truth_brier_gap_pct']:+.2f}% worse), mean |p - p_true| = {metrics['truth_mean_abs_p_gap']:.4f}.\n")
    high_pct = round(100 * metrics["share_high"])
    group = model.target_group
    return f"""# Model card: vsv-risk {version_note}

## Intended use
Estimates, for a youth of {group.min_age} to {group.max_age} without a startkwalificatie followed by the Doorstroompunt
Zuid-Holland Zuid, the probability of **not** obtaining a startkwalificatie (havo, vwo, mbo-2+)
before turning {group.outcome_age} (target group: {group.describe()}), and sorts youths into low / medium / high tiers that advise a route
(letter, conversation, matchmaker). It supports planning and the officer's judgement.

## Out-of-scope use
- Deciding anything about a youth without an officer: the model advises, the officer decides and records it.
- Youths outside the target group (under {group.min_age}, {group.max_age} or older, already qualified), other regions, or
  data that does not follow the data contract.
- Any sanction, benefit or fraud decision; ranking schools or municipalities; inferring gender or origin.

## Data
Reference date(s): {", ".join(model.info.get("as_of_dates", []))}. Rows: {model.info.get("train_rows")} training,
{model.info.get("early_stopping_rows")} early stopping, {model.info.get("calibration_rows")} calibration, {model.info.get("test_rows")} test;
split by youth (no youth in two parts), the test youths taken at the latest reference date and absent from training. Data digest (sha256 of the files):
`{model.info.get("data_digest")}`. Inputs: {", ".join(f.name for f in FEATURES)}. Gender and origin are audit-only and never reach the model.

## Model
LightGBM, {model.n_trees} trees of at most {model.info.get("num_leaves")} leaves, native categorical features, monotone
constraints (more absence, reports, switches, dropout episodes or months out of school never lower the risk),
Platt-calibrated log-odds (slope {model.calibration.slope:.4f}, intercept {model.calibration.intercept:.4f}).
Tier cut-offs ({cut.mode}): medium from p = {cut.medium:.4f}, high from p = {cut.high:.4f}{f" ({sizing})" if sizing else ""}.

## Metrics (test set)
{_table(comparison_table(metrics, baselines))}

Expected calibration error (10 bins): {metrics["ece"]:.4f}. Outcome rate per tier:

{_table(tiers)}
{truth}
## Per-group metrics (audit-only attributes)
High boundary: false-negative rate (fnr_high), the share of positives that do reach `high` (tpr_high) and
false-omission rate; medium boundary: false-positive and false-discovery rate; ratios are to the whole test
population. Calibration-in-the-large: mean p minus the outcome rate, and observed/expected (outcome rate / mean p;
above 1 the model underestimates the group's risk) with its ratio to the whole population's. A promotion gate fails
when an error-rate ratio leaves its bounds and the difference is statistically clear. Full table for gender, origin,
school municipality and age: `fairness.csv`.

{_table(per_group)}

## Caveats
- Recording of absence is uneven between schools; light cases have thin files. Missing reports do not mean no absence.
- Origin is linked to municipality and school location, so school location can act as a partial proxy: watch the
  per-group table at every retraining.
- The tiers are sized to capacity; when the population or the capacity changes, the cut-offs must be recomputed.
- Trained and evaluated on a synthetic population; figures on real data will differ.

## Samenvatting voor consulenten
Dit model schat voor jongeren van {group.describe_nl()} zonder startkwalificatie hoe groot de kans is dat zij vóór hun {group.outcome_age}e
geen startkwalificatie halen. Jongeren met de hoogste kans (ongeveer {high_pct}% van de groep) krijgen het advies
'{TIER_LABELS_NL["high"]}': een matchmaker. De middengroep krijgt een uitnodiging voor een gesprek, de rest een brief.
Bij elke jongere ziet u welke gegevens de kans verhogen of verlagen. Het model geeft advies; u beslist, en u legt
vast wat u besluit en waarom. Geslacht en herkomst worden niet gebruikt om de kans te berekenen; wel controleren
we of het model voor alle groepen even goed werkt.
"""
