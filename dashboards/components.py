"""Shared pieces of the dashboard: status badges that never rely on colour alone,
accessible tables, and the registry that lets every table be downloaded as shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboards import data
from dashboards.filters import address
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
    links = shown.links or {}
    needed = list(dict.fromkeys([*shown.columns, *links.values()]))
    rows = [
        html.Tr([_cell(shown, key, record, links) for key in shown.columns])
        for record in shown.frame.reindex(columns=needed).to_dict("records")
    ]
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


def _cell(shown: Table, key: str, record: dict, links: dict[str, str]) -> html.Td:
    value = record[key]
    if value is None or value != value or value == "":  # missing: None, NaN, or nothing
        return html.Td("")
    if shown.shows_status(key):
        return html.Td(badge(value))
    if key in links:
        return html.Td(html.A(str(value), href=record[links[key]]))
    return html.Td(str(value))


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


def choice(
    legend: str, key: str, options: list[tuple[str, str]], query: dict[str, str], path: str = "/"
) -> html.Nav:
    """One filter as a list of links; the chosen one is marked for screen readers too."""
    chosen = query.get(key, "")
    items = []
    for value, label in options:
        current = value == chosen
        link = html.A(
            label,
            href=address(query, path, **{key: value or None}),
            **({"aria-current": "true", "className": "chosen"} if current else {}),
        )
        items.append(html.Li(link))
    return html.Nav([html.H3(legend), html.Ul(items)], className="filter", **{"aria-label": legend})


def term_choice(viewer: data.Viewer, query: dict[str, str], path: str) -> html.Nav:
    """The collected terms as links, newest first (the chosen one marked)."""
    terms = [
        (f"{t.academic_year}|{t.term}", f"{t.term.title()} {t.academic_year}")
        for t in data.terms(viewer).itertuples()
    ]
    return choice("Term", "term", terms, query, path)


# every chart's frame: the GOV.UK type and colours, room for the axis titles
CHART_LAYOUT = {
    "height": 360,
    "margin": {"l": 60, "r": 10, "t": 10, "b": 50},
    "font": {"family": "Arial, sans-serif", "size": 14, "color": "#0b0c0c"},
    "plot_bgcolor": "#ffffff",
    "legend": {"traceorder": "normal"},
    # room for long or slanted tick labels and axis titles, rather than cutting them off
    "xaxis": {"automargin": True},
    "yaxis": {"automargin": True},
}
# series told apart without colour: each has its own marker, line dash and bar fill
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
PATTERNS = ("", "/", "x", ".", "\\", "+", "-", "|", "/.", "x.")  # see fill_pattern
# colours that keep 3:1 contrast against white (WCAG 1.4.11), for lines and fills
COLOURS = (
    "#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#b58840", "#912b88", "#28a197", "#505a5f",
    "#f47738", "#003078",
)  # fmt: skip


def fill_pattern(index: int) -> dict[str, str | float]:
    """The index-th series' bar fill: ten told apart without colour. Plotly has eight
    pattern shapes; the last two are the first two drawn sparse ('/.': '/' at low density)."""
    shape = PATTERNS[index % len(PATTERNS)]
    if shape.endswith(".") and len(shape) == 2:
        return {"shape": shape[0], "solidity": 0.1, "size": 12}
    return {"shape": shape}


# a chart's figure as plain data, the form dcc.Graph sends to the browser: {"data": a
# list of traces, "layout": ...}. Plotly's graph objects check every property in Python
# as they are built, which cost a page more than all its queries.
Figure = dict[str, Any]


def figure(traces: list[dict[str, Any]], **layout: Any) -> Figure:
    """A figure from its traces (each a dict with its "type") and layout."""
    return {"data": traces, "layout": layout}


def points(values: pd.Series) -> list[Any]:
    """A column as a trace's values, a missing one as None: a NaN would make Plotly's
    JSON encoder parse and write the whole page again to replace it."""
    return values.astype(object).where(values.notna(), None).tolist()


def axis(title: str, **more: Any) -> dict[str, Any]:
    """An axis with a title (plotly.js 3 takes a title as {"text": ...} only)."""
    return {"title": {"text": title}, **more}


def chart(chart_id: str, shown: Figure, caption: str) -> html.Figure:
    """A chart as a static picture with a sentence saying what it shows; the same
    figures are always in a table beside it (the caption says so)."""
    layout = {**CHART_LAYOUT, **shown["layout"]}
    for key, common in CHART_LAYOUT.items():  # a page's margin or legend adds to the common
        if isinstance(common, dict):
            layout[key] = {**common, **shown["layout"].get(key, {})}
    return html.Figure(
        [
            dcc.Graph(
                id=chart_id,
                figure={"data": shown["data"], "layout": layout},
                config={"staticPlot": True, "displayModeBar": False},
            ),
            html.Figcaption(caption),
        ],
        className="chart",
    )


# where a school falls on the SENDIASS funnel plot, in words, and its marker's shape
FUNNEL_WORDS = {
    "above_998": ("Above the 99.8% limit", "x"),
    "above_95": ("Above the 95% limit", "triangle-up"),
    "within": ("Within the limits", "circle-open"),
    "below_95": ("Below the 95% limit", "triangle-down"),
    "below_998": ("Below the 99.8% limit", "square"),
    "not_applicable": ("No rate: no count of pupils on SEN support", ""),
}


def sen2_table(figures: pd.DataFrame) -> Table:
    """The DfE SEN2 figures a measure and year a row, an area a column, in words; a
    year a publication has no figure for says so."""
    wide = figures.pivot_table(
        index=["measure_label", "figure_year"], columns="area", values="measured_value",
        aggfunc="first",
    ).reset_index()  # fmt: skip
    wide.columns.name = None
    areas = [area for area in wide.columns if area not in ("measure_label", "figure_year")]
    wide = wide.astype(object).where(wide.notna(), "not published")
    wide.attrs["sources"] = list(figures["source_publication"].unique())
    return Table(
        wide,
        "EHC needs assessment requests, refusals, timeliness and plans (DfE SEN2), by year",
        {"measure_label": "Measure", "figure_year": "Year", **{a: a for a in areas}},
    )
