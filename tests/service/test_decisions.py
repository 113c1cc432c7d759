"""Decision rules: a route and a stance are needed, an override needs a reason; storage is append-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from serving.decisions import Advice, DecisionRefused, DecisionStore, validate_decision

ADVICE = Advice(tier="medium", route="gesprek", probability=0.55, model_version="3", model_run_id="r3")


def test_following_the_advice_needs_no_reason():
    decision = validate_decision("J1", "Anna", ADVICE, "gesprek", "volgt", "")
    assert decision.follows_advice and decision.reason is None and decision.chosen_route == "gesprek"


@pytest.mark.parametrize(("route", "stance", "reason", "message"), [
    ("matchmaker", "wijkt_af", "  ", "Geef een reden als u afwijkt van het advies."),
    ("matchmaker", "volgt", "", "U kiest een andere route dan het advies (gesprek): kies 'Ik wijk af van het advies' en geef een reden."),
    ("gesprek", "wijkt_af", "toch", "U kiest de geadviseerde route: dan volgt u het advies."),
    (None, "volgt", "", "Kies de route die u inzet."),
    ("gesprek", None, "", "Geef aan of u het advies volgt of ervan afwijkt."),
    ("onzin", "wijkt_af", "x", "Kies de route die u inzet."),
    ("geen", "wijkt_af", "x" * 2001, "De reden is te lang (hoogstens 2000 tekens)."),
])
def test_refused_decisions_say_why(route, stance, reason, message):
    with pytest.raises(DecisionRefused) as refused:
        validate_decision("J1", "Anna", ADVICE, route, stance, reason)
    assert message in refused.value.problems


def test_an_officer_is_required():
    with pytest.raises(DecisionRefused, match="Log in om een besluit vast te leggen."):
        validate_decision("J1", " ", ADVICE, "gesprek", "volgt", None)


def audit_row(decision) -> dict:
    import datetime as dt

    return {"recorded_at": dt.datetime.now(dt.UTC), "event": "decision", "request_id": "r", "key_name": decision.officer,
            "youth_id": decision.youth_id, "as_of": "2026-10-01", "model_version": "3", "input_hash": "0" * 64,
            "probability": 0.55, "tier": "medium", "advised_route": "gesprek", "top_reasons": "[]",
            "decision_route": decision.chosen_route, "decision_follows": decision.follows_advice, "decision_reason": decision.reason}


def test_store_appends_and_reads_newest_first(tmp_path):
    from serving.audit import AuditLog
    from serving.database import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    store, audit = DecisionStore(engine), AuditLog(engine)
    for decision in (validate_decision("J1", "Anna", ADVICE, "gesprek", "volgt", None),
                     validate_decision("J1", "Bert", ADVICE, "matchmaker", "wijkt_af", "thuissituatie"),
                     validate_decision("J2", "Anna", ADVICE, "gesprek", "volgt", None)):
        store.append(decision, audit, audit_row(decision))
    history = store.history("J1")
    assert [(d["officer"], d["chosen_route"], d["follows_advice"], d["reason"]) for d in history] == [
        ("Bert", "matchmaker", False, "thuissituatie"), ("Anna", "gesprek", True, None)]
    assert history[0]["advised_route"] == "gesprek" and history[0]["model_version"] == "3"
    assert not [name for name in dir(store) if name.startswith(("update", "delete", "remove"))]
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from decisions")).scalar() == 3
        assert connection.execute(sa.text("select count(*) from audit_log where event = 'decision'")).scalar() == 3


def test_a_decision_is_not_stored_when_its_audit_record_fails(tmp_path):
    from serving.audit import AuditLog, AuditUnavailable
    from serving.database import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    store = DecisionStore(engine)
    decision = validate_decision("J1", "Anna", ADVICE, "gesprek", "volgt", None)
    with pytest.raises(AuditUnavailable):
        store.append(decision, AuditLog(engine), audit_row(decision) | {"input_hash": None})  # NOT NULL: the insert fails
    assert store.history("J1") == []  # both or neither
