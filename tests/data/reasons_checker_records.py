"""Hold every sentence of a scoring output against the raw records of its data directory.

    python -m tests.data.reasons_checker_records DATA_DIR SCORES.parquet

DATA_DIR is the data directory the scores were made from; SCORES is the output of `vsv score --explain` (Parquet
or CSV). Each youth's reference date is the file's `as_of`. The youths' facts are computed from the raw tables by
tests/data/contract_reference.py (apart from the feature builders); every sentence is then checked against them by
tests/data/reasons_checker.py. Prints the youths and sentences checked and the false sentences by concept and kind;
exits 1 when any sentence is false.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from tests.data.contract_reference import reference_facts
from tests.data.reasons_checker import (
    check_rows_against_records,
    false_sentences_by_kind,
    sentences_shown,
    summary,
)
from vsv_model.reader import read_data_dir
from vsv_model.table_io import read_frame

USAGE = "usage: python -m tests.data.reasons_checker_records DATA_DIR SCORES.parquet"


def check_scores_against_records(data_dir: str | Path, scores: pd.DataFrame) -> dict:
    """The counts of a check of `scores` against the raw records of `data_dir`, and the problems themselves."""
    ids = scores["youth_id"].astype(str).tolist()
    as_of = dict(zip(ids, pd.to_datetime(scores["as_of"]).dt.date, strict=True))
    facts = reference_facts(read_data_dir(data_dir), as_of, ids)
    problems = check_rows_against_records(scores, facts)
    return {"youths": len(scores), "sentences": sentences_shown(scores), "summary": summary(problems),
            "by_kind": false_sentences_by_kind(problems), "problems": problems}


def report_lines(result: dict) -> list[str]:
    """The printed report."""
    lines = [f"youths checked: {result['youths']}", f"sentences checked: {result['sentences']}",
             f"false sentences: {result['summary']['false_sentences']} "
             f"(youths with problems: {result['summary']['youths_with_problems']}, "
             f"contradictions: {result['summary']['contradictions']})"]
    if len(result["by_kind"]):
        lines.append("false sentences by concept and kind:")
        lines += [f"  {r.concept:<15} {r.kind:<11} {r.false_sentences}" for r in result["by_kind"].itertuples()]
        lines.append("examples:")
        lines += [f"  {r.youth_id}: {r.problem}" for r in result["problems"].head(10).itertuples()]
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    result = check_scores_against_records(argv[0], read_frame(argv[1]))
    print("\n".join(report_lines(result)))
    return 1 if result["summary"]["false_sentences"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
