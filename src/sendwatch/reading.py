"""Reading return files (XLSX workbooks and CSV files) into raw sheets.

Nothing is evaluated: formulas are reported, text that starts with ``=`` is
kept as text. Headers are normalised (case, spaces) and wholly blank rows and
columns are dropped, as contract section 6 allows.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sendwatch.problems import Problem, column_letter
from sendwatch.values import cell_text, is_blank

CSV_ENCODINGS = ("utf-8-sig", "cp1252")


class UnreadableFile(Exception):
    """The file cannot be opened at all."""

    def __init__(self, file_name: str, message: str) -> None:
        super().__init__(message)
        self.file_name = file_name
        self.message = message


@dataclass
class RawSheet:
    """A sheet as sent: normalised headings, raw cells, spreadsheet row numbers."""

    file_name: str
    name: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    problems: list[Problem] = field(default_factory=list)
    encoding: str = ""
    title: str = ""  # the sheet's name as the school typed it


def normalise_header(raw: Any) -> str:
    text = cell_text(raw).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _tidy(file_name: str, sheet: str, grid: list[tuple[int, list[Any]]]) -> RawSheet:
    """Turn rows of cells (the first is the header) into a RawSheet."""
    grid = [(number, cells) for number, cells in grid if not all(is_blank(c) for c in cells)]
    if not grid:
        return RawSheet(file_name, sheet, [], [])
    _, header_cells = grid[0]
    headers = [normalise_header(cell) for cell in header_cells]
    while headers and headers[-1] == "":
        headers.pop()
    sheet_out = RawSheet(file_name, sheet, headers, [])
    for index, header in enumerate(headers):
        if header == "":
            sheet_out.problems.append(
                Problem(
                    file_name,
                    "unknown_column",
                    "this column has no heading",
                    sheet=sheet,
                    row=grid[0][0],
                    column_letter=column_letter(index),
                )
            )
    width = len(headers)
    for number, cells in grid[1:]:
        extra = [c for c in cells[width:] if not is_blank(c)]
        if extra:
            sheet_out.problems.append(
                Problem(
                    file_name,
                    "ragged_row",
                    f"this row has {width + len(cells[width:])} cells but only {width} "
                    f"headings; the first extra value is '{cell_text(extra[0])[:40]}'",
                    sheet=sheet,
                    row=number,
                )
            )
        padded = list(cells[:width]) + [None] * (width - len(cells[:width]))
        sheet_out.rows.append((number, padded))
    return sheet_out


def decode_csv(file_name: str, data: bytes) -> tuple[str, str]:
    """Text and encoding of a CSV file: UTF-8 (BOM or not), else Windows-1252."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(file_name, "the file is not text in UTF-8 or Windows-1252")


def read_csv(file_name: str, data: bytes, sheet: str) -> RawSheet:
    if not data.strip():
        raise UnreadableFile(file_name, "the file is empty")
    text, encoding = decode_csv(file_name, data)
    if "\x00" in text:
        raise UnreadableFile(file_name, "the file is not a CSV text file (it contains binary data)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        grid = [(number, list(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as error:
        raise UnreadableFile(
            file_name, f"the CSV cannot be read near line {reader.line_num}: {error}"
        ) from None
    raw = _tidy(file_name, sheet, grid)
    raw.encoding = encoding
    return raw


def read_workbook(file_name: str, data: bytes) -> dict[str, RawSheet]:
    """Every sheet of a workbook, by normalised sheet name."""
    if not data.strip():
        raise UnreadableFile(file_name, "the file is empty")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise UnreadableFile(
            file_name, f"the file is not an Excel .xlsx workbook ({error})"
        ) from None
    sheets: dict[str, RawSheet] = {}
    try:
        for worksheet in workbook.worksheets:
            name = worksheet.title.strip().lower()
            grid: list[tuple[int, list[Any]]] = []
            formulas: list[Problem] = []
            for number, row in enumerate(worksheet.iter_rows(), start=1):
                cells = []
                for index, cell in enumerate(row):
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f":
                        formulas.append(
                            Problem(
                                file_name,
                                "formula",
                                f"this cell holds the formula '{cell_text(value)[:60]}'",
                                sheet=name,
                                row=number,
                                column_letter=column_letter(index),
                                value=cell_text(value)[:60],
                            )
                        )
                        value = None
                    cells.append(value)
                grid.append((number, cells))
            raw = _tidy(file_name, name, grid)
            raw.title = worksheet.title
            raw.problems[:0] = formulas
            sheets[name] = raw
    finally:
        workbook.close()
    return sheets
