"""Shared pieces of the dashboard: status badges that never rely on colour alone."""

from __future__ import annotations

import io

import pandas as pd
from dash import html

from sendwatch.exports import neutralise

STATUS_LABELS = {
    "red": ("✖", "Red: may not be met"),
    "amber": ("▲", "Amber: may not be fully met"),
    "green": ("✔", "Green"),
    "no_return": ("○", "No return"),
    "low_numbers": ("#", "Low numbers"),
    "not_applicable": ("\u2013", "Not applicable"),  # an en dash
}


def status_text(status: str | None) -> str:
    symbol, label = STATUS_LABELS.get(status or "", ("?", status or "unknown"))
    return f"{symbol} {label}"


def badge(status: str) -> html.Span:
    return html.Span(status_text(status), className=f"status status-{status}")


def table(frame: pd.DataFrame, caption: str, columns: dict[str, str]) -> html.Table:
    """An accessible HTML table: a caption and scoped column headers."""
    header = html.Thead(html.Tr([html.Th(label, scope="col") for label in columns.values()]))
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for key in columns:
            value = record.get(key)
            if key == "status" or key.endswith("_status"):
                cells.append(html.Td(badge(value) if value else ""))
            else:
                cells.append(html.Td("" if value is None or value != value else str(value)))
        rows.append(html.Tr(cells))
    return html.Table([html.Caption(caption), header, html.Tbody(rows)], className="govuk-table")


def table_bytes(frame: pd.DataFrame, file_format: str) -> bytes:
    """A table as shown, as CSV or XLSX bytes, safe to open in a spreadsheet."""
    safe = frame.map(neutralise)
    if file_format == "xlsx":
        buffer = io.BytesIO()
        safe.to_excel(buffer, index=False, sheet_name="sendwatch")
        return buffer.getvalue()
    return safe.to_csv(index=False).encode("utf-8")


EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
