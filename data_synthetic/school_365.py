"""p_school_365_<r> in truth_events.csv: P(in school or holding a startkwalificatie 365 days after the event | the
event's state, route r from the month's end, no later reaction), per route r of `vsv_model.route_draws`.

The state is the one `p_true_<r>` starts from: the full state on the 1st of the event's month M (`truth_events.py`),
then M's own step with the state's own support, then route r's support set at M's end (as the office sets it), and
from M + 1 on the chain with no new reaction (a route ends after each month's step with `kernels.SUPPORT_END`).

The outcome is the one `features.route_outcomes.school_or_sq_365` observes: on day D = the event's day + 365 the
youth holds a startkwalificatie or has an enrolment running. The chain is monthly and a month's records are dated
uniformly on its days 2..last, so with D on day d of month m (m is M + 11 or M + 12), the share of m's records dated
on or before D is g = (d - 1) / (last - 1), and P = (1 - g) P(at the 1st of m) + g P(at the 1st of m + 1), where "at
the 1st" means a programme or a startkwalificatie in the state.

Method: the mean of `FUTURES` futures per event state simulated with the simulator's own step
(`simulate.step_states`), with common random numbers across the three routes (the same uniforms for the same future:
the difference between routes is not blurred by independent noise). Equal starts (month, state, age) are simulated
once. Monte Carlo error: at most 0.5 / sqrt(FUTURES) per row, much less on a mean over rows.
"""

from __future__ import annotations

import numpy as np

from data_synthetic.calendar import days_in, first_day, months_of_days
from data_synthetic.kernels import SUPPORT_END, Rules
from data_synthetic.simulate import step_states
from data_synthetic.state import COMPONENTS, IS_PROGRAMME, SQ, unpack
from vsv_model.route_draws import ROUTE_CODES

FUTURES = 20
HORIZON_DAYS = 365
OFFSETS = (11, 12, 13)  # months after the event's month whose 1st the interpolation may read


def school_or_sq(prog: np.ndarray) -> np.ndarray:
    """In a programme or holding a startkwalificatie (at a month's 1st)."""
    return IS_PROGRAMME[prog] | (prog == SQ)


def school_at_offsets(keys: np.ndarray, age: np.ndarray, month: int, rules: Rules, futures: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Per start (packed state `keys` at the 1st of `month`, ages in months): the share of futures in school or with
    a startkwalificatie at the 1st of month + each of OFFSETS, per route (starts x routes x offsets)."""
    n, routes = len(keys), len(ROUTE_CODES)
    base = unpack(np.asarray(keys, dtype=np.int64))
    s = {name: np.tile(np.repeat(values, futures), routes) for name, values in base.items()}
    ages = np.tile(np.repeat(np.asarray(age), futures), routes)
    route = np.repeat(np.arange(1, routes + 1, dtype=np.int8), n * futures)
    seen = np.zeros((len(OFFSETS), len(ages)))
    for k in range(max(OFFSETS)):
        u = np.tile(rng.random((3, n * futures)), (1, routes))  # common random numbers across the routes
        live = np.flatnonzero(s["prog"] != SQ)
        step = {name: s[name][live] for name in COMPONENTS}
        step_states(step, month + k, ages[live], rules, u[:2, live])
        if k == 0:  # the office sets the route at the month's end
            step["support"] = route[live].copy()
        else:  # a route ends after the month's step
            step["support"][u[2, live] < SUPPORT_END[step["support"]]] = 0
        for name in COMPONENTS:
            s[name][live] = step[name]
        ages += 1
        if k + 1 in OFFSETS:
            seen[OFFSETS.index(k + 1)] = school_or_sq(s["prog"])
    return seen.reshape(len(OFFSETS), routes, n, futures).mean(axis=3).transpose(2, 1, 0)


def horizon_weights(event_days: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per event: the index into OFFSETS of the month holding day + 365, and g, the share of that month's record
    days (2..last) on or before it."""
    target = np.asarray(event_days, dtype=np.int64) + HORIZON_DAYS
    month = months_of_days(target)
    offset = month - months
    if not np.isin(offset, OFFSETS[:-1]).all():
        raise ValueError("an event whose day + 365 falls outside the 11th or 12th month after its month")
    day = target - first_day(month) + 1
    g = np.clip((day - 1) / (days_in(month) - 1), 0.0, 1.0)
    return offset - OFFSETS[0], g


def school_365(keys: np.ndarray, months: np.ndarray, age: np.ndarray, event_days: np.ndarray, rules: Rules,
               rng: np.random.Generator, futures: int = FUTURES) -> np.ndarray:
    """p_school_365 per event (events x routes): each event's state at the 1st of its month (`keys`, `months`, ages
    in months) and its day."""
    starts = np.stack([months, np.asarray(keys, np.int64), age], axis=1)
    unique, of_event = np.unique(starts, axis=0, return_inverse=True)
    of_event = of_event.reshape(-1)
    shares = np.zeros((len(unique), len(ROUTE_CODES), len(OFFSETS)))
    for month in np.unique(unique[:, 0]):
        at = np.flatnonzero(unique[:, 0] == month)
        shares[at] = school_at_offsets(unique[at, 1], unique[at, 2], int(month), rules, futures, rng)
    index, g = horizon_weights(event_days, months)
    per_event = shares[of_event]
    rows = np.arange(len(of_event))
    return (1.0 - g)[:, None] * per_event[rows, :, index] + g[:, None] * per_event[rows, :, index + 1]
