"""The Dash application: ``create_app`` builds it from a reader; nothing runs at import."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path

from dash import Dash, Input, Output, State, dcc, html

from collectors.reader import Reader
from dashboard import ids
from dashboard.api import register_api
from dashboard.kpis.service import KpiService
from dashboard.pages import screens, sources, wall

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(reader: Reader, kpis: KpiService, now: Callable[[], dt.datetime]) -> Dash:
    app = Dash(
        __name__,
        title="Vigie",
        assets_folder=str(ASSETS),
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.layout = html.Div([dcc.Location(id=ids.URL), html.Div(id=ids.PAGE)])
    app.validation_layout = html.Div([app.layout, sources.layout(), wall.layout(), screens.layout()])

    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))
    def route(path: str | None, search: str | None) -> object:
        if path in ("/wall", "/wall/"):
            return wall.layout(wall.language(search))
        if path in (None, "/", "/sources"):
            return sources.layout()
        if path in ("/ecrans", "/ecrans/"):
            return screens.layout()
        return html.Div(
            className="page",
            children=[html.H1("Page introuvable"), html.P(f"« {path} » n'existe pas. Essayez /wall, /sources ou /ecrans.")],
        )

    sources.register(app, reader, now)
    wall.register(app, reader, kpis, now)
    screens.register(app, reader, now)
    register_api(app.server, kpis, boot=secrets.token_hex(8))
    return app
