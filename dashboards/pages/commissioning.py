"""Commissioning: demand for SEN provision from the returns (needs, specialists,
provision beyond what a school funds, EHC requests), beside the DfE's SEN2 figures.

Every figure is built by the nightly build (``fct_need_demand``,
``fct_specialist_demand``, ``fct_high_cost_provision``, ``fct_ehc_requests``,
``fct_la_sen2_figures``); this page lays them out, each chart with its table.
Outside the LA small counts arrive withheld (c) and charts leave them out.
"""

from __future__ import annotations

import dash
import flask
import pandas as pd
from dash import html

from dashboards import data
from dashboards.components import (
    COLOURS,
    DASHES,
    SYMBOLS,
    Figure,
    Table,
    axis,
    chart,
    exportable,
    figure,
    fill_pattern,
    notice,
    points,
    sen2_table,
    table,
    term_choice,
)
from dashboards.filters import filters_from

dash.register_page(
    __name__, path="/commissioning", title="Commissioning - sendwatch", name="Commissioning"
)

TREND_NEEDS = 6  # the needs drawn on the trend chart: the largest; the table has them all
OUTCOMES = ("agreed", "refused", "pending", "withdrawn")  # stacking order on the chart
REQUESTED_BY = {
    "school": "By the school",
    "parent": "By parents",
    "other": "By others",
    "not_recorded": "Not recorded who",
}


def layout(**query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    if not data.has_snapshot(viewer):
        return html.Div(
            [html.H1("Commissioning"), notice("Nothing is published yet: run sendwatch refresh.")]
        )
    filters = filters_from(query, viewer)
    query = {"term": f"{filters.academic_year}|{filters.term}"}
    when = f"{filters.term} {filters.academic_year}"
    trend = trend_table(viewer, query)
    requests = requests_table(viewer, query)
    return html.Div(
        [
            html.H1("Commissioning"),
            html.P(
                "Demand for SEN provision as the schools' returns show it, for planning the "
                "Local Offer: which needs, where, which specialists are called in, provision "
                "beyond what a school is expected to fund, and EHC needs assessment requests."
            ),
            term_choice(viewer, query, "/commissioning"),
            html.H2(f"Pupils by primary need, {when}"),
            table(need_table(viewer, query), export="commissioning-needs", **query),
            html.H2("Pupils on SEN support by need, term by term"),
            chart("commissioning-trend", trend_chart(trend.frame), TREND_CAPTION),
            table(trend, export="commissioning-trend", **query),
            html.H2(f"By locality and phase, {when}"),
            html.P(
                "Pupils on SEN support by primary need in each locality, a table per phase "
                "(pupils with an EHC plan are in the download)."
            ),
            *[
                table(
                    places_table(viewer, query | {"phase": phase}),
                    export="commissioning-places",
                    **query,
                    phase=phase,
                )
                for phase in data.filter_options(viewer)["phase"]
            ],
            html.H2(f"Specialists involved, {when}"),
            table(specialists_table(viewer, query), export="commissioning-specialists", **query),
            html.H2(f"Provision costing more than £6,000 a year, {when}"),
            html.P(
                "Pupils on SEN support whose provision costs more than a school is expected to "
                "fund from its notional SEN budget (Code 6.99), and how many of them have had no "
                "EHC needs assessment requested: each is a question for the LA's high-needs "
                "funding or an EHC request."
            ),
            table(high_cost_table(viewer, query), export="commissioning-high-cost", **query),
            html.H2("EHC needs assessment requests in the returns"),
            chart("commissioning-requests", requests_chart(requests.frame), REQUESTS_CAPTION),
            table(requests, export="commissioning-requests", **query),
            html.H2("Beside the national picture (DfE SEN2)"),
            chart("commissioning-sen2", sen2_chart(data.la_context(viewer)), SEN2_CAPTION),
            table(sen2_figures_table(viewer, query), export="commissioning-sen2", **query),
            *forecast_section(viewer, query),
        ]
    )


def forecast_section(viewer: data.Viewer, query: dict[str, str]) -> list:
    """Next year's figures where the history lets them be forecast and tested; where it
    does not, the page says so rather than draw a line."""
    series = data.forecast_series(viewer)
    if series.empty:
        return [html.H2("Next year"), html.P("Nothing has been collected to forecast from yet.")]
    tested = series[series["status"] == "forecast"]
    return [
        html.H2("Next year: forecasts, and how far to trust them"),
        html.P(FORECAST_METHOD),
        *(
            [chart("commissioning-forecast", forecast_chart(viewer, tested), FORECAST_CAPTION)]
            if not tested.empty
            else []
        ),
        table(forecast_table(viewer, query), export="commissioning-forecasts", **query),
        table(series_table(viewer, query), export="commissioning-forecast-tests", **query),
    ]


FORECAST_METHOD = (
    "Each series is forecast a year ahead by Holt's damped trend (statsmodels), and tested "
    "the way it is used: fitted on the years (or terms) before, it predicts the year after, "
    "against the simple rule 'same as last year'. The mean absolute percentage error of "
    "both says which to trust. A series too short to be tested twice is not forecast."
)
FORECAST_CAPTION = (
    "The LA's SEN2 figures each year (lines) and the forecast for next year (an open marker, "
    "with its 80% interval where the history is long enough to give one), each series with "
    "its own line style and marker. The tables below give the forecasts and their tests."
)


def forecast_chart(viewer: data.Viewer, tested: pd.DataFrame) -> Figure:
    figures = data.la_context(viewer)
    ahead = data.forecasts(viewer)
    traces = []
    shown = tested[(tested["source"] == "sen2") & (tested["category"] != "England")]
    for index, about in enumerate(shown.itertuples()):
        history = figures[
            (figures["measure"] == about.measure) & (figures["area"] == about.category)
        ].sort_values("figure_year")
        next_year = ahead[ahead["series_id"] == about.series_id]
        traces += [
            {
                "type": "scatter",
                "x": points(history["figure_year"]),
                "y": points(history["measured_value"]),
                "name": about.series_label,
                "mode": "lines+markers",
                "line": {"color": COLOURS[index], "dash": DASHES[index]},
                "marker": {"symbol": SYMBOLS[index], "size": 8},
            },
            {
                "type": "scatter",
                "x": [int(history["figure_year"].max()) + step for step in next_year["step"]],
                "y": points(next_year["prediction"]),
                "name": f"{about.series_label}: forecast",
                "mode": "markers",
                "marker": {"symbol": SYMBOLS[index] + "-open", "size": 12, "color": COLOURS[index]},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": points(next_year["upper_80"] - next_year["prediction"]),
                    "arrayminus": points(next_year["prediction"] - next_year["lower_80"]),
                },
            },
        ]
    return figure(traces, yaxis=axis("Requests or plans"), legend={"orientation": "h", "y": -0.2})


@exportable("commissioning-forecasts")
def forecast_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    ahead = data.forecasts(viewer)
    return Table(
        ahead.assign(
            prediction_shown=ahead["prediction"].round(0),
            interval=[
                _interval(low, high)
                for low, high in zip(ahead["lower_80"], ahead["upper_80"], strict=True)
            ],
        ),
        "Forecasts for next year",
        {
            "series_label": "Series",
            "period_label": "Period",
            "prediction_shown": "Forecast",
            "interval": "80% interval",
        },
    )


@exportable("commissioning-forecast-tests")
def series_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    series = data.forecast_series(viewer)
    return Table(
        series.assign(
            model_mape_shown=series["model_mape"].map(_per_cent),
            baseline_mape_shown=series["baseline_mape"].map(_per_cent),
        ),
        "Each series: forecast or not, and its tested error against 'same as last year'",
        {
            "series_label": "Series",
            "points": "Years or terms of history",
            "model_mape_shown": "Forecast's error (MAPE)",
            "baseline_mape_shown": "'Same as last year' error (MAPE)",
            "message": "What the test found",
        },
    )


def _interval(low: float, high: float) -> str:
    return "" if pd.isna(low) or pd.isna(high) else f"{low:,.0f} to {high:,.0f}"


def _per_cent(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.1f}%"


@exportable("commissioning-needs")
def need_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    filters = filters_from(query, viewer)
    demand = data.need_demand(viewer, filters.academic_year, filters.term)
    totals = demand[demand["is_need_total"]].sort_values("sen_support_pupils", ascending=False)
    return Table(
        totals,
        f"Pupils by primary need in the LA, {filters.term} {filters.academic_year}",
        {
            "need_label": "Primary need",
            "sen_support_pupils_shown": "On SEN support",
            "ehc_plan_pupils_shown": "With an EHC plan",
        },
    )


TREND_CAPTION = (
    f"Pupils on SEN support in each collected term for the {TREND_NEEDS} largest needs, each "
    "with its own line style and marker. The table below gives every need."
)


@exportable("commissioning-trend")
def trend_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    demand = data.need_demand(viewer)
    totals = demand[demand["is_need_total"]]
    terms = list(dict.fromkeys(totals.sort_values("term_order")["term_name"]))
    wide = totals.pivot_table(
        index="need_label", columns="term_name", values="sen_support_pupils_shown", aggfunc="first"
    ).reindex(columns=terms)
    wide.columns.name = None
    return Table(
        wide.reset_index(),
        "Pupils on SEN support by primary need, term by term",
        {"need_label": "Primary need", **{term: term for term in terms}},
    )


def trend_chart(trend: pd.DataFrame) -> Figure:
    terms = [column for column in trend.columns if column != "need_label"]
    figures = trend.set_index("need_label")[terms].apply(pd.to_numeric, errors="coerce")
    largest = figures[terms[-1]].sort_values(ascending=False).index[:TREND_NEEDS] if terms else []
    lines = [
        {
            "type": "scatter",
            "x": terms,
            "y": points(figures.loc[need]),
            "name": need,
            "mode": "lines+markers",
            "line": {"color": COLOURS[index % len(COLOURS)], "dash": DASHES[index % len(DASHES)]},
            "marker": {"symbol": SYMBOLS[index % len(SYMBOLS)], "size": 9},
        }
        for index, need in enumerate(largest)
    ]
    return figure(lines, yaxis=axis("Pupils on SEN support"))


@exportable("commissioning-places")
def places_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    filters = filters_from(query, viewer)
    demand = data.need_demand(viewer, filters.academic_year, filters.term)
    cells = demand[(~demand["is_need_total"]) & (demand["phase"] == filters.phase)]
    wide = cells.pivot_table(
        index="need_label", columns="locality", values="sen_support_pupils_shown", aggfunc="first"
    )
    wide.columns.name = None
    localities = list(wide.columns)
    phase = (filters.phase or "").replace("_", " ")
    return Table(
        wide.reset_index(),
        f"Pupils on SEN support by need and locality, {phase} schools, "
        f"{filters.term} {filters.academic_year}",
        {"need_label": "Primary need", **{place: place for place in localities}},
    )


@exportable("commissioning-specialists")
def specialists_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    filters = filters_from(query, viewer)
    found = data.specialist_demand(viewer, filters.academic_year or "", filters.term or "")
    wide = found.pivot_table(
        index="specialist_label", columns="locality", values="pupils_involved_shown",
        aggfunc="first",
    )  # fmt: skip
    wide.columns.name = None
    totals = found[found["is_specialist_total"]].set_index("specialist_label")
    wide = wide.assign(share=totals["share_agreed_shown"].map(_share)).reset_index()
    places = [place for place in wide.columns if place not in ("specialist_label", "All", "share")]
    return Table(
        wide,
        f"Pupils with each specialist involved, by locality, {filters.term} "
        f"{filters.academic_year}",
        {
            "specialist_label": "Specialist",
            **{place: place for place in places},
            "All": "All localities",
            "share": "Agreed with parents (all localities)",
        },
    )


@exportable("commissioning-high-cost")
def high_cost_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    filters = filters_from(query, viewer)
    found = data.high_cost_provision(viewer, filters.academic_year or "", filters.term or "")
    return Table(
        found,
        f"Pupils on SEN support with provision over £6,000 a year, by need and locality, "
        f"{filters.term} {filters.academic_year}",
        {
            "need_label": "Primary need",
            "locality": "Locality",
            "high_cost_pupils_shown": "Pupils",
            "without_ehc_request_shown": "Of them, no EHC request",
        },
    )


REQUESTS_CAPTION = (
    "EHC needs assessment requests made in each term, stacked by how they ended as the newest "
    "return says (each outcome has its own fill pattern; a withheld figure is left out). The "
    "table below gives the same figures, and who made the requests."
)


@exportable("commissioning-requests")
def requests_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    requests = data.ehc_requests(viewer)
    kind = requests["outcome"].where(requests["requested_by"] == "all", requests["requested_by"])
    wide = requests.assign(kind=kind).pivot_table(
        index=["term_order", "term_name"], columns="kind", values="requests_shown",
        aggfunc="first", fill_value="0",
    )  # fmt: skip
    wide.columns.name = None
    wide = wide.reset_index().sort_values("term_order")
    outcomes = [o for o in OUTCOMES if o in wide.columns]
    makers = [m for m in REQUESTED_BY if m in wide.columns]
    return Table(
        wide,
        "EHC needs assessment requests by the term they were made in: how they ended, and "
        "who made them",
        {
            "term_name": "Term requested",
            **{o: o.capitalize() for o in outcomes},
            **{m: REQUESTED_BY[m] for m in makers},
            "all": "All requests",
        },
    )


def requests_chart(requests: pd.DataFrame) -> Figure:
    bars = [
        {
            "type": "bar",
            "name": outcome.capitalize(),
            "x": points(requests["term_name"]),
            "y": points(pd.to_numeric(requests[outcome], errors="coerce")),
            "marker": {"color": COLOURS[index], "pattern": fill_pattern(index + 1)},
        }
        for index, outcome in enumerate(OUTCOMES)
        if outcome in requests.columns
    ]
    return figure(bars, barmode="stack", yaxis=axis("Requests"))


SEN2_CAPTION = (
    "The LA's own SEN2 figures each year: requests for an EHC needs assessment and refusals "
    "(solid and dashed lines, left), and new plans issued within 20 weeks (dotted, right, as a "
    "percentage, with England's for comparison). The table below gives every figure for the "
    "LA and England."
)


def sen2_chart(figures: pd.DataFrame) -> Figure:
    """The LA's requests and refusals, and its 20-week timeliness against England's."""
    la = figures[figures["area"] != "England"]
    lines = (
        (la, "ehc_requests", "solid", "circle", False, " (LA)"),
        (la, "ehc_requests_refused", "dash", "square", False, " (LA)"),
        (la, "plans_within_20_weeks_pc", "dot", "diamond", True, " (LA)"),
        (figures[figures["area"] == "England"], "plans_within_20_weeks_pc", "dashdot", "x", True,
         " (England)"),
    )  # fmt: skip
    traces = []
    for index, (rows, measure, dash_style, symbol, right, suffix) in enumerate(lines):
        shown = rows[rows["measure"] == measure].sort_values("figure_year")
        if shown.empty:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": points(shown["figure_year"]),
                "y": points(shown["measured_value"]),
                "name": shown["measure_label"].iloc[0] + suffix,
                "mode": "lines+markers",
                "line": {"dash": dash_style, "color": COLOURS[index]},
                "marker": {"symbol": symbol, "size": 9},
                "yaxis": "y2" if right else "y",
            }
        )
    return figure(
        traces,
        yaxis=axis("Requests"),
        yaxis2=axis("Within 20 weeks (%)", range=[0, 100], overlaying="y", tickmode="linear",
                    tick0=0, dtick=20, autorange=False, side="right", automargin=True),
        legend={"orientation": "h", "y": -0.2},
    )  # fmt: skip


@exportable("commissioning-sen2")
def sen2_figures_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return sen2_table(data.la_context(viewer))


def _share(published: str | None) -> str:
    """A share as published (0-1, or a symbol) as a percentage."""
    try:
        return f"{float(published):.0%}"
    except (TypeError, ValueError):
        return published or ""
