"""The temporal design on hand-made data: the test cohort, the held-out group, the label-maturity rule and its
counts, one part per youth, folds that follow the youth; and on a simulated world: no selection on the outcome."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.builders import diploma, enrolment, report, write_data_dir, youth
from training.backtest import judged, judged_cohorts
from training.config import TemporalConfig, TrainConfig
from training.dataset import OUTCOME, TrainingDataError, build_training_data, held_out
from training.model import train_risk_model
from vsv_model.reader import read_data_dir

DATES = [dt.date(2016, 10, 1), dt.date(2017, 10, 1), dt.date(2018, 10, 1)]
BIRTHS = {"A": "1995-03-01",   # 21 in 2016, 22 in 2017, 23 in 2018 (out); outcome known (23 in 2018)
          "B": "1998-03-01",   # 18, 19, 20; known (2021)
          "C": "2000-03-01",   # 16, 17, 18: in scope in 2018 only; known (2023-03-01)
          "F": "2000-09-01"}   # 16, 18 in 2018; 23 on 2023-09-01, after the data's end: unknown


def population(tmp_path, copies: int = 30):
    """`copies` youths of each kind; every other youth of a kind qualifies (mbo-2 at 21: kind A in June 2016, so
    it leaves the group before the first date; B in 2019, C and F in 2021)."""
    youths, enrollments, diplomas, reports = [], [], [], []
    for kind, birth in BIRTHS.items():
        for i in range(copies):
            name = f"{kind}{i:03d}"
            youths.append(youth(name, birth))
            enrollments.append(enrolment("2014-08-15", youth_id=name))
            if i % 2:
                diplomas.append(diploma(f"{int(birth[:4]) + 21}-06-15", "mbo-2", youth_id=name))
            if i % 3 == 0:
                reports.append(report("2015-03-01", youth_id=name))
    reports.append(report("2023-06-30", youth_id="A000"))  # the data's end: 2023-06-30
    return write_data_dir(tmp_path, youths=youths, enrollments=enrollments, diplomas=diplomas, absence_reports=reports)


CONFIG = TrainConfig(temporal=TemporalConfig(first_date="2016-10-01", test_share=0.5, folds=3))


def test_the_test_cohort_is_the_newest_complete_date_and_its_youths_are_used_nowhere_else(tmp_path):
    data = build_training_data(population(tmp_path), None, CONFIG)
    fit, test = data.part("fit"), data.part("test")
    assert data.test_date == "2017-10-01"  # 2018 has youths of kind F whose outcome is not known yet
    assert set(test["as_of"]) == {"2017-10-01"} and set(fit["as_of"]) == {"2016-10-01"}
    assert not set(fit["youth_id"]) & set(test["youth_id"])
    assert held_out(test["youth_id"], CONFIG).all() and not held_out(fit["youth_id"], CONFIG).any()
    cohort_2017 = [f"A{i:03d}" for i in range(0, 30, 2)] + [f"B{i:03d}" for i in range(30)]
    assert set(test["youth_id"]) == {y for y, h in zip(cohort_2017, held_out(pd.Series(cohort_2017), CONFIG), strict=True) if h}
    assert data.definition["fit_dates"] == ["2016-10-01"] and data.definition["test_date"] == "2017-10-01"


def test_the_audit_pools_the_held_out_youths_rows_of_every_date_and_none_is_fitted_on(tmp_path):
    """2016: kinds A (21) and B (18) are in scope, all labelled; the held-out ones among them join the test cohort."""
    data = build_training_data(population(tmp_path), None, CONFIG)
    pooled, fit = data.audit_rows(), data.part("fit")
    earlier = pooled[pooled["as_of"] == "2016-10-01"]
    cohort_2016 = pd.Series([f"A{i:03d}" for i in range(0, 30, 2)] + [f"B{i:03d}" for i in range(30)])
    assert set(earlier["youth_id"]) == set(cohort_2016[held_out(cohort_2016, CONFIG)])
    assert len(pooled) == len(earlier) + len(data.part("test"))
    assert not set(pooled["youth_id"]) & set(fit["youth_id"])
    assert pooled[OUTCOME].notna().all()


def test_the_label_maturity_table_counts_what_each_date_holds(tmp_path):
    data = build_training_data(population(tmp_path), None, CONFIG)
    table = data.maturity.set_index("as_of")
    assert table.loc["2016-10-01", ["in_scope", "outcome_known", "dropped_outcome_unknown", "role"]].tolist() == [45, 45, 0, "fit"]
    assert table.loc["2017-10-01", ["in_scope", "outcome_known", "role"]].tolist() == [45, 45, "test"]
    assert table.loc["2018-10-01", ["in_scope", "outcome_known", "role"]].tolist() == [90, 60, "not used (after the test date)"]


def test_with_an_explicit_later_test_date_the_known_rule_fits_on_known_rows_and_complete_on_whole_dates(tmp_path):
    directory = population(tmp_path)
    explicit = TrainConfig(temporal=TemporalConfig(first_date="2016-10-01", test_share=0.5, folds=3, test_date="2018-10-01",
                                                   label_maturity="known"))
    known = build_training_data(directory, None, explicit)
    assert sorted(known.part("fit")["as_of"].unique()) == ["2016-10-01", "2017-10-01"]
    assert known.part("test")[OUTCOME].notna().all()  # held-out youths of kind F (unknown) are left out of the test
    complete = build_training_data(directory, None, TrainConfig(temporal=TemporalConfig(
        first_date="2016-10-01", test_share=0.5, folds=3, test_date="2018-10-01", label_maturity="complete")))
    assert sorted(complete.part("fit")["as_of"].unique()) == ["2016-10-01", "2017-10-01"]  # both dates are complete
    with pytest.raises(TrainingDataError, match="the test date 2019-06-01 is not one of the reference dates"):
        build_training_data(directory, None, TrainConfig(temporal=TemporalConfig(first_date="2016-10-01", test_date="2019-06-01")))


def test_a_youth_keeps_its_fold_at_every_date_and_folds_follow_the_seed_while_the_split_does_not(tmp_path):
    directory = population(tmp_path)
    config = TrainConfig(temporal=TemporalConfig(first_date="2016-10-01", test_share=0.5, folds=3, test_date="2018-10-01"))
    data = build_training_data(directory, None, config)
    fit = data.part("fit").assign(fold=data.folds[data.fit])
    assert (fit.groupby("youth_id")["fold"].nunique() == 1).all()
    assert set(fit["fold"]) == {0, 1, 2}
    other = build_training_data(directory, None, TrainConfig(seed=7, temporal=config.temporal))
    assert set(other.part("test")["youth_id"]) == set(data.part("test")["youth_id"])  # the held-out group: same key
    assert (other.folds[other.fit] != data.folds[data.fit]).any()  # the folds: another seed


def test_no_youth_is_selected_on_its_outcome(population_dir):
    """Mean p_true equals the outcome rate in the fit set: holding out by a hash, not by who is still in scope
    later, leaves the youths who stay without a diploma in the fit set."""
    data = build_training_data(population_dir, None, TrainConfig(temporal=TemporalConfig(data_end="2026-10-01")))
    fit = data.part("fit").query("kind == 'stock'")
    y, p = fit[OUTCOME].to_numpy(), fit["p_true"].to_numpy()
    z = (y.mean() - p.mean()) / np.sqrt((p * (1 - p)).sum()) * len(p)
    assert abs(z) < 3.3, (y.mean(), p.mean(), z)
    assert data.test_date == "2021-10-01"


@pytest.mark.slow
def test_a_model_of_2016_to_2019_is_calibrated_on_2020_and_2021_and_stays_below_the_truth(default_dir):
    """Nothing of the future leaks through the world: trained on the cohorts of 2016-2019 (every row whose outcome
    is known), judged on the whole cohorts of 2020 and 2021 (`benchmarks/forward_in_time.py` prints the same)."""
    config = TrainConfig()
    data = build_training_data(default_dir, [dt.date(year, 10, 1) for year in range(2016, 2020)], config,
                               hold_out_test=False)
    model, _ = train_risk_model(data, config)
    cohorts = judged_cohorts(read_data_dir(default_dir), 2020, dt.date(2026, 10, 1), config, default_dir)
    for day in (dt.date(2020, 10, 1), dt.date(2021, 10, 1)):
        cohort, known = cohorts[day]
        figures = judged(model, cohort, dt.date(2019, 10, 1), day, len(data.frame), config)
        print(day, {k: round(figures[k], 4) for k in ("roc_auc", "truth_roc_auc", "ece", "brier")})
        assert known == 1.0 and figures["youths"] > 9000
        assert figures["ece"] <= 0.03
        assert figures["roc_auc_high"] < figures["truth_roc_auc"]
