"""Data: the last refresh and its age, returns received / late / missing, what was
quarantined and why, and how the last night's dbt tests and GX gates went.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dash
import flask
from dash import html

from dashboards import data
from dashboards.components import RETURN_LABELS, Table, exportable, notice, status_text, table
from dashboards.filters import address, filters_from, school_address

NEWEST_QUARANTINED = 100  # enough for a morning; the rest are a link away

dash.register_page(__name__, path="/data", title="Data and refresh - sendwatch", name="Data")


def layout(**query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    if not data.has_snapshot(viewer):
        return html.Div(
            [
                html.H1("Data and refresh"),
                notice("Nothing is published yet: run sendwatch refresh."),
            ]
        )
    filters = filters_from(query, viewer)
    shown = {"term": f"{filters.academic_year}|{filters.term}", "show": query.get("show", "")}
    last = data.last_run(viewer)
    return html.Div(
        [
            html.H1("Data and refresh"),
            *refresh_summary(data.refresh_status(viewer), last),
            html.H2(f"Returns for {filters.term} {filters.academic_year}"),
            returns_counts(viewer, filters),
            show_all_link(shown),
            table(returns_table(viewer, shown), export="data-returns", **shown),
            html.H2("Quarantined files"),
            table(quarantine_table(viewer, shown), export="data-quarantine", **shown),
            html.H2("The last night's tests and quality gates"),
            run_checks_section(viewer, last),
            documentation_links(viewer),
        ]
    )


def refresh_summary(published: dict, last: dict | None) -> list:
    """The last successful refresh and its age; a warning if the last night failed."""
    parts = []
    if published:
        age = datetime.now(UTC) - published["built_at"].to_pydatetime()
        parts.append(
            html.P(
                f"Last successful refresh: {published['built_at']:%d %B %Y %H:%M} UTC "
                f"({describe_age(age)}), judging returns as at "
                f"{published['as_of']:%d %B %Y %H:%M} UTC; "
                f"{published['returns_loaded']} returns loaded, "
                f"{published['returns_rejected']} rejected, "
                f"{published['files_duplicate']} duplicates.",
                id="last-refresh",
            )
        )
    if last and last.get("status") != "success":
        failure = last.get("failure") or {}
        parts.append(
            notice(
                f"The last night ({last['run_id']}) failed in {failure.get('step', 'a step')}: "
                f"{failure.get('error', 'no reason recorded')}. The dashboard shows the last "
                "successful refresh; that night's files stay in landing and are retried."
            )
        )
    return parts


def run_checks_section(viewer: data.Viewer, last: dict | None) -> html.Div:
    """How many passed, what failed first; every test and suite behind a disclosure."""
    if last is None:
        return html.Div(html.P("No night has run yet."))
    checks = run_checks_table(viewer, {})
    frame = checks.frame
    failing = frame[frame["outcome"] != "pass"]
    counts = frame.groupby("tool")["outcome"].agg(
        passed=lambda o: int((o == "pass").sum()), total="size"
    )
    return html.Div(
        [
            html.Ul(
                [
                    html.Li(f"{tool}: {row.passed} of {row.total} passed")
                    for tool, row in counts.iterrows()
                ],
                id="run-check-counts",
            ),
            *(
                [html.P(f"Not passed: {', '.join(failing['check'].head(5))}.")]
                if len(failing)
                else []
            ),
            html.Details(
                [
                    html.Summary("Every test and gate of that night"),
                    table(checks, export="data-run-checks"),
                ],
                open=bool(len(failing)),
            ),
        ]
    )


def documentation_links(viewer: data.Viewer) -> html.Div:
    """Where the checks are written down: GX Data Docs of the night served, dbt docs."""
    sites = data.documentation(viewer)
    items = [
        html.Li(
            html.A(
                "Great Expectations Data Docs for the night being served",
                href="/data-docs/index.html",
            )
            if sites["data_docs"]
            else "Great Expectations Data Docs: none published yet."
        ),
        html.Li(
            html.A(
                "dbt documentation: every model, column, test and exposure",
                href="/dbt-docs/index.html",
            )
            if sites["dbt_docs"]
            else "dbt documentation: not built yet (run sendwatch docs)."
        ),
    ]
    return html.Div(
        [html.H2("How the data is checked and modelled"), html.Ul(items)], id="documentation"
    )


def describe_age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return "less than an hour ago"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    return f"{age.days} days ago"


def returns_counts(viewer: data.Viewer, filters: data.Filters) -> html.P:
    returns = data.return_status(viewer, filters.academic_year, filters.term)
    counts = returns["return_status"].value_counts()
    return html.P(
        "; ".join(f"{status_text(s)}: {counts[s]}" for s in RETURN_LABELS if s in counts) + ".",
        id="return-counts",
    )


def show_all_link(shown: dict[str, str]) -> html.P:
    """By default the page lists what needs chasing; everything is a link away."""
    if shown["show"] == "all":
        return html.P(
            html.A("Show only what needs chasing", href=address(shown, "/data", show=None))
        )
    return html.P(
        html.A(
            "Show every school's return and every quarantined file",
            href=address({**shown, "show": "all"}, "/data"),
        )
    )


@exportable("data-returns")
def returns_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    """Returns late, missing or not yet due (every return with show=all)."""
    filters = filters_from(query, viewer)
    returns = data.return_status(viewer, filters.academic_year, filters.term)
    every = query.get("show") == "all"
    if not every:
        returns = returns[returns["return_status"] != "on_time"]
    which = "Every school's return" if every else "Returns not received on time"
    return Table(
        returns.assign(page=[school_address(urn, filters) for urn in returns["urn"]]),
        f"{which}, {filters.term} {filters.academic_year}",
        {
            "school_name": "School",
            "urn": "URN",
            "return_status": "Return",
            "first_received_at": "First valid return",
            "deadline": "Deadline",
        },
        links={"school_name": "page"},
    )


@exportable("data-quarantine")
def quarantine_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    """The newest rejected files (every one with show=all)."""
    every = query.get("show") == "all"
    files = data.quarantined(viewer, None if every else NEWEST_QUARANTINED)
    total = len(files) if every else data.quarantined_count(viewer)
    which = (
        "Every file"
        if every or total <= len(files)
        else f"The newest {len(files)} of {total} files"
    )
    return Table(
        files,
        f"{which} rejected, with the first reason",
        {
            "file_name": "File",
            "urn": "URN",
            "received_at": "Received",
            "first_error": "Why",
        },
    )


@exportable("data-run-checks")
def run_checks_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    last = data.last_run(viewer)
    if last is None:
        return None
    checks = data.run_checks(viewer, last["run_id"])
    # failures first: they are what operations act on
    checks = checks.sort_values("outcome", key=lambda o: o != "fail", kind="stable")
    passed = int((checks["outcome"] == "pass").sum())
    return Table(
        checks,
        f"Tests and gates of the night {last['run_id']}: {passed} of {len(checks)} passed",
        {"tool": "Tool", "check": "Test or suite", "outcome": "Outcome", "detail": "Detail"},
    )
