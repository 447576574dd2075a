"""Exports as files: the columns every export holds, and tables written safely for a
spreadsheet. What goes in them comes from the dashboard's data layer, so the command
line and the dashboard's downloads hold exactly the same rows for the same viewer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value: object) -> object:
    """Stop a spreadsheet reading a cell as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table_bytes(frame: pd.DataFrame, file_format: str, sheet: str = "sendwatch") -> bytes:
    """A table as CSV or XLSX bytes, safe to open in a spreadsheet; moments in ISO 8601."""
    import pandas as pd  # here: the command line starts without it

    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_datetime64_any_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: v.isoformat() if pd.notna(v) else None)
    safe = safe.map(neutralise)
    if file_format == "xlsx":
        buffer = io.BytesIO()
        safe.to_excel(buffer, index=False, sheet_name=sheet)
        return buffer.getvalue()
    return safe.to_csv(index=False).encode("utf-8")


def write_table(frame: pd.DataFrame, out: Path, file_format: str, sheet: str) -> int:
    """Write ``frame`` to ``out`` as CSV or XLSX; return the number of rows."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(table_bytes(frame, file_format, sheet))
    return len(frame)
