"""Checking a school return against the contract (section 6).

A return is one workbook or a pair of CSV files. :func:`validate_return`
reads it, checks every rule, and gives back either the normalised rows or the
problems, each naming file, sheet, row and column. Any problem rejects the
whole return: nothing half-loads.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sendwatch import personal_data
from sendwatch.contract.v1 import (
    CONTRACT,
    EARLIEST_DATE_YEAR,
    ENQUIRIES_FILE_PATTERN,
    ENQUIRIES_SHEET,
    Contract,
    Kind,
    ReturnName,
    Sheet,
    group_into_deliveries,
    parse_return_file_name,
)
from sendwatch.problems import Problem, column_letter
from sendwatch.reading import (
    RawSheet,
    UnreadableFile,
    normalise_header,
    oversize,
    read_csv,
    read_workbook,
)
from sendwatch.settings import Limits
from sendwatch.values import ValueProblem, cell_text, is_blank, read_value

LOG = logging.getLogger(__name__)
# Columns holding references: names and birth dates hide in these.
REFERENCE_KINDS = (Kind.PUPIL_REF, Kind.REFERENCE)


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
    """Group files into returns as the nightly pipeline does (``group_into_deliveries``);
    files that name no return are problems."""
    returns: list[ReturnFiles] = []
    problems: list[Problem] = []
    for (_, kind, _), members in group_into_deliveries(sorted(paths), lambda p: p).items():
        if kind != "return":
            problems += [unknown_file(path.name) for path in members]
            continue
        name = parse_return_file_name(members[0].name)
        returns.append(ReturnFiles(name, {path.name: path.read_bytes() for path in members}))
    return returns, problems


def unknown_file(file_name: str) -> Problem:
    return Problem(
        file_name,
        "file_name",
        "sendwatch does not know this file: returns are named <URN>_<YEAR>_<TERM>.xlsx "
        "(or _school.csv and _pupils.csv), SENDIASS files sendiass_enquiries_<YYYY-MM>.csv",
    )


Checked = "ValidatedReturn | ValidatedEnquiries"


def check_delivery(
    kind: str,
    files: dict[str, Path],
    today: date,
    register_urns: set[str] | None = None,
    limits: Limits | None = None,
) -> Checked:
    """Judge one delivery (its files by name, and where their bytes are) on its own.

    Whatever goes wrong while reading or checking it becomes a rejection of this
    delivery (``internal_error`` if the fault is ours), never an exception: one bad
    file must not stop a night or a ``validate``. A file over the size limit is
    rejected without being read.
    """
    limits = limits or Limits()
    names = sorted(files)
    try:
        oversized = [_too_large(name, files[name], limits) for name in names]
        if any(oversized):
            return ValidatedReturn(None, names, [p for p in oversized if p])
        contents = {name: files[name].read_bytes() for name in names}
        if kind == "enquiries":
            ((file_name, data),) = contents.items()
            return validate_enquiries(file_name, data, today, register_urns, limits)
        name = parse_return_file_name(names[0]) if kind == "return" else None
        if name is None:
            return ValidatedReturn(None, names, [unknown_file(names[0])])
        return validate_return(ReturnFiles(name, contents), today, register_urns, limits=limits)
    except Exception as error:
        LOG.exception("internal error while checking %s", ", ".join(names))
        problem = Problem(
            names[0],
            "internal_error",
            f"sendwatch failed while checking this file ({type(error).__name__})",
        )
        return ValidatedReturn(None, names, [problem])


# A delivery takes about 15 ms to check and a checking process about a second to start:
# below this many deliveries a process, starting one costs more than it saves.
DELIVERIES_PER_PROCESS = 50


@dataclass(frozen=True)
class Delivered:
    """One delivery to judge: its kind, its files by name and where their bytes are,
    and the day it was received (the census date rules are judged as at that day)."""

    kind: str
    files: dict[str, Path]
    received: date


def check_deliveries(
    deliveries: list[Delivered],
    register_urns: set[str] | None,
    limits: Limits,
    processes: int = 1,
) -> list[Checked]:
    """:func:`check_delivery` for each, in order, over as many as ``processes``
    processes (each delivery is judged on its own, so any may be judged anywhere).

    The processes come from a fresh server process (``forkserver``), not from a fork of
    this one: the caller may be an Airflow task with threads of its own.
    """
    workers = checking_processes(len(deliveries), processes)
    if workers == 1:
        return [_check(delivered, register_urns, limits) for delivered in deliveries]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_remember, initargs=(register_urns, limits)
    ) as pool:
        chunk = max(1, len(deliveries) // (workers * 4))
        return list(pool.map(_check_remembered, deliveries, chunksize=chunk))


def checking_processes(deliveries: int, processes: int) -> int:
    """How many processes :func:`check_deliveries` uses for that many deliveries."""
    return max(1, min(processes, deliveries // DELIVERIES_PER_PROCESS))


def _check(delivered: Delivered, register_urns: set[str] | None, limits: Limits) -> Checked:
    return check_delivery(
        delivered.kind, delivered.files, delivered.received, register_urns, limits
    )


_REMEMBERED: dict[str, Any] = {}  # a checking process's register and limits, sent once


def _remember(register_urns: set[str] | None, limits: Limits) -> None:
    _REMEMBERED.update(register_urns=register_urns, limits=limits)


def _check_remembered(delivered: Delivered) -> Checked:
    return _check(delivered, _REMEMBERED["register_urns"], _REMEMBERED["limits"])


def _too_large(file_name: str, path: Path, limits: Limits) -> Problem | None:
    message = oversize(path.stat().st_size, limits)
    return Problem(file_name, "too_large", message) if message else None


def validate_return(
    files: ReturnFiles,
    today: date | None = None,
    register_urns: set[str] | None = None,
    contract: Contract = CONTRACT,
    limits: Limits | None = None,
) -> ValidatedReturn:
    """Check one return against every rule of the contract."""
    today = today or date.today()
    result = ValidatedReturn(files.name, sorted(files.files))
    sheets = _read_sheets(files, contract, result.problems, limits or Limits(), today)
    if sheets is None:
        return result
    school_sheet, pupils_sheet = contract.sheet("school"), contract.sheet("pupils")
    school_rows = _check_sheet(sheets[school_sheet.name], school_sheet, today)
    pupil_rows = _check_sheet(sheets[pupils_sheet.name], pupils_sheet, today)
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
    file_name: str,
    data: bytes,
    today: date | None = None,
    register_urns: set[str] | None = None,
    limits: Limits | None = None,
) -> ValidatedEnquiries:
    """Check a ``sendiass_enquiries_<YYYY-MM>.csv`` file against contract section 4:
    every value, no personal data, each enquiry inside the file's month, each URN a
    school on the register (or blank)."""
    today = today or date.today()
    match = ENQUIRIES_FILE_PATTERN.match(file_name)
    result = ValidatedEnquiries(file_name, match["month"] if match else "")
    if not match:
        result.problems.append(
            Problem(file_name, "file_name", "the file name is not sendiass_enquiries_<YYYY-MM>.csv")
        )
        return result
    try:
        raw = read_csv(file_name, data, ENQUIRIES_SHEET.name, limits)
    except UnreadableFile as error:
        result.problems.append(error.problem())
        return result
    rows = _check_sheet(raw, ENQUIRIES_SHEET, today)
    result.problems.extend(raw.problems)
    for number, values in rows:
        result.problems.extend(
            _check_enquiry(raw, number, values, result.month, today, register_urns)
        )
    if not result.problems:
        result.rows = [values for _, values in rows]
    return result


def _check_enquiry(
    raw: RawSheet,
    number: int,
    values: dict[str, Any],
    month: str,
    today: date,
    register_urns: set[str] | None,
) -> list[Problem]:
    problems = []

    def at(column: str, rule: str, message: str, value: Any = None) -> None:
        problems.append(_cell_problem(raw, number, column, rule, message, value))

    for column in ("received_date", "closed_date"):
        value = values.get(column)
        if value is not None and (value > today or value.year < EARLIEST_DATE_YEAR):
            rule = "date_before_2000" if value.year < EARLIEST_DATE_YEAR else "date_in_future"
            at(column, rule, f"the date {value:%d/%m/%Y} cannot be right", value)
    received = values.get("received_date")
    if received is not None and f"{received:%Y-%m}" != month:
        at(
            "received_date",
            "enquiry_month",
            f"the enquiry was received on {received:%d/%m/%Y}, outside {month}",
            received,
        )
    urn = values.get("urn")
    if urn is not None and register_urns is not None and urn not in register_urns:
        at("urn", "not_on_register", f"URN {urn} is not a school on the LA's register", urn)
    return problems


def _cell_problem(
    raw: RawSheet, number: int, column: str, rule: str, message: str, value: Any
) -> Problem:
    """A problem at one cell of a read sheet, named by its heading."""
    return Problem(
        raw.file_name,
        rule,
        message,
        sheet=raw.name,
        row=number,
        column=column,
        column_letter=column_letter(raw.headers.index(column)),
        value=cell_text(value) if value is not None else None,
    )


def _file_for(files: ReturnFiles, sheet: str) -> str:
    if files.name.file_format == "xlsx":
        return next(iter(files.files))
    return f"{files.name.return_key}_{sheet}.csv"


def _read_sheets(
    files: ReturnFiles,
    contract: Contract,
    problems: list[Problem],
    limits: Limits,
    today: date,
) -> dict[str, RawSheet] | None:
    """The sheets of a return by name, or None (with problems) if unreadable."""
    wanted = [sheet.name for sheet in contract.sheets]
    sheets: dict[str, RawSheet] = {}
    try:
        if files.name.file_format == "xlsx":
            file_name, data = next(iter(files.files.items()))
            found = read_workbook(
                file_name,
                data,
                limits,
                keep=wanted,
                inspect_row=_inspector(file_name, wanted, today),
            )
            others = [raw for name, raw in found.items() if name not in wanted]
            problems.extend(problem for raw in others for problem in raw.problems)
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
                sheets[name] = read_csv(file_name, files.files[file_name], name, limits)
    except UnreadableFile as error:
        problems.append(error.problem())
        return None
    return None if problems else sheets


def _inspector(file_name: str, contract_sheets: list[str], today: date):
    """Look for personal data in the sheets the contract does not use (hidden ones too).

    Contract sheets are checked cell by cell, knowing each column, in ``_read_row``.
    """

    def inspect(sheet: str, number: int, cells: list[Any]) -> list[Problem]:
        if sheet in contract_sheets:
            return []
        found = []
        named = set(personal_data.names_across_cells(cells))
        for index, cell in enumerate(cells):
            kind = _personal_kind(cell, None, today)
            if kind is None and (index in named or index - 1 in named):
                kind = personal_data.NAME
            if kind is None and _short_heading_for_personal_data(cell):
                kind = personal_data.HEADING
            if kind is not None:
                found.append(_personal_problem(file_name, sheet, number, index, None, kind))
        return found

    return inspect


def _short_heading_for_personal_data(cell: Any) -> bool:
    """ "DOB" or "First name" as a heading in a sheet outside the contract (a sentence
    that mentions names, like the template's instructions, is not a heading)."""
    return (
        isinstance(cell, str)
        and len(cell.split()) <= 3
        and personal_data.header_names_personal_data(normalise_header(cell))
    )


def _personal_kind(cell: Any, column: Any, today: date) -> str | None:
    """What personal data a raw cell holds, judged by its column's kind."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, int | float):
        return personal_data.in_number(cell)
    if not isinstance(cell, str) or is_blank(cell):
        return None
    kind = getattr(column, "kind", None)
    if kind in REFERENCE_KINDS:
        return personal_data.in_reference(cell, today)
    if kind is Kind.URL:
        return personal_data.in_url(cell, today)
    return personal_data.in_text(cell, today)


def _personal_problem(
    file_name: str, sheet: str, row: int, index: int, header: str | None, kind: str
) -> Problem:
    heading = kind == personal_data.HEADING
    return Problem(
        file_name,
        "personal_data_column" if heading else "personal_data_value",
        f"this {'cell' if heading else 'value'} looks like {kind}",
        sheet=sheet,
        row=row,
        column=header or None,
        column_letter=column_letter(index),
        value=None,  # never repeated: the report says where and what kind, not what
    )


def _check_sheet(raw: RawSheet, sheet: Sheet, today: date) -> list[tuple[int, dict[str, Any]]]:
    """Check headings and cells; return (row number, values) for each row."""
    known = set(sheet.column_names)
    for index, header in enumerate(raw.headers):
        if header and header not in known and personal_data.header_names_personal_data(header):
            raw.problems.append(
                Problem(
                    raw.file_name,
                    "personal_data_column",
                    "the column's heading names personal data (a name, date of birth, "
                    "UPN, contact details, address or postcode)",
                    sheet=raw.name,
                    row=raw.header_row,
                    column=header,
                    column_letter=column_letter(index),
                )
            )
        elif header and header not in known and personal_data.in_heading(header):
            kind = personal_data.in_heading(header) or ""
            raw.problems.append(
                _personal_problem(raw.file_name, raw.name, raw.header_row, index, None, kind)
            )
        elif header and header not in known:
            raw.problems.append(
                Problem(
                    raw.file_name,
                    "unknown_column",
                    f"'{header[:60]}' is not a column of the return",
                    sheet=raw.name,
                    row=raw.header_row,
                    column=header[:60],
                    column_letter=column_letter(index),
                )
            )
    missing = [name for name in sheet.column_names if name not in raw.headers]
    if missing:  # one cause, one message: often the wrong sheet or separator
        raw.problems.append(
            Problem(
                raw.file_name,
                "missing_column",
                f"the column '{missing[0]}' is missing"
                if len(missing) == 1
                else f"{len(missing)} columns are missing: {', '.join(missing)}",
                sheet=raw.name,
                row=raw.header_row,
                column=missing[0] if len(missing) == 1 else None,
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
                row=raw.header_row,
                column=header,
            )
        )
    _check_row_count(raw, sheet)
    return [(number, _read_row(raw, sheet, number, cells, today)) for number, cells in raw.rows]


def _check_row_count(raw: RawSheet, sheet: Sheet) -> None:
    count = len(raw.rows)
    if sheet.exactly_one_row and count != 1:
        message = f"the {sheet.name} sheet must have exactly one row of figures; it has {count}"
    elif not sheet.exactly_one_row and not sheet.allow_empty and count == 0:
        message = f"the {sheet.name} sheet has headings but no rows"
    else:
        return
    raw.problems.append(Problem(raw.file_name, "row_count", message, sheet=raw.name))


def _read_row(
    raw: RawSheet, sheet: Sheet, number: int, cells: list[Any], today: date
) -> dict[str, Any]:
    """Read each cell for its column. A cell holding personal data is reported as such
    (its kind, never its value), so no message repeats it.

    Free-text columns (references, the web address) and columns outside the contract
    are searched for personal data before anything else; a typed column (a date, a
    number, a code) only when its value cannot be read, because a value it accepts
    cannot hold any.
    """
    values: dict[str, Any] = {}
    named = set(personal_data.names_across_cells(cells))

    def personal(index: int, header: str, kind: str | None) -> bool:
        if kind is None and (index in named or index - 1 in named):
            kind = personal_data.NAME
        if kind is not None:
            raw.problems.append(
                _personal_problem(raw.file_name, raw.name, number, index, header, kind)
            )
        return kind is not None

    for index, header in enumerate(raw.headers):
        cell = cells[index]
        column = sheet.find(header)
        free_text = column is None or column.kind in (*REFERENCE_KINDS, Kind.URL)
        if free_text and personal(index, header, _personal_kind(cell, column, today)):
            continue
        if column is None:
            continue
        try:
            values[header] = read_value(cell, column)
        except ValueProblem as problem:
            if personal(index, header, _personal_kind(cell, None, today)):
                continue
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
        problems.append(_cell_problem(raw, number, column, rule, message, value))

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
    roll = school["number_on_roll"]
    if len(pupil_rows) > roll:
        problems.append(
            Problem(
                pupils_sheet.file_name,
                "pupils_exceed_roll",
                f"the pupils sheet lists {len(pupil_rows):,} pupils but number_on_roll is "
                f"{roll:,}: the SEN register cannot be larger than the school",
                sheet=pupils_sheet.name,
            )
        )
        return problems  # one cause: every row after it would only repeat it
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
