"""One check across all schools: the distribution term by term, who is red, the trend."""

from __future__ import annotations

import dash
import flask
import pandas as pd
from dash import html

from dashboards import data
from dashboards.components import Figure, Table, axis, chart, exportable, figure, points, table
from dashboards.filters import filters_from, school_address

dash.register_page(
    __name__, path_template="/check/<check_id>", title="Check - sendwatch", name="Check"
)


def layout(check_id: str | None = None, **query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    catalogue = data.catalogue(viewer).set_index("check_id")
    if check_id not in catalogue.index:
        return html.Div([html.H1("Check not found"), html.P(f"No check called {check_id}.")])
    about = catalogue.loc[check_id]
    query = {"check_id": check_id, "term": query.get("term", "")}
    distribution = distribution_table(viewer, query)
    return html.Div(
        [
            html.H1(about["title"]),
            html.P(f"Code paragraph {about['paragraph']}. Strength: {about['strength']}."),
            html.H2("Schools by status, term by term"),
            chart(
                "check-trend",
                trend_chart(distribution.frame),
                "Number of schools at each status in each term. "
                "The table below gives the same numbers.",
            ),
            table(distribution, export="check-distribution", **query),
            html.H2("Schools at red"),
            table(red_table(viewer, query), export="check-red", **query),
        ]
    )


@exportable("check-distribution")
def distribution_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    check_id = query.get("check_id", "")
    results = data.check_results(viewer, check_id, data.Filters())
    if results.empty:
        return None
    counts = (
        results.pivot_table(
            index=["term_order", "term_name"],
            columns="status",
            values="urn",
            aggfunc="count",
            fill_value=0,
        )
        .reset_index()
        .sort_values("term_order")
    )
    statuses = [s for s in data.statuses(viewer) if s in counts.columns]
    return Table(
        counts,
        f"Schools by status for {check_id}, term by term",
        {"term_name": "Term", **{s: data.statuses(viewer)[s].label for s in statuses}},
    )


@exportable("check-red")
def red_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    check_id = query.get("check_id", "")
    filters = filters_from(query, viewer)
    results = data.check_results(viewer, check_id, filters)
    red = results[results["status"] == "red"]
    return Table(
        red.assign(page=[school_address(urn, filters) for urn in red["urn"]]),
        f"Schools at red for {check_id}, {filters.term} {filters.academic_year}",
        {
            "school_name": "School",
            "urn": "URN",
            "status": "Status",
            "evidence": "Evidence",
        },
        links={"school_name": "page"},
    )


def trend_chart(counts: pd.DataFrame) -> Figure:
    """Stacked bars, most severe status at the bottom; colour only adds to the legend's
    words: each status also has its own fill pattern (both from the status seed)."""
    bars = [
        {
            "type": "bar",
            "name": words.label,
            "x": points(counts["term_name"]),
            "y": points(counts[status]),
            "marker": {"color": words.colour, "pattern": {"shape": words.pattern}},
        }
        for status, words in data.statuses(data.LA_OFFICER).items()
        if status in counts.columns
    ]
    return figure(bars, barmode="stack", yaxis=axis("Schools"))
