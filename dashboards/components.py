"""Shared pieces of the dashboard: status badges that never rely on colour alone,
accessible tables, and the registry that lets every table be downloaded as shown.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboards import data
from sendwatch.exports import neutralise

# whether a term's return came, for the data page
RETURN_LABELS = {
    "on_time": ("✔", "On time"),
    "late": ("▲", "Late"),
    "missing": ("✖", "Missing"),
    "not_yet_due": ("○", "Not yet due"),
}


def status_labels() -> dict[str, tuple[str, str]]:
    """Every status a check or return can have -> (symbol, words), most severe first.

    Check statuses come from the published snapshot (the status seed): defined once.
    """
    checks = {s: (w.symbol, w.label) for s, w in data.statuses(data.LA_OFFICER).items()}
    return checks | RETURN_LABELS


def status_text(status: str | None) -> str:
    symbol, label = status_labels().get(status or "", ("?", status or "unknown"))
    return f"{symbol} {label}"


def badge(status: str) -> html.Span:
    return html.Span(status_text(status), className=f"status status-{status}")


@dataclass(frozen=True)
class Table:
    """A table as a page shows it: its rows, a caption, and its columns with headings."""

    frame: pd.DataFrame
    caption: str
    columns: dict[str, str]
    badges: tuple[str, ...] = ()  # more columns of statuses, besides status and *_status
    links: dict[str, str] | None = None  # shown column -> the column holding its link

    def shows_status(self, key: str) -> bool:
        return key in self.badges or key == "status" or key.endswith("_status")

    def as_shown(self) -> pd.DataFrame:
        """The shown columns, in order, under their headings: what an export holds."""
        return self.frame.reindex(columns=list(self.columns)).rename(columns=self.columns)


# name -> builder(viewer, query) -> Table | None (None: nothing to show, a 404); the
# query is the page's own query string, untrusted: builders pass it on as parameters
# to the data layer, never into SQL text
TableBuilder = Callable[..., "Table | None"]
EXPORTABLE_TABLES: dict[str, TableBuilder] = {}


def exportable(name: str) -> Callable[[TableBuilder], TableBuilder]:
    """Register a page's table builder so /export/table/<name> serves the same rows."""

    def register(builder: TableBuilder) -> TableBuilder:
        EXPORTABLE_TABLES[name] = builder
        return builder

    return register


def export_address(name: str, file_format: str, **query: str) -> str:
    kept = urlencode({key: value for key, value in query.items() if value})
    return f"/export/table/{name}.{file_format}" + (f"?{kept}" if kept else "")


def table(shown: Table, export: str | None = None, **query: str) -> html.Div:
    """An accessible HTML table (caption, scoped headers) and, if named, its downloads."""
    header = html.Thead(html.Tr([html.Th(label, scope="col") for label in shown.columns.values()]))
    rows = []
    for record in shown.frame.to_dict("records"):
        cells = []
        for key in shown.columns:
            value = record.get(key)
            if shown.shows_status(key):
                cells.append(html.Td(badge(value) if value else ""))
            elif shown.links and key in shown.links:
                cells.append(html.Td(html.A(str(value), href=record[shown.links[key]])))
            else:
                cells.append(html.Td("" if value is None or value != value else str(value)))
        rows.append(html.Tr(cells))
    parts: list = [
        html.Table([html.Caption(shown.caption), header, html.Tbody(rows)], className="govuk-table")
    ]
    if export:
        parts.append(
            html.P(
                [
                    html.A(
                        f"Download {shown.caption[0].lower()}{shown.caption[1:]} ({label})",
                        href=export_address(export, file_format, **query),
                        className="download",
                    )
                    for file_format, label in (("csv", "CSV"), ("xlsx", "XLSX"))
                ],
                className="actions no-print",
            )
        )
    return html.Div(parts, className="table-block")


def notice(text: str) -> dbc.Alert:
    """A message the page must not let anyone miss (Bootstrap renders it with role=alert)."""
    return dbc.Alert(text, color="warning", class_name="notice", fade=False)


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
