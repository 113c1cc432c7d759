"""Progress bars for work that takes more than a few seconds, shown only on a terminal (never in logs or CI)."""

from __future__ import annotations


def progress_bar(total: int, label: str, unit: str = "it"):
    """A tqdm bar on stderr that disappears when done; disabled when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit, unit_scale=True, disable=None, leave=False)
