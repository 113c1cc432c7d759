"""`vsv cases export` and the draws' report, on SQLite and PostgreSQL, from a hand-made case set:

- D1: a borderline first report (p 0.32, model: conversation), drawn by lot (share 1); a repeat report 7 days later
  joins the case (its advice escalated from the drawn route); the draw is refused with a reason that starts like a
  formula, then the officer takes the conversation.
- D2: a borderline first report (p 0.58, model: conversation), drawn, followed.
- N1: a first report (p 0.10, a letter), not borderline, the officer chooses another route ("anders"): not written.
- N2: a new leaver (p 0.80, the matchmaker), not borderline, undecided: not written.

The drawn routes are the checker's (SHA-256 of salt and key, as in test_draws), every other value is written out."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from casework.export import office_cases
from casework.model import CaseworkRules
from casework.oversight import draw_report
from tests.builders import scored_event
from tests.casework.helpers import day, ingest
from tests.casework.test_draws import CUTOFFS, PLENTY, SALT, checker
from vsv_model.office_cases import OFFICE_CASE_COLUMNS
from vsv_model.table_io import write_frame

LETTER, TALK, MATCH = "waarschuwingsbrief", "gesprek", "matchmaker"
REASON = "=Jongere zit al in een traject bij de gemeente"


def drawn_route(key: str) -> str:
    return (LETTER, TALK, MATCH)[int(checker(key)[1] * 3)]


@pytest.fixture
def cases(store):
    return make_cases(store)


def make_cases(store):
    rules = dataclasses.replace(CaseworkRules(draw_salt=SALT, **PLENTY), random_share=1.0)
    ingest(store, rules,
           scored_event("D1", "2026-03-02", route=TALK, probability=0.32, risk_category="medium") | CUTOFFS,
           scored_event("D2", "2026-03-03", route=TALK, probability=0.58, risk_category="medium") | CUTOFFS,
           scored_event("N1", "2026-03-03", route=LETTER, probability=0.10, risk_category="low") | CUTOFFS,
           scored_event("N2", "2026-03-04", kind="new_leaver", route=MATCH, probability=0.80,
                        risk_category="high") | {"medium_cutoff": 0.25, "high_cutoff": 0.55})
    ingest(store, rules, scored_event("D1", "2026-03-09", kind="report_repeat", route=TALK, probability=0.41,
                                      risk_category="medium") | CUTOFFS)
    ids = {store.case(i, day("2026-03-09")).case["youth_id"]: i for i in range(1, 5)}
    store.refuse_draw(ids["D1"], "Consulent A", REASON)
    store.decide(ids["D1"], "Consulent A", follows=True)
    store.decide(ids["D2"], "Consulent A", follows=True)
    store.decide(ids["N1"], "Consulent A", follows=False, chosen_route="anders", other_route="jongerenloket",
                 why="Al bekend bij het loket.")
    return store


def expected_rows() -> list[dict]:
    d1, d2 = drawn_route("report:R-D1-2026-03-02"), drawn_route("report:R-D2-2026-03-03")
    ladder = (LETTER, TALK, MATCH)
    repeat_advice = ladder[min(2, max(ladder.index(d1) + 1, 1))]  # escalated from the drawn route, as advised that day
    return [
        {"youth_id": "D1", "event_date": "2026-03-02", "kind": "report_first", "report_id": "R-D1-2026-03-02",
         "score": 0.32, "risk_category": "medium", "advised_route": TALK, "route": TALK, "randomised": 1,
         "draw_propensity": 1 / 3, "refused": 1, "refusal_reason": REASON, "policy": "tier", "medium_cutoff": 0.30,
         "high_cutoff": 0.60},
        {"youth_id": "D2", "event_date": "2026-03-03", "kind": "report_first", "report_id": "R-D2-2026-03-03",
         "score": 0.58, "risk_category": "medium", "advised_route": TALK, "route": d2, "randomised": 1,
         "draw_propensity": 1 / 3, "refused": 0, "refusal_reason": "", "policy": "tier", "medium_cutoff": 0.30,
         "high_cutoff": 0.60},
        {"youth_id": "D1", "event_date": "2026-03-09", "kind": "report_repeat", "report_id": "R-D1-2026-03-09",
         "score": 0.41, "risk_category": "medium", "advised_route": repeat_advice, "route": TALK, "randomised": 0,
         "draw_propensity": None, "refused": 0, "refusal_reason": "", "policy": "tier", "medium_cutoff": 0.30,
         "high_cutoff": 0.60},
    ]


def test_the_export_has_the_specs_columns_and_values(cases, engine):
    result = office_cases(engine)
    assert tuple(result.frame.columns) == OFFICE_CASE_COLUMNS
    rows = result.frame.astype(object).where(result.frame.notna(), None).to_dict("records")
    assert rows == expected_rows()
    assert (result.undecided, result.other_route) == (1, 1)  # N2 undecided, N1 "anders"


def test_the_export_keeps_to_its_period(cases, engine):
    result = office_cases(engine, day("2026-03-03"), day("2026-03-08"))
    assert result.frame["youth_id"].tolist() == ["D2"]
    assert (result.undecided, result.other_route) == (1, 1)


def test_the_export_file_is_safe_in_a_spreadsheet(cases, engine, tmp_path):
    path = write_frame(office_cases(engine).frame, tmp_path / "office_cases.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(OFFICE_CASE_COLUMNS)
    assert rows[0]["refusal_reason"] == "'" + REASON  # a formula's start is neutralised
    assert [r["randomised"] for r in rows] == ["1", "1", "0"] and rows[2]["draw_propensity"] == ""


def test_the_draws_report_counts_draws_refusals_and_reasons(cases, engine):
    report = draw_report(engine)
    d1, d2 = drawn_route("report:R-D1-2026-03-02"), drawn_route("report:R-D2-2026-03-03")
    assert (report.draws, report.refused, report.share_refused) == (2, 1, 0.5)
    by_route = {r.route: (r.draws, r.refused) for r in report.by_route.itertuples()}
    expected = {LETTER: [0, 0], TALK: [0, 0], MATCH: [0, 0]}
    expected[d1][0] += 1
    expected[d1][1] += 1
    expected[d2][0] += 1
    assert by_route == {route: tuple(counts) for route, counts in expected.items()}
    assert [reason for _, reason in report.reasons] == [REASON]


def test_vsv_cases_export_and_list_report_the_draws(tmp_path, monkeypatch, clock):
    from typer.testing import CliRunner

    from casework.store import CaseStore
    from serving.database import open_database
    from vsv_cli.app import app

    url = f"sqlite:///{tmp_path / 'vsv.db'}"
    monkeypatch.setenv("VSV_DATABASE_URL", url)
    monkeypatch.setenv("VSV_TODAY", "2026-03-09")
    engine = open_database(url)
    make_cases(CaseStore(engine, clock))
    runner = CliRunner()
    out = tmp_path / "export" / "office_cases.csv"
    result = runner.invoke(app, ["cases", "export", "--out", str(out), "--from", "2026-03-01", "--to", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"Wrote 3 event(s) of decided cases to {out} (2 drawn by lot, 1 refused); not "
                                     "written: 1 of undecided cases, 1 with another route or none.")
    with out.open(newline="", encoding="utf-8") as handle:
        assert [row["youth_id"] for row in csv.DictReader(handle)] == ["D1", "D2", "D1"]
    listed = runner.invoke(app, ["cases", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[-1] == "Drawn by lot: 2 case(s), of which 1 refused (50%)."
    backwards = runner.invoke(app, ["cases", "export", "--out", str(out), "--from", "2026-04-01", "--to", "2026-03-01"])
    assert backwards.exit_code == 2 and "--from 2026-04-01 lies after --to 2026-03-01" in backwards.output
