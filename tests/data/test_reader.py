"""The contract reader: every hard-error class stops with file, row and column; soft issues are counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.builders import diploma, enrolment, report, write_data_dir, youth
from vsv_model.contract import ContractError
from vsv_model.reader import read_data_dir


def minimal(**overrides) -> dict:
    tables = {"youths": [youth("A"), youth("B", "2001-01-01")], "enrollments": [enrolment("2016-08-01", "2018-07-31")],
              "diplomas": [diploma("2016-07-01")], "absence_reports": [report("2018-03-01")]}
    return tables | overrides


def test_reads_a_valid_directory_with_parsed_types(tmp_path):
    data = read_data_dir(write_data_dir(tmp_path, **minimal()))
    assert list(data.youths["youth_id"]) == ["A", "B"]
    assert data.enrollments["start_date"].iloc[0] == pd.Timestamp("2016-08-01")
    assert data.absence_reports["hours"].iloc[0] == 16.0
    assert data.end_date().isoformat() == "2018-07-31"


def test_reads_parquet_like_csv(tmp_path):
    csv_data = read_data_dir(write_data_dir(tmp_path / "csv", **minimal()))
    parquet_data = read_data_dir(write_data_dir(tmp_path / "pq", fmt="parquet", **minimal()))
    for name in ("youths", "enrollments", "diplomas", "absence_reports"):
        pd.testing.assert_frame_equal(csv_data.table(name), parquet_data.table(name), check_dtype=False)


def test_missing_required_column_names_file_and_column(tmp_path):
    directory = write_data_dir(tmp_path, **minimal())
    (directory / "diplomas.csv").write_text("youth_id,diploma_date\nA,2016-07-01\n")
    with pytest.raises(ContractError, match=r"diplomas\.csv, row 1, column 'level': missing required column"):
        read_data_dir(directory)


def test_missing_table_is_named(tmp_path):
    directory = write_data_dir(tmp_path, **minimal())
    (directory / "absence_reports.csv").unlink()
    with pytest.raises(ContractError, match=r"table 'absence_reports' is missing"):
        read_data_dir(directory)


def test_table_present_twice_is_refused(tmp_path):
    directory = write_data_dir(tmp_path, **minimal())
    write_data_dir(tmp_path / "pq", fmt="parquet", **minimal())
    (tmp_path / "pq" / "youths.parquet").rename(directory / "youths.parquet")
    with pytest.raises(ContractError, match=r"table 'youths' is there twice"):
        read_data_dir(directory)


def test_unparseable_date_names_row_and_value(tmp_path):
    rows = [enrolment("2016-08-01"), enrolment("2016-13-01"), enrolment("01-08-2016")]
    directory = write_data_dir(tmp_path, **minimal(enrollments=rows))
    with pytest.raises(ContractError, match=r"enrollments\.csv, row 3, column 'start_date': unparseable date '2016-13-01'.*1 more row"):
        read_data_dir(directory)


def test_unparseable_optional_date_is_also_an_error(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(enrollments=[enrolment("2016-08-01", "soon")]))
    with pytest.raises(ContractError, match=r"enrollments\.csv, row 2, column 'end_date': unparseable date 'soon'"):
        read_data_dir(directory)


def test_negative_hours(tmp_path):
    rows = [report("2018-03-01"), report("2018-03-02", hours=-4)]
    directory = write_data_dir(tmp_path, **minimal(absence_reports=rows))
    with pytest.raises(ContractError, match=r"absence_reports\.csv, row 3, column 'hours': negative hours \(-4\.0\)"):
        read_data_dir(directory)


def test_hours_that_are_not_a_number(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(absence_reports=[report("2018-03-01", hours="veel")]))
    with pytest.raises(ContractError, match=r"absence_reports\.csv, row 2, column 'hours': not a number: 'veel'"):
        read_data_dir(directory)


def test_end_date_before_start_date(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(enrollments=[enrolment("2016-08-01", "2016-07-31")]))
    with pytest.raises(ContractError, match=r"enrollments\.csv, row 2, column 'end_date': end_date 2016-07-31 lies before start_date"):
        read_data_dir(directory)


def test_end_date_equal_to_start_date_is_allowed(tmp_path):
    data = read_data_dir(write_data_dir(tmp_path, **minimal(enrollments=[enrolment("2016-08-01", "2016-08-01")])))
    assert len(data.enrollments) == 1


def test_duplicate_youth_id(tmp_path):
    rows = [youth("A"), youth("B"), youth("A", "1999-01-01")]
    directory = write_data_dir(tmp_path, **minimal(youths=rows))
    with pytest.raises(ContractError, match=r"youths\.csv, row 4, column 'youth_id': duplicate youth_id 'A'"):
        read_data_dir(directory)


def test_exact_duplicate_youth_rows_are_not_a_duplicate_id(tmp_path):
    data = read_data_dir(write_data_dir(tmp_path, **minimal(youths=[youth("A"), youth("A"), youth("B")])))
    assert list(data.youths["youth_id"]) == ["A", "B"]
    assert data.quality.duplicates_dropped["youths"] == 1


@pytest.mark.parametrize(("table", "row", "column"), [
    ("youths", youth("", "2000-01-01"), "youth_id"),
    ("enrollments", enrolment("2016-08-01", school_id=""), "school_id"),
    ("diplomas", {"youth_id": "A", "diploma_date": "2016-07-01", "level": ""}, "level"),
    ("absence_reports", report("2018-03-01", kind=""), "kind"),
])
def test_empty_required_value(tmp_path, table, row, column):
    directory = write_data_dir(tmp_path, **minimal(**{table: [row]}))
    with pytest.raises(ContractError, match=rf"{table}\.csv, row 2, column '{column}': required value is empty"):
        read_data_dir(directory)


def test_parquet_rows_are_numbered_from_one(tmp_path):
    directory = write_data_dir(tmp_path, fmt="parquet", **minimal(enrollments=[enrolment("2016-08-01", "2015-01-01")]))
    with pytest.raises(ContractError, match=r"enrollments\.parquet, row 1, column 'end_date'"):
        read_data_dir(directory)


def test_error_rows_count_in_file_order_after_duplicates(tmp_path):
    rows = [enrolment("2016-08-01"), enrolment("2016-08-01"), enrolment("2017-08-01", "2017-01-01")]
    directory = write_data_dir(tmp_path, **minimal(enrollments=rows))
    with pytest.raises(ContractError, match=r"row 4, column 'end_date'"):
        read_data_dir(directory)


def test_extra_columns_are_ignored_and_optional_columns_may_be_absent(tmp_path):
    directory = write_data_dir(tmp_path, **minimal())
    (directory / "youths.csv").write_text("youth_id,birth_date,bsn_not_here\nA,2000-01-01,x\n")
    data = read_data_dir(directory)
    assert list(data.youths.columns) == ["youth_id", "birth_date", "residence_municipality", "gender", "origin"]
    assert data.youths["residence_municipality"].iloc[0] == "onbekend"


# --- identifiers are pseudonymous keys, never a BSN ------------------------------------------------------

BSN = "123456782"  # 9 digits that pass the 11-test
FORMULA = '=HYPERLINK("http://evil","x")<script>alert(1)</script>'


@pytest.mark.parametrize(("fmt", "first_row"), [("csv", 2), ("parquet", 1)])
def test_a_bsn_in_the_youths_table_is_a_hard_error_that_does_not_repeat_it(tmp_path, fmt, first_row):
    directory = write_data_dir(tmp_path, fmt=fmt, **minimal(youths=[youth("A"), youth(BSN, "2001-01-01")]))
    with pytest.raises(ContractError) as error:
        read_data_dir(directory)
    assert str(error.value) == (f"youths.{fmt}, row {first_row + 1}, column 'youth_id': looks like a BSN (9 digits that pass the "
                                "11-test): only pseudonymous ids are allowed, never a citizen service number (the value is not "
                                "repeated here)")
    assert BSN not in str(error.value)


def test_a_bsn_in_an_event_table_is_refused_too(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(absence_reports=[report("2018-03-01"), report("2018-04-01", youth_id=BSN)]))
    with pytest.raises(ContractError, match=r"^absence_reports.csv, row 3, column 'youth_id': looks like a BSN") as error:
        read_data_dir(directory)
    assert BSN not in str(error.value)


def test_a_formula_shaped_id_is_a_hard_error_naming_the_rule(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(youths=[youth(FORMULA), youth("B", "2001-01-01")]))
    with pytest.raises(ContractError) as error:
        read_data_dir(directory)
    assert str(error.value) == ("youths.csv, row 2, column 'youth_id': is not a pseudonymous id: only letters, digits, '-' and '_' "
                                "(1 to 64 characters) are allowed (the value is not repeated here)")


def test_nine_digits_failing_the_11_test_are_a_valid_pseudonymous_id(tmp_path):
    data = read_data_dir(write_data_dir(tmp_path, **minimal(youths=[youth("A"), youth("123456789", "2001-01-01")])))
    assert list(data.youths["youth_id"]) == ["A", "123456789"]


# --- partitioned datasets: a directory of part files per table (what Spark writes, and reads) -----------------------

def split_into_parts(directory, name: str, fmt: str, sizes: list[int]) -> None:
    """Replace `name.fmt` by a dataset directory of that name holding consecutive parts of the given sizes."""
    import pyarrow.parquet as pq

    path = directory / f"{name}.{fmt}"
    if fmt == "parquet":
        table = pq.read_table(path)
    else:
        header, *lines = path.read_text().splitlines(keepends=True)
    path.unlink()
    path.mkdir()
    start = 0
    for number, size in enumerate(sizes):
        if fmt == "parquet":
            pq.write_table(table.slice(start, size), path / f"part-{number:05d}.parquet")
        else:
            (path / f"part-{number:05d}.csv").write_text(header + "".join(lines[start:start + size]))
        start += size
    (path / "_SUCCESS").write_text("")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_partitioned_dataset_reads_like_one_file(tmp_path, fmt):
    tables = minimal(youths=[youth("A"), youth("B", "2001-01-01"), youth("C", "2002-02-02")],
                     enrollments=[enrolment("2016-08-01", "2018-07-31"), enrolment("2016-08-01", "2018-07-31"),
                                  enrolment("2018-08-01", None, youth_id="B")])
    whole = read_data_dir(write_data_dir(tmp_path / "whole", fmt=fmt, **tables))
    directory = write_data_dir(tmp_path / "parts", fmt=fmt, **tables)
    split_into_parts(directory, "youths", fmt, [2, 1])
    split_into_parts(directory, "enrollments", fmt, [1, 2])  # the exact duplicate lies across the parts
    parts = read_data_dir(directory)
    for name in ("youths", "enrollments", "diplomas", "absence_reports"):
        pd.testing.assert_frame_equal(whole.table(name).reset_index(drop=True), parts.table(name).reset_index(drop=True),
                                      check_dtype=False)
    assert parts.quality.duplicates_dropped == whole.quality.duplicates_dropped
    assert parts.quality.rows_read == whole.quality.rows_read


def test_an_error_in_a_part_names_the_part_file_and_its_row(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(absence_reports=[report("2018-03-01"), report("2018-03-02"),
                                                                  report("2018-13-03")]))
    split_into_parts(directory, "absence_reports", "csv", [2, 1])
    with pytest.raises(ContractError, match=r"absence_reports\.csv/part-00001\.csv, row 2, column 'report_date'"):
        read_data_dir(directory)


def test_a_youth_in_two_parts_is_a_duplicate_youth_id_named_by_part_and_row(tmp_path):
    directory = write_data_dir(tmp_path, fmt="parquet", **minimal(youths=[youth("A"), youth("B"), youth("A", "2001-01-01")]))
    split_into_parts(directory, "youths", "parquet", [2, 1])
    with pytest.raises(ContractError, match=r"youths\.parquet/part-00001\.parquet, row 1, column 'youth_id': duplicate youth_id 'A'"):
        read_data_dir(directory)


def test_ids_equal_once_trimmed_are_one_youth_id(tmp_path):
    directory = write_data_dir(tmp_path, **minimal(youths=[youth("A"), youth("B"), youth(" A ", "1999-01-01")]))
    with pytest.raises(ContractError, match=r"youths\.csv, row 4, column 'youth_id': duplicate youth_id ' A '"):
        read_data_dir(directory)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_messy_records_are_counted_exactly_and_records_find_their_youth(tmp_path, fmt):
    """Two exact duplicates, a record of an unknown youth, an id with spaces around it, an unknown enum value and
    a pre-2019 municipality name: each counted once, and every record kept points at its own youth."""
    enrollments = [enrolment("2016-08-01", youth_id="B"), enrolment("2016-08-01", youth_id="B"),
                   enrolment("2017-08-01", youth_id=" A", school_municipality="strijen"),
                   enrolment("2018-08-01", youth_id="Z"), enrolment("2018-08-01", youth_id="A", education_type="mbo-9")]
    reports = [report("2018-03-01", youth_id="B"), report("2018-03-01", youth_id="B"), report("2018-04-01", hours=None)]
    data = read_data_dir(write_data_dir(tmp_path, fmt=fmt, **minimal(enrollments=enrollments, absence_reports=reports)))
    quality = data.quality
    assert quality.rows_read == {"youths": 2, "enrollments": 5, "diplomas": 1, "absence_reports": 3}
    assert quality.duplicates_dropped == {"youths": 0, "enrollments": 1, "diplomas": 0, "absence_reports": 1}
    assert quality.unknown_youth_records == {"enrollments": 1, "diplomas": 0, "absence_reports": 0}
    assert quality.unknown_enum_values["enrollments.education_type"] == 1
    assert quality.municipality_names_mapped["enrollments.school_municipality"] == 1
    assert list(data.enrollments.index) == [0, 2, 4]  # file positions: the repeat (1) and the unknown youth (3) are gone
    assert list(data.enrollments["youth_id"]) == ["B", "A", "A"]
    assert list(data.enrollments["school_municipality"]) == ["Dordrecht", "Hoeksche Waard", "Dordrecht"]
    assert list(data.enrollments["education_type"]) == ["mbo-2", "mbo-2", "onbekend"]
    assert data.youth_positions("enrollments").tolist() == [1, 0, 0]  # B is the youths table's second row
    assert data.youth_positions("absence_reports").tolist() == [1, 0]
    assert np.isnan(data.absence_reports["hours"].iloc[1])


def test_youth_positions_are_not_offered_for_a_table_replaced_after_reading(tmp_path):
    data = read_data_dir(write_data_dir(tmp_path, **minimal()))
    assert data.youth_positions("enrollments") is not None
    data.enrollments = data.enrollments.iloc[:0]
    assert data.youth_positions("enrollments") is None


# --- report numbers: a report delivered twice is one report ----------------------------------------------------

def deliveries() -> list[dict]:
    """R1 delivered three times (the second corrects the hours, the third repeats the second exactly), R2 once, and
    two reports without a number (an older export) that stay two reports."""
    return [report("2018-03-01", hours=16, report_id="R1"), report("2018-03-01", hours=20, report_id="R1"),
            report("2018-03-01", hours=20, report_id="R1"), report("2018-04-01", report_id="R2", kind="overig", hours=4),
            report("2018-05-01", hours=8), report("2018-05-01", hours=8, report_id=" ")]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_report_delivered_again_counts_once_and_the_last_delivery_wins(tmp_path, fmt):
    data = read_data_dir(write_data_dir(tmp_path, fmt=fmt, **minimal(absence_reports=deliveries())))
    reports = data.absence_reports
    assert list(reports.index) == [1, 3, 4, 5]  # file positions: R1's second delivery (its third is its exact copy)
    assert list(reports["hours"]) == [20.0, 4.0, 8.0, 8.0]
    assert data.quality.duplicates_dropped["absence_reports"] == 1
    assert data.quality.redeliveries_dropped == {"absence_reports": 1}


def test_a_report_id_is_trimmed_before_deliveries_are_compared(tmp_path):
    rows = [report("2018-03-01", hours=16, report_id="R1"), report("2018-03-01", hours=12, report_id=" R1 ")]
    data = read_data_dir(write_data_dir(tmp_path, **minimal(absence_reports=rows)))
    assert list(data.absence_reports["hours"]) == [12.0]
    assert list(data.absence_reports["report_id"]) == ["R1"]


def test_reports_without_a_number_are_never_merged(tmp_path):
    rows = [report("2018-03-01", hours=16), report("2018-03-01", hours=12)]
    data = read_data_dir(write_data_dir(tmp_path, **minimal(absence_reports=rows)))
    assert len(data.absence_reports) == 2
    assert data.quality.redeliveries_dropped == {"absence_reports": 0}


@pytest.mark.parametrize("fmt, first_row", [("csv", 2), ("parquet", 1)])
def test_one_report_id_for_two_youths_is_a_hard_error(tmp_path, fmt, first_row):
    rows = [report("2018-03-01", report_id="R1"), report("2018-03-02", report_id="R2"),
            report("2018-03-02", youth_id="B", report_id="R1")]
    directory = write_data_dir(tmp_path, fmt=fmt, **minimal(absence_reports=rows))
    with pytest.raises(ContractError) as error:
        read_data_dir(directory)
    assert str(error.value) == (f"absence_reports.{fmt}, row {first_row + 2}, column 'report_id': report_id 'R1' is given "
                                "for another youth as well: one report belongs to one youth")


@pytest.mark.parametrize("fmt, first_row", [("csv", 2), ("parquet", 1)])
def test_a_bsn_as_report_id_is_a_hard_error_that_does_not_repeat_it(tmp_path, fmt, first_row):
    rows = [report("2018-03-01", report_id="R1"), report("2018-03-02"), report("2018-03-03", report_id=BSN)]
    directory = write_data_dir(tmp_path, fmt=fmt, **minimal(absence_reports=rows))
    with pytest.raises(ContractError) as error:
        read_data_dir(directory)
    assert str(error.value).startswith(f"absence_reports.{fmt}, row {first_row + 2}, column 'report_id': looks like a BSN")
    assert BSN not in str(error.value)


def test_a_report_id_outside_the_pattern_is_refused(tmp_path):
    rows = [report("2018-03-01", report_id="R 1")]
    with pytest.raises(ContractError, match=r"^absence_reports.csv, row 2, column 'report_id': is not a pseudonymous id"):
        read_data_dir(write_data_dir(tmp_path, **minimal(absence_reports=rows)))


def test_a_report_delivered_in_two_parts_keeps_the_later_part(tmp_path):
    rows = [report("2018-03-01", hours=16, report_id="R1"), report("2018-04-01", hours=4, report_id="R2"),
            report("2018-03-01", hours=20, report_id="R1")]
    directory = write_data_dir(tmp_path, **minimal(absence_reports=rows))
    split_into_parts(directory, "absence_reports", "csv", [2, 1])
    data = read_data_dir(directory)
    assert list(data.absence_reports.index) == [1, 2]
    assert list(data.absence_reports["hours"]) == [4.0, 20.0]
    assert data.quality.redeliveries_dropped == {"absence_reports": 1}


def test_one_report_id_for_two_youths_across_parts_names_the_part(tmp_path):
    rows = [report("2018-03-01", report_id="R1"), report("2018-03-01", youth_id="B", report_id="R1")]
    directory = write_data_dir(tmp_path, **minimal(absence_reports=rows))
    split_into_parts(directory, "absence_reports", "csv", [1, 1])
    with pytest.raises(ContractError, match=r"^absence_reports.csv/part-00001.csv, row 2, column 'report_id': report_id 'R1'"):
        read_data_dir(directory)


def test_an_older_export_without_the_column_reads_as_reports_without_numbers(tmp_path):
    directory = write_data_dir(tmp_path, **minimal())
    (directory / "absence_reports.csv").write_text("youth_id,report_date,kind\nA,2018-03-01,16uur\nA,2018-03-01,16uur\n")
    data = read_data_dir(directory)
    assert data.absence_reports["report_id"].isna().all()
    assert data.quality.duplicates_dropped["absence_reports"] == 1
    assert data.quality.redeliveries_dropped == {"absence_reports": 0}
