"""The sendwatch dashboard: Dash pages over the published snapshot, behind sign-in.

``create_app()`` builds the app with sign-in installed (nothing is read at import: the
page shell is built per request, for whoever is signed in); ``server`` is the WSGI
entry point for deployment (``gunicorn dashboards.app:server``).
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, html
from flask.typing import ResponseReturnValue

from dashboards import auth
from dashboards.components import disclosure_note
from sendwatch.access import roles

HERE = Path(__file__).parent
# Dash's page shell, with the page's language declared (WCAG 3.1.1).
INDEX = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""
# The pages with an address of their own: (path, label, page name as in roles.PAGES).
# Each viewer's header lists those its role may open, and a school account its school.
NAVIGATION = (
    ("/", "Overview", "overview"),
    ("/sendiass", "SENDIASS enquiries", "sendiass"),
    ("/commissioning", "Commissioning", "commissioning"),
    ("/early-warning", "Early warning", "early_warning"),
    ("/data", "Data and refresh", "data_status"),
    ("/context", "LA context", "context"),
    ("/admin", "Administration", "admin"),
)


def create_app() -> Dash:
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="sendwatch",
        suppress_callback_exceptions=True,
        index_string=INDEX,
    )
    app.layout = page_shell  # a function: Dash calls it for each request
    _add_export_routes(app)
    _add_docs_routes(app)
    app.server.register_error_handler(roles.AccessDenied, _access_denied)
    auth.install(app)
    return app


def page_shell() -> html.Div:
    """Every page's frame, for the viewer of this request: the header's navigation lists
    only what their role may open, with who is signed in and the sign-out button."""
    viewer = auth.current_viewer()
    header = [
        html.Span("sendwatch", className="brand"),
        html.Nav(
            html.Ul([html.Li(html.A(label, href=path)) for path, label in navigation(viewer)]),
            **{"aria-label": "Main"},
        ),
    ]
    if viewer is not None:  # Dash may build the shell once outside a signed-in request
        header.append(
            html.Div(
                [
                    html.Span(
                        f"Signed in as {viewer.name} ({auth.role_label(viewer.role)})",
                        className="signed-in-as",
                    ),
                    auth.sign_out_form(),
                ],
                className="account",
                style={"marginLeft": "auto", "display": "flex", "gap": "1rem"},
            )
        )
    # what the symbols for withheld figures mean, for a viewer who sees them
    note = disclosure_note(viewer) if viewer is not None else None
    return html.Div(
        [
            html.A("Skip to main content", href="#main", className="skip-link"),
            html.Header(html.Div(header, className="header-inner"), className="site-header"),
            html.Main(dash.page_container, id="main", className="page"),
            *([note] if note is not None else []),
            html.Footer(
                "SEN support returns judged against the SEND Code of Practice 0-25 (2015), "
                "chapter 6. A flag means the return suggests a duty may not be met.",
                className="site-footer",
            ),
        ]
    )


def navigation(viewer: roles.Viewer | None) -> list[tuple[str, str]]:
    """(path, label) of each page ``viewer`` may open that has an address of its own."""
    if viewer is None:
        return []
    links = [(path, label) for path, label, name in NAVIGATION if roles.may_open(viewer, name)]
    if viewer.role == roles.SCHOOL and roles.may_open(viewer, "school"):
        several = len(viewer.urns) > 1
        schools = [
            (f"/school/{urn}", f"Your school ({urn})" if several else "Your school")
            for urn in sorted(viewer.urns)
        ]
        links = schools + links
    return links


def _access_denied(error: roles.AccessDenied) -> ResponseReturnValue:
    """What the data layer or a route refused: 403 (401 if nobody is signed in), audited."""
    from flask import request

    return auth.refused(auth.current_viewer(), request.path, str(error))


def _add_docs_routes(app: Dash) -> None:
    """The published Great Expectations Data Docs and the dbt docs, linked from /data."""
    from flask import Response, abort, send_from_directory

    from sendwatch.settings import load_settings
    from sendwatch.snapshots import dbt_docs_site, published_data_docs

    def serve_from(index: Path | None, name: str) -> Response:
        if index is None:
            abort(404)
        return send_from_directory(index.parent, name)  # refuses paths outside the folder

    @app.server.route("/data-docs/<path:name>")
    def data_docs(name: str) -> Response:
        return serve_from(published_data_docs(load_settings()), name)

    @app.server.route("/dbt-docs/<path:name>")
    def dbt_docs(name: str) -> Response:
        return serve_from(dbt_docs_site(load_settings()), name)


def _add_export_routes(app: Dash) -> None:
    """Exports as plain links: the same filters as the page, checked on the server."""
    from flask import Response, abort, request

    from dashboards import data
    from dashboards.components import EXPORTABLE_TABLES, TABLE_ACCESS
    from dashboards.filters import filters_from
    from sendwatch.exports import EXPORT_TYPES, table_bytes  # as the command line writes

    def allowed(viewer: data.Viewer, *names: str) -> data.Viewer:
        """The viewer, if their role may open every page or route in ``names`` and see
        every school the query asks for."""
        for name in names:
            if not roles.may_open(viewer, name):
                raise roles.AccessDenied(f"the role {viewer.role} cannot open {name}")
        for urn in request.args.getlist("urn"):
            if not roles.may_see_school(viewer, urn):
                raise roles.AccessDenied(f"{viewer.name} cannot see the school {urn}")
        return viewer

    def audited(viewer: data.Viewer, response: Response) -> Response:
        auth.record(viewer, "export", auth.here())
        return response

    def send(frame, file_format: str, name: str) -> Response:
        return Response(
            table_bytes(frame, file_format),
            mimetype=EXPORT_TYPES[file_format],
            headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
        )

    @app.server.route("/export/duties.<file_format>")
    def export_duties(file_format: str) -> Response:
        if file_format not in EXPORT_TYPES:
            abort(404)
        viewer = allowed(data.viewer_for(request), "duties_export")
        filters = filters_from(request.args.to_dict(), viewer)
        frame = data.duty_export(viewer, filters)
        name = f"sendwatch-{filters.academic_year}-{filters.term}"
        return audited(viewer, send(frame, file_format, name))

    @app.server.route("/export/table/<name>.<file_format>")
    def export_table(name: str, file_format: str) -> Response:
        """Any page's table, as that page shows it for the same query, to whoever may
        open that page."""
        builder = EXPORTABLE_TABLES.get(name)
        if builder is None or file_format not in EXPORT_TYPES:
            abort(404)
        viewer = allowed(data.viewer_for(request), *TABLE_ACCESS[name])
        shown = builder(viewer, request.args.to_dict())
        if shown is None:
            abort(404)
        return audited(viewer, send(shown.as_shown(), file_format, f"sendwatch-{name}"))


app = create_app()
server = app.server
