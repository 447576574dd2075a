"""Checking a school return against the contract (section 6).

A return is one workbook or a pair of CSV files. :func:`validate_return`
reads it, checks every rule, and gives back either the normalised rows or the
problems, each naming file, sheet, row and column. Any problem rejects the
whole return: nothing half-loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sendwatch.contract.v1 import (
    CONTRACT,
    EARLIEST_DATE_YEAR,
    ENQUIRIES_FILE_PATTERN,
    ENQUIRIES_SHEET,
    Contract,
    Kind,
    ReturnName,
    Sheet,
    header_names_personal_data,
    looks_like_personal_data,
    parse_return_file_name,
)
from sendwatch.problems import Problem, column_letter
from sendwatch.reading import RawSheet, UnreadableFile, read_csv, read_workbook
from sendwatch.values import ValueProblem, cell_text, is_blank, read_value


@dataclass
class ReturnFiles:
    """The file(s) that make up one return, with their bytes."""

    name: ReturnName
    files: dict[str, bytes]

    @property
    def key(self) -> str:
        return self.name.return_key


@dataclass
class ValidatedReturn:
    """The outcome of checking one return."""

    name: ReturnName | None
    files: list[str]
    problems: list[Problem] = field(default_factory=list)
    school: dict[str, Any] | None = None
    pupils: list[dict[str, Any]] = field(default_factory=list)
    pupil_row_numbers: list[int] = field(default_factory=list)  # as the sheet shows them

    @property
    def valid(self) -> bool:
        return not self.problems

    def school_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.school] if self.school else [])

    def pupils_frame(self) -> pd.DataFrame:
        columns = CONTRACT.sheet("pupils").column_names
        return pd.DataFrame(self.pupils, columns=list(columns))


def group_return_files(paths: Iterable[Path]) -> tuple[list[ReturnFiles], list[Problem]]:
    """Group files into returns by name; files that name no return are problems."""
    returns: dict[tuple[str, str], ReturnFiles] = {}
    problems: list[Problem] = []
    for path in sorted(paths):
        name = parse_return_file_name(path.name)
        if name is None:
            problems.append(
                Problem(
                    path.name,
                    "file_name",
                    "the file name is not <URN>_<YEAR>_<TERM>.xlsx or "
                    "<URN>_<YEAR>_<TERM>_school.csv / _pupils.csv",
                )
            )
            continue
        group = returns.setdefault((name.return_key, name.file_format), ReturnFiles(name, {}))
        group.files[path.name] = path.read_bytes()
    return list(returns.values()), problems


def validate_return(
    files: ReturnFiles,
    today: date | None = None,
    register_urns: set[str] | None = None,
    contract: Contract = CONTRACT,
) -> ValidatedReturn:
    """Check one return against every rule of the contract."""
    today = today or date.today()
    result = ValidatedReturn(files.name, sorted(files.files))
    sheets = _read_sheets(files, contract, result.problems)
    if sheets is None:
        return result
    school_rows = _check_sheet(sheets[contract.sheet("school").name], contract.sheet("school"))
    pupil_rows = _check_sheet(sheets[contract.sheet("pupils").name], contract.sheet("pupils"))
    for raw in sheets.values():
        result.problems.extend(raw.problems)
    if not result.problems:
        result.problems.extend(_check_return(files, sheets, school_rows, pupil_rows, today))
    if not result.problems and register_urns is not None and files.name.urn not in register_urns:
        result.problems.append(
            Problem(
                _file_for(files, "school"),
                "not_on_register",
                f"URN {files.name.urn} is not a school on the LA's register",
            )
        )
    if not result.problems:
        result.school = school_rows[0][1]
        result.pupils = [values for _, values in pupil_rows]
        result.pupil_row_numbers = [number for number, _ in pupil_rows]
    return result


@dataclass
class ValidatedEnquiries:
    """A monthly SENDIASS file, checked."""

    file_name: str
    month: str
    problems: list[Problem] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def validate_enquiries(
    file_name: str, data: bytes, today: date | None = None
) -> ValidatedEnquiries:
    """Check a ``sendiass_enquiries_<YYYY-MM>.csv`` file against contract section 4."""
    today = today or date.today()
    match = ENQUIRIES_FILE_PATTERN.match(file_name)
    result = ValidatedEnquiries(file_name, match["month"] if match else "")
    if not match:
        result.problems.append(
            Problem(file_name, "file_name", "the file name is not sendiass_enquiries_<YYYY-MM>.csv")
        )
        return result
    try:
        raw = read_csv(file_name, data, ENQUIRIES_SHEET.name)
    except UnreadableFile as error:
        result.problems.append(Problem(error.file_name, "unreadable_file", error.message))
        return result
    rows = _check_sheet(raw, ENQUIRIES_SHEET)
    result.problems.extend(raw.problems)
    for number, values in rows:
        for column in ("received_date", "closed_date"):
            value = values.get(column)
            if value is not None and (value > today or value.year < EARLIEST_DATE_YEAR):
                rule = "date_before_2000" if value.year < EARLIEST_DATE_YEAR else "date_in_future"
                result.problems.append(
                    Problem(
                        file_name,
                        rule,
                        f"the date {value:%d/%m/%Y} cannot be right",
                        sheet=raw.name,
                        row=number,
                        column=column,
                        column_letter=column_letter(raw.headers.index(column)),
                        value=cell_text(value),
                    )
                )
    if not result.problems:
        result.rows = [values for _, values in rows]
    return result


def _file_for(files: ReturnFiles, sheet: str) -> str:
    if files.name.file_format == "xlsx":
        return next(iter(files.files))
    return f"{files.name.return_key}_{sheet}.csv"


def _read_sheets(
    files: ReturnFiles, contract: Contract, problems: list[Problem]
) -> dict[str, RawSheet] | None:
    """The sheets of a return by name, or None (with problems) if unreadable."""
    wanted = [sheet.name for sheet in contract.sheets]
    sheets: dict[str, RawSheet] = {}
    try:
        if files.name.file_format == "xlsx":
            file_name, data = next(iter(files.files.items()))
            found = read_workbook(file_name, data)
            missing = [name for name in wanted if name not in found]
            if missing:
                problems.append(
                    Problem(
                        file_name,
                        "sheets",
                        f"the workbook has no sheet named {', '.join(missing)}; "
                        f"it has: {', '.join(sheet.title for sheet in found.values()) or 'none'}",
                    )
                )
                return None
            sheets = {name: found[name] for name in wanted}
        else:
            for name in wanted:
                file_name = _file_for(files, name)
                if file_name not in files.files:
                    problems.append(
                        Problem(
                            file_name,
                            "sheets",
                            f"the {name} file is missing: a CSV return is two files, "
                            f"{', '.join(_file_for(files, n) for n in wanted)}",
                        )
                    )
                    continue
                sheets[name] = read_csv(file_name, files.files[file_name], name)
    except UnreadableFile as error:
        problems.append(Problem(error.file_name, "unreadable_file", error.message))
        return None
    return None if problems else sheets


def _check_sheet(raw: RawSheet, sheet: Sheet) -> list[tuple[int, dict[str, Any]]]:
    """Check headings and cells; return (row number, values) for each row."""
    known = set(sheet.column_names)
    personal = [h for h in raw.headers if h and h not in known and header_names_personal_data(h)]
    for index, header in enumerate(raw.headers):
        if header in personal:
            raw.problems.append(
                Problem(
                    raw.file_name,
                    "personal_data_column",
                    f"the column '{header}' looks like personal data (a name, date of birth, "
                    "UPN, address or postcode)",
                    sheet=raw.name,
                    row=1,
                    column=header,
                    column_letter=column_letter(index),
                )
            )
        elif header and header not in known:
            raw.problems.append(
                Problem(
                    raw.file_name,
                    "unknown_column",
                    f"'{header}' is not a column of the return",
                    sheet=raw.name,
                    row=1,
                    column=header,
                    column_letter=column_letter(index),
                )
            )
    for name in sheet.column_names:
        if name not in raw.headers:
            raw.problems.append(
                Problem(
                    raw.file_name,
                    "missing_column",
                    f"the column '{name}' is missing",
                    sheet=raw.name,
                    row=1,
                    column=name,
                )
            )
    seen = [h for h in raw.headers if h]
    for header in sorted({h for h in seen if seen.count(h) > 1}):
        raw.problems.append(
            Problem(
                raw.file_name,
                "unknown_column",
                f"the column '{header}' appears more than once",
                sheet=raw.name,
                row=1,
                column=header,
            )
        )
    _check_row_count(raw, sheet)
    return [(number, _read_row(raw, sheet, number, cells)) for number, cells in raw.rows]


def _check_row_count(raw: RawSheet, sheet: Sheet) -> None:
    count = len(raw.rows)
    if sheet.exactly_one_row and count != 1:
        message = f"the {sheet.name} sheet must have exactly one row of figures; it has {count}"
    elif not sheet.exactly_one_row and not sheet.allow_empty and count == 0:
        message = f"the {sheet.name} sheet has headings but no rows"
    else:
        return
    raw.problems.append(Problem(raw.file_name, "row_count", message, sheet=raw.name))


def _read_row(raw: RawSheet, sheet: Sheet, number: int, cells: list[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, header in enumerate(raw.headers):
        cell = cells[index]
        if header in sheet.column_names:
            column = sheet.column(header)
            try:
                values[header] = read_value(cell, column)
            except ValueProblem as problem:
                raw.problems.append(
                    Problem(
                        raw.file_name,
                        problem.rule_id,
                        problem.message,
                        sheet=raw.name,
                        row=number,
                        column=header,
                        column_letter=column_letter(index),
                        value=cell_text(cell)[:80],
                    )
                )
        if not is_blank(cell) and isinstance(cell, str):
            kind = looks_like_personal_data(cell)
            if kind:
                raw.problems.append(
                    Problem(
                        raw.file_name,
                        "personal_data_value",
                        f"this value looks like {kind}",
                        sheet=raw.name,
                        row=number,
                        column=header or None,
                        column_letter=column_letter(index),
                        value="(withheld: looks like personal data)",
                    )
                )
    return values


def _check_return(
    files: ReturnFiles,
    sheets: dict[str, RawSheet],
    school_rows: list[tuple[int, dict[str, Any]]],
    pupil_rows: list[tuple[int, dict[str, Any]]],
    today: date,
) -> list[Problem]:
    """Rules across cells: identity, dates against the census, repeated pupils."""
    problems: list[Problem] = []
    school_sheet, pupils_sheet = sheets["school"], sheets["pupils"]
    school_number, school = school_rows[0]

    def at(raw: RawSheet, number: int, column: str, rule: str, message: str, value: Any) -> None:
        index = raw.headers.index(column)
        problems.append(
            Problem(
                raw.file_name,
                rule,
                message,
                sheet=raw.name,
                row=number,
                column=column,
                column_letter=column_letter(index),
                value=cell_text(value),
            )
        )

    for column in ("urn", "academic_year", "term"):
        expected = getattr(files.name, column)
        if school[column] != expected:
            at(
                school_sheet,
                school_number,
                column,
                "identity_mismatch",
                f"the file says {column} '{school[column]}' but its name says '{expected}'",
                school[column],
            )
    census = school["census_date"]
    if census > today:
        at(
            school_sheet,
            school_number,
            "census_date",
            "census_in_future",
            f"the census date {census:%d/%m/%Y} is in the future",
            census,
        )
    for raw, sheet_def, rows in (
        (school_sheet, CONTRACT.sheet("school"), school_rows),
        (pupils_sheet, CONTRACT.sheet("pupils"), pupil_rows),
    ):
        date_columns = [c for c in sheet_def.columns if c.kind is Kind.DATE]
        for number, values in rows:
            for column in date_columns:
                value = values.get(column.name)
                if value is None:
                    continue
                if value.year < EARLIEST_DATE_YEAR:
                    at(
                        raw,
                        number,
                        column.name,
                        "date_before_2000",
                        f"the date {value:%d/%m/%Y} is before 2000",
                        value,
                    )
                elif value > census and not column.after_census_allowed:
                    at(
                        raw,
                        number,
                        column.name,
                        "date_after_census",
                        f"the date {value:%d/%m/%Y} is after the census date {census:%d/%m/%Y}",
                        value,
                    )
    first_row: dict[str, int] = {}
    for number, values in pupil_rows:
        ref = values["pupil_ref"]
        if ref in first_row:
            at(
                pupils_sheet,
                number,
                "pupil_ref",
                "duplicate_pupil_ref",
                f"pupil_ref '{ref}' is also on row {first_row[ref]}",
                ref,
            )
        else:
            first_row[ref] = number
    return problems
