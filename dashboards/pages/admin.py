"""Administration: accounts, the audit log, the register and the refresh, for the
admin role (no pupil-level data: nothing here names a pupil or shows a check)."""

from __future__ import annotations

import dash
import flask
from dash import html

from dashboards import data
from dashboards.components import Table, exportable, table

NEWEST_EVENTS = 200  # the rest are in the download

dash.register_page(__name__, path="/admin", title="Administration - sendwatch", name="Admin")


def layout(**_query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    status = data.refresh_status(viewer) if data.has_snapshot(viewer) else {}
    return html.Div(
        [
            html.H1("Administration"),
            html.P(refresh_sentence(status), id="admin-refresh"),
            html.P(
                "Accounts are managed on the server with `sendwatch users add|set-role|"
                "set-password|disable|enable|list`; single sign-on accounts appear here "
                "after their first sign-in."
            ),
            table(accounts_table(viewer, {}), export="admin-accounts"),
            table(audit_table(viewer, {}), export="admin-audit", show="all"),
            table(register_table(viewer, {}), export="admin-register")
            if status
            else html.P("Nothing is published yet: run sendwatch refresh."),
        ]
    )


def refresh_sentence(status: dict) -> str:
    if not status:
        return "Nothing is published yet."
    return (
        f"Last successful refresh: {status['built_at']:%d %B %Y %H:%M} UTC, judging returns "
        f"as at {status['as_of']:%d %B %Y %H:%M} UTC."
    )


@exportable("admin-accounts")
def accounts_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return Table(
        data.accounts(viewer),
        "Accounts",
        {
            "username": "Account",
            "role": "Role",
            "urns": "Schools (URN)",
            "sign_in": "Signs in with",
            "disabled": "Disabled",
            "last_sign_in_at": "Last signed in (UTC)",
        },
    )


@exportable("admin-audit")
def audit_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    """The newest events on the page; every event in the download."""
    every = query.get("show") == "all"  # the download link asks for every event
    return Table(
        data.audit_log(viewer, None if every else NEWEST_EVENTS),
        f"Audit log, newest first (the newest {NEWEST_EVENTS} here; every event in the download)",
        {
            "at": "When (UTC)",
            "username": "Who",
            "role": "Role",
            "action": "What",
            "target": "On",
            "outcome": "Outcome",
            "detail": "Detail",
        },
    )


@exportable("admin-register")
def register_table(viewer: data.Viewer, query: dict[str, str]) -> Table:
    return Table(
        data.register_summary(viewer),
        "Schools on the register, by phase and locality",
        {"phase": "Phase", "locality": "Locality", "schools": "Schools"},
    )
