"""One school: every check with its evidence, each check's trend, its returns."""

from __future__ import annotations

import dash
from dash import html

from dashboards import data
from dashboards.components import table

dash.register_page(
    __name__, path_template="/school/<urn>", title="School - sendwatch", name="School"
)


def layout(urn: str | None = None, **_query: str) -> html.Div:
    viewer = data.LA_OFFICER
    school = data.school(viewer, urn or "")
    if school is None:
        return html.Div([html.H1("School not found"), html.P(f"No school with URN {urn}.")])
    checks = data.school_checks(viewer, urn)
    latest = checks[checks["census_date"] == checks["census_date"].max()]
    trend = checks.pivot_table(
        index="check_id",
        columns=["academic_year", "term"],
        values="status",
        aggfunc="first",
        sort=False,
    )
    trend.columns = [f"{term} {year}" for year, term in trend.columns]
    trend = trend.reset_index()
    submissions = data.school_submissions(viewer, urn)
    term_label = (
        f"{latest['term'].iloc[0]} {latest['academic_year'].iloc[0]}" if len(latest) else ""
    )
    return html.Div(
        [
            html.H1(f"{school['school_name']} ({urn})"),
            html.P(f"{school['phase'].replace('_', ' ').title()}, {school['locality']}."),
            html.Button(
                "Print a visit brief",
                id="print-brief",
                className="button no-print",
                **{"data-print": "true"},
            ),
            html.H2(f"Every check, {term_label}"),
            table(
                latest,
                f"Checks for {school['school_name']}, {term_label}",
                {
                    "title": "Check",
                    "strength": "Strength",
                    "paragraph": "Code paragraph",
                    "status": "Status",
                    "evidence": "Evidence",
                    "amber_at": "Amber at",
                    "red_at": "Red at",
                },
            ),
            html.H2("Each check across terms"),
            table(
                trend.rename(columns={"check_id": "check"}),
                "Status of each check in each term (newest first)",
                {"check": "Check", **{c: c for c in trend.columns if c != "check_id"}},
            ),
            html.H2("Returns received"),
            table(
                submissions,
                "Files received from the school, newest first",
                {
                    "file_name": "File",
                    "academic_year": "Year",
                    "term": "Term",
                    "received_at": "Received",
                    "outcome": "Outcome",
                    "in_force": "In force",
                    "first_error": "Why it was rejected",
                },
            ),
        ]
    )


dash.clientside_callback(
    "function(n) { if (n) { window.print(); } return ''; }",
    dash.Output("print-brief", "title"),
    dash.Input("print-brief", "n_clicks"),
    prevent_initial_call=True,
)
