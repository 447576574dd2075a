"""The sendwatch dashboard: Dash pages over the published snapshot.

``create_app()`` builds the app (nothing is read at import); ``server`` is the
WSGI entry point for deployment (``gunicorn dashboards.app:server``).
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, html

HERE = Path(__file__).parent
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
    return app


app = create_app()
server = app.server
