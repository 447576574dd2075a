"""Overview: for a term, which schools may not be meeting which duties."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, dcc, html

from dashboards import data
from dashboards.components import STATUS_LABELS, download, status_text

dash.register_page(__name__, path="/", title="Overview - sendwatch", name="Overview")

ALL = "__all__"


def _term_options(viewer: data.Viewer) -> list[dict[str, str]]:
    return [
        {
            "label": f"{row.term.title()} {row.academic_year}",
            "value": f"{row.academic_year}|{row.term}",
        }
        for row in data.terms(viewer).itertuples()
    ]


def _select(label: str, control_id: str, options: list, value: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=control_id),
            dcc.Dropdown(id=control_id, options=options, value=value, clearable=False),
        ],
        className="filter",
    )


def layout(**_query: str) -> html.Div:
    viewer = data.LA_OFFICER
    if not data.has_snapshot(viewer):
        return html.Div(
            [html.H1("Overview"), html.P("Nothing is published yet: run sendwatch refresh.")]
        )
    term_options = _term_options(viewer)
    choices = data.filter_options(viewer)

    def with_all(values: list[str], everything: str) -> list[dict[str, str]]:
        return [{"label": everything, "value": ALL}] + [{"label": v, "value": v} for v in values]

    return html.Div(
        [
            html.H1("Which schools, which duties"),
            html.P(
                "Each cell is one check of the term's return: a symbol and words as well as "
                "colour. Worst first. Select a school's name for its evidence."
            ),
            html.Div(
                [
                    _select("Term", "overview-term", term_options, term_options[0]["value"]),
                    _select(
                        "Phase", "overview-phase", with_all(choices["phase"], "All phases"), ALL
                    ),
                    _select(
                        "Locality",
                        "overview-locality",
                        with_all(choices["locality"], "All localities"),
                        ALL,
                    ),
                    _select(
                        "Strength",
                        "overview-strength",
                        with_all(["must", "should", "signal"], "All strengths"),
                        ALL,
                    ),
                    html.Div(
                        [
                            html.Label("Search by school or URN", htmlFor="overview-search"),
                            dcc.Input(id="overview-search", type="search", debounce=True),
                        ],
                        className="filter",
                    ),
                ],
                className="filters",
                role="search",
            ),
            html.Div(id="overview-headline", className="headline", **{"aria-live": "polite"}),
            html.H2("Schools and checks"),
            html.Div(
                [
                    html.Button("Download CSV", id="overview-csv", className="button"),
                    html.Button("Download XLSX", id="overview-xlsx", className="button"),
                    dcc.Download(id="overview-download"),
                ],
                className="actions",
            ),
            html.Div(id="overview-grid"),
            html.Details(
                [html.Summary("Key to the symbols")]
                + [html.P(status_text(s)) for s in STATUS_LABELS],
                className="key",
            ),
        ]
    )


def filters_from(
    term: str, phase: str, locality: str, strength: str, search: str | None
) -> data.Filters:
    academic_year, term_name = term.split("|")
    return data.Filters(
        academic_year=academic_year,
        term=term_name,
        phase=None if phase == ALL else phase,
        locality=None if locality == ALL else locality,
        strength=None if strength == ALL else strength,
        search=search or None,
    )


FILTER_INPUTS = [
    Input("overview-term", "value"),
    Input("overview-phase", "value"),
    Input("overview-locality", "value"),
    Input("overview-strength", "value"),
    Input("overview-search", "value"),
]


@callback(Output("overview-headline", "children"), Input("overview-term", "value"))
def show_headline(term: str) -> list:
    academic_year, term_name = term.split("|")
    numbers = data.headline(data.LA_OFFICER, academic_year, term_name)
    share = numbers["sen_support_share"]
    cards = [
        ("Schools", numbers["schools"]),
        ("Returns received", numbers["returns_received"]),
        ("Schools with a red must-duty", numbers["schools_with_red_must"]),
        (
            "Pupils on SEN support",
            "n/a"
            if share is None or numbers["national_share"] is None
            else f"{share:.1%} (national {numbers['national_share']:.1%})",
        ),
    ]
    return [
        html.Div(
            [html.P(label, className="card-label"), html.P(str(value), className="card-value")],
            className="card",
        )
        for label, value in cards
    ]


def grid_rows(filters: data.Filters) -> tuple[list[dict], list[str]]:
    grid = data.school_grid(data.LA_OFFICER, filters)
    checks = [
        c
        for c in grid.columns
        if c not in ("urn", "school_name", "phase", "locality", "worst", "red_count")
    ]
    rows = []
    for record in grid.to_dict("records"):
        row = {
            "school": f"[{record['school_name']}](/school/{record['urn']})",
            "urn": record["urn"],
        }
        row.update({check: status_text(record.get(check)) for check in checks})
        rows.append(row)
    return rows, checks


@callback(Output("overview-grid", "children"), *FILTER_INPUTS)
def show_grid(
    term: str, phase: str, locality: str, strength: str, search: str | None
) -> dag.AgGrid:
    rows, checks = grid_rows(filters_from(term, phase, locality, strength, search))
    rules = {
        f"status-{s}": f"params.value && params.value.startsWith('{sym}')"
        for s, (sym, _) in STATUS_LABELS.items()
    }
    columns = [
        {"field": "school", "headerName": "School", "cellRenderer": "markdown", "pinned": "left"},
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
        dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True},
        style={"width": "100%"},
    )


@callback(
    Output("overview-download", "data"),
    Input("overview-csv", "n_clicks"),
    Input("overview-xlsx", "n_clicks"),
    *[State(i.component_id, i.component_property) for i in FILTER_INPUTS],
    prevent_initial_call=True,
)
def export_table(
    _csv: int | None,
    _xlsx: int | None,
    term: str,
    phase: str,
    locality: str,
    strength: str,
    search: str | None,
) -> dict:
    filters = filters_from(term, phase, locality, strength, search)
    frame = data.duty_checks(data.LA_OFFICER, filters)[
        [
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
        ]
    ]
    file_format = "xlsx" if dash.ctx.triggered_id == "overview-xlsx" else "csv"
    return download(frame, file_format, f"sendwatch-duties-{filters.academic_year}-{filters.term}")
