"""Table files: formats by name, categories as text, and every CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from vsv_model.table_io import format_of, read_frame, write_frame

HOSTILE = ['=HYPERLINK("http://evil","x")', "+SUM(A1:A2)", "-2+3", "@cmd", "\tindent", "\rreturn", "-5", "+1e5", "J1", None]


def test_format_of_refuses_other_file_names():
    assert format_of("a/b.csv") == "csv" and format_of("b.PARQUET") == "parquet"
    with pytest.raises(ValueError, match=r"^scores.xlsx: the file must end in .csv or .parquet$"):
        format_of("scores.xlsx")


def test_a_csv_never_has_a_text_cell_that_starts_a_formula(tmp_path):
    frame = pd.DataFrame({"text": HOSTILE, "number": np.arange(len(HOSTILE), dtype=float) - 5})
    write_frame(frame, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    texts = [row[0] for row in rows]
    assert texts == ["'=HYPERLINK(\"http://evil\",\"x\")", "'+SUM(A1:A2)", "'-2+3", "'@cmd", "'\tindent", "'\rreturn", "-5", "+1e5",
                     "J1", ""]
    assert [row[1] for row in rows][:3] == ["-5.0", "-4.0", "-3.0"]  # numbers are never touched


def test_parquet_keeps_the_values_and_categories_become_text(tmp_path):
    frame = pd.DataFrame({"text": HOSTILE, "level": pd.Categorical(["geen"] * len(HOSTILE), categories=["geen", "mbo-1"])})
    back = read_frame(write_frame(frame, tmp_path / "out.parquet"))
    assert list(back["text"].astype(object).where(back["text"].notna(), None)) == HOSTILE
    assert not isinstance(back["level"].dtype, pd.CategoricalDtype) and set(back["level"]) == {"geen"}
