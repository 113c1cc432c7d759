"""The exact truth at the office's events (truth_events.csv): each event's state and scope by hand, the same value as
truth.csv on a 1 October, one row for every event the project derives, Monte Carlo futures from the kept states, and
mean p_true against the outcome rate on the event rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_synthetic.calendar import month_of_date, months_of_days
from data_synthetic.futures import share_without_startkwalificatie
from data_synthetic.generate import WorldConfig, generate_world, write_world
from data_synthetic.state import unpack
from data_synthetic.truth_events import (
    EARLIEST,
    EVENT_TRUTH_COLUMNS,
    OFFICE_EVENT_TRUTH_COLUMNS,
    StateTruth,
    event_truth_frame,
)
from features.office_events import EVENT_KINDS, office_events
from vsv_model.dates import MISSING_DAY, day_of, to_days
from vsv_model.reader import read_data_dir
from vsv_model.route_draws import ROUTE_CODES

Z_1_PERCENT = 2.576


def read_truth_events(directory) -> pd.DataFrame:
    return pd.read_csv(directory / "truth_events.csv", dtype={"youth_id": str, "report_id": str, "kind": str})


@pytest.fixture(scope="module")
def mid_dir(tmp_path_factory):
    """A mid-size world (20,000 youths), written: its dynamics are the small world's, so its events' truth is read in
    a pass of its own (the memoised tables serve truth.csv)."""
    directory = tmp_path_factory.mktemp("mid-world")
    write_world(directory, generate_world(WorldConfig(youths=20000, seed=12)))
    return directory


def test_an_event_takes_the_state_at_the_start_of_its_month_and_p_true_only_under_23_by_hand():
    """Two youths; the truth at kept states: A in February 2019 and April 2023, B in June 2022. A is born 2000-03-15
    (23 on 2023-03-15), B 2001-05-20 with a startkwalificatie on 2022-06-10; the data end on 2028-01-01."""
    a_feb, a_apr, b_jun = (month_of_date(dt.date(*d)) for d in ((2019, 2, 1), (2023, 4, 1), (2022, 6, 1)))
    truth = StateTruth(np.array([a_feb * 2, b_jun * 2 + 1, a_apr * 2]), np.array([0.6, 0.3, np.nan]),
                       np.array([0.4, 0.2, 0.9]))
    events = pd.DataFrame({
        "youth_id": ["A", "A", "B"], "kind": ["report_first", "new_leaver", "report_repeat"], "report_id": ["M1", None, "M2"],
        "event_date": pd.to_datetime(["2019-02-28", "2023-04-05", "2022-06-09"]),
    })
    frame = event_truth_frame(events, np.array(["A", "B"]), np.array([day_of("2000-03-15"), day_of("2001-05-20")]),
                              truth, np.array([MISSING_DAY, day_of("2022-06-10")]), day_of("2028-01-01"))
    assert list(frame.columns) == list(EVENT_TRUTH_COLUMNS)
    assert frame["event_date"].tolist() == ["2019-02-28", "2023-04-05", "2022-06-09"]
    np.testing.assert_array_equal(frame["p_true"], [0.6, np.nan, 0.3])  # A is 23 on 2023-04-05: decided, empty
    np.testing.assert_array_equal(frame["no_sq_by_23"], [1.0, np.nan, 0.0])
    np.testing.assert_array_equal(frame["p_true_27"], [0.4, 0.9, 0.2])
    np.testing.assert_array_equal(frame["no_sq_by_27"], [1.0, 1.0, np.nan])  # B's 27th birthday is after the end
    late = events.assign(event_date=pd.to_datetime(["2019-03-01", "2023-04-05", "2022-06-09"]))  # March: not kept
    with pytest.raises(ValueError, match="no simulated state kept for youth 0 in month"):
        event_truth_frame(late, np.array(["A", "B"]), np.array([day_of("2000-03-15"), day_of("2001-05-20")]), truth,
                          np.array([MISSING_DAY, day_of("2022-06-10")]), day_of("2026-10-01"))


@pytest.mark.parametrize("directory", ["small_dir", "mid_dir"])
def test_an_event_on_1_october_has_truth_csv_s_value_of_that_day(directory, request):
    """A new leaver known on 1 October (an end on 31 August) sees the state at the start of October: exactly the state
    truth.csv reads that day, so the same p_true, p_true_27 and labels, to the last bit."""
    directory = request.getfixturevalue(directory)
    events = read_truth_events(directory)
    october = events[events["event_date"].str.endswith("-10-01") & (events["event_date"] >= "2014-10-01")]
    truth = pd.read_csv(directory / "truth.csv", dtype={"youth_id": str})
    both = october.merge(truth, left_on=["youth_id", "event_date"], right_on=["youth_id", "as_of"], how="left",
                         suffixes=("", "_csv"), validate="m:1")
    assert len(both) >= 4
    for column in ("p_true", "no_sq_by_23", "p_true_27", "no_sq_by_27"):
        np.testing.assert_array_equal(both[column], both[f"{column}_csv"], err_msg=column)
    assert both["p_true_27"].notna().all()


def test_every_office_event_of_the_written_data_has_one_truth_row_in_its_order(small_dir):
    events = office_events(read_data_dir(small_dir), EARLIEST, dt.date(2026, 10, 1))
    truth = read_truth_events(small_dir)
    assert list(truth.columns) == list(OFFICE_EVENT_TRUTH_COLUMNS)  # the default world has the office
    assert len(truth) == len(events) > 500 and set(truth["kind"]) == set(EVENT_KINDS)
    np.testing.assert_array_equal(truth["youth_id"], events["youth_id"])
    np.testing.assert_array_equal(truth["event_date"], events["event_date"].dt.strftime("%Y-%m-%d"))
    np.testing.assert_array_equal(truth["kind"], events["kind"])
    np.testing.assert_array_equal(truth["report_id"].isna(), events["kind"] == "new_leaver")
    assert truth["p_true_27"].between(0, 1).all() and truth["p_true"].dropna().between(0, 1).all()
    youths = read_data_dir(small_dir).youths.set_index("youth_id")["birth_date"]
    age = (pd.to_datetime(truth["event_date"]) - youths.loc[truth["youth_id"]].to_numpy()).dt.days / 365.25
    assert (truth["p_true"].isna() == (age >= 23)).all()  # empty only for the few leavers known after turning 23


def test_the_generator_s_events_are_those_derived_from_the_written_files_even_at_the_most_mess(tmp_path):
    """The generator derives the events from its tables before the mess the reader undoes (no read-back): at the
    highest mess rate, odd spellings, unknown values, duplicates, strangers and re-deliveries included, they are
    exactly the events of the files read back (Parquet here; the small world's CSV in the next test), and
    truth_events.csv (CSV whatever the tables' format, as truth.csv) has one row for each."""
    world = generate_world(WorldConfig(youths=3000, seed=21, mess_rate=0.5))
    write_world(tmp_path, world, "parquet")
    events = office_events(read_data_dir(tmp_path), EARLIEST, dt.date(2026, 10, 1))
    assert len(events) > 200
    pd.testing.assert_frame_equal(world.events, events, check_exact=True)
    assert (tmp_path / "absence_reports.parquet").exists() and not (tmp_path / "truth_events.parquet").exists()
    written = read_truth_events(tmp_path)
    np.testing.assert_array_equal(written["youth_id"], events["youth_id"])
    np.testing.assert_array_equal(written["report_id"].fillna(""), events["report_id"].fillna(""))


def test_each_youth_s_labels_at_the_events_are_truth_csv_s(small_dir):
    events, truth = read_truth_events(small_dir), pd.read_csv(small_dir / "truth.csv", dtype={"youth_id": str})
    for label in ("no_sq_by_23", "no_sq_by_27"):
        per_youth = truth.dropna(subset=[label]).groupby("youth_id")[label].first()
        labelled = events.dropna(subset=[label])
        known = labelled[labelled["youth_id"].isin(per_youth.index)]
        assert len(known) > 300
        np.testing.assert_array_equal(known[label], per_youth.loc[known["youth_id"]].to_numpy(), err_msg=label)


def test_monte_carlo_futures_from_the_kept_states_agree_with_p_true_in_any_month(small_world, small_dir):
    """150 events outside October, 1,000 futures each from the youth's state at the start of the event's month:
    each share within 4.5 standard errors of p_true, and no bias on average."""
    hidden, events = small_world.hidden, read_truth_events(small_dir)
    sim = hidden.simulation
    day = to_days(events["event_date"].to_numpy())
    month = months_of_days(day)
    chosen = np.flatnonzero(events["p_true"].notna().to_numpy() & (month % 12 != 9))
    chosen = np.sort(np.random.default_rng(3).choice(chosen, 150, replace=False))
    youth = pd.Index(sim.youths.youth_id).get_indexer(events["youth_id"].to_numpy()[chosen])
    shares = np.empty(len(chosen))
    rng = np.random.default_rng(4)
    for m in np.unique(month[chosen]):  # one run per month: the futures start together
        at = np.flatnonzero(month[chosen] == m)
        kept = sim.event_states[int(m)]
        states = unpack(kept.keys[np.searchsorted(kept.rows, youth[at])].astype(np.int64))
        shares[at] = share_without_startkwalificatie(states, m - sim.youths.birth_month[youth[at]], int(m),
                                                     sim.youths.birth_day[youth[at]], 23, hidden.rules, 1000, rng)
    p = events["p_true"].to_numpy()[chosen]
    se = np.sqrt(np.maximum(p * (1 - p), 1e-4) / 1000)
    assert (np.abs(shares - p) <= 4.5 * se).all(), np.max(np.abs(shares - p) / se)
    assert abs(np.mean(shares - p)) <= 3 * np.sqrt(np.sum(p * (1 - p) / 1000)) / len(p)


def clustered_z(rows: pd.DataFrame, p: str, y: str) -> float:
    """(observed rate - mean p) over its standard error, a youth's events one cluster (they share one outcome)."""
    residual = (rows[y] - rows[p]).groupby(rows["youth_id"]).sum()
    return float((rows[y].mean() - rows[p].mean()) / (np.sqrt((residual ** 2).sum()) / len(rows)))


def exact_rows(events: pd.DataFrame, p: str) -> pd.DataFrame:
    """The rows whose truth is that of what happened (the default world has the office, which reacts once per youth):
    `p_true` assumes no reaction from the event's month on, so a row before its youth's reacted month is left out;
    at the reacted month the truth is that of the route taken (`p_true_<route>`; by 27 there is none: left out)."""
    events = events.assign(route=events["route"].fillna(""))
    month = events["event_date"].str[:7]
    reacted = month.where(events["route"] != "").groupby(events["youth_id"]).transform("first")
    before, at = reacted.notna() & (month < reacted), month == reacted
    if p != "p_true":
        return events[~before & ~at]
    taken = events[p].copy()
    for code in ROUTE_CODES:
        taken[events["route"] == code] = events.loc[events["route"] == code, f"p_true_{code}"]
    return events.assign(**{p: taken})[~before]


@pytest.mark.parametrize(("p", "y"), [("p_true", "no_sq_by_23"), ("p_true_27", "no_sq_by_27")])
def test_mean_p_true_equals_the_outcome_rate_on_the_event_rows(mid_dir, p, y):
    """Per kind of event and over all, on the labelled rows whose truth is that of what happened: a z-test at 1%."""
    events = exact_rows(read_truth_events(mid_dir), p).dropna(subset=[p, y])
    z = {kind: clustered_z(events[events["kind"] == kind], p, y) for kind in EVENT_KINDS} | {"all": clustered_z(events, p, y)}
    assert (events.groupby("kind").size() >= (90 if p == "p_true" else 80)).all()  # by 27: no reacted month
    assert all(abs(v) < Z_1_PERCENT for v in z.values()), z
