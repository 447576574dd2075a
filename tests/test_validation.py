"""Whole returns checked against every rule of contract section 6.

Each bad return must be rejected whole, with a message that names the file,
sheet, row and column, and must yield no rows (nothing half-loads).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from helpers import CENSUS, pupil_row, school_row
from openpyxl import Workbook, load_workbook

from sendwatch.contract.v1 import RULES, parse_return_file_name
from sendwatch.generate.writers import Style, render_return
from sendwatch.validation import ReturnFiles, ValidatedReturn, validate_return

TODAY = date(2026, 11, 30)
XLSX = "900123_2025-26_autumn.xlsx"
SCHOOL_CSV = "900123_2025-26_autumn_school.csv"
PUPILS_CSV = "900123_2025-26_autumn_pupils.csv"


def build(
    file_format: str = "xlsx",
    school: dict[str, Any] | None = None,
    pupils: list[dict[str, Any]] | None = None,
    style: Style | None = None,
    **render: Any,
) -> dict[str, bytes]:
    school = school or school_row()
    pupils = pupils if pupils is not None else [pupil_row(n) for n in range(1, 6)]
    named_as = ("900123", "2025-26", "autumn")
    return render_return(school, pupils, file_format, style or Style(), named_as=named_as, **render)


def check(files: dict[str, bytes], file_name: str | None = None) -> ValidatedReturn:
    name = parse_return_file_name(file_name or next(iter(sorted(files))))
    assert name is not None
    return validate_return(ReturnFiles(name, files), today=TODAY, register_urns={"900123"})


def rejected(result: ValidatedReturn, rule: str) -> list[str]:
    """Assert the return was rejected for ``rule`` and nothing of it survives."""
    assert not result.valid
    assert result.school is None and result.pupils == []
    assert rule in {p.rule_id for p in result.problems}, [str(p) for p in result.problems]
    return [str(p) for p in result.problems if p.rule_id == rule]


def with_csv(files: dict[str, bytes], name: str, text: str, encoding: str = "utf-8") -> dict:
    return {**files, name: text.encode(encoding)}


def test_tidy_workbook_and_csv_pair_are_valid() -> None:
    for file_format in ("xlsx", "csv"):
        result = check(build(file_format))
        assert result.valid, [str(p) for p in result.problems]
        assert len(result.pupils) == 5
        assert result.school["census_date"] == CENSUS


@pytest.mark.parametrize("seed", range(8))
def test_messy_returns_as_schools_send_them_are_valid(seed: int) -> None:
    import random

    for file_format in ("xlsx", "csv"):
        result = check(build(file_format, style=Style(random.Random(seed))))
        assert result.valid, [str(p) for p in result.problems]
        assert result.pupils[0]["provision_cost_gbp"] == 3200


def test_every_rule_has_advice() -> None:
    assert all(rule.advice and rule.title for rule in RULES)


# --- one test per rule of section 6 -----------------------------------------------


def test_file_name_that_names_no_return() -> None:
    from pathlib import Path

    from sendwatch.validation import group_return_files

    _, problems = group_return_files([Path("returns final (2).xlsx")])
    assert problems[0].rule_id == "file_name"
    assert "returns final (2).xlsx" in str(problems[0])


def test_missing_column() -> None:
    lines = rejected(check(build(dropped={"pupils": ["pupil_views_recorded"]})), "missing_column")
    assert f"{XLSX}, sheet pupils, row 1, column (pupil_views_recorded)" in lines[0]


def test_unknown_column() -> None:
    pupils = [dict(pupil_row(1), favourite_colour="blue")]
    lines = rejected(check(build(pupils=pupils, extra={"pupils": ["favourite_colour"]})),
                     "unknown_column")  # fmt: skip
    assert "sheet pupils, row 1, column U (favourite_colour)" in lines[0]


def test_value_that_cannot_be_read_as_its_type() -> None:
    pupils = [pupil_row(1), pupil_row(2, reviews_last_12m="three")]
    lines = rejected(check(build("csv", pupils=pupils)), "type")
    assert f"{PUPILS_CSV}, sheet pupils, row 3, column L (reviews_last_12m)" in lines[0]
    assert "'three'" in lines[0]


def test_value_outside_its_allowed_values() -> None:
    pupils = [pupil_row(1, primary_need="DYSLEXIA")]
    lines = rejected(check(build(pupils=pupils)), "allowed_values")
    assert "row 2, column D (primary_need)" in lines[0] and "DYSLEXIA" in lines[0]


def test_census_date_in_the_future() -> None:
    future = TODAY + timedelta(days=30)
    lines = rejected(check(build(school=school_row(census_date=future))), "census_in_future")
    assert "sheet school, row 2, column D (census_date)" in lines[0]


def test_date_after_the_census() -> None:
    pupils = [pupil_row(1, identified_date=CENSUS + timedelta(days=3))]
    lines = rejected(check(build(pupils=pupils)), "date_after_census")
    assert "sheet pupils, row 2, column E (identified_date)" in lines[0]


def test_next_review_due_may_lie_after_the_census() -> None:
    pupils = [pupil_row(1, next_review_due=CENSUS + timedelta(days=300))]
    assert check(build(pupils=pupils)).valid


def test_date_before_2000() -> None:
    pupils = [pupil_row(1, identified_date=date(1999, 12, 31))]
    lines = rejected(check(build("csv", pupils=pupils)), "date_before_2000")
    assert "row 2, column E (identified_date)" in lines[0]


def test_pupil_ref_repeats() -> None:
    pupils = [pupil_row(1), pupil_row(2), pupil_row(1)]
    lines = rejected(check(build(pupils=pupils)), "duplicate_pupil_ref")
    assert "row 4, column A (pupil_ref)" in lines[0] and "also on row 2" in lines[0]


@pytest.mark.parametrize(
    ("column", "value"), [("urn", "900124"), ("academic_year", "2024-25"), ("term", "spring")]
)
def test_identity_disagrees_with_the_file_name(column: str, value: str) -> None:
    lines = rejected(check(build(school=school_row(**{column: value}))), "identity_mismatch")
    assert "sheet school, row 2, column" in lines[0] and f"({column})" in lines[0]


@pytest.mark.parametrize(
    "header", ["first_name", "Surname", "Date of Birth", "DOB", "UPN", "Home Address", "Postcode"]
)
def test_column_named_like_personal_data(header: str) -> None:
    pupils = [dict(pupil_row(1), extra="x")]
    files = build("csv", pupils=pupils, extra={"pupils": ["extra"]})
    text = files[PUPILS_CSV].decode().replace("extra", header, 1)
    lines = rejected(check(with_csv(files, PUPILS_CSV, text)), "personal_data_column")
    assert f"{PUPILS_CSV}, sheet pupils, row 1, column U" in lines[0]


@pytest.mark.parametrize("value", ["A123456789012", "A12345678901B", "BH1 1AA", "ZZ99ZZ"])
def test_cell_that_looks_like_a_upn_or_postcode(value: str) -> None:
    pupils = [pupil_row(1), pupil_row(2, pupil_ref=value)]
    lines = rejected(check(build(pupils=pupils)), "personal_data_value")
    assert "row 3, column A (pupil_ref)" in lines[0]
    assert value not in lines[0]  # the message never repeats personal data


def test_postcode_inside_text_in_an_unknown_column() -> None:
    pupils = [dict(pupil_row(1), note="lives at 3 High St, SW1A 1AA")]
    result = check(build("csv", pupils=pupils, extra={"pupils": ["note"]}))
    rejected(result, "personal_data_value")


def test_urn_not_on_the_register() -> None:
    name = parse_return_file_name(XLSX)
    result = validate_return(ReturnFiles(name, build()), today=TODAY, register_urns={"900999"})
    assert [p.rule_id for p in result.problems] == ["not_on_register"]


def test_required_value_left_blank() -> None:
    pupils = [pupil_row(1, outcomes_agreed=None)]
    lines = rejected(check(build(pupils=pupils)), "required_value")
    assert "row 2, column G (outcomes_agreed)" in lines[0]


def test_negative_amount() -> None:
    lines = rejected(check(build("csv", school=school_row(sen_spend_gbp=-10))), "minimum")
    assert "sheet school, row 2, column N (sen_spend_gbp)" in lines[0]


# --- files as they really go wrong ------------------------------------------------


def test_empty_file() -> None:
    files = {XLSX: b""}
    lines = rejected(check(files), "unreadable_file")
    assert lines[0].startswith(f"{XLSX}: the file is empty")


def test_empty_csv() -> None:
    files = with_csv(build("csv"), SCHOOL_CSV, "")
    lines = rejected(check(files), "unreadable_file")
    assert SCHOOL_CSV in lines[0]


def test_header_only() -> None:
    files = build("csv", pupils=[])
    lines = rejected(check(files), "row_count")
    assert f"{PUPILS_CSV}, sheet pupils" in lines[0]


def test_school_sheet_with_two_rows() -> None:
    files = build("csv")
    text = files[SCHOOL_CSV].decode()
    doubled = text + text.splitlines()[1] + "\r\n"
    lines = rejected(check(with_csv(files, SCHOOL_CSV, doubled)), "row_count")
    assert "exactly one row" in lines[0]


def test_wrong_sheet_names() -> None:
    workbook = load_workbook(io.BytesIO(build()[XLSX]))
    workbook["pupils"].title = "Sheet2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    lines = rejected(check({XLSX: buffer.getvalue()}), "sheets")
    assert "no sheet named pupils" in lines[0] and "Sheet2" in lines[0]


def test_csv_return_with_one_file_missing() -> None:
    files = build("csv")
    del files[PUPILS_CSV]
    lines = rejected(check(files), "sheets")
    assert PUPILS_CSV in lines[0]


def test_workbook_with_formulas() -> None:
    workbook = load_workbook(io.BytesIO(build()[XLSX]))
    workbook["school"]["N2"] = "=M2*0.5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    lines = rejected(check({XLSX: buffer.getvalue()}), "formula")
    assert f"{XLSX}, sheet school, row 2, column N" in lines[0] and "=M2*0.5" in lines[0]


def test_formula_text_in_a_csv_is_kept_as_text_and_rejected_by_type() -> None:
    pupils = [pupil_row(1, primary_need='=HYPERLINK("http://evil.example","x")')]
    lines = rejected(check(build("csv", pupils=pupils)), "allowed_values")
    assert "=HYPERLINK" in lines[0]


def test_not_a_workbook_at_all() -> None:
    lines = rejected(check({XLSX: b"PK\x03\x04 this is not really a zip"}), "unreadable_file")
    assert "not an Excel .xlsx workbook" in lines[0]


def test_a_row_with_ten_thousand_columns_stops_at_the_column_limit() -> None:
    files = build("csv")
    lines_of_csv = files[PUPILS_CSV].decode().splitlines()
    lines_of_csv[2] += "," + ",".join(["x"] * 10_000)
    result = check(with_csv(files, PUPILS_CSV, "\r\n".join(lines_of_csv)))
    lines = rejected(result, "too_large")
    assert f"{PUPILS_CSV}, sheet pupils, row 3" in lines[0] and "at most 200 columns" in lines[0]
    assert len(result.problems) == 1  # one cause, one message


def test_a_few_cells_past_the_headings_are_a_ragged_row() -> None:
    files = build("csv")
    lines_of_csv = files[PUPILS_CSV].decode().splitlines()
    lines_of_csv[2] += ",x,y"
    lines = rejected(check(with_csv(files, PUPILS_CSV, "\r\n".join(lines_of_csv))), "ragged_row")
    assert f"{PUPILS_CSV}, sheet pupils, row 3, column U" in lines[0] and "22 cells" in lines[0]


def test_many_unknown_headings_give_a_bounded_report() -> None:
    from sendwatch.problems import summarise

    files = build("csv")
    lines_of_csv = files[PUPILS_CSV].decode().splitlines()
    lines_of_csv[0] += "," + ",".join(f"c{i}" for i in range(150))
    result = check(with_csv(files, PUPILS_CSV, "\r\n".join(lines_of_csv)))
    rejected(result, "unknown_column")
    summary = summarise(result.problems)
    assert len(summary) == 51 and summary[-1].startswith("... and ")


def test_windows_1252_csv_with_pound_signs_is_read() -> None:
    files = build("csv", school=school_row(sen_spend_gbp="£120,000"))
    text = files[SCHOOL_CSV].decode()
    result = check(with_csv(files, SCHOOL_CSV, text, encoding="cp1252"))
    assert result.valid and result.school["sen_spend_gbp"] == 120000


def test_utf8_read_as_latin1_mojibake_is_rejected_not_misread() -> None:
    files = build("csv", school=school_row(sen_spend_gbp="£120,000"))
    garbled = files[SCHOOL_CSV].decode().encode("utf-8").decode("latin-1")  # "Â£120,000"
    lines = rejected(check(with_csv(files, SCHOOL_CSV, garbled)), "type")
    assert "column N (sen_spend_gbp)" in lines[0]


def test_binary_junk_in_a_csv() -> None:
    files = {**build("csv"), PUPILS_CSV: bytes(range(256)) * 4}
    lines = rejected(check(files), "unreadable_file")
    assert PUPILS_CSV in lines[0]


def test_number_too_large_to_be_real() -> None:
    lines = rejected(check(build("csv", school=school_row(number_on_roll="1e309"))), "type")
    assert "column E (number_on_roll)" in lines[0]


@pytest.mark.parametrize("value", ["=1+1", "+44 1234", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"])
def test_csv_injection_strings_are_rejected_and_never_evaluated(value: str) -> None:
    pupils = [pupil_row(1, year_group=value)]
    lines = rejected(check(build("csv", pupils=pupils)), "allowed_values")
    assert value in lines[0]


def test_blank_trailing_rows_and_columns_are_ignored() -> None:
    files = build("csv")
    text = files[PUPILS_CSV].decode().replace("\r\n", ",,\r\n") + ",,,\r\n\r\n ,  ,\r\n"
    result = check(with_csv(files, PUPILS_CSV, text))
    assert result.valid, [str(p) for p in result.problems]


def test_headers_in_any_case_with_spaces() -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    source = load_workbook(io.BytesIO(build()[XLSX]))
    for name in ("school", "pupils"):
        sheet = workbook.create_sheet(name.upper() if name == "school" else name)
        for index, row in enumerate(source[name].iter_rows(values_only=True)):
            if index == 0:
                row = tuple(f"  {cell.replace('_', ' ').title()} " for cell in row)
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert check({XLSX: buffer.getvalue()}).valid


def test_one_bad_cell_rejects_the_whole_return() -> None:
    pupils = [pupil_row(n) for n in range(1, 40)] + [pupil_row(40, sen_status="X")]
    result = check(build(pupils=pupils))
    assert not result.valid and result.pupils == [] and len(result.problems) == 1
