"""Scoring at the moment the office acts: every path scores a youth as of the event's day with the event's kind's
calibration, cut-offs and risk categories' meaning.

- batch (`serving.batch.score_events`, `vsv score --events`): each event's row equals the kind's own model on the
  features as of the event's day; reasons add up to the kind's log-odds; capacity is the window's; the summary
  counts per kind and tier;
- the service (`/score` with `kind`): the kind is echoed and its calibration used; an unknown kind is refused naming
  the known ones; the audit keeps the kind; `/model` lists the kinds.

A hand-made model (`tests.builders.with_event_kinds`: the champion's booster with plainly different settings per
kind) makes "which calibration was used" visible; the session's champion checks the real thing end to end.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from features.build import build_event_table
from features.office_events import EVENT_KINDS, office_events
from serving.batch import KEY_COLUMNS, score_dataset, score_events
from serving.errors import RequestError
from serving.listed import listed_kind
from serving.page import EXAMPLE_YOUTH
from serving.schemas import YouthInput
from serving.scoring import score
from tests.builders import feature_values, request_youth, with_event_kinds
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.policy import ROUTES, CategoryMeaning, RiskCategories
from vsv_model.reader import read_data_dir
from vsv_model.risk_model import encode_frame, encode_records
from vsv_model.table_io import plain_columns

FROM, TO = dt.date(2025, 10, 1), dt.date(2026, 9, 30)
PLACES = {"high": 40, "medium": 100}  # a year, for the hand-made kinds


@pytest.fixture(scope="module")
def data(population_dir):
    return read_data_dir(population_dir)


@pytest.fixture(scope="module")
def office(data):
    return office_events(data, FROM, TO)


@pytest.fixture(scope="module")
def kinded(champion_store):
    return with_event_kinds(champion_store["served"], places=PLACES)


@pytest.fixture(scope="module")
def scored(kinded, data, office):
    return score_events(kinded, data, office, explain=True, window=(FROM, TO))


# --- batch ------------------------------------------------------------------------------------------------------


def test_every_event_is_a_row_keyed_by_its_day_kind_and_report(scored, data, office):
    frame = scored.frame
    table = build_event_table(data, office)
    assert set(office["kind"]) == set(EVENT_KINDS) and len(frame) == len(table) > 200
    assert list(frame.columns[:5]) == [*KEY_COLUMNS, "probability"]
    pd.testing.assert_frame_equal(frame[list(KEY_COLUMNS)].astype(object), table.keys.astype(object))
    reported = frame["kind"] != "new_leaver"
    assert frame.loc[reported, "report_id"].notna().all() and frame.loc[~reported, "report_id"].isna().all()
    assert scored.out_of_scope == len(office) - len(frame)
    pd.testing.assert_frame_equal(frame[list(FEATURE_NAMES)], table.features)


def test_each_event_gets_its_kinds_calibration_cut_offs_and_meaning(scored, kinded):
    frame = scored.frame
    for kind in EVENT_KINDS:
        rows = frame[frame["kind"] == kind]
        own = kinded.model.for_kind(kind)
        expected = own.probability(encode_frame(rows[list(FEATURE_NAMES)]))
        np.testing.assert_allclose(rows["probability"], expected, rtol=0, atol=1e-12, err_msg=kind)
        assert rows["tier"].tolist() == own.cutoffs.assign(expected).tolist(), kind
        meanings = {c: own.categories.meaning_nl(c, 23) for c in ("low", "medium", "high")}
        assert rows["risk_category_meaning_nl"].tolist() == rows["risk_category"].map(meanings).tolist(), kind
        stock = kinded.model.probability(encode_frame(rows[list(FEATURE_NAMES)]))
        assert np.median(np.abs(expected - stock)) > 1e-3, kind  # the kind's chance is not the stock's (they may cross once)
    first = frame[frame["kind"] == "report_first"]
    assert first["risk_category_meaning_nl"].str.startswith("Wat risico ").all()
    assert set(first["risk_category_meaning_nl"]) != set(frame.loc[frame["kind"] == "report_repeat", "risk_category_meaning_nl"])


def test_the_reasons_add_up_to_each_kinds_log_odds(scored):
    frame = scored.frame
    concepts = [c for c in frame.columns if c.startswith("contribution_")]
    np.testing.assert_allclose(frame["base_value"] + frame[concepts].sum(axis=1), frame["log_odds"], rtol=0, atol=1e-9)
    p = frame["probability"].to_numpy()
    np.testing.assert_allclose(frame["log_odds"], np.log(p / (1 - p)), rtol=0, atol=1e-8)


def test_capacity_is_the_places_the_window_holds(scored):
    frame = scored.frame
    days = (TO - FROM).days + 1
    places = {tier: math.ceil(n * days / 365.25) for tier, n in PLACES.items()}
    assert scored.capacity == places == {"high": 40, "medium": 100}
    assert sorted(frame["rank"]) == list(range(1, len(frame) + 1))
    for tier, n in places.items():
        in_tier = frame[frame["tier"] == tier].sort_values("rank")
        assert in_tier["within_capacity"].tolist() == [k < n for k in range(len(in_tier))], tier


def test_a_week_holds_a_weeks_places(kinded, data, office):
    week = (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    days = pd.to_datetime(office["event_date"]).dt.date
    result = score_events(kinded, data, office[(days >= week[0]) & (days <= week[1])], explain=False, window=week)
    assert result.capacity == {"high": 1, "medium": 2}  # 40 and 100 a year: 0.77 and 1.92 in 7 days, rounded up
    assert 0 < len(result.frame) and result.frame["within_capacity"].sum() <= len(result.frame)
    for tier, n in result.capacity.items():
        assert result.frame.loc[result.frame["tier"] == tier, "within_capacity"].sum() == min(n, (result.frame["tier"] == tier).sum())


def test_the_counts_are_per_kind_and_tier(scored):
    frame = scored.frame
    for kind in EVENT_KINDS:
        rows = frame[frame["kind"] == kind]
        counts = scored.kind_counts[kind]
        assert counts["events"] == len(rows)
        assert {t: counts[t] for t in ("low", "medium", "high")} == rows["tier"].value_counts().reindex(
            ["low", "medium", "high"], fill_value=0).to_dict()
        assert counts["risk_high"] == int((rows["risk_category"] == "high").sum())


def test_a_kind_the_model_has_no_calibration_for_is_refused_by_name(champion_store, data, office):
    without_leavers = with_event_kinds(champion_store["served"], kinds=("report_first", "report_repeat"))
    with pytest.raises(ValueError, match=r"no calibration for the kind of event 'new_leaver'; it knows: stock, "
                                         r"report_first, report_repeat"):
        score_events(without_leavers, data, office, explain=False)


def test_a_kinds_model_follows_the_categories_measured_after_it_was_first_made(champion_store):
    model = with_event_kinds(champion_store["served"], kinds=("report_repeat",)).model
    first = model.for_kind("report_repeat")
    assert model.for_kind("report_repeat") is first  # made once
    model.categories = RiskCategories(measured={"high": CategoryMeaning(5, 1.0, 0.9)}, measured_on="test cohort")
    again = model.for_kind("report_repeat")
    assert again.categories is model.categories and again.calibration == first.calibration


def test_a_model_from_before_events_scores_every_kind_with_its_one_calibration(champion_store, data, office):
    before = with_event_kinds(champion_store["served"], kinds=())
    frame = score_events(before, data, office, explain=False, window=(FROM, TO)).frame
    expected = before.model.probability(encode_frame(frame[list(FEATURE_NAMES)]))
    np.testing.assert_allclose(frame["probability"], expected, rtol=0, atol=1e-12)
    assert frame["tier"].tolist() == before.model.cutoffs.assign(expected).tolist()


def test_the_yearly_list_is_scored_as_before(champion_store, data, scored_current):
    frame = score_dataset(champion_store["served"], data, dt.date(2026, 10, 1), explain=False).frame
    assert "kind" not in frame and "report_id" not in frame
    np.testing.assert_allclose(frame["probability"], scored_current["frame"]["probability"], rtol=0, atol=1e-12)


def test_a_scores_file_of_events_scored_again_keeps_each_events_kind(scored, kinded, tmp_path):
    from serving.scores import ScoresSource
    from vsv_model.table_io import write_frame

    path = write_frame(scored.frame, tmp_path / "events.parquet")
    source = ScoresSource(path)
    rescored = source.rescored(kinded)
    assert len(rescored) == len(scored.frame)
    source.replace(rescored)
    again = pd.read_parquet(path).sort_values(["as_of", "youth_id", "kind", "report_id"]).reset_index(drop=True)
    before = plain_columns(scored.frame).sort_values(["as_of", "youth_id", "kind", "report_id"]).reset_index(drop=True)
    assert list(again.columns) == list(before.columns)
    for name in ("youth_id", "as_of", "kind", "tier", "risk_category_meaning_nl", "rank"):
        assert again[name].astype(str).tolist() == before[name].astype(str).tolist(), name
    np.testing.assert_allclose(again["probability"], before["probability"], rtol=0, atol=1e-12)
    days = (pd.to_datetime(again["as_of"]).max() - pd.to_datetime(again["as_of"]).min()).days + 1  # the file's span
    for tier, n in PLACES.items():
        in_tier = again["tier"] == tier
        assert again.loc[in_tier, "within_capacity"].sum() == min(math.ceil(n * days / 365.25), in_tier.sum()), tier


# --- vsv score --events -------------------------------------------------------------------------------------------


def run_vsv(*args: str):
    from typer.testing import CliRunner

    from vsv_cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_vsv_score_events_scores_the_window_with_the_champion(champion_store, population_dir, data, office, tmp_path):
    out = tmp_path / "events.parquet"
    result = run_vsv("score", "--data", population_dir, "--events", "--from", FROM, "--to", TO, "--out", out, "--explain")
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    expected = score_events(champion_store["served"], data, office, explain=True, window=(FROM, TO)).frame
    pd.testing.assert_frame_equal(frame, plain_columns(expected), check_dtype=False)  # categoricals are text in a file
    assert champion_store["model"].kinds  # the champion was trained with its events
    for kind in EVENT_KINDS:
        rows = frame[frame["kind"] == kind]
        own = champion_store["model"].for_kind(kind).probability(encode_frame(rows[list(FEATURE_NAMES)]))
        np.testing.assert_allclose(rows["probability"], own, rtol=0, atol=1e-12)
        line = re.search(rf"\n  {kind}\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\n", result.stdout)
        assert line, result.stdout
        counts = [len(rows), *(int((rows["risk_category"] == c).sum()) for c in ("high", "medium", "low")),
                  *(int((rows["tier"] == t).sum()) for t in ("high", "medium", "low"))]
        assert [int(g.replace(",", "")) for g in line.groups()] == counts, kind
    high = int((frame["tier"] == "high").sum())
    assert re.search(rf"{ROUTES['high'].code}\s+{high:,} events \(capacity", result.stdout), result.stdout
    assert "Not archived" in result.stdout


def test_vsv_score_reads_an_events_file_as_vsv_events_writes_it(champion_store, population_dir, tmp_path):
    events_file = tmp_path / "events.csv"
    assert run_vsv("events", "--data", population_dir, "--from", FROM, "--to", TO, "--out", events_file).exit_code == 0
    derived, read = tmp_path / "derived.parquet", tmp_path / "read.parquet"
    assert run_vsv("score", "--data", population_dir, "--events", "--from", FROM, "--to", TO, "--out", derived).exit_code == 0
    result = run_vsv("score", "--data", population_dir, "--events-file", events_file, "--out", read)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(read), pd.read_parquet(derived), check_dtype=False)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--as-of", "2026-10-01", "--events", "--from", "2025-10-01", "--to", "2026-09-30"], "not both"),
    (["--events", "--from", "2025-10-01"], "--events needs --from and --to"),
    (["--from", "2025-10-01", "--to", "2026-09-30"], "add --events"),
    ([], "give --as-of YYYY-MM-DD (the target group on one day) or --events --from"),
])
def test_vsv_score_says_which_options_make_a_run(champion_store, population_dir, tmp_path, arguments, message):
    result = run_vsv("score", "--data", population_dir, "--out", tmp_path / "s.csv", *arguments)
    assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize(("dates", "kinds", "message"), [
    (["2026-01-05"], ["melding"], "events.csv: unknown kind(s) of event melding; the kinds are report_first, "
                                  "report_repeat, new_leaver"),
    (["2026-01-05", "5-1-2026"], ["new_leaver", "new_leaver"], "events.csv: row 3: event_date '5-1-2026' is not a date "
                                                               "YYYY-MM-DD"),
])
def test_vsv_score_refuses_an_events_file_it_cannot_read(champion_store, population_dir, tmp_path, dates, kinds, message):
    events_file = tmp_path / "events.csv"
    pd.DataFrame({"youth_id": ["X"] * len(dates), "event_date": dates, "kind": kinds}).to_csv(events_file, index=False)
    result = run_vsv("score", "--data", population_dir, "--events-file", events_file, "--out", tmp_path / "s.csv")
    assert result.exit_code == 2 and f"error: {message}" in result.stderr, result.output


# --- the service ------------------------------------------------------------------------------------------------


def test_scoring_a_request_uses_each_youths_kind(kinded):
    values = feature_values(absence_hours_13w=20.0, absence_reports_52w=2)
    youths = [request_youth(f"J{k}", "2026-03-02", kind=kind, features=values)
              for k, kind in enumerate(["report_first", "stock", "report_repeat", "new_leaver", "report_first"])]
    results = score(kinded, [YouthInput.model_validate(y) for y in youths], dt.date(2026, 10, 1))
    matrix = encode_records([values])
    assert [r.youth_id for r in results] == ["J0", "J1", "J2", "J3", "J4"]
    assert [r.kind for r in results] == ["report_first", "stock", "report_repeat", "new_leaver", "report_first"]
    for result in results:
        own = kinded.model.for_kind(result.kind)
        p = float(own.probability(matrix)[0])
        assert result.probability == pytest.approx(p, abs=1e-12), result.kind
        assert result.tier == own.cutoffs.assign(np.array([p]))[0]
        assert result.risk_category_meaning_nl == own.categories.meaning_nl(result.risk_category, 23)
    assert len({round(r.probability, 9) for r in results}) == 4  # four kinds, four chances


def test_a_request_for_a_kind_the_model_lacks_is_a_422_naming_the_known_kinds(champion_store):
    without_leavers = with_event_kinds(champion_store["served"], kinds=("report_first",))
    youth = YouthInput.model_validate(request_youth(kind="new_leaver", features=feature_values()))
    with pytest.raises(RequestError) as refused:
        score(without_leavers, [youth], dt.date(2026, 10, 1))
    assert refused.value.status == 422
    assert refused.value.message == ("youths[0].kind: this model has no calibration for the kind of event 'new_leaver'; "
                                     "it knows: stock, report_first")


def test_the_api_echoes_the_kind_and_uses_its_calibration(asgi_client, champion_store, api_keys):
    values = feature_values(absence_hours_4w=12.0, absence_reports_52w=1, weeks_since_last_report=0.0)
    youths = [request_youth("EV-1", "2026-02-10", kind="report_first", features=values),
              request_youth("EV-2", "2026-02-10", features=values)]
    response = asgi_client.post("/score", json={"youths": youths})
    assert response.status_code == 200, response.text
    first, stock = response.json()["results"]
    assert (first["kind"], first["as_of"], stock["kind"]) == ("report_first", "2026-02-10", "stock")
    model = champion_store["model"]
    assert first["probability"] == pytest.approx(float(model.for_kind("report_first").probability(encode_records([values]))[0]), abs=1e-12)
    assert stock["probability"] == pytest.approx(float(model.probability(encode_records([values]))[0]), abs=1e-12)
    exported = asgi_client.post("/audit_export", json={"since": dt.date.today().isoformat()},
                                headers=api_keys["headers"]["analyst"]).json()["records"]
    kinds = {r["youth_id"]: r["kind"] for r in exported if r["youth_id"] in ("EV-1", "EV-2")}
    assert kinds == {"EV-1": "report_first", "EV-2": "stock"}


def test_the_api_refuses_an_unknown_kind_naming_the_known_kinds(asgi_client):
    response = asgi_client.post("/score", json={"youths": [request_youth(kind="melding", features=feature_values())]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("youths[0].kind: Input should be 'stock', 'report_first', 'report_repeat' or 'new_leaver'")


def test_model_lists_each_kinds_calibration_and_cut_offs(asgi_client, api_keys, champion_store):
    body = asgi_client.post("/model", headers=api_keys["headers"]["analyst"]).json()
    model = champion_store["model"]
    assert set(body["kinds"]) == set(model.kinds)
    for kind, settings in model.kinds.items():
        assert body["kinds"][kind]["calibration"]["slope"] == settings.calibration.slope
        assert body["kinds"][kind]["tier_cutoffs"] == {"medium": settings.cutoffs.medium, "high": settings.cutoffs.high}


# --- the page ---------------------------------------------------------------------------------------------------


def test_the_page_says_the_moment_a_pasted_event_is_scored_at(asgi_client, champion_store):
    event = dict(EXAMPLE_YOUTH, kind="report_first", as_of="2026-09-10")
    page = asgi_client.post("/ui/nieuw", data={"gegevens": json.dumps(event)})
    assert page.status_code == 200, page.text
    assert "Peildatum 10 september 2026 (moment: eerste melding van verzuim in een periode)" in page.text
    yearly = asgi_client.post("/ui/nieuw", data={"gegevens": json.dumps(dict(EXAMPLE_YOUTH, as_of="2026-09-10"))}).text
    assert "(moment:" not in yearly


@pytest.mark.parametrize(("row", "kind"), [({"kind": "new_leaver"}, "new_leaver"), ({}, "stock"),
                                           ({"kind": float("nan")}, "stock")])
def test_a_listed_youth_is_shown_at_the_moment_the_list_scored(row, kind):
    assert listed_kind(pd.Series(row, dtype=object)) == kind
