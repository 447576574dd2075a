"""One check across all schools: distribution by term, and who is red."""

from __future__ import annotations

import dash
from dash import html

from dashboards import data
from dashboards.components import table

dash.register_page(
    __name__, path_template="/check/<check_id>", title="Check - sendwatch", name="Check"
)


def layout(check_id: str | None = None, **_query: str) -> html.Div:
    viewer = data.LA_OFFICER
    catalogue = data.catalogue(viewer).set_index("check_id")
    if check_id not in catalogue.index:
        return html.Div([html.H1("Check not found"), html.P(f"No check called {check_id}.")])
    about = catalogue.loc[check_id]
    results = data.check_results(viewer, check_id, data.Filters())
    distribution = results.pivot_table(
        index=["academic_year", "term"],
        columns="status",
        values="urn",
        aggfunc="count",
        fill_value=0,
    ).reset_index()
    distribution.columns.name = None
    latest = results[results["academic_year"] == results["academic_year"].max()]
    red = latest[latest["status"] == "red"]
    return html.Div(
        [
            html.H1(about["title"]),
            html.P(f"Paragraph {about['paragraph']}. Strength: {about['strength']}."),
            html.H2("Schools by status, term by term"),
            table(
                distribution,
                f"Schools by status for {check_id}",
                {c: c.replace("_", " ") for c in distribution.columns},
            ),
            html.H2("Schools at red in the latest year"),
            table(
                red,
                f"Schools at red for {check_id}",
                {
                    "school_name": "School",
                    "term": "Term",
                    "status": "Status",
                    "evidence": "Evidence",
                },
            ),
        ]
    )
