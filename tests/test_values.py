"""Cell values as schools really send them (contract section 6)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from sendwatch.contract.v1 import CONTRACT
from sendwatch.values import ValueProblem, read_value

PUPILS = CONTRACT.sheet("pupils")
SCHOOL = CONTRACT.sheet("school")


@pytest.mark.parametrize(
    "raw",
    ["2025-10-03", "03/10/2025", "3/10/2025", "3 Oct 2025", "3 October 2025", " 03/10/2025 ",
     45933, 45933.0, "45933", datetime(2025, 10, 3), date(2025, 10, 3)],
)  # fmt: skip
def test_dates_in_every_accepted_form(raw: object) -> None:
    assert read_value(raw, PUPILS.column("identified_date")) == date(2025, 10, 3)


@pytest.mark.parametrize(
    "raw", ["31/02/2025", "10/13/2025", "2025/10/03", "Oct 3 2025", "yesterday", "03-10-25"]
)
def test_dates_that_cannot_be_read(raw: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        read_value(raw, PUPILS.column("identified_date"))
    assert caught.value.rule_id == "type"
    assert raw in caught.value.message


def test_uk_dates_are_day_first_never_us() -> None:
    assert read_value("04/10/2025", PUPILS.column("identified_date")) == date(2025, 10, 4)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Y", "Y"), ("N", "N"), ("Yes", "Y"), ("no", "N"), ("yes", "Y"), ("TRUE", "Y"),
     ("FALSE", "N"), ("1", "Y"), ("0", "N"), (1, "Y"), (0, "N"), (True, "Y")],
)  # fmt: skip
def test_yes_no(raw: object, expected: str) -> None:
    assert read_value(raw, PUPILS.column("outcomes_agreed")) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("6000", "6000.00"), ("6,000.00", "6000.00"), ("£6,000", "6000.00"), ("£ 6,000.50", "6000.50"),
     (6000, "6000.00"), (6000.5, "6000.50"), ("0", "0.00")],
)  # fmt: skip
def test_money(raw: object, expected: str) -> None:
    assert read_value(raw, PUPILS.column("provision_cost_gbp")) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [("1e309", "type"), (float("inf"), "type"), ("six thousand", "type"), ("-5", "minimum"),
     ("£-5", "minimum"), (-5, "minimum"), ("6.000,00", "type"), ("nan", "type")],
)  # fmt: skip
def test_money_rejected(raw: object, rule: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        read_value(raw, PUPILS.column("provision_cost_gbp"))
    assert caught.value.rule_id == rule


@pytest.mark.parametrize(("raw", "rule"), [("3.5", "type"), ("-1", "minimum"), ("1e309", "type")])
def test_integers_rejected(raw: str, rule: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        read_value(raw, PUPILS.column("reviews_last_12m"))
    assert caught.value.rule_id == rule


def test_number_on_roll_must_be_positive() -> None:
    with pytest.raises(ValueProblem) as caught:
        read_value("0", SCHOOL.column("number_on_roll"))
    assert caught.value.rule_id == "minimum"


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [("sen_status", "k", "K"), ("primary_need", " asd ", "ASD"), ("year_group", "r", "R"),
     ("year_group", 5.0, "5"), ("specialist_involved", "ep; salt", "EP;SALT"),
     ("specialist_involved", "Specialist Teacher", "SPECIALIST_TEACHER"),
     ("ehc_request_outcome", "Pending", "pending")],
)  # fmt: skip
def test_codes_are_normalised(column: str, raw: object, expected: str) -> None:
    assert read_value(raw, PUPILS.column(column)) == expected


@pytest.mark.parametrize(
    ("column", "raw"),
    [("sen_status", "S"), ("year_group", "15"), ("specialist_involved", "EP;DOCTOR")],
)
def test_codes_outside_the_list(column: str, raw: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        read_value(raw, PUPILS.column(column))
    assert caught.value.rule_id == "allowed_values"


def test_blank_is_allowed_only_where_the_contract_says() -> None:
    assert read_value("  ", PUPILS.column("last_review_held")) is None
    with pytest.raises(ValueProblem) as caught:
        read_value("", PUPILS.column("identified_date"))
    assert caught.value.rule_id == "required_value"


@pytest.mark.parametrize("raw", ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "abc"])
def test_pupil_ref_rejects_formula_like_text(raw: str) -> None:
    with pytest.raises(ValueProblem):
        read_value(raw, PUPILS.column("pupil_ref"))


def test_academic_year_must_be_consecutive() -> None:
    assert read_value("2025-26", SCHOOL.column("academic_year")) == "2025-26"
    with pytest.raises(ValueProblem):
        read_value("2025-27", SCHOOL.column("academic_year"))


def test_urn_from_an_excel_number_cell() -> None:
    assert read_value(113521.0, SCHOOL.column("urn")) == "113521"
    with pytest.raises(ValueProblem):
        read_value("11352", SCHOOL.column("urn"))
