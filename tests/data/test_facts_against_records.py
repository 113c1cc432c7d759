"""Every sentence of a scored population held against the raw records: the youths' facts come from the contract's
reference (tests/data/contract_reference.py, apart from the feature builders), not from the scoring output, so a
wrong feature cannot make a false sentence pass."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from serving.batch import score_population
from tests.data.contract_reference import reference_facts
from tests.data.reasons_checker import check_rows_against_records, false_sentences_by_kind, sentences_shown, summary
from tests.data.reasons_checker_records import main
from vsv_model.reader import read_data_dir
from vsv_model.table_io import write_frame

NO_PROBLEMS = {"false_sentences": 0, "youths_with_problems": 0, "contradictions": 0}


@pytest.fixture(scope="module")
def scored(champion_store, population_dir):
    """The population scored with reasons at 2019-10-01 and 2026-10-01, one frame, with its reference facts."""
    frame = pd.concat([score_population(champion_store["served"], population_dir, dt.date.fromisoformat(d),
                                        explain=True).frame for d in ("2019-10-01", "2026-10-01")], ignore_index=True)
    data = read_data_dir(population_dir)
    facts = {d: reference_facts(data, dt.date.fromisoformat(d), frame.loc[frame["as_of"] == d, "youth_id"])
             for d in ("2019-10-01", "2026-10-01")}
    return frame, facts


def checked(frame: pd.DataFrame, facts: dict) -> pd.DataFrame:
    return pd.concat([check_rows_against_records(frame[frame["as_of"] == d], f) for d, f in facts.items()],
                     ignore_index=True)


def test_every_sentence_is_true_against_the_raw_records(scored):
    frame, facts = scored
    problems = checked(frame, facts)
    assert len(frame) > 3000 and sentences_shown(frame) > 3 * len(frame)
    assert summary(problems) == NO_PROBLEMS, problems.head(20)


def test_the_check_reads_the_reference_not_the_frame(scored):
    """One more switch in the records of every youth shown a schoolloopbaan reason that states the switches: exactly
    those youths' schoolloopbaan sentences become false, counted under (schoolloopbaan, switches)."""
    frame, facts = scored
    states_switches = np.zeros(len(frame), dtype=bool)
    for k in range(1, 6):  # a career reason states the switches unless they point the other way (docs/reasons.md)
        states_switches |= ((frame[f"reason_{k}_concept"] == "schoolloopbaan")
                            & frame[f"reason_{k}_sentence_nl"].astype(str).str.contains("naar een andere school gegaan")).to_numpy()
    shown = frame[states_switches]
    changed = {d: f.copy() for d, f in facts.items()}
    for d, f in changed.items():
        ids = shown.loc[shown["as_of"] == d, "youth_id"]
        f.loc[ids, "school_switches"] = f.loc[ids, "school_switches"] + 1
    problems = checked(frame, changed)
    by_kind = false_sentences_by_kind(problems)
    assert len(shown) > 100
    assert set(problems["youth_id"]) == set(shown["youth_id"])
    row = by_kind[(by_kind["concept"] == "schoolloopbaan") & (by_kind["kind"] == "switches")]
    assert row["false_sentences"].tolist() == [len(shown)]


def test_a_youth_without_reference_facts_is_an_error(scored):
    frame, facts = scored
    part = frame[frame["as_of"] == "2026-10-01"]
    with pytest.raises(KeyError, match="1 youth"):
        check_rows_against_records(part, facts["2026-10-01"].drop(part["youth_id"].iloc[0]))


def test_the_command_counts_from_the_comparison(scored, population_dir, tmp_path, capsys):
    frame, _ = scored
    scores = write_frame(frame, tmp_path / "scores.parquet")
    assert main([str(population_dir), str(scores)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"youths checked: {len(frame)}", f"sentences checked: {sentences_shown(frame)}",
                   "false sentences: 0 (youths with problems: 0, contradictions: 0)"]
