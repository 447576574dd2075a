"""Early warning: which schools are likely to have a red must or should duty next term,
and how far to trust that, for LA officers.

The model is fitted each night (``sendwatch.outlook``, scikit-learn) and back-tested
by rolling origin against the rule an officer would use without it: "red last term,
red next term". The page shows that back-test first, and says plainly when the model
does no better than the rule.
"""

from __future__ import annotations

import dash
import flask
import pandas as pd
from dash import html

from dashboards import data
from dashboards.components import (
    COLOURS,
    Figure,
    Table,
    axis,
    chart,
    exportable,
    figure,
    fill_pattern,
    notice,
    points,
    table,
)

dash.register_page(
    __name__, path="/early-warning", title="Early warning - sendwatch", name="Early warning"
)

METHODS = {"model": "The model", "baseline": "Red last term, red next term"}


def layout(**_query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    if not data.has_snapshot(viewer):
        return html.Div(
            [html.H1("Early warning"), notice("Nothing is published yet: run sendwatch refresh.")]
        )
    backtest = data.early_warning_backtest(viewer)
    schools = data.early_warning(viewer)
    if backtest.empty:
        return html.Div([html.H1("Early warning"), notice(NOTHING_FITTED)])
    about = backtest.iloc[0]
    trusted = bool(about["beats_baseline"]) if pd.notna(about["beats_baseline"]) else False
    return html.Div(
        [
            html.H1("Early warning"),
            html.P(
                "For each school, the chance that a must or should duty is red next term, "
                "from this term's checks, how they moved since last term, and SENDIASS "
                f"enquiries. A school is flagged from a {about['threshold']:.0%} chance."
            ),
            html.H2("How far to trust it"),
            html.P(about["verdict"], id="early-warning-verdict"),
            *([] if trusted else [notice(NOT_BETTER)]),
            chart("early-warning-backtest", backtest_chart(backtest), BACKTEST_CAPTION),
            table(backtest_table(viewer, {}), export="early-warning-backtest"),
            html.H2("Schools flagged for next term"),
            table(flagged_table(viewer, {}), export="early-warning-flagged"),
            html.Details(
                [
                    html.Summary(f"Every school's chance ({len(schools)} schools)"),
                    table(every_table(viewer, {}), export="early-warning-schools"),
                ]
            ),
        ]
    )


NOTHING_FITTED = (
    "No early warning yet: the model needs at least three collected terms with returns, "
    "and schools that went red, to learn from and to be tested on."
)
NOT_BETTER = (
    "On the terms collected so far the model does no better than the simple rule: read "
    "its flags as a second opinion, and look first at the schools red this term."
)
BACKTEST_CAPTION = (
    "Precision (of the schools flagged, the share that went red) and recall (of the schools "
    "that went red, the share flagged) at each back-test term and pooled, for the model "
    "(plain bars) and the rule 'red last term, red next term' (hatched bars). The table below "
    "gives the same figures."
)


@exportable("early-warning-backtest")
def backtest_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    backtest = data.early_warning_backtest(viewer)
    shown = backtest.assign(
        method_words=backtest["method"].map(METHODS),
        predicted_from=backtest["origin_term_name"].fillna("All terms pooled"),
        precision_shown=backtest["precision"].map(_percent),
        recall_shown=backtest["recall"].map(_percent),
    )
    return Table(
        shown,
        "The early warning against the rule 'red last term, red next term', term by term",
        {
            "predicted_from": "Predicting from",
            "target_term_name": "The term predicted",
            "method_words": "Method",
            "schools": "Schools",
            "actual_red": "Went red",
            "predicted_red": "Flagged",
            "true_positives": "Flagged and went red",
            "precision_shown": "Precision",
            "recall_shown": "Recall",
        },
    )


def backtest_chart(backtest: pd.DataFrame) -> Figure:
    where = ("from " + backtest["origin_term_name"]).fillna("All terms pooled")
    bars = []
    for method, words in METHODS.items():
        rows = backtest[backtest["method"] == method]
        for offset, measure in enumerate(("precision", "recall")):
            bars.append(
                {
                    "type": "bar",
                    "name": f"{words}: {measure}",
                    "x": points(where[rows.index]),
                    "y": points(rows[measure]),
                    "marker": {
                        "color": COLOURS[offset],
                        "pattern": fill_pattern(0 if method == "model" else 2),
                    },
                }
            )
    return figure(bars, barmode="group", yaxis=axis("Share", tickformat=".0%"))


def _columns() -> dict[str, str]:
    return {
        "school_name": "School",
        "locality": "Locality",
        "probability_shown": "Chance of a red duty next term",
        "reasons": "What moved it",
        "red_now_shown": "Red this term",
    }


def _schools(viewer: data.Viewer) -> pd.DataFrame:
    schools = data.early_warning(viewer)
    return schools.assign(
        probability_shown=schools["probability"].map(_percent),
        red_now_shown=schools["red_now"].map({True: "Yes", False: "No"}),
        page=[f"/school/{urn}" for urn in schools["urn"]],
    )


@exportable("early-warning-flagged")
def flagged_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    schools = _schools(viewer)
    flagged = schools[schools["flagged"]]
    when = flagged["predicted_term_name"].dropna()
    return Table(
        flagged,
        f"Schools flagged for {when.iloc[0]}" if len(when) else "Schools flagged for next term",
        _columns(),
        links={"school_name": "page"},
    )


@exportable("early-warning-schools")
def every_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return Table(
        _schools(viewer),
        "Every school's chance of a red must or should duty next term, likeliest first",
        _columns(),
        links={"school_name": "page"},
    )


def _percent(share: float) -> str:
    return "" if pd.isna(share) else f"{share:.0%}"
