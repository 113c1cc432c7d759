"""The archive of batch scores and monitoring reports: a round trip on SQLite and on PostgreSQL, exact to the bit,
append-only, and a run cut off before its own row is never read."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from serving.archive import (
    ARCHIVE_TABLES,
    StoredReport,
    archive_scores,
    archived_runs,
    archived_scores,
    bulk_insert,
    latest_report,
    open_archive,
    score_rows,
    store_report,
)
from vsv_model.expected_performance import estimate

SERVED = SimpleNamespace(name="vsv-risk", version="7", run_id="0123456789abcdef0123456789abcdef",
                         booster_sha256="f" * 64, fingerprint="01234567-ffffffff",
                         model=SimpleNamespace(cutoffs=SimpleNamespace(details={"high_share": 0.05})))


def scored(n: int, explained: bool) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    p = rng.uniform(0.0, 1.0, n)
    frame = pd.DataFrame({"youth_id": [f"J{k:07d}" for k in range(n)], "as_of": "2024-10-01", "probability": p,
                          "tier": np.where(p > 0.95, "high", np.where(p > 0.7, "medium", "low"))})
    if explained:
        for k in range(1, 6):
            frame[f"reason_{k}_concept"] = np.where(np.arange(n) % 3 == 0, None, f"concept{k}")
    return frame


def round_trip(url: str) -> None:
    engine = open_archive(url)
    first = archive_scores(engine, scored(2_500, explained=True), SERVED, dt.date(2024, 10, 1))
    second = archive_scores(engine, scored(300, explained=False), SERVED, dt.date(2025, 10, 1))
    runs = archived_runs(engine)
    assert [(r.id, r.as_of, r.youths, r.explained) for r in runs] == [(first.id, "2024-10-01", 2_500, True),
                                                                      (second.id, "2025-10-01", 300, False)]
    assert runs[0].model_version == "7" and runs[0].model_fingerprint == SERVED.fingerprint
    frame = scored(2_500, explained=True)
    expected = estimate(frame["probability"].to_numpy(), frame["tier"].to_numpy(), 0.05)
    assert runs[0].estimate == expected  # JSON keeps every float exactly
    back = archived_scores(engine, first.id)
    assert back["probability"].tolist() == frame["probability"].tolist()  # every bit of every probability
    assert back["youth_id"].tolist() == frame["youth_id"].tolist() and back["tier"].tolist() == frame["tier"].tolist()
    assert back["reason_1"].isna().tolist() == [k % 3 == 0 for k in range(2_500)]
    assert set(back["reason_1"].dropna()) == {"concept1"}
    assert "reason_4" not in back  # the top three are kept
    assert archived_scores(engine, second.id)["reason_3"].isna().all()
    # a run cut off before its own row: its youths are there but never read
    with engine.begin() as connection:
        bulk_insert(connection, score_rows(frame.head(10), run_id=42))
    assert archived_scores(engine, 42).empty and 42 not in [r.id for r in archived_runs(engine)]
    for statement in ("update archived_scores set tier = 'low'", "delete from score_runs"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert latest_report(engine) is None
    for status in ("warn", "ok"):
        store_report(engine, StoredReport(dt.datetime.now(dt.UTC), "2025-10-01", "7", SERVED.fingerprint, status,
                                          [{"level": "warn", "rule": "psi", "subject": "éé", "message": "m", "value": 0.2}],
                                          "<p>rapport</p>"))
    report = latest_report(engine)
    assert (report.status, report.findings[0]["subject"], report.fragment) == ("ok", "éé", "<p>rapport</p>")
    open_archive(url)  # opening again keeps tables, rows and triggers
    assert len(archived_runs(engine)) == 2


def test_archive_round_trip_on_sqlite(tmp_path):
    round_trip(f"sqlite:///{tmp_path / 'vsv.db'}")


def test_archive_round_trip_on_postgresql(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"drop table if exists {', '.join(ARCHIVE_TABLES)} cascade")
    engine.dispose()
    round_trip(postgres_url)
