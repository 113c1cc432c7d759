"""Monte Carlo futures from a known state: the independent check of the exact truth.

From each youth's state at a reference month, many futures are simulated with the simulator's own monthly
step (`simulate.step_states`), each until the deadline birthday's month; a startkwalificatie counts when its
diploma day (uniform on the month's days 2..last, as the simulator dates it) lies before the birthday. The
share of futures without one estimates `p_true` with Monte Carlo error; the truth computes it exactly.
"""

from __future__ import annotations

import numpy as np

from data_synthetic.calendar import day_in_month, months_of_days
from data_synthetic.kernels import Rules
from data_synthetic.office import end_support
from data_synthetic.simulate import step_states
from data_synthetic.state import SQ, State
from vsv_model.dates import birthday_days


def share_without_startkwalificatie(states: State, age: np.ndarray, month: int, birth_days: np.ndarray,
                                    deadline: int, rules: Rules, futures: int, rng) -> np.ndarray:
    """Per youth: the share of `futures` simulated futures with no startkwalificatie before the `deadline`-th
    birthday, starting from `states` (ages in months) at the start of `month`."""
    n = len(age)
    s = {name: np.repeat(values, futures) for name, values in states.items()}
    ages = np.repeat(np.asarray(age), futures)
    birthday = np.repeat(birthday_days(birth_days, deadline), futures)
    last_month = months_of_days(birthday)
    qualified, live = np.zeros(n * futures, bool), s["prog"] != SQ
    while live.any():
        rows = np.flatnonzero(live)
        step = {name: values[rows] for name, values in s.items()}
        step_states(step, month, ages[rows], rules, rng.random((2, len(rows))))
        if rules.office:  # a route ends after the month's step, as in the simulation (no new reactions)
            end_support(step, rng)
        for name in s:
            s[name][rows] = step[name]
        passed = rows[step["prog"] == SQ]
        qualified[passed] = day_in_month(rng.random(len(passed)), month) < birthday[passed]
        ages += 1
        month += 1
        live = (s["prog"] != SQ) & (month <= last_month)
    return 1.0 - qualified.reshape(n, futures).mean(axis=1)
