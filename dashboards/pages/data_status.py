"""Data: the last refresh, returns received, late and missing, what was quarantined."""

from __future__ import annotations

from datetime import UTC, datetime

import dash
from dash import html

from dashboards import data
from dashboards.components import table

dash.register_page(__name__, path="/data", title="Data and refresh - sendwatch", name="Data")


def layout(**_query: str) -> html.Div:
    viewer = data.LA_OFFICER
    if not data.has_snapshot(viewer):
        return html.Div([html.H1("Data and refresh"), html.P("Nothing is published yet.")])
    run = data.refresh_status(viewer)
    latest = data.terms(viewer).iloc[0]
    age = datetime.now(UTC) - run["published_at"].to_pydatetime() if run else None
    returns = data.return_status(viewer, latest["academic_year"], latest["term"])
    return html.Div(
        [
            html.H1("Data and refresh"),
            html.P(
                f"Last successful refresh: {run['published_at']:%d %B %Y %H:%M} UTC "
                f"({age.days} days ago); {run['returns_loaded']} returns loaded, "
                f"{run['returns_rejected']} rejected, {run['files_duplicate']} duplicates."
                if run
                else "No refresh has published yet."
            ),
            html.H2(f"Returns for {latest['term']} {latest['academic_year']}"),
            table(
                returns,
                "Returns received, late and missing by school",
                {
                    "school_name": "School",
                    "urn": "URN",
                    "return_status": "Return",
                    "first_received_at": "First valid return",
                    "deadline": "Deadline",
                },
            ),
            html.H2("Quarantined files"),
            table(
                data.quarantined(viewer),
                "Files rejected, with the first reason",
                {
                    "file_name": "File",
                    "received_at": "Received",
                    "first_error": "Why",
                },
            ),
        ]
    )
