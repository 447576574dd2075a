"""Exports from the published snapshot, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from sendwatch.settings import Settings
from sendwatch.snapshots import open_snapshot

SUBMISSION_COLUMNS = (
    "file_name",
    "sha256",
    "urn",
    "academic_year",
    "term",
    "received_at",
    "receipt",
    "in_force",
    "first_error",
    "landing_path",
    "stored_path",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Stop a spreadsheet reading a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_submissions(settings: Settings, out: Path) -> int:
    """Write one row per file received; return the number of rows."""
    with open_snapshot(settings) as connection:
        rows = connection.execute(
            f"select {', '.join(SUBMISSION_COLUMNS)} from fct_submissions "
            "order by received_at, file_name"
        ).fetchall()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUBMISSION_COLUMNS)
        for row in rows:
            received = row[5].isoformat() if row[5] else ""
            writer.writerow([neutralise(v) for v in (*row[:5], received, *row[6:])])
    return len(rows)


DUTY_COLUMNS = (
    "urn",
    "school_name",
    "academic_year",
    "term",
    "check_id",
    "strength",
    "paragraph",
    "status",
    "value",
    "numerator",
    "denominator",
    "amber_at",
    "red_at",
    "evidence",
)


def duty_rows(settings: Settings, year: str | None, term: str | None) -> list[tuple]:
    """Every check result in the published snapshot, optionally for one year or term."""
    columns = ", ".join(
        f"schools.{c}" if c == "school_name" else f"checks.{c}" for c in DUTY_COLUMNS
    )
    with open_snapshot(settings) as connection:
        return connection.execute(
            f"select {columns} from fct_duty_checks as checks "
            "join dim_school as schools on checks.urn = schools.urn "
            "where (? is null or checks.academic_year = ?) and (? is null or checks.term = ?) "
            "order by checks.urn, checks.academic_year, checks.term, checks.check_id",
            [year, year, term, term],
        ).fetchall()


def write_duties(
    settings: Settings, out: Path, year: str | None, term: str | None, file_format: str
) -> int:
    """Write the duty checks as CSV or XLSX; return the number of rows."""
    rows = [[neutralise(value) for value in row] for row in duty_rows(settings, year, term)]
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("duty_checks")
        sheet.append(list(DUTY_COLUMNS))
        for row in rows:
            sheet.append(row)
        workbook.save(out)
    else:
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(DUTY_COLUMNS)
            writer.writerows(rows)
    return len(rows)
