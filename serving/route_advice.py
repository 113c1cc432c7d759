"""Which advice is in force: one owner for the service, `vsv cases sync` and the pages (issue 26, item 4).

The tier advice (the risk group's route, within the capacity its cut-offs hold) stands unless the registry holds a
promoted route policy (`vsv-route-policy@champion`, promoted only when its held-out value beats the tier policy's:
`route_learning/gates.py`). Then a new case's advice is that policy's route for the youth (the leaf of the features
it was fitted on), stepped down within the places left by the case store (`casework.chain.within_places`), and the
case stores `policy="benefit"`. No promoted policy is normal and says so in the log; a policy that cannot be read is
logged as an error and the tier advice stands: readiness does not depend on it.

What is known of each route (the case page's evidence) comes from the promoted policy, else from the latest
evaluation (`vsv-route-policy@evaluated`, registered by every `vsv routes evaluate`): then the page says where the
figures come from and which check they did not pass, and the advice stays the tier's.

Every worker reads the registry when it starts; `/reload` reads it again and leaves what it found in a marker file
of this server (`AdviceMarker`, like `serving.model_store.ServedMarker`), which the other workers follow.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from casework.model import BENEFIT_POLICY, TIER_POLICY, CaseworkRules
from casework.wording import (
    ADVICE_IN_FORCE_NL,
    CERTAINTY_NL,
    OFFICER_DECIDES_NL,
    STILL_LEARNING_NL,
    benefit_checked_nl,
    certainty_key,
    effect_nl,
    evaluated_only_nl,
    per_hundred,
    route_phrase,
)
from features.event_state import event_features
from features.events import Events
from features.office_events import EVENT_KINDS
from vsv_model.reader import DataSet
from vsv_model.route_draws import ROUTE_CODES
from vsv_model.route_policy import EVENT_FEATURES, EVIDENCE_COLUMNS, RoutePolicy
from vsv_model.settings import Settings

log = logging.getLogger("vsv.route_advice")


@dataclass(frozen=True)
class AdviceInForce:
    """The promoted route policy and its registry version, or none (the tier advice) with the reason why; without
    one, the latest evaluation (its evidence only: it never advises)."""

    policy: RoutePolicy | None = None
    version: str | None = None
    reason: str = "no route policy was loaded"
    evaluated: RoutePolicy | None = None
    evaluated_version: str | None = None

    @property
    def name(self) -> str:
        return TIER_POLICY if self.policy is None else BENEFIT_POLICY

    @property
    def evidence_from(self) -> RoutePolicy | None:
        """Where the page's evidence comes from: the promoted policy, else the latest evaluation."""
        return self.evaluated if self.policy is None else self.policy

    def advised(self, rows: pd.DataFrame, state: pd.DataFrame | None = None) -> pd.DataFrame:
        """Scored event rows (`probability`, `risk_category`, `kind`, the tier's `route`) with the advice in force:
        under a route policy each event's route is its leaf's route, read with the youth's state on the event's day
        (`state`: EVENT_FEATURES per row, `state_on_event_days`), and `policy` is benefit; else unchanged, tier."""
        if self.policy is None or rows.empty:
            return rows.assign(policy=TIER_POLICY)
        if state is None:
            raise ValueError("a route policy advises from the youth's state on the event's day: none was given")
        events = rows["kind"].isin(EVENT_KINDS).to_numpy()
        routes = self.policy.routes_of(rows["probability"].to_numpy(float), rows["risk_category"].to_numpy(object),
                                       rows["kind"].to_numpy(object), {n: state[n].to_numpy(float) for n in EVENT_FEATURES})
        return rows.assign(route=np.where(events, routes, rows["route"].to_numpy(object)),
                           policy=np.where(events, BENEFIT_POLICY, TIER_POLICY))


TIER_ADVICE = AdviceInForce()


def state_on_event_days(rows: pd.DataFrame, data: DataSet | Events) -> pd.DataFrame:
    """The youth's state on each row's event day (EVENT_FEATURES) from the records the rows were scored from: a data
    set, or a request's histories as Events (one per row, in the rows' order)."""
    cases = rows[["youth_id", "event_date"]]
    return event_features(None, cases, data) if isinstance(data, Events) else event_features(data, cases)


NOT_PROMOTED = "no route policy is promoted"


def load_advice(settings: Settings) -> AdviceInForce:
    """The registry's champion route policy, or the tier advice: said in the log either way, never raised. Without a
    champion, the latest evaluation's evidence too (a champion that cannot be read shows none: its evidence is not
    that of a policy still to be proven)."""
    advice = load_champion(settings)
    if advice.reason != NOT_PROMOTED:
        return advice
    evaluated, version = load_evaluated(settings)
    return replace(advice, evaluated=evaluated, evaluated_version=version)


def load_champion(settings: Settings) -> AdviceInForce:
    """The champion route policy, or the tier advice with the reason (none promoted, or it cannot be used)."""
    from registry.route_policy import load_route_policy, route_policy_version

    try:
        version = route_policy_version(settings)
        if version is None:
            log.info("no promoted route policy in %s: the tier advice is in force", settings.tracking_uri)
            return AdviceInForce(reason=NOT_PROMOTED)
        with tempfile.TemporaryDirectory() as scratch:
            policy = checked(load_route_policy(settings, version, Path(scratch)))
    except Exception as error:  # noqa: BLE001 - whatever keeps the policy from being read, the tier advice stands
        log.error("the promoted route policy cannot be used (%s: %s): the tier advice stays in force",
                  type(error).__name__, error)
        return AdviceInForce(reason=f"the route policy cannot be used: {type(error).__name__}")
    log.info("route policy version %s is in force: new cases are advised by estimated benefit", version)
    return AdviceInForce(policy, version, reason="")


def load_evaluated(settings: Settings) -> tuple[RoutePolicy | None, str | None]:
    """The latest evaluation (`evaluated`) for the page's evidence, with its version; (None, None) when there is
    none or it cannot be read (said in the log, never raised: the page then shows no evidence)."""
    from registry.route_policy import EVALUATED, load_route_policy, route_policy_version

    try:
        version = route_policy_version(settings, EVALUATED)
        if version is None:
            log.info("no route evaluation in %s: the case page shows no route evidence", settings.tracking_uri)
            return None, None
        with tempfile.TemporaryDirectory() as scratch:
            policy = checked_verdicts(checked_evidence(load_route_policy(settings, version, Path(scratch))))
    except Exception as error:  # noqa: BLE001 - whatever keeps it from being read, the page shows no evidence
        log.error("the latest route evaluation cannot be shown (%s: %s): the case page shows no route evidence",
                  type(error).__name__, error)
        return None, None
    log.info("the case page shows the evidence of route evaluation version %s (not promoted)", version)
    return policy, version


def checked(policy: RoutePolicy) -> RoutePolicy:
    """Refuse a policy whose tree, evidence or values the service could not use, before it advises anyone."""
    leaves = [policy.tree]
    while leaves:
        node = leaves.pop()
        if "route" in node:
            if node["route"] not in ROUTE_CODES:
                raise ValueError(f"a leaf names the unknown route {node['route']!r}")
        else:
            if node["feature"] not in policy.feature_names:
                raise ValueError(f"a split on the unknown feature {node['feature']!r}")
            leaves += [node["left"], node["right"]]
    for name in ("benefit", "tier", "benefit_minus_tier"):
        if not {"value", "low", "high", "n"} <= set(policy.values.get(name, {})):
            raise ValueError(f"the values lack {name!r} with value, low, high and n")
    policy.routes_of([0.5], ["medium"], [EVENT_KINDS[0]], {name: [0.0] for name in EVENT_FEATURES})
    return checked_evidence(policy)


def checked_evidence(policy: RoutePolicy) -> RoutePolicy:
    """Refuse evidence the page could not show: a row without EVIDENCE_COLUMNS, an unknown route, a figure that is no
    number, a period that is not two dates."""
    for row in policy.evidence:
        missing = [name for name in EVIDENCE_COLUMNS if name not in row]
        if missing:
            raise ValueError(f"an evidence row lacks {', '.join(missing)}")
        if row["route"] not in ROUTE_CODES:
            raise ValueError(f"an evidence row names the unknown route {row['route']!r}")
        for name in ("cases", "effect", "low", "high"):
            float(row[name])
    if len(policy.period) != 2:
        raise ValueError(f"the period is not a first and a last day: {policy.period!r}")
    for day in policy.period:
        dt.date.fromisoformat(day)
    return policy


def checked_verdicts(policy: RoutePolicy) -> RoutePolicy:
    """Refuse an evaluation whose gates do not each say their name and whether they passed."""
    for gate in policy.gates:
        if not isinstance(gate.get("name"), str) or not isinstance(gate.get("passed"), bool):
            raise ValueError(f"a gate without its name and verdict: {gate!r}")
    return policy


@dataclass
class AdviceMarker:
    """The advice this server's `/reload` found, shared by its workers through a file beside the served model's
    marker; `advice()` costs a stat and reads the file again only when it was replaced."""

    path: Path
    _stamp: tuple[int, int] | None = None
    _advice: AdviceInForce | None = field(default=None, repr=False)

    @classmethod
    def for_this_server(cls) -> AdviceMarker:
        from serving.model_store import server_key

        return cls(Settings.from_env().bentoml_home / "vsv-served" / f"{server_key()}-route-advice.json")

    def advice(self) -> AdviceInForce | None:
        """The advice marked by this server's /reload, or None before any."""
        try:
            info = self.path.stat()
        except OSError:
            return self._advice
        stamp = (info.st_ino, info.st_mtime_ns)
        if stamp != self._stamp:
            try:
                saved = json.loads(self.path.read_text(encoding="utf-8"))
                policy, evaluated = (None if saved.get(k) is None else RoutePolicy(**saved[k]) for k in ("policy", "evaluated"))
                self._advice = AdviceInForce(policy, saved["version"], saved["reason"], evaluated,
                                             saved.get("evaluated_version"))
                self._stamp = stamp
            except (OSError, ValueError, KeyError, TypeError):
                pass  # half-written or changed by hand: keep the last, look again next time
        return self._advice

    def mark(self, advice: AdviceInForce) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        saved = {"policy": None if advice.policy is None else asdict(advice.policy), "version": advice.version,
                 "reason": advice.reason, "evaluated": None if advice.evaluated is None else asdict(advice.evaluated),
                 "evaluated_version": advice.evaluated_version}
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.path)


# --- what the pages say ----------------------------------------------------------------------------------------------


def advice_words(advice: AdviceInForce, rules: CaseworkRules) -> dict:
    """The page's sentences on the advice in force: which one, and how it was checked (or why the office is still
    learning)."""
    if advice.policy is None:
        share = f"{round(100 * rules.random_share)}%"
        return {"policy": TIER_POLICY, "sentence": ADVICE_IN_FORCE_NL[TIER_POLICY],
                "explained": STILL_LEARNING_NL.format(share=share), "decides": OFFICER_DECIDES_NL}
    return {"policy": BENEFIT_POLICY, "sentence": ADVICE_IN_FORCE_NL[BENEFIT_POLICY],
            "explained": benefit_checked_nl(advice.policy.values, advice.policy.outcome), "decides": OFFICER_DECIDES_NL}


def route_evidence(advice: AdviceInForce, risk_category: str, kind: str) -> list[dict]:
    """Per route, what is known for youths like this one (the same kind of event and risk category): cases, the
    effect in words, how sure. From the promoted policy, else the latest evaluation; empty without either."""
    source = advice.evidence_from
    if source is None:
        return []
    rows = {row["route"]: row for row in source.evidence_for(risk_category, kind)}
    shown = []
    for route in ROUTE_CODES:
        row = rows.get(route)
        cases = int(row["cases"]) if row else 0
        key = certainty_key(route, cases, float(row["low"]) if row else 0.0, float(row["high"]) if row else 0.0)
        said = key not in ("few", "base")
        effect = effect_nl(route, float(row["effect"]), source.outcome) if said or key == "base" else ""
        between = f"tussen {per_hundred(row['low'])} en {per_hundred(row['high'])} van de 100" if said else ""
        shown.append({"route": route, "route_nl": route_phrase(route), "cases": cases, "effect": effect,
                      "between": between, "certainty": key, "certainty_nl": CERTAINTY_NL[key]})
    return shown


def evidence_note(advice: AdviceInForce) -> str:
    """Where the evidence comes from when it is not the promoted policy's: the latest evaluation, why it does not set
    the advice and which check it did not pass. Empty with a promoted policy (its check is said above) or no
    evidence."""
    if advice.policy is not None or advice.evaluated is None:
        return ""
    return evaluated_only_nl(advice.evaluated.period, advice.evaluated.gates)
