"""One school: every check with its evidence, each check's trend, its returns."""

from __future__ import annotations

import dash
import flask
from dash import html

from dashboards import auth, data
from dashboards.components import FUNNEL_WORDS, Table, badge, exportable, table
from dashboards.filters import filters_from
from sendwatch.access import roles

dash.register_page(
    __name__, path_template="/school/<urn>", title="School - sendwatch", name="School"
)
SUBMISSIONS = "submissions_export"  # files received: who may see them (roles.ROUTES)
ENQUIRIES = "enquiries_export"  # SENDIASS enquiries: who may see them (roles.ROUTES)


def layout(urn: str | None = None, **query: str) -> html.Div:
    viewer = data.viewer_for(flask.request)
    if not roles.may_see_school(viewer, str(urn)):  # the guard refuses it first
        raise roles.AccessDenied(f"{viewer.name} cannot see the school {urn}")
    school = data.school(viewer, urn or "")
    if school is None:
        return html.Div([html.H1("School not found"), html.P(f"No school with URN {urn}.")])
    auth.record(viewer, "view_school", str(urn))
    # the overview's term travels with the link; otherwise the newest term with returns
    query = {"urn": urn, "term": query.get("term", "")}
    checks = checks_table(viewer, query)
    return html.Div(
        [
            html.H1(f"{school['school_name']} ({urn})"),
            html.P(f"{school['phase'].replace('_', ' ').title()}, {school['locality']}."),
            overall(viewer, urn, query),
            html.Button(
                "Print a visit brief",
                id="print-brief",
                className="button no-print",
                **{"data-print": "true"},
            ),
            html.H2(f"Every check, {checks.caption.rsplit(', ', 1)[-1]}"),
            table(checks, export="school-checks", **query),
            html.H2("Each check across terms"),
            table(trend_table(viewer, query), export="school-trend", **query),
            *enquiries_section(viewer, query),
            *returns_section(viewer, query),
        ]
    )


def enquiries_section(viewer: data.Viewer, query: dict[str, str]) -> list:
    """The school's SENDIASS enquiries, for the roles that read enquiries: never the
    school's own account, as parents ask SENDIASS in confidence."""
    if not roles.may_open(viewer, ENQUIRIES):
        return []
    return [
        html.H2("SENDIASS enquiries about the school"),
        table(enquiries_table(viewer, query), export="school-enquiries", **query),
    ]


def returns_section(viewer: data.Viewer, query: dict[str, str]) -> list:
    """The files the school sent, for the roles that see files received (roles.ROUTES)."""
    if not roles.may_open(viewer, SUBMISSIONS):
        return []
    return [
        html.H2("Returns received"),
        table(returns_table(viewer, query), export="school-returns", **query),
    ]


def overall(viewer: data.Viewer, urn: str, query: dict[str, str]) -> html.P:
    """The school's overall status in the term: its most severe must or should duty."""
    filters = filters_from(query, viewer)
    terms = data.school_terms(viewer, urn)
    chosen = terms[
        (terms["academic_year"] == filters.academic_year) & (terms["term"] == filters.term)
    ]
    if chosen.empty:
        return html.P("Not on the register for this term.", id="school-overall")
    row = chosen.iloc[0]
    flagged = f" Duties: {row['duties_flagged']}." if row["duties_flagged"] else ""
    return html.P(
        [f"Overall, {row['term_name']}: ", badge(row["overall_status"]), flagged],
        id="school-overall",
    )


@exportable("school-checks")
def checks_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    school = data.school(viewer, query.get("urn", ""))
    if school is None:
        return None
    filters = filters_from(query, viewer)
    checks = data.school_checks(viewer, school["urn"])
    chosen = checks[
        (checks["academic_year"] == filters.academic_year) & (checks["term"] == filters.term)
    ]
    return Table(
        chosen,
        f"Checks for {school['school_name']}, {filters.term} {filters.academic_year}",
        {
            "title": "Check",
            "strength": "Strength",
            "paragraph": "Code paragraph",
            "status": "Status",
            "evidence": "Evidence",
            "amber_at": "Amber at",
            "red_at": "Red at",
        },
    )


@exportable("school-trend")
def trend_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    school = data.school(viewer, query.get("urn", ""))
    if school is None:
        return None
    checks = data.school_checks(viewer, school["urn"])
    trend = checks.pivot_table(
        index="check_id",
        columns=["academic_year", "term"],
        values="status",
        aggfunc="first",
        sort=False,
    )
    terms = [f"{term} {year}" for year, term in trend.columns]
    trend.columns = terms
    return Table(
        trend.reset_index(),
        f"Status of each check in each term for {school['school_name']} (newest first)",
        {"check_id": "Check", **{term: term for term in terms}},
        badges=tuple(terms),
    )


@exportable("school-enquiries", also=(ENQUIRIES,))
def enquiries_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    school = data.school(viewer, query.get("urn", ""))
    if school is None:
        return None
    enquiries = data.school_enquiries(viewer, school["urn"])
    return Table(
        enquiries.assign(
            position=[FUNNEL_WORDS[p][0] for p in enquiries["funnel_position"]],
            la_enquiries_per_100=enquiries["la_enquiries_per_100"].round(2),
            upper_95=enquiries["upper_95"].round(2),
        ),
        f"SENDIASS enquiries about {school['school_name']}, term by term (newest first)",
        {
            "term_name": "Term",
            "enquiries": "Enquiries",
            "complaints": "Complaints",
            "enquiries_per_100_shown": "Per 100 pupils on SEN support",
            "la_enquiries_per_100": "LA rate per 100",
            "upper_95": "95% upper limit",
            "position": "Against the funnel",
        },
    )


@exportable("school-returns", also=(SUBMISSIONS,))
def returns_table(viewer: data.Viewer, query: dict[str, str]) -> Table | None:
    school = data.school(viewer, query.get("urn", ""))
    if school is None:
        return None
    return Table(
        data.school_submissions(viewer, school["urn"]),
        f"Files received from {school['school_name']}, newest first",
        {
            "file_name": "File",
            "academic_year": "Year",
            "term": "Term",
            "received_at": "Received",
            "receipt": "Receipt",
            "in_force": "In force",
            "first_error": "Why it was rejected",
            "stored_path": "Kept at (in SENDWATCH_HOME)",
        },
    )


dash.clientside_callback(
    "function(n) { if (n) { window.print(); } return ''; }",
    dash.Output("print-brief", "title"),
    dash.Input("print-brief", "n_clicks"),
    prevent_initial_call=True,
)
