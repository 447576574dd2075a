"""LA context: the real DfE SEN2 figures for the LA against England."""

from __future__ import annotations

import dash
import flask
from dash import html

from dashboards import data
from dashboards.components import Table, exportable, sen2_table, table

dash.register_page(__name__, path="/context", title="LA context - sendwatch", name="LA context")


def layout(**_query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    figures = context_table(viewer, {})
    sources = figures.frame.attrs.get("sources", [])
    return html.Div(
        [
            html.H1("LA context"),
            html.P(
                "Real figures from the Department for Education's SEN2 collection "
                "(Education, health and care plans, 2025). The sample LA's figures are "
                "Bournemouth, Christchurch and Poole's."
            ),
            table(figures, export="context-sen2"),
            html.P(f"Source: {sources[0]}." if sources else ""),
        ]
    )


@exportable("context-sen2")
def context_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return sen2_table(data.la_context(viewer))
