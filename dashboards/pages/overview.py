"""Overview: for a term, which schools may not be meeting which duties.

The first screen is what was found: the schools with a red or amber must or should
duty, worst first (the nightly build's ranking), each with those duties named.
Signals sit apart; the full grid of every check follows, the school column pinned.
Filters are links and a search form (the GOV.UK pattern): every view has its own
address, works from the keyboard and with a screen reader, and is filtered on
the server. Exports are links to the same view as CSV or XLSX.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import flask
from dash import dcc, html

from dashboards import data
from dashboards.components import badge, choice, notice, status_labels, status_text
from dashboards.filters import FILTER_KEYS, address, filters_from, school_address

dash.register_page(__name__, path="/", title="Overview - sendwatch", name="Overview")

NOT_CHECKS = ("urn", "school_name", "phase", "locality", "overall_status", "attention_rank")
FOUND_SHOWN = 100  # schools listed on the first screen; the grid below has them all


def _search(query: dict[str, str]) -> html.Form:
    hidden = [
        dcc.Input(type="hidden", name=key, value=query[key])
        for key in FILTER_KEYS
        if key != "search" and query.get(key)
    ]
    return html.Form(
        [
            html.Label("Search by school or URN", htmlFor="overview-search"),
            dcc.Input(
                id="overview-search", name="search", type="search", value=query.get("search", "")
            ),
            *hidden,
            html.Button("Search", type="submit", className="button"),
        ],
        method="get",
        action="/",
        role="search",
        className="filter",
    )


def layout(**query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    if not data.has_snapshot(viewer):
        return html.Div(
            [html.H1("Overview"), notice("Nothing is published yet: run sendwatch refresh.")]
        )
    filters = filters_from(query, viewer)
    query = {**query, "term": f"{filters.academic_year}|{filters.term}"}
    choices = data.filter_options(viewer)
    terms = [
        (f"{t.academic_year}|{t.term}", f"{t.term.title()} {t.academic_year}")
        for t in data.terms(viewer).itertuples()
    ]
    rows, checks = grid_rows(viewer, filters)
    flagged = data.flagged_duties(viewer, filters)
    return html.Div(
        [
            html.H1("Which schools, which duties"),
            html.Div(
                [
                    html.Div(
                        [
                            choice("Term", "term", terms, query),
                            choice(
                                "Phase",
                                "phase",
                                [("", "All phases")]
                                + [(p, p.replace("_", " ")) for p in choices["phase"]],
                                query,
                            ),
                            choice(
                                "Locality",
                                "locality",
                                [("", "All localities")] + [(p, p) for p in choices["locality"]],
                                query,
                            ),
                            _search(query),
                        ],
                        className="filters-column",
                    ),
                    html.Div(
                        [
                            html.Div(headline_cards(viewer, filters), className="headline"),
                            *found_section(flagged, filters),
                        ],
                        className="found-column",
                    ),
                ],
                className="overview-layout",
            ),
            *signals_section(viewer, filters),
            html.H2(f"Every school and check: {len(rows)} schools", id="grid-heading"),
            html.P(
                "Each cell is one check of the term's return, shown with a symbol and words as "
                "well as colour, worst school first. Select a school's name for its evidence."
            ),
            html.Div(
                choice(
                    "Strength",
                    "strength",
                    [
                        ("", "All strengths"),
                        ("must", "Must"),
                        ("should", "Should"),
                        ("signal", "Signal"),
                    ],
                    query,
                ),
                className="filters",
            ),
            html.P(
                [
                    html.A(
                        "Download this table (CSV)",
                        href=address(query, "/export/duties.csv"),
                        className="button",
                        id="export-csv",
                    ),
                    html.A(
                        "Download this table (XLSX)",
                        href=address(query, "/export/duties.xlsx"),
                        className="button",
                        id="export-xlsx",
                    ),
                ],
                className="actions",
            ),
            grid(rows, checks),
            html.Details(
                [html.Summary("Key to the symbols")]
                + [html.P(status_text(s)) for s in data.statuses(viewer)],
                className="key",
            ),
            html.H2("Each check across all schools"),
            html.Ul(
                [
                    html.Li(html.A(check.title, href=f"/check/{check.check_id}"))
                    for check in data.catalogue(viewer).itertuples()
                ],
                className="check-list",
            ),
        ]
    )


def found_section(flagged, filters: data.Filters) -> list:
    """The schools with a red or amber must or should duty, worst first, duties named."""
    schools = list(flagged.groupby("attention_rank", sort=True))
    red = flagged.loc[flagged["status"] == "red", "urn"].nunique()
    heading = html.H2(
        f"Schools where a duty may not be met: {len(schools)} "
        f"({red} with a red duty), {filters.term} {filters.academic_year}",
        id="found-heading",
    )
    if not schools:
        return [heading, html.P("No school has a red or amber must or should duty.")]
    items = [found_item(rows, filters) for _, rows in schools[:FOUND_SHOWN]]
    more = len(schools) - FOUND_SHOWN
    return [
        heading,
        html.Ol(items, className="found-list", id="found-list"),
        *([html.P(f"And {more} more: every school is in the grid below.")] if more > 0 else []),
    ]


def found_item(rows, filters: data.Filters) -> html.Li:
    first = rows.iloc[0]
    duties = [
        html.Li(f"{status_labels()[duty.status][0]} {duty.title} ({duty.strength}, {duty.status})")
        for duty in rows.itertuples()
    ]
    return html.Li(
        [
            html.A(first["school_name"], href=school_address(first["urn"], filters)),
            " ",
            badge(first["overall_status"]),
            html.Ul(duties, className="found-duties"),
        ],
        **{"data-urn": first["urn"]},
    )


def signals_section(viewer: data.Viewer, filters: data.Filters) -> list:
    """Signals are not duties: patterns worth a conversation, listed apart."""
    schools = data.school_statuses(viewer, filters)
    raised = schools[schools["signals_raised"] > 0]
    if raised.empty:
        return []
    return [
        html.H2(f"Signals worth a conversation (not duties): {len(raised)} schools"),
        html.Ul(
            [
                html.Li(
                    [
                        html.A(row.school_name, href=school_address(row.urn, filters)),
                        f": {row.signals_flagged}",
                    ]
                )
                for row in raised.itertuples()
            ],
            className="signal-list",
            id="signal-list",
        ),
    ]


def headline_cards(viewer: data.Viewer, filters: data.Filters) -> list[html.Div]:
    """The term's figures for the schools the filters leave (a figure withheld from the
    viewer arrives as its symbol, e.g. "c", and is shown as it is)."""
    numbers = data.headline(viewer, filters)
    share, national = numbers["sen_support_share"], numbers["national_share"]
    shown_share = share if isinstance(share, str | None) else f"{share:.1%}"
    cards = [
        ("Schools", numbers["schools"]),
        ("Returns received", numbers["returns_received"]),
        ("Schools with a red must-duty", numbers["schools_with_red_must"]),
        (
            "Pupils on SEN support",
            "n/a"
            if share is None or national is None
            else f"{shown_share} (national {national:.1%})",
        ),
    ]
    return [
        html.Div(
            [html.P(label, className="card-label"), html.P(str(value), className="card-value")],
            className="card",
            id=f"headline-{index}",
        )
        for index, (label, value) in enumerate(cards)
    ]


def grid_rows(viewer: data.Viewer, filters: data.Filters) -> tuple[list[dict], list[str]]:
    """One row per school: a link to the school, and each check's status in words."""
    table = data.school_grid(viewer, filters)
    checks = [c for c in table.columns if c not in NOT_CHECKS]
    rows = []
    for record in table.to_dict("records"):
        row = {
            "school": f"[{record['school_name']}]({school_address(record['urn'], filters)})",
            "urn": record["urn"],
        }
        row.update({check: status_text(record.get(check)) for check in checks})
        rows.append(row)
    return rows, checks


def grid(rows: list[dict], checks: list[str]) -> dag.AgGrid:
    rules = {
        f"status-{s}": f"params.value && params.value.startsWith('{symbol}')"
        for s, (symbol, _) in status_labels().items()
    }
    columns = [
        {
            "field": "school",
            "headerName": "School",
            "cellRenderer": "markdown",
            "pinned": "left",
            "width": 280,
        },
        {"field": "urn", "headerName": "URN", "width": 100},
    ] + [
        {
            "field": check,
            "headerName": check.replace("_", " "),
            "cellClassRules": rules,
            "width": 150,
        }
        for check in checks
    ]
    return dag.AgGrid(
        id="overview-table",
        rowData=rows,
        columnDefs=columns,
        # every row and column in the DOM, in order: screen readers and the browser's
        # find see the whole table, not just what is scrolled into view
        dashGridOptions={
            "domLayout": "autoHeight",
            "ensureDomOrder": True,
            "suppressColumnVirtualisation": True,
            # a page of schools at a time: the rows are all in the DOM (above), so
            # an England-sized register must not be
            "pagination": True,
            "paginationPageSize": 100,
            "paginationPageSizeSelector": False,
        },
        eventListeners={"cellKeyDown": ["followLinkOnEnter(params)"]},
        style={"width": "100%"},
    )
