"""The office inside the synthetic world: route effects on hazards, the office's capacity and randomised share, and
the truth under each route (data_synthetic/office.py, kernels.py, truth_events.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_synthetic.calendar import Calendar
from data_synthetic.generate import WorldConfig, generate_world, write_world
from data_synthetic.kernels import Rules, dropout_probability, return_probability
from data_synthetic.office import Office, OfficeSettings, ScoreTables, decide
from data_synthetic.state import MBO2, OUT, empty_state
from data_synthetic.truth import MonthReads, read_months
from data_synthetic.truth_events import route_values
from vsv_model.office_cases import read_office_cases
from vsv_model.route_draws import CONVERSATION, LETTER, MATCHMAKER, ROUTE_CODES

MARCH_2020 = (2020 - 1970) * 12 + 2


def rules(effects: float) -> Rules:
    return Rules(Calendar(False, (), 0, MARCH_2020 + 120), 0.0, effects, True)


def one(**components) -> dict:
    s = empty_state(1)
    for name, value in components.items():
        s[name][:] = value
    return s


def logit(p):
    return np.log(p / (1 - p))


@pytest.mark.parametrize("burden, event, support, shift", [
    (0, 0, 1, -1.2), (1, 0, 1, -0.5), (2, 0, 1, 0.0), (0, 1, 1, 0.0),  # a letter helps a slip only
    (0, 0, 2, -0.7), (3, 0, 2, -0.4), (3, 1, 3, -0.9)])
def test_a_route_shifts_the_dropout_log_odds_by_its_hand_set_size(burden, event, support, shift):
    age = 19 * 12 + 3
    base = one(prog=MBO2, year=1, path=1, burden=burden, event=event)
    routed = one(prog=MBO2, year=1, path=1, burden=burden, event=event, support=support)
    p0 = dropout_probability(base, MARCH_2020, age, rules(1.0))[0]
    p1 = dropout_probability(routed, MARCH_2020, age, rules(1.0))[0]
    assert logit(p1) - logit(p0) == pytest.approx(shift, abs=1e-9)
    half = dropout_probability(routed, MARCH_2020, age, rules(0.5))[0]
    assert logit(half) - logit(p0) == pytest.approx(shift / 2, abs=1e-9)
    assert dropout_probability(routed, MARCH_2020, age, rules(0.0))[0] == p0


@pytest.mark.parametrize("years, bucket, support, shift", [
    (19, 0, 3, 1.4), (21, 0, 3, 1.0), (22, 0, 3, 0.4), (19, 2, 3, 0.7),  # a matchmaker: young and short out
    (19, 0, 1, 0.4), (19, 1, 1, 0.0), (19, 1, 2, 0.6), (22, 2, 2, 0.2)])
def test_a_route_shifts_the_return_log_odds_by_its_hand_set_size(years, bucket, support, shift):
    base = one(prog=OUT, year=bucket, drops=1)
    routed = one(prog=OUT, year=bucket, drops=1, support=support)
    p0 = return_probability(base, MARCH_2020, years * 12, rules(1.0))[0]
    p1 = return_probability(routed, MARCH_2020, years * 12, rules(1.0))[0]
    assert logit(p1) - logit(p0) == pytest.approx(shift, abs=1e-9)


def office(conversations_per_week=3, matchmakers_per_month=2, **settings) -> Office:
    return Office(OfficeSettings(conversations_per_week=conversations_per_week,
                                 matchmakers_per_month=matchmakers_per_month, **settings),
                  ScoreTables(np.zeros(0), {}), 1.0, np.random.default_rng(3), np.zeros(0, bool))


def test_the_office_never_exceeds_its_capacity_and_follows_the_tier_advice_when_told():
    scores = np.linspace(0.05, 0.99, 40)
    decided = decide(office(follow=1.0, draws=__import__("vsv_model.route_draws").route_draws.DrawRules(share=0.0)),
                     scores, 3, 2)
    assert (decided["route"] == MATCHMAKER).sum() == 2 and (decided["route"] == CONVERSATION).sum() == 3
    assert set(np.flatnonzero(decided["route"] == MATCHMAKER)) == {38, 39}  # the two highest scores
    assert decided["high_cutoff"][0] == scores[38] and decided["medium_cutoff"][0] == scores[35]
    for seed in range(20):  # everyone wants a matchmaker: still two places, then three conversations
        o = office(follow=0.5)
        o.rng = np.random.default_rng(seed)
        decided = decide(o, np.random.default_rng(seed).random(30), 3, 2)
        assert (decided["route"] == MATCHMAKER).sum() <= 2 and (decided["route"] == CONVERSATION).sum() <= 3


def day_number(iso: str) -> int:
    return int((np.datetime64(iso) - np.datetime64("1970-01-01")).astype(int))


def test_a_months_conversations_are_its_weeks_and_a_week_across_two_months_is_split_by_its_days():
    """June 2026 starts on a Monday: four full weeks of 12 and Mon-Tue 29-30 June (2 of 7 days: 3 places); July
    starts on a Wednesday: Wed-Sun 1-5 July holds the other 9 of that week's 12, then full weeks, then Mon-Fri
    27-31 July (5 of 7 days: 8 places, the week's other 4 in August). Matchmakers: 20 a month."""
    o = office(conversations_per_week=12, matchmakers_per_month=20)
    june, july = (2026 - 1970) * 12 + 5, (2026 - 1970) * 12 + 6
    starts, places, matchmakers = o.capacity(june, day_number("2026-06-01"), day_number("2026-06-30"))
    assert starts.tolist() == [day_number(f"2026-06-{d:02d}") for d in (1, 8, 15, 22, 29)]
    assert places.tolist() == [12, 12, 12, 12, 3] and matchmakers == 20
    starts, places, _ = o.capacity(july, day_number("2026-07-01"), day_number("2026-07-31"))
    assert starts.tolist() == [day_number(f"2026-07-{d:02d}") for d in (1, 6, 13, 20, 27)]
    assert places.tolist() == [9, 12, 12, 12, 8]


def test_the_weeks_places_hold_for_conversations_drawn_or_chosen_in_the_order_of_the_days():
    """Two week parts with 1 and 2 places; everyone advised and wanting a conversation (follow 1, no draws): the
    first event of each part gets one, up to its places, the rest a letter; no part lends to another."""
    o = office(conversations_per_week=3, matchmakers_per_month=0, follow=1.0,
               draws=__import__("vsv_model.route_draws").route_draws.DrawRules(share=0.0))
    scores = np.full(6, 0.5)
    decided = decide(o, scores, np.array([1, 2]), 0, np.array([0, 0, 0, 1, 1, 1]))
    assert decided["route"].tolist() == [CONVERSATION, LETTER, LETTER, CONVERSATION, CONVERSATION, LETTER]


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    world = generate_world(WorldConfig(youths=6000, seed=4,
                                       office_settings=OfficeSettings(draws=__import__("vsv_model.route_draws")
                                                                      .route_draws.DrawRules(share=0.5))))
    directory = tmp_path_factory.mktemp("office-world")
    write_world(directory, world)
    return world, directory


def test_the_weekly_and_monthly_capacity_holds_in_a_generated_world(small_world):
    """Per Monday-to-Sunday week (its places over the months it touches, counted by hand from the settings) and per
    month, never more conversations or matchmakers than there are places; the reactions come in the order of their
    days, each within its month."""
    world, _ = small_world
    sim = world.hidden.simulation
    log = sim.office.log.arrays()
    rate = sim.office.settings.conversations_per_week * sim.office.scale
    week = (log["day"] + 3) // 7  # 1970-01-01 was a Thursday
    talks = pd.Series(log["route"] == CONVERSATION).groupby(week).sum()
    for number, used in talks.items():  # a full week has floor(rate (w + 1)) - floor(rate w) places
        assert used <= np.floor(rate * (number + 1)) - np.floor(rate * number), number
    months = pd.Series(log["route"] == MATCHMAKER).groupby(log["month"]).sum()
    match = sim.office.settings.matchmakers_per_month * sim.office.scale
    assert all(used <= np.floor(match * (m + 1)) - np.floor(match * m) for m, used in months.items())
    for month in np.unique(log["month"]):
        days = log["day"][log["month"] == month]
        assert (np.diff(days) >= 0).all()
        first = np.datetime64("1970-01-01") + np.timedelta64(int(days[0]), "D")
        assert all(str(np.datetime64("1970-01-01") + np.timedelta64(int(d), "D"))[:7] == str(first)[:7] for d in days)
    assert talks.max() > 0


def test_the_randomised_share_is_honoured_and_recorded_with_its_propensity(small_world):
    world, directory = small_world
    log = world.hidden.simulation.office.log.arrays()
    band = world.config.office_settings.draws.band
    borderline = (np.abs(log["score"] - log["medium_cutoff"]) <= band) | (np.abs(log["score"] - log["high_cutoff"]) <= band)
    n, drawn = int(borderline.sum()), int(log["randomised"][borderline].sum())
    assert n > 100 and not log["randomised"][~borderline].any()
    # every borderline case in this small world has a letter available, so each is drawn with chance 0.5 exactly
    assert abs(drawn - 0.5 * n) <= 4 * np.sqrt(n * 0.25)
    cases = read_office_cases(directory / "office_cases.csv")  # the reader's check passes
    randomised = cases[cases["randomised"] == 1]
    assert len(randomised) and set(np.round(1 / randomised["draw_propensity"]).astype(int)) <= {1, 2, 3}
    refused = cases[cases["refused"] == 1]
    assert len(refused) and (refused["refusal_reason"] != "").all()
    assert (cases.loc[cases["refused"] == 0, "refusal_reason"] == "").all()


def test_truth_events_carry_the_route_taken_and_each_routes_truth(small_world):
    _, directory = small_world
    truth = pd.read_csv(directory / "truth_events.csv", keep_default_na=False, na_values={"p_true": [""]})
    cases = read_office_cases(directory / "office_cases.csv")
    key = ["youth_id", "event_date", "kind", "report_id"]
    truth["report_id"] = truth["report_id"].astype(str)
    joined = cases.assign(report_id=cases["report_id"].fillna("").astype(str),
                          event_date=cases["event_date"].dt.strftime("%Y-%m-%d")).merge(truth, on=key,
                                                                                     suffixes=("", "_truth"))
    assert len(joined) == len(cases) and (joined["route"] == joined["route_truth"]).all()
    routed = truth[truth["route"] != ""]  # every event of a reacted youth-month carries the route, one case each
    assert routed.groupby(["youth_id", routed["event_date"].str[:7]]).ngroups == len(cases)
    assert (routed.groupby(["youth_id", routed["event_date"].str[:7]])["route"].nunique() == 1).all()
    for code in ROUTE_CODES:
        assert f"p_true_{code}" in truth.columns and f"p_school_365_{code}" in truth.columns
        assert truth[f"p_school_365_{code}"].between(0, 1).all()


def test_the_office_meets_a_new_leaver_only_as_the_events_count_one():
    """Back in school by the end + 31 days: no new leaver; the ages are completed years at the end, by day."""
    from data_synthetic.office import still_a_leaver
    from data_synthetic.records import Current
    from vsv_model.dates import day_of
    current = Current.empty(4)
    current.last_end[:] = day_of("2021-03-10")
    current.edu[1], current.start[1] = 3, day_of("2021-04-10")  # started on the event day: back in time
    current.edu[2], current.start[2] = 3, day_of("2021-04-11")  # a day later: a new leaver all the same
    births = np.array([day_of(b) for b in ("2002-03-10", "2000-01-01", "2000-01-01", "1998-03-11")])
    # row 0 turned 19 on the end's day; row 3 was 22 at the end (23 the day after)
    left = still_a_leaver(current, np.arange(4), np.ones(4, bool), births)
    assert left.tolist() == [True, False, True, True]
    births[3] = day_of("1998-03-10")  # 23 on the end's day: outside the target group's ages
    assert not still_a_leaver(current, np.arange(4), np.ones(4, bool), births)[3]


def test_route_values_with_the_support_unchanged_equal_the_induction(small_world):
    """The one-step value of `route_values` (support 0 after the month) against the backward induction's own table
    at the month, for the kept event states of one month: two computations apart."""
    world, _ = small_world
    sim = world.hidden.simulation
    month = sorted(m for m in sim.event_states if m < world.hidden.rules.calendar.last_month)[-30]
    states = sim.event_states[month]
    held = read_months(world.hidden.rules, False, MonthReads(frozenset({month, month + 1}),
                                                            lambda m, tables: tables))
    from data_synthetic.state import unpack
    from data_synthetic.truth import lookup_keys
    s = unpack(states.keys.astype(np.int64))
    age = month - sim.youths.birth_month[states.rows]
    keep = (s["support"] == 0) & (age < 23 * 12)
    f = np.full(int(keep.sum()), 0.5)
    one_step = route_values(held[month + 1], month, {k: v[keep] for k, v in s.items()}, age[keep], f,
                            world.hidden.rules, 0)
    table = lookup_keys(held[month], month, states.keys[keep].astype(np.int64), age[keep], f, 23)
    assert np.abs(one_step - table).max() < 1e-9


def test_without_route_effects_every_route_has_the_same_truth():
    world = generate_world(WorldConfig(youths=2000, seed=6, route_effects=0.0))
    truth = world.truth_events()
    p = truth[[f"p_true_{code}" for code in ROUTE_CODES]].dropna().to_numpy()
    assert len(p) > 50
    assert np.abs(p - p[:, :1]).max() < 1e-12
    open_rows = truth["p_true"].notna()
    assert np.abs(truth.loc[open_rows, f"p_true_{ROUTE_CODES[0]}"] - truth.loc[open_rows, "p_true"]).max() < 1e-9


def test_no_office_writes_no_office_file_and_no_route_columns(tmp_path):
    world = generate_world(WorldConfig(youths=1500, seed=7, office=False))
    write_world(tmp_path, world)
    assert not (tmp_path / "office_cases.csv").exists()
    columns = pd.read_csv(tmp_path / "truth_events.csv", nrows=1).columns
    assert list(columns) == ["youth_id", "event_date", "kind", "report_id", "p_true", "no_sq_by_23", "p_true_27",
                             "no_sq_by_27"]
    assert LETTER == 0
