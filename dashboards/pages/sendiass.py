"""SENDIASS: where parents' enquiries and complaints come from, and whether they gather
at schools whose returns say a duty may not be met.

Every figure is built by the nightly build (the marts ``fct_enquiries_by_month``,
``fct_enquiries_by_area``, ``fct_school_enquiry_rates``, ``fct_enquiries_by_duty_flags``);
this page only lays them out, each chart with its figures in a table below it.
"""

from __future__ import annotations

import dash
import flask
import pandas as pd
from dash import html

from dashboards import data
from dashboards.components import (
    COLOURS,
    FUNNEL_WORDS,
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
    term_choice,
)
from dashboards.filters import filters_from, school_address

dash.register_page(
    __name__, path="/sendiass", title="SENDIASS enquiries - sendwatch", name="SENDIASS enquiries"
)

ABOVE = ("above_998", "above_95")


def layout(**query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    if not data.has_snapshot(viewer):
        return html.Div(
            [
                html.H1("SENDIASS enquiries"),
                notice("Nothing is published yet: run sendwatch refresh."),
            ]
        )
    filters = filters_from(query, viewer)
    query = {"term": f"{filters.academic_year}|{filters.term}"}
    when = f"{filters.term} {filters.academic_year}"
    monthly = monthly_table(viewer, query)
    funnel = data.enquiry_funnel(viewer, filters)
    flags = flags_table(viewer, query)
    return html.Div(
        [
            html.H1("SENDIASS enquiries"),
            html.P(
                "Parents' enquiries to SENDIASS and their complaints, over time, by area, and "
                "set beside what schools' returns say. A rise is a reason to ask, not a finding."
            ),
            term_choice(viewer, query, "/sendiass"),
            html.H2("Enquiries by month and theme"),
            chart(
                "sendiass-months",
                monthly_chart(data.enquiries_by_month(viewer)),
                "Enquiries received each month, stacked by theme (each theme has its own fill "
                "pattern). The table below gives the same figures.",
            ),
            table(monthly, export="sendiass-months", **query),
            html.H2(f"By locality and by phase, {when}"),
            table(locality_table(viewer, query), export="sendiass-localities", **query),
            table(phase_table(viewer, query), export="sendiass-phases", **query),
            html.H2(f"Schools against the LA's rate, {when}"),
            html.P(
                "Each school's enquiries per 100 pupils on SEN support, against how far a "
                "school of its size could stray from the LA's rate by chance: a school outside "
                "the 95% limits would be there 1 time in 20 by chance alone, outside the 99.8% "
                "limits 1 in 500. Small schools have wide limits."
            ),
            chart("sendiass-funnel", funnel_chart(funnel), funnel_caption(funnel)),
            table(above_table(viewer, query), export="sendiass-above", **query),
            html.Details(
                [
                    html.Summary(f"Every school's enquiry rate ({len(funnel)} schools)"),
                    table(funnel_table(viewer, query), export="sendiass-schools", **query),
                ]
            ),
            html.H2(f"Enquiries where a duty may not be met, {when}"),
            html.P(flags_sentence(flags.frame) if flags else "No school had a return this term."),
            *(
                [
                    chart("sendiass-flags", flags_chart(flags.frame), FLAGS_CAPTION),
                    table(flags, export="sendiass-flags", **query),
                ]
                if flags
                else []
            ),
        ]
    )


@exportable("sendiass-months")
def monthly_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    months = data.enquiries_by_month(viewer)
    wide = months.pivot_table(
        index="received_month", columns="theme_label", values="enquiries", fill_value=0
    )
    every_theme = months[months["theme"] == "all"].set_index("received_month")
    wide = wide.assign(Complaints=every_theme["complaints"]).reset_index()
    wide["received_month"] = pd.to_datetime(wide["received_month"]).dt.strftime("%B %Y")
    return Table(
        wide,
        "Enquiries by month and theme, and complaints",
        {"received_month": "Month", **{c: c for c in wide.columns if c != "received_month"}},
    )


def monthly_chart(months: pd.DataFrame) -> Figure:
    themes = months[months["theme"] != "all"]  # stacked, the themes make up the whole
    bars = [
        {
            "type": "bar",
            "name": theme,
            "x": points(rows["received_month"]),
            "y": points(rows["enquiries"]),
            "marker": {"color": COLOURS[index % len(COLOURS)], "pattern": fill_pattern(index)},
        }
        for index, (theme, rows) in enumerate(themes.groupby("theme_label", sort=True))
    ]
    return figure(bars, barmode="stack", yaxis=axis("Enquiries"))


@exportable("sendiass-localities")
def locality_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return _area_table(viewer, query, "locality")


@exportable("sendiass-phases")
def phase_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return _area_table(viewer, query, "phase")


def _area_table(viewer: data.Viewer, query: dict[str, str], area_type: str) -> Table:
    filters = filters_from(query, viewer)
    areas = data.enquiries_by_area(viewer, filters.academic_year or "", filters.term or "")
    return Table(
        areas[areas["area_type"] == area_type],
        f"Enquiries by {area_type}, {filters.term} {filters.academic_year}",
        {
            "area": area_type.title(),
            "schools": "Schools",
            "enquiries": "Enquiries",
            "complaints": "Complaints",
            "sen_support_pupils_shown": "Pupils on SEN support",
            "enquiries_per_100_shown": "Enquiries per 100 pupils on SEN support",
        },
    )


def funnel_chart(funnel: pd.DataFrame) -> Figure:
    """Schools by size against their rate, with the LA's rate and the limits as lines;
    where a school falls is told by its marker's shape as well as the table."""
    limits = funnel.dropna(subset=["sen_support_pupils"]).sort_values("sen_support_pupils")
    pupils = points(limits["sen_support_pupils"])
    lines = (
        ("upper_998", "99.8% limits", "dot"),
        ("upper_95", "95% limits", "dash"),
        ("la_enquiries_per_100", "LA rate", "solid"),
        ("lower_95", None, "dash"),
        ("lower_998", None, "dot"),
    )
    traces = [
        {
            "type": "scatter",
            "x": pupils,
            "y": points(limits[column]),
            "mode": "lines",
            "name": name or column,
            "showlegend": name is not None,
            "line": {"color": "#505a5f", "dash": dash_style, "width": 1.5},
        }
        for column, name, dash_style in lines
    ]
    for position, (words, symbol) in FUNNEL_WORDS.items():
        shown = limits[limits["funnel_position"] == position]
        if symbol and not shown.empty:
            traces.append(
                {
                    "type": "scatter",
                    "x": points(shown["sen_support_pupils"]),
                    "y": points(shown["enquiries_per_100"]),
                    "mode": "markers",
                    "name": words,
                    "marker": {"symbol": symbol, "size": 10, "color": "#0b0c0c"},
                }
            )
    return figure(
        traces,
        xaxis=axis("Pupils on SEN support"),
        yaxis=axis("Enquiries per 100 pupils on SEN support"),
    )


def funnel_caption(funnel: pd.DataFrame) -> str:
    counts = funnel["funnel_position"].value_counts()
    above = int(sum(counts.get(p, 0) for p in ABOVE))
    off = int(funnel["sen_support_pupils"].isna().sum())
    left_off = f" {off} school(s) without a figure to plot are left off the chart." if off else ""
    return (
        f"Each marker is a school; its shape says where it falls. {above} school(s) are above "
        f"the 95% limit, listed in the table below.{left_off}"
    )


def _funnel_columns() -> dict[str, str]:
    return {
        "school_name": "School",
        "locality": "Locality",
        "enquiries": "Enquiries",
        "complaints": "Complaints",
        "sen_support_pupils_shown": "Pupils on SEN support",
        "enquiries_per_100_shown": "Enquiries per 100",
        "la_enquiries_per_100": "LA rate per 100",
        "upper_95": "95% upper limit",
        "upper_998": "99.8% upper limit",
        "position": "Where it falls",
    }


def _funnel_rows(viewer: data.Viewer, query: dict[str, str]) -> pd.DataFrame:
    filters = filters_from(query, viewer)
    funnel = data.enquiry_funnel(viewer, filters)
    return funnel.assign(
        position=[FUNNEL_WORDS[p][0] for p in funnel["funnel_position"]],
        page=[school_address(urn, filters) for urn in funnel["urn"]],
        la_enquiries_per_100=funnel["la_enquiries_per_100"].round(2),
        upper_95=funnel["upper_95"].round(2),
        upper_998=funnel["upper_998"].round(2),
    )


@exportable("sendiass-above")
def above_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    rows = _funnel_rows(viewer, query)
    return Table(
        rows[rows["funnel_position"].isin(ABOVE)],
        "Schools above the funnel's 95% limit, furthest above first",
        _funnel_columns(),
        links={"school_name": "page"},
    )


@exportable("sendiass-schools")
def funnel_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return Table(
        _funnel_rows(viewer, query),
        "Every school's enquiry rate against the funnel's limits",
        _funnel_columns(),
        links={"school_name": "page"},
    )


FLAGS_CAPTION = (
    "How many times the enquiry rate at schools with a red must or should duty is the rate at "
    "the other schools, by theme, with its 95% confidence interval (the line). 1 means the same "
    "rate; an interval wholly to the right of 1 is unlikely to be chance. The table below gives "
    "the same figures."
)


@exportable("sendiass-flags")
def flags_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    filters = filters_from(query, viewer)
    flags = data.enquiries_by_duty_flags(viewer, filters.academic_year or "", filters.term or "")
    if flags.empty:
        return None
    shown = flags.assign(
        interval=[_interval(low, high) for low, high in
                  zip(flags["rate_ratio_lower_95"], flags["rate_ratio_upper_95"], strict=True)],
        **{c: flags[c].round(2) for c in
           ("enquiries_per_100_red", "enquiries_per_100_other", "rate_ratio")},
    )  # fmt: skip
    return Table(
        shown,
        f"Enquiry rates at schools with a red duty against the rest, {filters.term} "
        f"{filters.academic_year}",
        {
            "theme_label": "Theme",
            "schools_red": "Schools with a red duty",
            "enquiries_red": "Enquiries at them",
            "enquiries_per_100_red": "At them, per 100 pupils on SEN support",
            "schools_other": "Other schools",
            "enquiries_other": "Enquiries at the others",
            "enquiries_per_100_other": "At the others, per 100 pupils on SEN support",
            "rate_ratio": "Rate ratio",
            "interval": "95% interval",
        },
    )


def flags_sentence(flags: pd.DataFrame) -> str:
    """What the 'all themes' row says, in a sentence."""
    every = flags[flags["theme"] == "all"]
    if every.empty or pd.isna(every.iloc[0]["rate_ratio"]):
        return "There are too few enquiries this term to compare schools with a red duty."
    row = every.iloc[0]
    verdict = (
        "more often than chance would explain"
        if row["rate_ratio_lower_95"] > 1
        else "but the difference could be chance"
    )
    return (
        f"At the {row['schools_red']} school(s) with a red must or should duty, parents made "
        f"{row['rate_ratio']:.1f} times as many enquiries per pupil on SEN support as at the "
        f"other {row['schools_other']}, {verdict} (95% interval "
        f"{_interval(row['rate_ratio_lower_95'], row['rate_ratio_upper_95'])})."
    )


def flags_chart(flags: pd.DataFrame) -> Figure:
    """Rate ratios with their intervals on a log scale: a forest plot, one row per theme."""
    shown = flags.dropna(subset=["rate_ratio_lower_95"]).iloc[::-1]
    ratios = {
        "type": "scatter",
        "x": points(shown["rate_ratio"]),
        "y": points(shown["theme_label"]),
        "mode": "markers",
        "name": "Rate ratio",
        "marker": {"symbol": "diamond", "size": 11, "color": "#0b0c0c"},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": points(shown["rate_ratio_upper_95"] - shown["rate_ratio"]),
            "arrayminus": points(shown["rate_ratio"] - shown["rate_ratio_lower_95"]),
            "color": "#0b0c0c",
        },
    }
    same_rate = {  # a dashed line at 1, from the bottom of the plot to its top
        "type": "line", "x0": 1, "x1": 1, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
        "line": {"dash": "dash", "color": "#505a5f"},
    }  # fmt: skip
    return figure(
        [ratios],
        xaxis=axis("Rate ratio (log scale)", type="log"),
        showlegend=False,
        margin={"l": 200},
        shapes=[same_rate],
    )


def _interval(low: float, high: float) -> str:
    return "" if pd.isna(low) or pd.isna(high) else f"{low:.2f} to {high:.2f}"
