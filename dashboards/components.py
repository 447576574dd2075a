"""Shared pieces of the dashboard: status badges that never rely on colour alone,
accessible tables, and the registry that lets every table be downloaded as shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboards import data
from sendwatch.access import roles

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
# name -> what a viewer must be able to open (names in roles.PAGES or roles.ROUTES) to
# download the table: first the page it belongs to (whoever may not open the page may
# not download its tables either), then any route its rows also fall under
TABLE_ACCESS: dict[str, tuple[str, ...]] = {}


def exportable(
    name: str, page: str | None = None, also: tuple[str, ...] = ()
) -> Callable[[TableBuilder], TableBuilder]:
    """Register a page's table builder so /export/table/<name> serves the same rows.

    The table belongs to ``page``, by default the page module that defines the builder
    (``pages.school`` or ``dashboards.pages.school``: ``school``); ``also`` names the
    routes (roles.ROUTES) its rows need besides, e.g. ``submissions_export``.
    """

    def register(builder: TableBuilder) -> TableBuilder:
        EXPORTABLE_TABLES[name] = builder
        TABLE_ACCESS[name] = (page or builder.__module__.rsplit(".", 1)[-1], *also)
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


def disclosure_note(viewer: data.Viewer) -> html.Aside | None:
    """What the symbols in figures mean, on every page for a viewer who sees small
    numbers withheld (as docs/duties-v1.md says them)."""
    from sendwatch.contract.duties import measuring_vars

    if not roles.suppressed(viewer):
        return None
    smallest_shown = measuring_vars()["disclosure_counts_below"]  # dbt_project.yml
    return html.Aside(
        [
            html.H2("About the figures", id="disclosure-heading"),
            html.P(
                "To protect individual children, figures are shown as the Department for "
                "Education publishes statistics:"
            ),
            html.Ul(
                [
                    html.Li(
                        f"c: withheld: a count from 1 to {smallest_shown - 1}, or a figure "
                        "that would give one back (its share, or the rest of its total)."
                    ),
                    html.Li("low: a share that rounds to 0."),
                    html.Li("x: not available (no valid return for the term)."),
                    html.Li("z: not applicable (nothing to judge)."),
                ]
            ),
        ],
        className="disclosure-note",
        id="disclosure-note",
        **{"aria-labelledby": "disclosure-heading"},
    )
