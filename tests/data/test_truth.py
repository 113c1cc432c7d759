"""The known truth: exact by backward induction, checked by hand, against the outcomes, against Monte Carlo
futures of the simulator itself, and without any record written from an outcome."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_synthetic import kernels as k
from data_synthetic import truth
from data_synthetic.calendar import Calendar, month_of_date
from data_synthetic.futures import share_without_startkwalificatie
from data_synthetic.generate import WorldConfig, generate_world
from data_synthetic.state import MBO2, pack
from features.events import events_from_dataset
from features.labels import no_startkwalificatie_by
from vsv_model.dates import day_of
from vsv_model.reader import read_data_dir
from vsv_model.target_group import EXTENDED_TO_27

Z_1_PERCENT = 2.576


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize(("birth", "age", "expected"), [
    ("2000-06-15", 23, 13 / 29),  # birthday 2023-06-15: diploma days 2..14 of 2..30 lie before it
    ("2000-06-01", 23, 0.0), ("2000-06-02", 23, 0.0), ("2000-06-03", 23, 1 / 29),
    ("2000-02-29", 23, 26 / 27),  # the 23rd birthday is 2023-02-28: days 2..27 of 2..28
    ("2000-02-29", 27, 26 / 27),  # 2027-02-28 too
    ("2001-02-28", 27, 26 / 28),  # 2028-02-28 in a leap year: days 2..27 of 2..29
    ("2000-01-31", 27, 29 / 30),
])
def test_the_share_of_the_birthday_month_s_diploma_days_before_the_birthday(birth, age, expected):
    assert truth.birthday_fraction(np.array([day_of(birth)]), age)[0] == pytest.approx(expected, abs=1e-15)


def june_step(space, keys, rules):
    return truth.evaluate_month(space, keys, month_of_date(dt.date(2019, 6, 1)), rules)


def test_one_month_before_the_deadline_the_value_is_one_minus_this_month_s_startkwalificatie_by_hand():
    """An mbo-2 student in the final year, 22 years old, in June 2019 with the 23rd birthday in July: the value
    is 1 - P(passing in June), the life event first. Computed from the documented log-odds by hand."""
    rules = k.Rules(Calendar())
    space = truth.state_space(False)
    keys = pack(space)
    columns = truth.Columns.build()
    values = truth.backward_month(np.ones((len(keys), len(columns.age))), june_step(space, keys, rules), columns)
    state = {"prog": MBO2, "year": 2, "path": 1, "work": 0, "dipl": 0, "drops": 0, "burden": 0, "group": 0,
             "event": 0}
    row = truth.index_of(pack({n: np.array([v], np.int8) for n, v in state.items()}), keys)[0]
    onset = sigmoid(-5.5)  # EVENT_ONSET; 22 is past the 16-21 bump
    drop, drop_event = sigmoid(-6.7 + 0.35), sigmoid(-6.7 + 0.35 + 1.3)  # DROPOUT_BASE[mbo-2] + age 22 (+ event)
    passes = (1 - drop) * sigmoid(1.5), (1 - drop_event) * sigmoid(1.5 - 0.9)  # PASS_BASE[mbo-2] (- event)
    expected = 1 - ((1 - onset) * passes[0] + onset * passes[1])
    column = columns.position[(23, 0, 275)]  # one month before the birthday's month
    assert values[row, column] == pytest.approx(expected, abs=1e-13)
    assert values[row, columns.position[(23, 0, 276)]] == 1.0  # the birthday's month itself: the deadline


def test_outside_june_no_month_holds_a_diploma_so_the_value_is_one():
    rules = k.Rules(Calendar())
    space = truth.state_space(False)
    keys = pack(space)
    columns = truth.Columns.build()
    march = truth.evaluate_month(space, keys, month_of_date(dt.date(2019, 3, 1)), rules)
    values = truth.backward_month(np.ones((len(keys), len(columns.age))), march, columns)
    for deadline, f in ((23, 0), (23, 1), (27, 0), (27, 1)):
        last = deadline * 12 + f - 1
        np.testing.assert_allclose(values[:, columns.position[(deadline, f, last)]], 1.0, rtol=0, atol=1e-14)


def test_p_true_interpolates_the_birthday_month_linearly(small_world):
    """p = (1 - f) V0 + f V1 with V0 ending at the birthday's month and V1 a month later: re-derived from the tables."""
    hidden = small_world.hidden
    month = hidden.reference_months[5]
    capture = hidden.simulation.captures[month]
    tables = truth.value_tables(hidden.rules, hidden.origin_in_state, hidden.reference_months)
    births = hidden.simulation.youths.birth_day[capture.rows]
    f = truth.birthday_fraction(births, 27)
    v0 = truth.lookup(tables, month, capture.state, capture.age, np.zeros(len(f)), 27)
    v1 = truth.lookup(tables, month, capture.state, capture.age, np.ones(len(f)), 27)
    as_of = str(dt.date(1970 + month // 12, month % 12 + 1, 1))
    written = small_world.truth[small_world.truth["as_of"] == as_of]["p_true_27"].to_numpy()
    np.testing.assert_allclose(written, (1 - f) * v0 + f * v1, rtol=0, atol=1e-15)
    assert (v1 <= v0 + 1e-15).all()  # one more month can only bring a diploma


def test_the_value_iteration_is_memoised_per_dynamics_not_per_seed_or_size(small_world):
    hidden = small_world.hidden
    first = truth.value_tables(hidden.rules, hidden.origin_in_state, hidden.reference_months)
    other = generate_world(WorldConfig(youths=500, seed=99))
    assert truth.value_tables(other.hidden.rules, other.hidden.origin_in_state, other.hidden.reference_months) is first


def z_scores(frame: pd.DataFrame, p: str, y: str) -> dict[str, float]:
    """Per reference date: (observed rate - mean p) / its sampling standard deviation, on labelled rows."""
    out = {}
    for as_of, rows in frame[frame[y].notna()].groupby("as_of"):
        if len(rows) < 30:
            continue
        sd = np.sqrt((rows[p] * (1 - rows[p])).sum()) / len(rows)
        out[as_of] = (rows[y].mean() - rows[p].mean()) / sd
    return out


@pytest.mark.parametrize(("p", "y"), [("p_true", "no_sq_by_23"), ("p_true_27", "no_sq_by_27")])
def test_mean_p_true_equals_the_outcome_rate_at_every_labelled_date(small_world, p, y):
    """A z-test at 1% per reference date (the outcomes of different youths are independent given their states)."""
    z = z_scores(small_world.truth, p, y)
    assert len(z) >= 8
    assert all(abs(v) < Z_1_PERCENT for v in z.values()), z


@pytest.mark.slow
@pytest.mark.parametrize(("p", "y"), [("p_true", "no_sq_by_23"), ("p_true_27", "no_sq_by_27")])
def test_mean_p_true_equals_the_outcome_rate_at_every_labelled_date_at_1_to_1(default_world, p, y):
    z = z_scores(default_world.truth, p, y)
    assert len(z) >= 11
    assert all(abs(v) < Z_1_PERCENT for v in z.values()), z


def test_each_youth_has_one_outcome_and_it_is_the_one_the_features_read_from_the_files(small_world, small_dir):
    truth_frame = small_world.truth
    for label in ("no_sq_by_23", "no_sq_by_27"):
        per_youth = truth_frame.dropna(subset=[label]).groupby("youth_id")[label].nunique()
        assert (per_youth == 1).all(), label
    events = events_from_dataset(read_data_dir(small_dir))
    from_files = pd.DataFrame({"youth_id": events.youth_ids,
                               "label": no_startkwalificatie_by(events, day_of(small_world.config.data_end), 23)})
    merged = truth_frame.dropna(subset=["no_sq_by_23"]).merge(from_files, on="youth_id", validate="m:1")
    assert len(merged) > 1000
    np.testing.assert_array_equal(merged["no_sq_by_23"], merged["label"])


def test_the_truth_covers_exactly_the_extended_target_group_and_p_true_only_18_to_22(small_world, small_dir):
    from features.build import build_feature_table

    data = read_data_dir(small_dir)
    for as_of in ("2016-10-01", "2026-10-01"):
        rows = small_world.truth[small_world.truth["as_of"] == as_of]
        extended = build_feature_table(data, dt.date.fromisoformat(as_of), group=EXTENDED_TO_27)
        assert sorted(rows["youth_id"]) == sorted(extended.keys["youth_id"])
        young = build_feature_table(data, dt.date.fromisoformat(as_of))
        assert sorted(rows.loc[rows["p_true"].notna(), "youth_id"]) == sorted(young.keys["youth_id"])
    current = small_world.truth[small_world.truth["as_of"] == "2026-10-01"]
    assert current[["no_sq_by_23", "no_sq_by_27"]].isna().all().all()  # no birthday of theirs has passed


def test_monte_carlo_futures_of_the_simulator_agree_with_the_exact_truth(small_world):
    """300 youths in scope on 2019-10-01, 2,000 futures each from their true state: each share within 4 standard
    errors of p_true, and the mean absolute difference within what Monte Carlo noise gives."""
    hidden = small_world.hidden
    month = month_of_date(dt.date(2019, 10, 1))
    capture = hidden.simulation.captures[month]
    rows = small_world.truth[small_world.truth["as_of"] == "2019-10-01"].reset_index(drop=True)
    pick = np.random.default_rng(0).choice(np.flatnonzero(rows["p_true"].notna()), 300, replace=False)
    p = rows["p_true"].to_numpy()[pick]
    births = hidden.simulation.youths.birth_day[capture.rows[pick]]
    states = {name: values[pick] for name, values in capture.state.items()}
    share = share_without_startkwalificatie(states, capture.age[pick], month, births, 23, hidden.rules, 2000,
                                            np.random.default_rng(1))
    se = np.sqrt(np.maximum(p * (1 - p), 1e-4) / 2000)
    assert (np.abs(share - p) <= 4 * se).all(), np.abs(share - p).max()
    expected_noise = np.mean(np.sqrt(2 / np.pi) * np.sqrt(p * (1 - p) / 2000))  # E|N(0, se)| averaged
    assert np.mean(np.abs(share - p)) <= 1.15 * expected_noise + 1e-4
    assert abs(np.mean(share - p)) <= 3 * np.sqrt(np.sum(p * (1 - p) / 2000)) / len(p)  # no bias either


def records_until(tables: dict, day: int) -> dict[str, pd.DataFrame]:
    """The records dated on or before `day`, as of that day (later end dates are still open)."""
    out = {"youths": pd.DataFrame(tables["youths"])}
    for name, date in (("enrollments", "start_date"), ("diplomas", "diploma_date"), ("absence_reports", "report_date")):
        frame = pd.DataFrame(tables[name])
        frame = frame[frame[date] <= day].reset_index(drop=True)
        if name == "enrollments":
            frame["end_date"] = np.where(frame["end_date"] > day, np.iinfo(np.int64).min // 2, frame["end_date"])
        out[name] = frame
    return out


def test_nothing_is_written_from_an_outcome_records_up_to_a_date_do_not_depend_on_later_months():
    """The same world simulated to 2020-10-01 and to 2026-10-01: every record dated up to 2020-10-01 is the same,
    so the records before a date were made by the forward simulation alone, and later ones by the same steps."""
    short = generate_world(WorldConfig(youths=3000, seed=8, mess_rate=0.0, data_end=dt.date(2020, 10, 1)))
    long = generate_world(WorldConfig(youths=3000, seed=8, mess_rate=0.0))
    cut = day_of("2020-10-01")
    a, b = records_until(short.tables, cut), records_until(long.tables, cut)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
    assert len(b["enrollments"]) < len(long.tables["enrollments"]["youth_id"])  # later records exist
    early = short.truth[short.truth["as_of"] <= "2020-10-01"]
    same_dates = long.truth[long.truth["as_of"] <= "2020-10-01"]
    assert early[["youth_id", "as_of"]].equals(same_dates[["youth_id", "as_of"]])
