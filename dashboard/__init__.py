"""The Dash application: ``create_app`` builds it from a reader; nothing runs at import."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from dash import Dash, Input, Output, dcc, html
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import ids
from dashboard.api import register_api
from dashboard.auth import audit
from dashboard.auth.callbacks import callback_gate
from dashboard.auth.roles import allows, page_role
from dashboard.auth.web import current, install_auth
from dashboard.explorer.routes import register_exports
from dashboard.headers import install_headers
from dashboard.ops import register_ops
from dashboard.outage import register_store_errors
from dashboard.pages import case, explorer, home, reports, screens, sources, users, wall
from domain.config import AuthSettings, ExplorerSettings, ServerSettings
from service.kpi_service import KpiService
from store.reader import Reader

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NO_AUTH = AuthSettings(enabled=False)
DIRECT = ServerSettings()  # no proxy in front, plain HTTP
EXPLORER = ExplorerSettings()


def create_app(
    reader: Reader,
    kpis: KpiService,
    now: Callable[[], dt.datetime],
    auth: AuthSettings = NO_AUTH,
    secret: str | None = None,
    reports_dir: Path | None = None,
    boot: str | None = None,
    server: ServerSettings = DIRECT,
    explorer_settings: ExplorerSettings = EXPLORER,
) -> Dash:
    """The app; ``secret`` signs session cookies (a random one, valid for this process only, when None);
    ``reports_dir`` holds the weekly reports listed on /rapports (default data/reports); ``boot`` identifies
    the deployment on /healthz (wall screens reload when it changes): shared by every worker of one
    release, a random one per process when None."""
    reports_dir = reports_dir or ASSETS.parent / "data" / "reports"
    app = Dash(
        __name__,
        title="Vigie",
        assets_folder=str(ASSETS),
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.layout = html.Div([dcc.Location(id=ids.URL, refresh="callback-nav"), html.Div(id=ids.PAGE)])
    app.validation_layout = html.Div([app.layout, sources.layout(), wall.layout(), screens.layout()])
    if server.trusted_proxies:  # believe X-Forwarded-For/-Proto from that many proxies, no more
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=server.trusted_proxies, x_proto=server.trusted_proxies)
    install_auth(
        app.server,
        reader.engine,
        auth,
        secret or secrets.token_hex(32),
        now,
        callback_check=callback_gate(app.callback_map),
        https=server.https,
    )

    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), Input(ids.URL, "search"))
    def route(path: str | None, search: str | None) -> object:
        return page_for(path or "/", search, kpis, now, reports_dir)

    sources.register(app, reader, now)
    wall.register(app, reader, kpis, now)
    screens.register(app, reader, now)
    explorer.register(app, kpis, now)
    register_api(app.server, kpis, boot=boot or secrets.token_hex(8))
    register_exports(app.server, kpis, reader.engine, now, max_rows=explorer_settings.export_max_rows)
    register_ops(app.server, kpis, now)
    register_store_errors(app.server)
    reports.register_downloads(app.server, reports_dir)
    install_headers(app)
    return app


def page_for(path: str, search: str | None, kpis: KpiService, now: Callable[[], dt.datetime], reports_dir: Path) -> object:
    """The page for a path, after checking the role on the server (a direct callback call gets nothing more)."""
    who = current()
    if who is None or not allows(who.role, page_role(path)):
        return html.Div(
            className="app-page", children=[html.H1("Accès refusé"), html.P("Votre rôle ne donne pas accès à cette page.")]
        )
    if path in ("/wall", "/wall/"):
        return wall.layout(wall.language(search))
    if path == "/":
        return home.layout(kpis.document(None, 7), who)
    if path in ("/sources", "/sources/"):
        return sources.layout()
    if path in ("/ecrans", "/ecrans/"):
        return screens.layout()
    if path in ("/utilisateurs", "/utilisateurs/"):
        return users.layout(kpis.reader.engine, now())
    if path in ("/rapports", "/rapports/"):
        return reports.layout(reports_dir)
    if path in ("/explorer", "/explorer/"):
        return explorer.layout(search, kpis, now())
    if path.startswith("/explorer/case/"):
        parts = path[len("/explorer/case/") :].split("/")
        if len(parts) != 2 or not all(parts):
            return explorer.error_page("adresse de dossier attendue : /explorer/case/<source>/<numéro>")
        source, case_id = (unquote(p) for p in parts)
        story = kpis.case_story(source, case_id)
        audit.record(
            kpis.reader.engine,
            who=who.name,
            action="case_view",
            detail=f"{source}/{case_id}",
            address=request.remote_addr,
            now=now(),
        )
        if story is None:
            return case.not_found(source, case_id)
        name = kpis.catalog.loc[kpis.catalog["code"] == story.case["procedure_code"], "name"]
        return case.layout(story, str(name.iloc[0]) if not name.empty else "")
    return html.Div(
        className="app-page",
        children=[
            html.H1("Page introuvable"),
            html.P(f"« {path} » n'existe pas. Essayez /, /wall, /explorer, /sources ou /ecrans."),
        ],
    )
