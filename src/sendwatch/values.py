"""Reading cell values as schools really send them (contract section 6).

Each reader takes a raw cell (text from a CSV, or whatever openpyxl gives for
a workbook cell) and returns the normalised value, or raises
:class:`ValueProblem` with a sentence a school business manager can act on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sendwatch.contract.v1 import Column, Kind

EXCEL_EPOCH = date(1899, 12, 30)
# Excel serial numbers for 1 Jan 2000 .. 31 Dec 2099: anything else is not a date.
EXCEL_SERIAL_RANGE = (36526, 73050)
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TEXT_DATE = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
MONEY = re.compile(r"^£?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?$")
PUPIL_REF = re.compile(r"^[A-Za-z0-9_-]{6,40}$")
ACADEMIC_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class ValueProblem(ValueError):
    """A cell that cannot be accepted, with the rule it breaks."""

    def __init__(self, rule_id: str, message: str) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def cell_text(raw: Any) -> str:
    """How a raw cell is shown in messages and kept as text: never evaluated."""
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:
        return str(int(raw))
    return str(raw).strip()


def _number_text(raw: Any) -> str:
    if isinstance(raw, bool):
        raise ValueProblem("type", f"'{raw}' is a true/false value, not a number")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueProblem("type", f"'{raw}' is not a finite number")
    return cell_text(raw)


def read_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _number_text(raw)
    if re.fullmatch(r"\d{5}(?:\.0+)?", text):
        serial = int(float(text))
        if EXCEL_SERIAL_RANGE[0] <= serial <= EXCEL_SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=serial)
    for pattern, order in ((ISO_DATE, "ymd"), (UK_DATE, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(group) for group in match.groups()), strict=True))
            return _make_date(text, parts["y"], parts["m"], parts["d"])
    match = TEXT_DATE.match(text)
    if match and match[2].lower() in MONTHS:
        return _make_date(text, int(match[3]), MONTHS[match[2].lower()], int(match[1]))
    raise ValueProblem(
        "type", f"'{text}' is not a date we can read: write it as 03/10/2025 (day first)"
    )


def _make_date(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem("type", f"'{text}' is not a real calendar date") from None


def read_integer(raw: Any) -> int:
    text = _number_text(raw).replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueProblem("type", f"'{text}' is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value() or abs(number) > 10**9:
        raise ValueProblem("type", f"'{text}' is not a whole number we can accept")
    return int(number)


def read_money(raw: Any) -> Decimal:
    text = _number_text(raw)
    if isinstance(raw, int | float):
        if abs(raw) > 10**10:
            raise ValueProblem("type", f"'{text}' is too large an amount to be right")
        amount = Decimal(str(raw))
        if amount < 0:
            raise ValueProblem("minimum", f"'{text}' is negative: an amount cannot be below 0")
        return amount.quantize(Decimal("0.01"))
    compact = text.replace(" ", "")
    if compact.startswith("-") or compact.startswith("£-"):
        raise ValueProblem("minimum", f"'{text}' is negative: an amount cannot be below 0")
    match = MONEY.match(compact)
    if not match:
        raise ValueProblem("type", f"'{text}' is not an amount in pounds such as 6,000.00")
    amount = Decimal(match[1].replace(",", "") + (match[2] or ""))
    if amount > 10**10:
        raise ValueProblem("type", f"'{text}' is too large an amount to be right")
    return amount.quantize(Decimal("0.01"))


def read_yes_no(raw: Any) -> str:
    text = _number_text(raw) if not isinstance(raw, bool) else str(raw)
    lowered = text.lower()
    if lowered in YES:
        return "Y"
    if lowered in NO:
        return "N"
    raise ValueProblem("type", f"'{text}' is not Y or N")


def read_urn(raw: Any) -> str:
    text = _number_text(raw)
    if not re.fullmatch(r"\d{6}", text):
        raise ValueProblem("type", f"'{text}' is not a URN: a URN is 6 digits")
    return text


def read_academic_year(raw: Any) -> str:
    text = cell_text(raw)
    match = ACADEMIC_YEAR.match(text)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValueProblem("type", f"'{text}' is not an academic year written like 2025-26")
    return text


def read_pupil_ref(raw: Any) -> str:
    text = cell_text(raw)
    if not PUPIL_REF.match(text):
        raise ValueProblem(
            "type", f"'{text}' is not a reference of 6 to 40 letters, digits, - or _"
        )
    return text


def read_url(raw: Any) -> str:
    text = cell_text(raw)
    if not re.fullmatch(r"https://[^\s/]+\.[^\s]+", text, flags=re.IGNORECASE):
        raise ValueProblem("type", f"'{text}' is not a web address starting https://")
    return text


def _canonical_code(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip())


def read_code(raw: Any, column: Column) -> str:
    text = cell_text(raw)
    code = column.codes_by_key.get(_canonical_code(text).lower())
    if code is None:
        raise ValueProblem("allowed_values", f"'{text}' is not one of: {', '.join(column.allowed)}")
    return code


def read_code_list(raw: Any, column: Column) -> str:
    items = [item for item in cell_text(raw).split(";") if item.strip()]
    return ";".join(read_code(item, column) for item in items)


READERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.URN: read_urn,
    Kind.ACADEMIC_YEAR: read_academic_year,
    Kind.DATE: read_date,
    Kind.INTEGER: read_integer,
    Kind.YES_NO: read_yes_no,
    Kind.MONEY: read_money,
    Kind.PUPIL_REF: read_pupil_ref,
    Kind.REFERENCE: read_pupil_ref,
    Kind.URL: read_url,
}


def read_value(raw: Any, column: Column) -> Any:
    """Normalise one cell for ``column``; None for an allowed blank."""
    if is_blank(raw):
        if column.optional:
            return None
        raise ValueProblem("required_value", "is blank, but this column must be filled in")
    if column.allowed:
        value = (
            read_code_list(raw, column) if column.kind is Kind.CODE_LIST else read_code(raw, column)
        )
        return value or None
    value = READERS[column.kind](raw)
    if column.minimum is not None and (
        value < column.minimum or (column.exclusive_minimum and value == column.minimum)
    ):
        bound = "more than" if column.exclusive_minimum else "at least"
        raise ValueProblem("minimum", f"'{cell_text(raw)}' must be {bound} {column.minimum:g}")
    return value
