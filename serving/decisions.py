"""Officers' decisions: validated, then appended to a real database (never updated or deleted).

Stored in the service's database (`serving.database`) together with an audit
record. The model advises; the officer decides, and the decision is recorded
with the advice it followed or overrode. The youth id and the reason are sealed under the youth's key
(`vsv_model.youth_keys`): the row keeps the youth's pseudonym, and after retention nothing leads back to the youth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from serving.audit import AuditLog, AuditUnavailable
from serving.audit_chain import lock_chain
from serving.database import decisions_table
from vsv_model.database import writing
from vsv_model.policy import DECISION_ROUTES
from vsv_model.youth_keys import ensure_keys, find_keys, seal, unseal

MAX_REASON = 2000
FOLLOWS, OVERRIDES = "volgt", "wijkt_af"

@dataclass(frozen=True)
class Advice:
    tier: str
    route: str
    probability: float
    model_version: str
    model_run_id: str


@dataclass(frozen=True)
class Decision:
    youth_id: str
    officer: str
    advice: Advice
    chosen_route: str
    follows_advice: bool
    reason: str | None
    recorded_at: dt.datetime | None = None


class DecisionRefused(ValueError):
    """The decision is incomplete or inconsistent; `problems` say why, in Dutch."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def validate_decision(youth_id: str, officer: str, advice: Advice, route: str | None, stance: str | None,
                      reason: str | None) -> Decision:
    """A decision needs a route and a stance; a route other than the advice is an override, and an
    override needs a reason."""
    reason = (reason or "").strip() or None
    problems = []
    if route not in DECISION_ROUTES:
        problems.append("Kies de route die u inzet.")
    if stance not in (FOLLOWS, OVERRIDES):
        problems.append("Geef aan of u het advies volgt of ervan afwijkt.")
    if route in DECISION_ROUTES and stance == FOLLOWS and route != advice.route:
        problems.append(f"U kiest een andere route dan het advies ({advice.route}): kies 'Ik wijk af van het advies' en geef een reden.")
    if route == advice.route and stance == OVERRIDES:
        problems.append("U kiest de geadviseerde route: dan volgt u het advies.")
    if stance == OVERRIDES and not reason:
        problems.append("Geef een reden als u afwijkt van het advies.")
    if reason and len(reason) > MAX_REASON:
        problems.append(f"De reden is te lang (hoogstens {MAX_REASON} tekens).")
    if not officer.strip():
        problems.append("Log in om een besluit vast te leggen.")
    if problems:
        raise DecisionRefused(problems)
    return Decision(youth_id, officer.strip(), advice, route, stance == FOLLOWS, reason)


class DecisionStore:
    """Append and read decisions; there is deliberately no update or delete (the database refuses them too)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def append(self, decision: Decision, audit: AuditLog, audit_row: dict) -> Decision:
        """The decision and its audit record in one transaction: both or neither. The chain is taken first, as every
        audit writer does, so the youth's key is never created in another order than theirs."""
        recorded = dt.datetime.now(dt.UTC)
        try:
            with writing(self.engine) as connection:
                lock_chain(connection)
                key = ensure_keys(connection, [decision.youth_id])[decision.youth_id]
                connection.execute(decisions_table.insert().values(
                    recorded_at=recorded, youth_id=key.pseudonym, officer=decision.officer,
                    advised_tier=decision.advice.tier, advised_route=decision.advice.route,
                    probability=decision.advice.probability, model_version=decision.advice.model_version,
                    model_run_id=decision.advice.model_run_id,
                    chosen_route=decision.chosen_route, follows_advice=decision.follows_advice, reason=None,
                    sealed=seal(key, "decisions", {"youth_id": decision.youth_id, "reason": decision.reason})))
                audit.append([audit_row], connection)
        except sa.exc.SQLAlchemyError as exc:
            raise AuditUnavailable(f"the decision cannot be recorded ({type(exc).__name__})") from exc
        return Decision(**{**decision.__dict__, "recorded_at": recorded})

    def history(self, youth_id: str) -> list[dict]:
        """The youth's decisions, newest first: those sealed under the youth's key (found by its pseudonym) and those
        written before the keys. Once retention destroyed the key none of the sealed ones can be found."""
        table = decisions_table
        with self.engine.connect() as connection:
            key = find_keys(connection, [youth_id]).get(youth_id)
            mine = sa.and_(table.c.sealed.is_(None), table.c.youth_id == youth_id)
            if key is not None:
                mine = sa.or_(mine, sa.and_(table.c.sealed.isnot(None), table.c.youth_id == key.pseudonym))
            query = sa.select(table).where(mine).order_by(table.c.recorded_at.desc(), table.c.id.desc())
            rows = connection.execute(query).mappings().all()
        return [opened_decision(row, key.key if key else None) for row in rows]


def opened_decision(row, key: bytes | None) -> dict:
    """A stored decision as the page shows it: the youth id and the reason opened (a row from before the keys as is)."""
    out = {name: value for name, value in row.items() if name != "sealed"}
    if row["sealed"] is None:
        return out
    fields = unseal(key, "decisions", row["youth_id"], row["sealed"])
    return out | {"youth_id": fields["youth_id"], "reason": fields["reason"]}
