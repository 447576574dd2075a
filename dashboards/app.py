"""The sendwatch dashboard: Dash pages over the published snapshot.

``create_app()`` builds the app (nothing is read at import); ``server`` is the
WSGI entry point for deployment (``gunicorn dashboards.app:server``).
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, html

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
NAVIGATION = (
    ("/", "Overview"),
    ("/data", "Data and refresh"),
    ("/context", "LA context"),
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
    app.layout = html.Div(
        [
            html.A("Skip to main content", href="#main", className="skip-link"),
            html.Header(
                html.Div(
                    [
                        html.Span("sendwatch", className="brand"),
                        html.Nav(
                            html.Ul(
                                [html.Li(html.A(label, href=path)) for path, label in NAVIGATION]
                            ),
                            **{"aria-label": "Main"},
                        ),
                    ],
                    className="header-inner",
                ),
                className="site-header",
            ),
            html.Main(dash.page_container, id="main", className="page"),
            html.Footer(
                "SEN support returns judged against the SEND Code of Practice 0-25 (2015), "
                "chapter 6. A flag means the return suggests a duty may not be met.",
                className="site-footer",
            ),
        ]
    )
    _add_export_routes(app)
    _add_docs_routes(app)
    return app


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
    from dashboards.components import EXPORT_TYPES, EXPORTABLE_TABLES, table_bytes
    from dashboards.filters import filters_from
    from sendwatch.exports import DUTY_COLUMNS

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
        viewer = data.viewer_for(request)
        filters = filters_from(request.args.to_dict(), viewer)
        frame = data.duty_checks(viewer, filters)
        order = data.school_grid(viewer, filters)["urn"].tolist()
        frame = frame.assign(order=frame["urn"].map({u: i for i, u in enumerate(order)}))
        frame = frame.sort_values(["order", "check_id"])[list(DUTY_COLUMNS)]
        return send(frame, file_format, f"sendwatch-{filters.academic_year}-{filters.term}")

    @app.server.route("/export/table/<name>.<file_format>")
    def export_table(name: str, file_format: str) -> Response:
        """Any page's table, as that page shows it for the same query."""
        builder = EXPORTABLE_TABLES.get(name)
        if builder is None or file_format not in EXPORT_TYPES:
            abort(404)
        shown = builder(data.viewer_for(request), request.args.to_dict())
        if shown is None:
            abort(404)
        return send(shown.as_shown(), file_format, f"sendwatch-{name}")


app = create_app()
server = app.server
