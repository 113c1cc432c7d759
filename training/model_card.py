"""The model card: what the model is for and not for, its data, metrics, per-group figures and
caveats, and a short summary in Dutch for the officers who act on it."""

from __future__ import annotations

import pandas as pd

from vsv_model.feature_spec import FEATURES
from vsv_model.policy import RISK_CATEGORIES, RISK_CATEGORY_LABELS_NL, ROUTES, TIERS, RiskCategories
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


INTERVAL = ("roc_auc", "brier", "ece", "precision_at_capacity")


def with_interval(metrics: dict, name: str) -> str:
    value = f"{metrics[name]:.4f}"
    return value + (f" [{metrics[f'{name}_low']:.4f}, {metrics[f'{name}_high']:.4f}]" if f"{name}_low" in metrics else "")


def comparison_table(metrics: dict, baselines: dict) -> pd.DataFrame:
    """Every model's figures on the test cohort, with 95% bootstrap intervals."""
    rows = {"LightGBM (calibrated)": metrics, **baselines}
    return pd.DataFrame([{"model": k, **{n: with_interval(v, n) for n in INTERVAL},
                          "recall_at_capacity": f"{v['recall_at_capacity']:.4f}"} for k, v in rows.items()])


def verdict(differences: dict, baseline: str) -> str:
    """Which model is better, in plain words, by the paired AUC difference and its interval."""
    d = differences[baseline]["roc_auc"]
    size = f"{d['difference']:+.4f} AUC [{d['low']:+.4f}, {d['high']:+.4f}] on the same {differences[baseline]['n']:,} youths"
    if d["low"] > 0:
        return f"LightGBM is better than the {baseline.replace('_', ' ')} baseline: {size}."
    if d["high"] < 0:
        return f"LightGBM is WORSE than the {baseline.replace('_', ' ')} baseline: {size}."
    return (f"LightGBM and the {baseline.replace('_', ' ')} baseline are within each other's interval: {size}. LightGBM "
            "stays because it keeps the monotone promises (more absence never lowers the risk) and gives exact TreeSHAP "
            "reasons per concept.")


def category_range(categories: RiskCategories, category: str) -> str:
    bounds = {"low": f"p < {categories.medium:.2f}", "medium": f"{categories.medium:.2f} <= p < {categories.high:.2f}",
              "high": f"p >= {categories.high:.2f}"}
    return bounds[category]


def category_table(categories: RiskCategories, outcome_age: int) -> pd.DataFrame:
    """Per risk category: its probability range, and what it meant on the test cohort (rows, observed rate, mean
    predicted probability, the Dutch sentence officers read); empty figures when not measured."""
    rows = []
    for c in reversed(RISK_CATEGORIES):
        meaning = categories.measured.get(c)
        rows.append({"risk category": f"{c} ({RISK_CATEGORY_LABELS_NL[c]})", "probability": category_range(categories, c),
                     "test rows": "" if meaning is None else str(meaning.rows),
                     "observed rate": "" if meaning is None or meaning.observed_rate is None else f"{meaning.observed_rate:.3f}",
                     "mean predicted": "" if meaning is None or meaning.mean_predicted is None else f"{meaning.mean_predicted:.3f}",
                     "meaning (nl)": categories.meaning_nl(c, outcome_age)})
    return pd.DataFrame(rows)


def categories_section(categories: RiskCategories, outcome_age: int) -> str:
    measured = f"measured on the {categories.measured_on}" if categories.measured else "not measured for this model"
    return (f"Risk categories (from the probability alone, fixed cut-offs: medium from p = {categories.medium:.2f}, high "
            f"from p = {categories.high:.2f}; {measured}). The category is the risk word officers read; the tier is "
            f"the advised approach, sized by capacity, and is never called the risk:\n\n{_table(category_table(categories, outcome_age))}")


def offsets_section(table: pd.DataFrame | None, min_youths: int = 100) -> str:
    """The log-odds offset per group (alone, within the current education and, with event rows, within the kind of
    row) with its 95% interval, for the groups of at least `min_youths` youths; the whole table is
    `calibration_by_group.csv`."""
    if table is None:
        return ""
    shown = table[table["youths"] >= min_youths][["label", "youths", "rows", "outcome_rate", "mean_p", "observed_expected",
                                                   "delta", "delta_low", "delta_high"]]
    return ("\nCalibration per group as a log-odds offset delta (logit P = logit p + delta; above 0 the model underestimates "
            "the group's risk), fitted on the held-out youths' rows of every date, with its 95% interval (a youth is one "
            "cluster). The promotion gate refuses a group whose whole Bonferroni interval lies beyond a tolerated "
            "offset (README: `max_calibration_offset`); groups too small or with one outcome only are shown, not "
            "judged. Groups of at least "
            f"{min_youths} youths; all in `calibration_by_group.csv`:\n\n{_table(shown.astype({'youths': int, 'rows': int}))}\n")


def event_counts(info: dict) -> str:
    counts = [f"{info[key]:,} {key.removeprefix('fit_rows_')}" for key in sorted(info) if key.startswith("fit_rows_")]
    return ", ".join(counts) + " fit rows" if counts else "no event rows"


def kinds_section(model: RiskModel) -> str:
    """Each kind of event's calibration and the events' cut-offs (shared: they share the weekly places)."""
    if not model.kinds:
        return "One calibration for every kind of moment (the model predates event rows)."
    lines = ["Per kind of event (an 18+ absence report, a repeat, a new leaver):", ""]
    for kind, settings in model.kinds.items():
        c, t = settings.calibration, settings.cutoffs
        sizing = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in t.details.items())
        lines.append(f"- {kind}: calibration slope {c.slope:.4f}, intercept {c.intercept:.4f} ({c.method}); tier cut-offs "
                     f"({t.mode}) medium from p = {t.medium:.4f}, high from p = {t.high:.4f}" + (f" ({sizing})" if sizing else ""))
    return "\n".join(lines)


def route_section(info: dict) -> str:
    """Which route adjustment the fit used (training/route_labels.py, route_weights.py), with its counts, in English."""
    summary = info.get("route_adjustment", {"method": "none"})
    if summary.get("method") == "outcome":
        effects = ", ".join(f"{route} {effect:+.4f}" for route, effect in summary.get("effects", {}).items())
        return (f"Route adjustment: outcome (the route taken is part of the training data). The model estimates the risk "
                f"under the office's lightest reaction, the letter (what a youth faces without a place). An outcome model, "
                f"cross-fitted over two halves of the youths, learns the outcome from the model's inputs, the row's kind and "
                f"the heaviest route the office took for the youth (from a year before the row's day on). Of "
                f"{summary['fit_rows']:,} fit rows, {summary['rows_heavier']:,} whose youth got a conversation or a "
                f"matchmaker get their label under the letter ({summary['rows_soft']:,} of them a soft label, as two rows "
                f"weighing q and 1 - q; mean label change {summary['mean_label_shift']:+.4f}). The outcome model's mean "
                f"chance under the letter minus under the route taken, on the rows that got it: {effects or 'none'}. "
                f"{summary['rows_letter']:,} rows with letters and {summary['rows_without_reaction']:,} without a reaction "
                f"keep their label; no row weighs more than 1.")
    if summary.get("method") != "weights":
        return ("Route adjustment: none. Every fit row counts as it is: where the office reacted to a youth, its outcome "
                "includes that reaction's effect (no office_cases.csv, or `[training] route_adjustment = \"none\"`).")
    return (f"Route adjustment: weights. The model estimates the risk under the office's lightest reaction, the letter "
            f"(what a youth faces without a place). Of {summary['fit_rows']:,} fit rows, {summary['rows_heavier']:,} whose "
            f"youth got a conversation or a matchmaker (from the row's day on, or still running from before it) weigh 0; "
            f"{summary['rows_letter']:,} with letters weigh 1/P(letter | recorded variables) (the draw's exact chance "
            f"where randomised: {summary['exact_propensities']:,} of {summary['cases']:,} cases; else the share of "
            f"letters per policy, advised route, kind and score band), clipped ({summary['clipped']:,} rows), largest "
            f"weight {summary['max_weight']:.2f}; {summary['rows_without_reaction']:,} without a reaction weigh 1. "
            f"Effective sample size {summary['effective_sample_size']:,.0f} of {summary['fit_rows']:,} rows.")


def route_sentence_nl(info: dict) -> str:
    """The route adjustment in one Dutch sentence for the officers."""
    method = info.get("route_adjustment", {}).get("method")
    if method == "outcome":
        return ("De route die het bureau koos telt mee bij het leren: bij jongeren die een gesprek of een matchmaker "
                "kregen, rekent het model de uitkomst terug naar wat er met alleen een brief zou zijn gebeurd. De kans "
                "is dus de kans als de jongere alleen een brief krijgt.")
    if method == "weights":
        return ("De route die het bureau koos telt mee als gewicht: jongeren die een gesprek of een matchmaker kregen, "
                "tellen niet mee bij het leren, want hun uitkomst is door die hulp veranderd. De kans is dus de kans "
                "als de jongere alleen een brief krijgt.")
    return ("De route die het bureau koos telt niet mee: het model leert van alle uitkomsten zoals ze waren, ook als "
            "hulp van het bureau die uitkomst veranderde.")


def render_model_card(model: RiskModel, metrics: dict, baselines: dict, differences: dict, audit: pd.DataFrame,
                      maturity: pd.DataFrame, calibration: pd.DataFrame, version_note: str,
                      group_calibration: pd.DataFrame | None = None, kinds: str = "") -> str:
    cut = model.cutoffs
    per_group = audit[audit["attribute"].isin(["gender", "origin"])][
        ["attribute", "group", "n", "outcome_rate", "mean_p", "fnr_high", "fnr_high_ratio", "tpr_high_ratio", "for_high_ratio",
         "fpr_medium_ratio", "fdr_medium_ratio", "calibration_in_the_large", "observed_expected", "observed_expected_ratio", "share_no_school_records"]]
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
    cats = model.categories
    group = model.target_group
    return f"""# Model card: vsv-risk {version_note}

## Intended use
Estimates, for a youth of {group.min_age} to {group.max_age} without a startkwalificatie followed by the Doorstroompunt
Zuid-Holland Zuid, the probability of **not** obtaining a startkwalificatie (havo, vwo, mbo-2+)
before turning {group.outcome_age} (target group: {group.describe()}). It names the risk by fixed probability cut-offs (risk
category low / medium / high) and, apart from it, advises a route (letter, conversation, matchmaker) by the youth's place
in a ranking sized to the year's capacity (the tier). It supports planning and the officer's judgement.

## Out-of-scope use
- Deciding anything about a youth without an officer: the model advises, the officer decides and records it.
- Youths outside the target group (under {group.min_age}, {group.max_age} or older, already qualified), other regions, or
  data that does not follow the data contract.
- Any sanction, benefit or fraud decision; ranking schools or municipalities; inferring gender or origin.

## Data
Reference dates (1 October): {", ".join(model.info.get("as_of_dates", []))}. Temporal design: the test set is the newest
cohort whose whole outcome is known ({model.info.get("definition", {}).get("test_date")}, {model.info.get("test_rows")} youths); none of its youths is
used at an earlier date. The fit set is every other labelled row before it ({model.info.get("fit_rows")} rows of
{model.info.get("fit_youths")} youths; a youth is in one part only): the yearly stock on each 1 October and every event
the office acts on, each as of its own day ({event_counts(model.info)}). Label maturity rule:
`{model.info.get("definition", {}).get("label_maturity")}`. Rows per date and those left out because their outcome is not known yet:

{_table(maturity)}

Data digest (sha256 of the files): `{model.info.get("data_digest")}`. Inputs: {", ".join(f.name for f in FEATURES)}. Gender and origin are audit-only and never reach the model.

## Model
LightGBM, {model.n_trees} trees of at most {model.info.get("num_leaves")} leaves (the median of the cross-fitting folds' early
stopping: {model.info.get("fold_trees")}), native categorical features, monotone constraints (more absence, reports, switches,
dropout episodes or months out of school never lower the risk), Platt-calibrated log-odds fitted on every fit youth's
out-of-fold score (slope {model.calibration.slope:.4f}, intercept {model.calibration.intercept:.4f}).
Tier cut-offs ({cut.mode}): medium from p = {cut.medium:.4f}, high from p = {cut.high:.4f}{f" ({sizing})" if sizing else ""}.

{kinds_section(model)}

{route_section(model.info)}

## Per kind of moment (held-out youths, 95% bootstrap intervals over youths)
The stock is the test cohort on 1 October; each kind of event is the held-out youths' events up to the end of the
test year, each scored as of its own day with its kind's calibration. The truth's AUC is known on synthetic data only.

{kinds}

## Metrics (test cohort, 95% bootstrap intervals)
{_table(comparison_table(metrics, baselines))}

{verdict(differences, "spline_logistic")}

Calibration, before (the booster's own probability) and after the Platt scaling:

{_table(calibration)}

Outcome rate per tier (the advised approach, sized by capacity):

{_table(tiers)}

{categories_section(model.categories, group.outcome_age)}
{truth}
## Per-group metrics (audit-only attributes)
High boundary: false-negative rate (fnr_high), the share of positives that do reach `high` (tpr_high) and
false-omission rate; medium boundary: false-positive and false-discovery rate; ratios are to the whole test
population. Calibration-in-the-large: mean p minus the outcome rate, and observed/expected (outcome rate / mean p;
above 1 the model underestimates the group's risk) with its ratio to the whole population's. A promotion gate fails
when the interval of an error-rate ratio (group against the rest, at the gates' significance level) lies wholly
outside its bounds. `share_no_school_records` is
the share of the group with no school record at all: a data gap, flagged to the officer instead of read out as a
reason (it can fall on youths who went to school abroad). Full table for gender, origin,
school municipality and age: `fairness.csv`.

{_table(per_group)}
{offsets_section(group_calibration)}
## Caveats
- Recording of absence is uneven between schools; light cases have thin files. Missing reports do not mean no absence.
- Origin is linked to municipality and school location, so school location can act as a partial proxy: watch the
  per-group table at every retraining.
- The tiers are sized to capacity; when the population or the capacity changes, the cut-offs must be recomputed.
- Trained and evaluated on a synthetic population; figures on real data will differ.

## Samenvatting voor consulenten
Dit model schat voor jongeren van {group.describe_nl()} zonder startkwalificatie hoe groot de kans is dat zij vóór hun {group.outcome_age}e
geen startkwalificatie halen. Het risico volgt alleen uit die kans: laag onder {round(100 * cats.medium)}%, midden vanaf
{round(100 * cats.medium)}%, hoog vanaf {round(100 * cats.high)}%. Het advies hangt ook af van de plaatsen per jaar: de jongeren met de
hoogste kans (ongeveer {high_pct}% van de groep) krijgen het advies matchmaker, de groep daarna een uitnodiging voor een
gesprek, de rest een brief. Is het advies lichter of zwaarder dan het risico, dan staat er een zin bij die zegt waarom.
Bij elke jongere ziet u welke gegevens de kans verhogen of verlagen. Het model geeft advies; u beslist, en u legt
vast wat u besluit en waarom. {route_sentence_nl(model.info)} Geslacht en herkomst worden niet gebruikt om de kans te berekenen; wel controleren
we of het model voor alle groepen even goed werkt.
"""


def promotion_section(version: str, previous: str | None, gates: list, comparison: dict, figures: dict,
                      categories: RiskCategories | None = None, outcome_age: int = 23,
                      kinds: pd.DataFrame | None = None) -> str:
    """What `vsv promote` measured, appended to the model card when the version becomes champion."""
    lines = [f"\n## Promotion of version {version} (champion before: {previous or 'none'})\n"]
    if kinds is not None and not kinds.empty:
        lines.append("Per kind of event, on this model's held-out youths' events (each scored as of its own day), "
                     "95% intervals over youths; the champion on the same rows:\n")
        lines.append(_table(kinds.round(4)))
        lines.append("")
    if categories is not None:
        lines.append(categories_section(categories, outcome_age) + "\n")
    if comparison:
        lines.append(f"Compared with the champion on {comparison['n']:,} youths of this model's test cohort that the champion never "
                     f"fitted on ({comparison['excluded_seen_by_champion']:,} left out):\n")
        rows = [{"metric": m, "challenger - champion": parts["difference"], "low": parts["low"], "high": parts["high"]}
                for m, parts in comparison.items() if isinstance(parts, dict)]
        lines.append(_table(pd.DataFrame(rows), 4))
    if figures:
        lines.append(f"\nStability of the officers' list on the current population ({figures['youths']:,} youths): Jaccard overlap "
                     f"of the high tier {figures['jaccard_high']:.3f}, of high plus medium {figures['jaccard_high_medium']:.3f}; "
                     f"{figures['route_change_share']:.1%} change route, {figures['top_reason_change_share']:.1%} change top reason. "
                     "Tier transitions (champion -> challenger):\n")
        lines.append(_table(pd.DataFrame([{"from -> to": k, "youths": v} for k, v in figures["transitions"].items()])))
    lines.append("\nGates:\n")
    lines.append("Each gate judges an interval: refused only when it lies wholly beyond the bound, undecided (and passed) "
                 "when it straddles it.\n")
    lines.append(_table(pd.DataFrame([{"gate": g.name, "verdict": g.verdict,
                                       "passed": g.passed, "detail": g.detail} for g in gates])))
    return "\n".join(lines) + "\n"
