"""Progress for work that takes more than a few seconds.

Two kinds: a bar (tqdm) inside a step, shown only on a terminal and gone when done; and one line per step on
stderr (`say`), shown everywhere, so a first run that trains for minutes is never silent and a log says where
the time went. No line names a youth: steps report dates, folds, rounds and counts only.
"""

from __future__ import annotations

import sys
import time

_started: list[float] = []  # when the first step of this process was said (set on first use, not at import)


def progress_bar(total: int, label: str, unit: str = "it"):
    """A tqdm bar on stderr that disappears when done; disabled when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit, unit_scale=True, disable=None, leave=False)


def elapsed() -> float:
    """Seconds since this process said its first step."""
    if not _started:
        _started.append(time.monotonic())
    return time.monotonic() - _started[0]


def say(message: str) -> None:
    """One line of progress on stderr, with the time since the first step: '  [  42 s] fold 2 of 5: 318 rounds'."""
    print(f"  [{elapsed():4.0f} s] {message}", file=sys.stderr, flush=True)


def round_bar(bar):
    """A LightGBM callback that moves `bar` one step per boosting round."""

    def advance(env) -> None:
        bar.update(1)

    return advance
