"""The blank return workbook schools fill in, derived from the contract."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sendwatch.contract.v1 import CONTRACT, RULES, VERSION, Column, Contract, Kind

TEMPLATE_ROWS = 2000  # drop-downs and formats reach this far down the pupils sheet
YES_NO_CHOICES = ("Y", "N")
HEADER_FILL = PatternFill("solid", fgColor="0B0C0C")


def _choices(column: Column) -> tuple[str, ...]:
    if column.kind is Kind.YES_NO:
        return YES_NO_CHOICES
    if column.kind is Kind.CODE:
        return column.allowed
    return ()


def instructions(contract: Contract = CONTRACT) -> list[list[str]]:
    """The instructions sheet, as rows of text."""
    rows = [
        [f"SEN support termly return, contract version {VERSION}"],
        [""],
        ["How to fill this in"],
        ["1. Save this workbook as <URN>_<YEAR>_<TERM>.xlsx, e.g. 113521_2025-26_spring.xlsx."],
        ["2. On the 'school' sheet, fill in the one row about your school."],
        ["3. On the 'pupils' sheet, add one row for each pupil on your SEN register."],
        ["4. Do not include names, dates of birth, UPNs, addresses or postcodes."],
        ["   Use your own pseudonymous reference (pupil_ref), the same every term."],
        ["5. Type values, not formulas. Use the drop-down lists where a cell has one."],
        ["6. Dates: 03/10/2025 (day first). Leave a cell blank where the guide says so."],
        ["7. Check the file with 'sendwatch validate FILE' before sending it, if you can."],
        [""],
        ["Sheet", "Column", "What it means", "What to write", "Code of Practice"],
    ]
    for sheet in contract.sheets:
        for column in sheet.columns:
            rows.append(
                [sheet.name, column.name, column.meaning, column.type_text, column.paragraph]
            )
    rows += [[""], ["A return is sent back to you if any of these is not true:"]]
    rows += [[f"- {rule.title}."] for rule in RULES]
    return rows


def write_template(path: Path, contract: Contract = CONTRACT) -> Path:
    """Write a blank return workbook with headers, drop-downs and instructions."""
    workbook = Workbook()
    guide = workbook.active
    guide.title = "instructions"
    for row in instructions(contract):
        guide.append(row)
    guide["A1"].font = Font(bold=True, size=14)
    for cell in ("A3", "A13", "B13", "C13", "D13", "E13"):
        guide[cell].font = Font(bold=True)
    for letter, width in zip("ABCDE", (10, 32, 60, 70, 30), strict=True):
        guide.column_dimensions[letter].width = width

    for sheet in contract.sheets:
        worksheet = workbook.create_sheet(sheet.name)
        worksheet.append(list(sheet.column_names))
        last_row = 2 if sheet.exactly_one_row else TEMPLATE_ROWS
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            header = worksheet[f"{letter}1"]
            header.font = Font(bold=True, color="FFFFFF")
            header.fill = HEADER_FILL
            header.alignment = Alignment(wrap_text=True)
            worksheet.column_dimensions[letter].width = max(14, len(column.name) + 2)
            cells = f"{letter}2:{letter}{last_row}"
            choices = _choices(column)
            if choices:
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(choices) + '"',
                    allow_blank=column.optional,
                    showErrorMessage=True,
                    errorTitle=column.name,
                    error=f"Choose one of: {', '.join(choices)}",
                )
                validation.add(cells)
                worksheet.add_data_validation(validation)
            if column.kind is Kind.DATE:
                for row in range(2, last_row + 1):
                    worksheet[f"{letter}{row}"].number_format = "DD/MM/YYYY"
            elif column.kind in (Kind.PUPIL_REF, Kind.URN, Kind.ACADEMIC_YEAR):
                for row in range(2, last_row + 1):
                    worksheet[f"{letter}{row}"].number_format = "@"  # text: keeps leading zeros
        worksheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
