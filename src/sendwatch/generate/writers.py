"""Writing returns as schools really send them: tidy, messy or invalid.

Workbooks are written byte-for-byte reproducibly (fixed zip timestamps and
document dates), so the same seed gives the same files.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from sendwatch.contract.v1 import CONTRACT, Kind, Sheet, return_file_names

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2000-01-01T00:00:00Z"
EXCEL_EPOCH = date(1899, 12, 30)


class Style:
    """How one return is written: the tidy form, or a school's own habits."""

    def __init__(self, rng: random.Random | None = None) -> None:
        messy = rng is not None
        pick = rng.choice if rng else (lambda options: options[0])
        self.messy = messy
        self.headers = pick(("as_is", "title", "upper")) if messy else "as_is"
        self.dates = pick(("uk", "text", "serial")) if messy else "iso"
        self.yes_no = pick(("yes_no", "true_false", "one_zero")) if messy else "y_n"
        self.money = pick(("pounds", "commas")) if messy else "plain"
        self.encoding = pick(("utf-8-sig", "cp1252", "utf-8")) if messy else "utf-8"
        self.padding = messy and pick((True, False))
        self.trailing_rows = rng.randint(1, 3) if rng else 0

    def header(self, name: str) -> str:
        if self.headers == "title":
            return name.replace("_", " ").title()
        if self.headers == "upper":
            return name.upper()
        return name

    def cell(self, value: Any, kind: Kind, for_excel: bool) -> Any:
        if value is None:
            return None if for_excel else ""
        text = self._render(value, kind, for_excel)
        if self.padding and isinstance(text, str) and text:
            return f" {text} "
        return text

    def _render(self, value: Any, kind: Kind, for_excel: bool) -> Any:
        if kind is Kind.DATE:
            if for_excel and self.dates in ("iso",):
                return value  # a real Excel date cell
            if self.dates == "uk":
                return value.strftime("%d/%m/%Y")
            if self.dates == "text":
                return f"{value.day} {value:%b %Y}"
            if self.dates == "serial":
                serial = (value - EXCEL_EPOCH).days
                return serial if for_excel else str(serial)
            return value if for_excel else value.isoformat()
        if kind is Kind.YES_NO:
            answer = value == "Y"
            return {
                "y_n": value,
                "yes_no": "Yes" if answer else "No",
                "true_false": "TRUE" if answer else "FALSE",
                "one_zero": "1" if answer else "0",
            }[self.yes_no]
        if kind is Kind.MONEY:
            if self.money == "pounds":
                return f"£{value:,.2f}"
            if self.money == "commas":
                return f"{value:,}"
            return value if for_excel else str(value)
        if kind in (Kind.INTEGER, Kind.URN) and for_excel and not self.messy:
            return int(value)
        return str(value)


def _columns(sheet: Sheet, extra: list[str], dropped: list[str]) -> list[tuple[str, Kind]]:
    columns = [(c.name, c.kind) for c in sheet.columns if c.name not in dropped]
    return columns + [(name, Kind.CODE) for name in extra]


def sheet_grid(
    sheet: Sheet,
    rows: list[dict[str, Any]],
    style: Style,
    for_excel: bool,
    extra: list[str] | None = None,
    dropped: list[str] | None = None,
) -> list[list[Any]]:
    """Header and rows of one sheet, rendered in ``style``."""
    columns = _columns(sheet, extra or [], dropped or [])
    grid: list[list[Any]] = [[style.header(name) for name, _ in columns]]
    for row in rows:
        grid.append([style.cell(row.get(name), kind, for_excel) for name, kind in columns])
    blank = [" " if for_excel else ""] * len(columns)
    grid += [list(blank) for _ in range(style.trailing_rows)]
    return grid


def csv_bytes(grid: list[list[Any]], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(grid)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(grids: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook(write_only=True)
    for name, grid in grids.items():
        worksheet = workbook.create_sheet(name)
        for row in grid:
            worksheet.append([_excel_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return reproducible_zip(buffer.getvalue())


def _excel_cell(worksheet: Any, value: Any) -> Any:
    if isinstance(value, date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell
    return value


def reproducible_zip(data: bytes) -> bytes:
    """The same workbook, with fixed timestamps, so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + FIXED_DOC_TIME.encode(),
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, content)
    return out.getvalue()


def render_return(
    school: dict[str, Any],
    pupils: list[dict[str, Any]],
    file_format: str,
    style: Style,
    extra: dict[str, list[str]] | None = None,
    dropped: dict[str, list[str]] | None = None,
    named_as: tuple[str, str, str] | None = None,
) -> dict[str, bytes]:
    """File name -> bytes for one return.

    Files are named from the school row's URN, year and term unless ``named_as``
    gives another (urn, academic_year, term), as when a school mistypes one.
    """
    extra, dropped = extra or {}, dropped or {}
    rows = {"school": [school], "pupils": pupils}
    for_excel = file_format == "xlsx"
    grids = {
        sheet.name: sheet_grid(
            sheet,
            rows[sheet.name],
            style,
            for_excel,
            extra.get(sheet.name),
            dropped.get(sheet.name),
        )
        for sheet in CONTRACT.sheets
    }
    urn, year, term = named_as or (school["urn"], school["academic_year"], school["term"])
    names = return_file_names(urn, year, term, file_format)
    if for_excel:
        return {names[0]: xlsx_bytes(grids)}
    encoding = style.encoding
    return {
        name: csv_bytes(grids[sheet.name], encoding)
        for name, sheet in zip(names, CONTRACT.sheets, strict=True)
    }


def received_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
