"""The LA's register of mainstream schools (contract section 5)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sendwatch.contract.v1 import PHASES, REGISTER_COLUMNS
from sendwatch.reading import decode_csv, normalise_header
from sendwatch.values import ValueProblem, read_date, read_urn

REQUIRED = ("urn", "school_name", "phase", "locality")


class RegisterError(ValueError):
    """The register cannot be used; the message names the file, row and column."""


@dataclass(frozen=True)
class RegisterSchool:
    urn: str
    school_name: str
    phase: str
    locality: str
    opened: date | None
    closed: date | None


def read_register(path: Path) -> list[RegisterSchool]:
    """Read and check the register; raise RegisterError naming the first problem."""
    text, _ = decode_csv(path.name, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [normalise_header(cell) for cell in next(reader, [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise RegisterError(f"{path.name}, row 1: missing column(s) {', '.join(missing)}")
    unknown = [column for column in header if column and column not in REGISTER_COLUMNS]
    if unknown:
        raise RegisterError(f"{path.name}, row 1: unknown column(s) {', '.join(unknown)}")
    schools: list[RegisterSchool] = []
    seen: set[str] = set()
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        schools.append(_school(path.name, number, row))
        if schools[-1].urn in seen:
            raise RegisterError(f"{path.name}, row {number}, column urn: URN repeats")
        seen.add(schools[-1].urn)
    return schools


def _school(file_name: str, number: int, row: dict[str, str]) -> RegisterSchool:
    def place(column: str) -> str:
        return f"{file_name}, row {number}, column {column}"

    try:
        urn = read_urn(row.get("urn", ""))
    except ValueProblem as problem:
        raise RegisterError(f"{place('urn')}: {problem.message}") from None
    phase = row.get("phase", "").lower().replace("-", "_").replace(" ", "_")
    if phase not in PHASES:
        raise RegisterError(f"{place('phase')}: '{row.get('phase')}' is not one of {PHASES}")
    dates: dict[str, date | None] = {}
    for column in ("opened", "closed"):
        value = row.get(column, "")
        try:
            dates[column] = read_date(value) if value else None
        except ValueProblem as problem:
            raise RegisterError(f"{place(column)}: {problem.message}") from None
    return RegisterSchool(
        urn, row["school_name"], phase, row["locality"], dates["opened"], dates["closed"]
    )


def read_register_urns(path: Path) -> set[str]:
    return {school.urn for school in read_register(path)}
