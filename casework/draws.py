"""The randomised share at the moment a case is made: which new cases get a route drawn by lot.

The rule is `vsv_model.route_draws` (borderline, the draw, its chance); this module only applies it to the events
an ingest opens cases with:

- only an event that **opens** a case is drawn; a repeat that attaches to an open case keeps the case's advice
  (escalated as usual), so a case is drawn at most once;
- borderline is judged against the event's own kind's tier cut-offs (`medium_cutoff`, `high_cutoff`, carried by the
  scored rows); an event without them is never drawn;
- the routes with places left are the inbox's figures at the ingest (`casework.queries.read_capacity` for the
  store's today: this ISO week's conversations and this month's matchmaker places against the region's places);
  the letter has no limit. They are read once per ingest: the draws of one batch do not take places from each
  other (a batch of a day's events draws a handful at most; the inbox then shows any case beyond the places);
- the draw's two numbers come from the event's key and the region's salt (`uniform_of`), so anyone with the salt
  can repeat it.

A drawn event's route replaces the model's before the advice is planned, so repeats in the same batch escalate
from the drawn route exactly as they would a day later.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from casework.model import CaseworkRules
from casework.queries import Capacity
from vsv_model.route_draws import ROUTE_CODES, draw_routes, is_borderline, uniform_of


def available_routes(capacity: Capacity) -> np.ndarray:
    """Letter, conversation, matchmaker: whether each still has a place (the letter always has)."""
    return np.array([True, capacity.conversations < capacity.conversations_per_week,
                     capacity.matchmaker < capacity.matchmaker_places_per_month])


def uniforms(keys: pd.Series, salt: str) -> tuple[np.ndarray, np.ndarray]:
    """The two uniform numbers of each event key (one hash each)."""
    pairs = [uniform_of(str(key), salt) for key in keys]
    take = np.array([p[0] for p in pairs], dtype=float)
    pick = np.array([p[1] for p in pairs], dtype=float)
    return take, pick


def with_draws(events: pd.DataFrame, rules: CaseworkRules,
               places: Callable[[], np.ndarray] | None) -> pd.DataFrame:
    """The events with `randomised`, `draw_propensity` and `model_route` (the model's own route); a drawn event's
    `route` becomes the drawn one. `places()`: the three routes' places left, asked only when an event is
    borderline (None: no draw at all)."""
    events = events.assign(model_route=events["route"], randomised=False, draw_propensity=np.nan)
    draw = rules.draw_rules()
    if places is None or draw.share <= 0 or events.empty:
        return events
    opening = ~events["attached"].to_numpy(dtype=bool)
    probability = events["probability"].to_numpy(dtype=float)
    medium = pd.to_numeric(events["medium_cutoff"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(events["high_cutoff"], errors="coerce").to_numpy(dtype=float)
    candidates = opening & is_borderline(probability, medium, high, draw.band)  # NaN cut-offs: never borderline
    if not candidates.any():
        return events
    rows = np.flatnonzero(candidates)
    available = np.asarray(places(), dtype=bool)
    take, pick = uniforms(events["event_key"].iloc[rows], rules.draw_salt)
    drawn = draw_routes(take, pick, np.ones(len(rows), dtype=bool), np.tile(available, (len(rows), 1)), draw.share)
    chosen = rows[drawn.drawn]
    route = events["route"].to_numpy(dtype=object, copy=True)
    route[chosen] = np.array(ROUTE_CODES, dtype=object)[drawn.route[drawn.drawn]]
    randomised = np.zeros(len(events), dtype=bool)
    randomised[chosen] = True
    propensity = np.full(len(events), np.nan)
    propensity[chosen] = drawn.propensity[drawn.drawn]
    return events.assign(route=route, randomised=randomised, draw_propensity=propensity)
