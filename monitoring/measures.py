"""The rules of `vsv monitor`, each a pure function of the model's reference profile and aggregates of new data.

Every rule has a size (how far from training: PSI, a ratio, a drop) and a test (how sure: the PSI's null
quantile, a two-proportion z-test, an exact rate-ratio test), and only a finding that passes both is reported
(see `vsv_model.drift` and monitoring/config.py). A finding is one console line: its level, rule, subject and
what was measured against what.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from features.reporting import municipality_rates
from monitoring.config import MonitorConfig
from vsv_model.drift import (
    LEFT_CLOSED,
    bin_counts,
    psi,
    psi_null_quantile,
    rate_ratio_p_value,
    seen_below,
    shares_of,
    two_proportion_z,
    z_critical,
)
from vsv_model.feature_spec import FEATURES

WARN, ALARM = "warn", "alarm"
LEVELS = {"ok": 0, WARN: 1, ALARM: 2}  # also the exit codes of `vsv monitor`


@dataclass(frozen=True)
class Finding:
    level: str  # warn | alarm
    rule: str  # psi | share | reporting_school | reporting_municipality | capacity | expected_auc | concept | realised_*
    subject: str  # the feature, school, municipality, tier, concept or scoring run
    message: str
    value: float

    def line(self) -> str:
        return f"{self.level.upper():5} {self.rule} {self.subject}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


def status_of(findings: list[Finding]) -> str:
    levels = [LEVELS[f.level] for f in findings]
    return {0: "ok", 1: WARN, 2: ALARM}[max(levels, default=0)]


def ratio_level(ratio: float, warn: float, alarm: float) -> str | None:
    """alarm / warn when `ratio` lies outside [1/alarm, alarm] / [1/warn, warn]; None inside."""
    if ratio >= alarm or ratio <= 1.0 / alarm:
        return ALARM
    if ratio >= warn or ratio <= 1.0 / warn:
        return WARN
    return None


def share_ratio(current: float, reference: float) -> float:
    if reference <= 0:
        return math.inf if current > 0 else 1.0
    return current / reference


# -- features ---------------------------------------------------------------------------------------------------

def feature_drift(profile: dict, features: pd.DataFrame, config: MonitorConfig) -> tuple[list[Finding], pd.DataFrame]:
    """Per feature the PSI against the reference bins (with its null quantile), and the shares with a value above
    zero (numbers: any absence, any report), missing and unknown, and (categoricals) of each category, each judged
    against the reference (a PSI spread over many categories can hide one category that grew by half). A feature
    the profile compares below a span (`compared_below`: weeks since the last report, as far back as every fit date
    could see) is cut at the same span here, so the data's start moving away is no drift."""
    rule = profile.get("bin_rule", LEFT_CLOSED)
    n_ref = float(profile.get("rows_per_date") or profile["rows"])  # one date's worth: the fit dates repeat youths
    n_cur = float(len(features))
    findings, rows = [], []
    for spec in FEATURES:
        entry = profile["features"].get(spec.name)
        if entry is None or spec.name not in features:
            continue
        values = seen_below(features[spec.name], entry.get("compared_below"))  # what the profile's dates could see
        counts = bin_counts(values, spec.categories if spec.is_categorical else None, entry["edges"], rule)
        current = shares_of(counts)
        value = psi(entry["shares"], current, n_ref, n_cur)
        used = sum(1 for k in entry["shares"] if entry["shares"][k] > 0 or current.get(k, 0) > 0)
        chance = psi_null_quantile(used, n_ref, n_cur, config.significance)
        row = {"feature": spec.name, "psi": value, "psi_chance": chance, "compared_below": entry.get("compared_below")}
        level = ALARM if value >= config.psi_alarm else WARN if value >= config.psi_warn else None
        if level and value > chance:
            findings.append(Finding(level, "psi", spec.name, f"PSI {value:.3f} (warn {config.psi_warn}, alarm "
                                    f"{config.psi_alarm}; {chance:.3f} by chance at this size)", value))
        shares = {"missing": (entry["missing"], float(values.isna().mean()))}
        if spec.is_categorical:
            shares["unknown"] = (entry["unknown"], float((values.astype(str) == "onbekend").mean()))
        elif entry.get("nonzero") is not None:
            shares["above zero"] = (entry["nonzero"], float((pd.to_numeric(values, errors="coerce") > 0).mean()))
        for what, (ref, cur) in shares.items():
            row[f"{what} (ref)"], row[f"{what} (now)"] = ref, cur
            finding = share_finding(spec.name, what, ref, cur, n_ref, n_cur, config)
            if finding:
                findings.append(finding)
        if spec.is_categorical:  # each category's share, Bonferroni over those large enough to move by the minimum
            movable = sum(1 for c in spec.categories
                          if max(entry["shares"].get(c, 0.0), current.get(c, 0.0)) >= config.share_change_min)
            tested = replace(config, significance=config.significance / max(movable, 1))
            for category in spec.categories:
                finding = share_finding(spec.name, f"'{category}'", entry["shares"].get(category, 0.0),
                                        current.get(category, 0.0), n_ref, n_cur, tested)
                if finding:
                    findings.append(finding)
        rows.append(row)
    return findings, pd.DataFrame(rows)


def compared_spans(profile: dict) -> dict[str, float]:
    """The features the profile compares below a span (an open look-back), with their span."""
    return {name: entry["compared_below"] for name, entry in profile["features"].items()
            if entry.get("compared_below") is not None}


def share_finding(subject: str, what: str, reference: float, current: float, n_ref: float, n_cur: float,
                  config: MonitorConfig) -> Finding | None:
    """A share moved: by at least `share_change_min`, by a ratio outside the bands, and clearly (z-test)."""
    if abs(current - reference) < config.share_change_min:
        return None
    if abs(two_proportion_z(current, n_cur, reference, n_ref)) <= z_critical(config.significance):
        return None
    ratio = share_ratio(current, reference)
    level = ratio_level(ratio, config.share_ratio_warn, config.share_ratio_alarm)
    if level is None:
        return None
    return Finding(level, "share", subject, f"share {what} {current:.1%} against {reference:.1%} at training "
                   f"(x{ratio:.2f})", ratio)


def probability_drift(profile: dict, probability: np.ndarray, config: MonitorConfig) -> tuple[list[Finding], float]:
    """The PSI of the calibrated probability itself against its binned reference."""
    entry = profile.get("probability")
    if not entry:
        return [], float("nan")
    rule = profile.get("bin_rule", LEFT_CLOSED)
    n_ref, n_cur = float(profile.get("rows_per_date") or profile["rows"]), float(len(probability))
    current = shares_of(bin_counts(pd.Series(probability), None, entry["edges"], rule))
    value = psi(entry["shares"], current, n_ref, n_cur)
    used = sum(1 for k in entry["shares"] if entry["shares"][k] > 0 or current.get(k, 0) > 0)
    chance = psi_null_quantile(used, n_ref, n_cur, config.significance)
    level = ALARM if value >= config.psi_alarm else WARN if value >= config.psi_warn else None
    if level and value > chance:
        return [Finding(level, "psi", "probability", f"PSI {value:.3f} of the probability (warn {config.psi_warn}, "
                        f"alarm {config.psi_alarm})", value)], value
    return [], value


# -- reporting ----------------------------------------------------------------------------------------------------

def reference_rates(reporting: dict) -> pd.DataFrame:
    """Per school of the profile: municipality, reports and pupil-years summed over the fit dates."""
    rows = [{"school_id": school, "municipality": entry["municipality"], "reports": int(sum(entry["reports"])),
             "pupil_years": float(sum(entry["pupil_years"]))} for school, entry in reporting["schools"].items()]
    return pd.DataFrame(rows, columns=["school_id", "municipality", "reports", "pupil_years"])


def reference_per_date(reporting: dict, key: str) -> pd.DataFrame:
    """The profile's reports and pupil-years per unit (`school_id` or `municipality`) and fit date, long."""
    rows = [{"school_id": school, "municipality": entry["municipality"], "date": k, "reports": r, "pupil_years": y}
            for school, entry in reporting["schools"].items()
            for k, (r, y) in enumerate(zip(entry["reports"], entry["pupil_years"], strict=True))]
    frame = pd.DataFrame(rows, columns=["school_id", "municipality", "date", "reports", "pupil_years"])
    return frame.groupby([key, "date"], as_index=False)[["reports", "pupil_years"]].sum()


def dispersion(per_date: pd.DataFrame, key: str, min_expected: float) -> float:
    """How much more the reports vary from year to year than a Poisson count would, in the reference: Pearson's
    chi-square of each unit's yearly counts against its own mean rate, over its degrees of freedom (units with at
    least `min_expected` reports a year), at least 1. Reports come in clusters (one pupil absent often is many
    reports), so a plain Poisson test would find chance differences clear."""
    chi_square, freedom = unit_chi_squares(per_date, key, min_expected)
    return max(1.0, float(chi_square.sum()) / int(freedom.sum())) if int(freedom.sum()) > 0 else 1.0


def unit_chi_squares(per_date: pd.DataFrame, key: str, min_expected: float) -> tuple[pd.Series, pd.Series]:
    """Per unit with at least two reference years and `min_expected` reports a year: Pearson's chi-square of its
    yearly counts against its own mean rate, and its degrees of freedom (its years minus one)."""
    present = per_date[per_date["pupil_years"] > 0]
    totals = present.groupby(key)[["reports", "pupil_years"]].transform("sum")
    dates = present.groupby(key)["date"].transform("count")
    keep = (dates >= 2) & (totals["reports"] / dates >= min_expected)
    present, totals, dates = present[keep], totals[keep], dates[keep]
    expected = totals["reports"] * present["pupil_years"] / totals["pupil_years"]
    chi_square = ((present["reports"] - expected) ** 2 / expected).groupby(present[key]).sum()
    return chi_square, (dates.groupby(present[key]).first() - 1).reindex(chi_square.index)


def unit_dispersions(per_date: pd.DataFrame, key: str, min_expected: float) -> tuple[float, dict[str, float]]:
    """The pool's dispersion (`dispersion`) and, per unit, the one it is judged with: the mean of the pool's and
    its own years' (chi-square over degrees of freedom), never below the pool's.

    The spread differs between units: in the no-drift worlds of seed 11 (40,000 youths, eight reference years, 7
    degrees of freedom) Dordrecht's many schools varied like Poisson counts (1.0) while the few reporting pupils of
    one mbo location made Papendrecht's year vary 4.4 times as much (Molenlanden 4.8 in another world; the pool
    1.4-1.7). A common dispersion had a municipality's chance low year (19 reports where 50 were due) for an
    alarm. The unit's own years weigh as much as the pool, so seven years cannot make a unit's test sharper than
    the pool's, nor let one noisy year decide alone."""
    pooled = dispersion(per_date, key, min_expected)
    chi_square, freedom = unit_chi_squares(per_date, key, min_expected)
    own = (chi_square / freedom)[freedom > 0]
    return pooled, {str(unit): max(pooled, (pooled + float(value)) / 2) for unit, value in own.items()}


def rate_findings(reference: pd.DataFrame, current: pd.DataFrame, key: str, rule: str,
                  config: MonitorConfig, overdispersion: float = 1.0,
                  own: dict[str, float] | None = None) -> tuple[list[Finding], pd.DataFrame]:
    """Reports per pupil-year of each unit (`key`: school_id or municipality) now against its reference rate.

    A unit is judged when the reference rate predicts at least `min_expected_reports` now; it is a finding when
    its ratio lies outside the bands and the exact test of two Poisson rates (the current count's share of both,
    binomial given the total) rejects at `significance`, Bonferroni-corrected over the units judged. Both counts
    are divided by the unit's dispersion first (quasi-Poisson: effective counts): its own from `own`
    (`unit_dispersions`), else `overdispersion`."""
    merged = current.merge(reference, on=key, how="inner", suffixes=("", "_ref"))
    merged = merged[(merged["pupil_years"] > 0) & (merged["pupil_years_ref"] > 0)].copy()
    merged["expected"] = merged["reports_ref"] / merged["pupil_years_ref"] * merged["pupil_years"]
    judged = merged[merged["expected"] >= config.min_expected_reports].copy()
    judged["ratio"] = judged["reports"] / judged["expected"]
    judged["dispersion"] = judged[key].astype(str).map(own or {}).fillna(overdispersion).astype(float)
    judged["p_value"] = [rate_ratio_p_value(round(r.reports / r.dispersion), r.pupil_years,
                                            round(r.reports_ref / r.dispersion), r.pupil_years_ref)
                         for r in judged.itertuples()]
    threshold = config.significance / max(len(judged), 1)
    findings = []
    for r in judged.itertuples():
        level = ratio_level(r.ratio, config.rate_ratio_warn, config.rate_ratio_alarm)
        if level and r.p_value < threshold:
            where = f" ({r.municipality})" if key == "school_id" else ""
            findings.append(Finding(level, rule, f"{getattr(r, key)}{where}",
                                    f"{int(r.reports)} absence reports in the year where {r.expected:.0f} were due at "
                                    f"the training's rate (x{r.ratio:.2f}, p={r.p_value:.1e} with dispersion {r.dispersion:.1f})", float(r.ratio)))
    return findings, judged


def reporting_drift(profile: dict, current: pd.DataFrame, config: MonitorConfig) -> tuple[list[Finding], pd.DataFrame]:
    """The reporting rate per school and per municipality against the profile's (none when it has no reporting)."""
    reporting = profile.get("reporting")
    if not reporting:
        return [], pd.DataFrame()
    reference = reference_rates(reporting)
    current = current[current["school_id"] != ""]
    spread = {key: unit_dispersions(reference_per_date(reporting, key), key, config.min_expected_reports)
              for key in ("school_id", "municipality")}
    schools, table = rate_findings(reference, current, "school_id", "reporting_school", config, *spread["school_id"])
    towns, _ = rate_findings(municipality_rates(reference), municipality_rates(current), "municipality",
                             "reporting_municipality", config, *spread["municipality"])
    return schools + towns, table


# -- tiers, expected performance, explanations -------------------------------------------------------------------

def capacity_findings(tier_counts: dict[str, int], places: dict[str, int | None], config: MonitorConfig) -> list[Finding]:
    """A tier holding more youths than its places a year by `capacity_warn` / `capacity_alarm`, beyond a Poisson
    margin (z at `significance` times the square root of the places)."""
    findings = []
    for tier, place in places.items():
        if not place:
            continue
        count = tier_counts.get(tier, 0)
        excess = count / place - 1.0
        margin = z_critical(config.significance) * math.sqrt(place)
        if count - place <= margin:
            continue
        level = ALARM if excess >= config.capacity_alarm else WARN if excess >= config.capacity_warn else None
        if level:
            findings.append(Finding(level, "capacity", tier, f"{count:,} youths in {tier} for {place:,} places a year "
                                    f"(+{excess:.0%})", excess))
    return findings


def expected_auc_finding(reference_auc: float | None, current_auc: float, config: MonitorConfig) -> list[Finding]:
    if reference_auc is None or not np.isfinite(current_auc) or reference_auc - current_auc < config.expected_auc_drop:
        return []
    return [Finding(WARN, "expected_auc", "list", f"expected AUC {current_auc:.3f} against {reference_auc:.3f} at "
                    f"training (drop {reference_auc - current_auc:.3f} >= {config.expected_auc_drop})",
                    reference_auc - current_auc)]


def concept_findings(reference: dict[str, float], current: dict[str, float], config: MonitorConfig) -> list[Finding]:
    """Explanation drift: the mean |SHAP| of a concept now over at training outside [1/r, r]."""
    findings = []
    for concept, ref in reference.items():
        now = current.get(concept, 0.0)
        ratio = share_ratio(now, ref)
        outside = ratio >= config.concept_ratio_warn or ratio <= 1.0 / config.concept_ratio_warn
        if outside and max(ref, now) >= 0.01:
            findings.append(Finding(WARN, "concept", concept, f"mean |contribution| {now:.3f} against {ref:.3f} at "
                                    f"training (x{ratio:.2f})", ratio))
    return findings


# -- tier shares per group ----------------------------------------------------------------------------------------

GROUP_TIER_SETS = {"high": ("high",), "high or medium": ("high", "medium")}


DATA_GAP = "without school records"  # the youths the check `no_school_records` flags: a data gap, not a tier


def group_tier_shares(groups: pd.DataFrame, tiers: np.ndarray, gap: np.ndarray | None = None) -> pd.DataFrame:
    """Per attribute and group: its youths and the share of them in each tier set (one crosstab per attribute), and
    with `gap` the share without any school record."""
    rows = []
    for attribute in groups.columns:
        table = pd.crosstab(groups[attribute].astype(str).to_numpy(), tiers)
        n = table.sum(axis=1)
        for name, members in GROUP_TIER_SETS.items():
            inside = table.reindex(columns=list(members), fill_value=0).sum(axis=1)
            rows.append(pd.DataFrame({"attribute": attribute, "group": table.index, "tiers": name, "n": n.to_numpy(),
                                      "share": (inside / n).to_numpy()}))
        if gap is not None:
            without = pd.Series(np.asarray(gap, dtype=float)).groupby(groups[attribute].astype(str).to_numpy()).mean()
            rows.append(pd.DataFrame({"attribute": attribute, "group": table.index, "tiers": DATA_GAP, "n": n.to_numpy(),
                                      "share": without.reindex(table.index).to_numpy()}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["attribute", "group", "tiers", "n", "share"])


def group_tier_drift(profile: dict, groups: pd.DataFrame, tiers: np.ndarray, config: MonitorConfig,
                     gap: np.ndarray | None = None) -> tuple[list[Finding], pd.DataFrame]:
    """Tier shares per group (gender, origin, school municipality) against training: a group that drifts into or
    out of `high` (or `high or medium`) while the others do not. Groups of fewer than `min_group_size` youths on
    either side are shown, not judged; the test is Bonferroni-corrected over the comparisons judged."""
    reference = profile.get("groups") or {}
    scale = float(profile.get("rows_per_date") or profile["rows"]) / float(profile["rows"])  # one date's worth
    current = group_tier_shares(groups[[a for a in groups.columns if a in reference]], tiers, gap)
    if current.empty:
        return [], current.assign(reference=[], n_reference=[])
    def at_training(row) -> tuple[float, float]:
        entry = reference[row.attribute].get(row.group, {})
        if row.tiers == DATA_GAP:  # a profile from before the data-gap check has no share: shown, not judged
            return entry.get("no_school_records", np.nan), (entry.get("n", 0) * scale if "no_school_records" in entry else 0.0)
        return (sum(entry.get(t, 0.0) for t in GROUP_TIER_SETS[row.tiers]), entry.get("n", 0) * scale)
    pairs = [at_training(row) for row in current.itertuples()]
    current["reference"] = [p[0] for p in pairs]
    current["n_reference"] = [p[1] for p in pairs]
    judged = current[(current["n"] >= config.min_group_size) & (current["n_reference"] >= config.min_group_size)]
    corrected = replace(config, significance=config.significance / max(len(judged), 1))
    findings = [f for row in judged.itertuples()
                if (f := share_finding(f"{row.attribute}={row.group}", f"in {row.tiers}", row.reference, row.share,
                                       row.n_reference, row.n, corrected)) is not None]
    return [replace(f, rule="group_tiers") for f in findings], current
