"""The outcome kernels and the calendar: distributions, compulsory education, the age the truth relies on,
hand-computed shifts and harms, and the dated calendar effects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from data_synthetic import kernels as k
from data_synthetic.calendar import (
    CALENDAR_EFFECTS,
    KNOWN_SHIFTS,
    SCHOOL_WEEKS,
    Calendar,
    closed_fraction,
    month_of_date,
)
from data_synthetic.generate import WorldConfig
from data_synthetic.state import DURATION, HAS_EXAM, IS_PROGRAMME, MBO2, PRIMARY, SQ, pack, with_changes
from data_synthetic.truth import evaluate_month, state_space

YEAR_2019 = [month_of_date(dt.date(2019, m, 1)) for m in range(1, 13)]
EFFECT_MONTHS = [month_of_date(d) for d in (dt.date(2020, 4, 1), dt.date(2021, 1, 1), dt.date(2023, 3, 1),
                                            dt.date(2026, 1, 1))]
AGES = [150, 170, 190, 200, 210, 215, 216, 227, 240, 263, 276, 290, 310, 324]
SHIFTED = k.Rules(Calendar(shifts=(("dropout_hazard", 0.8), ("mbo_mix", 0.4))), hidden_gap=0.5)


@pytest.fixture(scope="module")
def space():
    return state_space(origin_in_state=True)


def career_and_event(space, month, age, rules):
    yield space, k.life_event_outcomes(space, month, age, rules)
    for rows, outcomes in k.career_groups(space, month, age, rules):
        yield {name: v[rows] for name, v in space.items()}, outcomes


@pytest.mark.parametrize("rules", [k.Rules(Calendar()), k.Rules(Calendar(drift=False)), SHIFTED],
                         ids=["drift", "no-drift", "shifted"])
def test_every_kernel_gives_a_probability_distribution_for_every_state_month_and_age(space, rules):
    for month in YEAR_2019 + EFFECT_MONTHS:
        for age in AGES:
            for states, outcomes in career_and_event(space, month, age, rules):
                p = np.stack([np.broadcast_to(o.p, states["prog"].shape) for o in outcomes])
                assert (p >= 0).all() and (p <= 1).all(), (month, age)
                np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=0, atol=1e-12)


def test_secondary_entry_is_a_distribution_and_so_pupils_go_to_special_education():
    s = {name: np.zeros(2, np.int8) for name in ("prog", "year", "path", "work", "dipl", "drops", "burden",
                                                  "event", "group")}
    s["prog"][:], s["year"][:] = PRIMARY, (0, 1)
    outcomes = k.entry_outcomes(s, YEAR_2019[7], np.array([150, 150]), k.Rules(Calendar()))
    p = np.stack([o.p for o in outcomes])
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
    names = dict(zip(k.ENTRY_TYPES, p[:, 1]))
    assert names[k.HAVO] == 0 and names[k.VWO] == 0 and names[k.VSO] > 0.5  # special primary: mostly vso


@pytest.mark.parametrize("origin", [False, True])
@pytest.mark.parametrize("rules", [k.Rules(Calendar()), SHIFTED], ids=["drift", "shifted"])
def test_the_state_space_is_closed_under_every_kernel(origin, rules):
    """evaluate_month raises when an outcome with a positive probability leads outside the enumerated states."""
    space = state_space(origin)
    keys = pack(space)
    for month in YEAR_2019 + EFFECT_MONTHS:
        step = evaluate_month(space, keys, month, rules)
        assert sum(len(items) for _, items in step.career) > 0


def test_from_18_a_kernel_reads_the_age_only_in_completed_years(space):
    """The truth evaluates each month once per year of age from 18; any age inside a year must give the same."""
    rules = k.Rules(Calendar())
    for month in YEAR_2019 + EFFECT_MONTHS:
        for years in range(18, 28):
            first = min(years, 25) * 12
            reference = list(career_and_event(space, month, first, rules))
            for age in range(12 * years, 12 * years + 12):
                for (_, expected), (_, got) in zip(reference, career_and_event(space, month, age, rules)):
                    for a, b in zip(expected, got):
                        np.testing.assert_array_equal(np.broadcast_to(a.p, np.shape(b.p)), b.p)
                        assert a.next.keys() == b.next.keys()
                        for name in a.next:
                            np.testing.assert_array_equal(a.next[name], b.next[name])


def outcome_probability(space, month, age, rules, tags) -> np.ndarray:
    """Per state: the summed probability of the career outcomes with one of `tags`."""
    total = np.zeros(len(space["prog"]))
    for rows, outcomes in k.career_groups(space, month, age, rules):
        for outcome in outcomes:
            if outcome.tag in tags:
                total[rows] += np.broadcast_to(outcome.p, rows.shape)
    return total


def test_nobody_leaves_school_before_18_and_exemptions_come_only_after_leerplicht(space):
    rules = k.Rules(Calendar())
    enrolled = IS_PROGRAMME[space["prog"]]
    for month in YEAR_2019:
        for age in range(144, 216, 5):
            assert not outcome_probability(space, month, age, rules, (k.DROPOUT, k.LEAVE))[enrolled].any()
            exempt = outcome_probability(space, month, age, rules, (k.EXEMPTION,))[enrolled]
            assert (exempt > 0).any() == bool(k.leerplicht_over(month, age)) or month % 12 + 1 in (6, 8)
        assert outcome_probability(space, month, 216, rules, (k.DROPOUT, k.LEAVE))[enrolled].any()


def test_rows_the_simulator_skips_can_only_stay(space):
    rules = k.Rules(Calendar())
    for month in YEAR_2019:
        for age in (150, 190, 205, 215, 216, 240):
            frozen = ~k.may_move(space, month, np.full(len(space["prog"]), age))
            staying = outcome_probability(space, month, age, rules, (k.STAY,))
            assert (staying[frozen] == 1.0).all(), (month, age)


def test_exams_are_passed_only_in_june_and_only_in_a_programme_s_final_year(space):
    rules = k.Rules(Calendar())
    final_exam = HAS_EXAM[space["prog"]] & (space["year"] == DURATION[space["prog"]])
    for month in YEAR_2019:
        passed = outcome_probability(space, month, 240, rules, (k.EXAM_PASS,))
        if month % 12 + 1 == 6:
            assert (passed[final_exam] > 0).all() and not passed[~final_exam].any()
        else:
            assert not passed.any()


def mbo_student(**changes):
    base = {"prog": MBO2, "year": 1, "path": 1, "work": 0, "dipl": 0, "drops": 0, "burden": 0, "event": 0, "group": 0}
    return {name: np.array([value], np.int8) for name, value in (base | changes).items()}


def logit(p):
    return np.log(p / (1 - p))


def test_the_dropout_hazard_shift_adds_its_size_to_the_log_odds_from_its_start():
    start = month_of_date(dt.date(2025, 10, 1))
    shifted = k.Rules(Calendar(shifts=(("dropout_hazard", 0.7),), shift_start=start))
    plain = k.Rules(Calendar())
    for state in (mbo_student(), mbo_student(burden=2, event=1, drops=1)):
        after = [k.dropout_probability(state, start + 2, 240, r)[0] for r in (plain, shifted)]
        before = [k.dropout_probability(state, start - 2, 240, r)[0] for r in (plain, shifted)]
        assert logit(after[1]) - logit(after[0]) == pytest.approx(0.7, abs=1e-9)
        assert before[0] == before[1]


def test_the_hidden_gap_raises_dropout_log_odds_of_group_one_in_mbo_only():
    rules, month = k.Rules(Calendar(), hidden_gap=0.5), YEAR_2019[2]
    gap = logit(k.dropout_probability(mbo_student(group=1), month, 240, rules)[0]) - logit(
        k.dropout_probability(mbo_student(group=0), month, 240, rules)[0])
    assert gap == pytest.approx(0.5, abs=1e-9)
    havo = mbo_student(prog=k.HAVO, path=0)
    assert k.dropout_probability(with_changes(havo, {"group": 1}), month, 240, rules)[0] == \
        k.dropout_probability(havo, month, 240, rules)[0]


def test_the_mbo_mix_shift_moves_its_size_of_each_level_one_level_down():
    levels = np.array([[0.1, 0.4, 0.3, 0.2]])
    np.testing.assert_allclose(k.shift_mbo_mix(levels, 0.5), [[0.1 + 0.2, 0.4 - 0.2 + 0.15, 0.3 - 0.15 + 0.1, 0.1]],
                               atol=1e-15)
    assert (k.shift_mbo_mix(levels, 0.0) == levels).all()  # size 0: bit for bit


def test_a_startkwalificatie_ends_the_chain():
    assert not k.is_chain(np.array([SQ]))[0]
    passed = k.exam_outcomes(mbo_student(year=2), YEAR_2019[5], 240, k.Rules(Calendar()))[0]
    assert passed.tag == k.EXAM_PASS and passed.next["prog"][0] == SQ


def test_school_weeks_add_up_to_the_statutory_school_year():
    assert SCHOOL_WEEKS.sum() == pytest.approx(38.8)
    assert SCHOOL_WEEKS.sum() * 26 == pytest.approx(1008.8)  # secondary: 1,000 teaching hours a year
    assert SCHOOL_WEEKS[8] < 1 and SCHOOL_WEEKS[7] < 2  # the summer holiday


def test_the_closures_cut_absence_on_their_days_and_only_with_drift():
    calendar = Calendar()
    march, january = month_of_date(dt.date(2020, 3, 1)), month_of_date(dt.date(2021, 1, 1))
    assert closed_fraction(dict((e.name, e) for e in CALENDAR_EFFECTS)["school_closure_all"], march) == 16 / 31
    at_march = calendar.emissions_at(march)
    assert at_march.absence_primary == pytest.approx(1 - 0.9 * 16 / 31)
    assert calendar.emissions_at(january).absence_secondary == pytest.approx(0.1)
    assert calendar.emissions_at(january).absence_primary == 1.0
    assert Calendar(drift=False).emissions_at(march).absence_primary == 1.0


def test_every_calendar_effect_is_named_dated_and_off_without_drift():
    assert [e.name for e in CALENDAR_EFFECTS] == ["births_trend", "school_mix_trend", "mbo_18plus_reporting",
                                                  "school_closure_all", "school_closure_secondary",
                                                  "covid_dropout_rise", "labour_market_pull"]
    assert all(e.start and e.description for e in CALENDAR_EFFECTS)
    calendar, flat = Calendar(), Calendar(drift=False)
    for month in range(month_of_date(dt.date(2014, 10, 1)), month_of_date(dt.date(2026, 10, 1))):
        assert flat.dynamics_at(month) == (0.0, 0.0, 0.0, 0.0)
        assert flat.emissions_at(month).mbo_18plus_report == 0.25
    assert calendar.dynamics_at(month_of_date(dt.date(2021, 3, 1))).dropout == 0.30
    assert calendar.dynamics_at(month_of_date(dt.date(2023, 3, 1))) == (0.30, -0.30, 0.60, 0.0)
    assert flat.birth_factor(np.array([1990]))[0] == 1.0 and calendar.birth_factor(np.array([2007]))[0] == 0.993


def test_after_the_data_s_end_the_calendar_stays_as_it_was_in_the_last_month():
    calendar = Calendar(shifts=(("dropout_hazard", 0.5),))
    last = calendar.last_month
    for later in (last + 1, last + 13, last + 100):
        assert calendar.dynamics_at(later) == calendar.dynamics_at(last)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"shifts": (("sunspots", 1.0),)}, f"unknown shift 'sunspots'; known: {', '.join(KNOWN_SHIFTS)}"),
    ({"planted_bias": (("redlining", 1.0),)}, "unknown planted bias 'redlining'; known: hidden_gap, underreporting"),
    ({"shifts": (("mbo_mix", 1.5),)}, "mbo_mix size must lie between 0 and 1"),
    ({"shifts": (("absence_level", 0.1), ("absence_level", 0.2))}, "each shift may be given once"),
    ({"planted_bias": (("underreporting", -0.1),)}, "underreporting size must lie between 0 and 1"),
    ({"youths": 0}, "youths must be at least 1"),
    ({"hidden_gap_group": ("residence", "Dordrecht")}, "hidden_gap can harm a group of origin, gender, not 'residence'"),
    ({"hidden_gap_group": ("gender", "W")}, "unknown gender 'W'; known: M, V, X"),
    ({"mess_rate": 0.9}, "mess_rate must lie between 0 and 0.5"),
    ({"data_end": dt.date(2026, 10, 2)}, "data_end must be the 1st of a month"),
    ({"data_end": dt.date(2013, 10, 1)}, "data_end must lie between 2014-10-01 and 2035-10-01"),
])
def test_a_bad_configuration_is_refused_with_a_message(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        WorldConfig(**kwargs)
