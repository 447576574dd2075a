"""Exports from the published snapshot, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from pathlib import Path

from sendwatch.pipeline.publish import open_snapshot
from sendwatch.settings import Settings

SUBMISSION_COLUMNS = (
    "file_name",
    "sha256",
    "urn",
    "academic_year",
    "term",
    "received_at",
    "outcome",
    "in_force",
    "first_error",
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
