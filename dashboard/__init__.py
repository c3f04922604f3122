"""The Dash application: ``create_app`` builds it from a reader; nothing runs at import.

Pages are Dash pages (``dash.register_page``), each registered with its callbacks by its module's
``register``; the role check in front of every page is in pages/routing.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from dash import Dash, page_container
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.alerts_api import alerts_blueprint
from dashboard.api import register_api
from dashboard.auth.callbacks import callback_gate
from dashboard.auth.web import install_auth
from dashboard.explorer.routes import register_exports
from dashboard.headers import install_headers
from dashboard.ops import register_ops
from dashboard.outage import register_store_errors
from dashboard.pages import alerts, case, explorer, home, not_found_404, reports, screens, sources, users, wall
from dashboard.pages.routing import ROUTING_STATE, register_page
from dashboard.public import register_public
from domain.alert_settings import AlertSettings
from domain.config import AuthSettings, ExplorerSettings, PublicSettings, ReportSettings, ServerSettings
from domain.target_settings import Target
from service.kpi_service import KpiService
from service.public_stats import PublicStatistics
from store.alerts import AlertStore
from store.audit import AuditLog
from store.reader import Reader

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NO_AUTH = AuthSettings(enabled=False)
DIRECT = ServerSettings()  # no proxy in front, plain HTTP
EXPLORER = ExplorerSettings()
NO_ALERTS = AlertSettings()
NOT_PUBLIC = PublicSettings()  # no /statistiques unless [public] enabled


def french_index(index: str) -> str:
    """Dash's page template with ``<html lang="fr">``: screen readers speak French, browsers offer no translation
    and format their own widgets in French. Fails loudly if a Dash upgrade changes the template's ``<html>``."""
    if "<html>" not in index:
        raise ValueError("le gabarit de page de Dash n'a plus de balise <html> : lang=\"fr\" ne peut être posé")
    return index.replace("<html>", '<html lang="fr">', 1)


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
    alert_settings: AlertSettings = NO_ALERTS,
    report_settings: ReportSettings | None = None,  # [reports]: /rapports says when the next one comes
    public: PublicSettings = NOT_PUBLIC,
    targets: Sequence[Target] = (),  # [[targets]]: on the wall's tiles and in the reports built from /rapports
) -> Dash:
    """The app; ``secret`` signs session cookies (a random one, valid for this process only, when None);
    ``reports_dir`` holds the weekly reports listed on /rapports (default data/reports); ``boot`` identifies
    the deployment on /healthz (wall screens reload when it changes): shared by every worker of one
    release, a random one per process when None.

    Dash keeps its pages in one registry per process: the pages of the last app built serve every app
    of the process (one app per process outside tests).
    """
    reports_dir = reports_dir or ASSETS.parent / "data" / "reports"
    catalog = kpis.catalog  # the catalogue the KPI service counts with: the pages name and filter with the same
    app = Dash(
        __name__,
        title="Vigie",
        assets_folder=str(ASSETS),
        serve_locally=True,
        update_title=None,
        use_pages=True,
        pages_folder="",  # pages are registered below, not found by scanning a folder at import
        include_pages_meta=False,
        routing_callback_inputs=ROUTING_STATE,
        suppress_callback_exceptions=False,
    )
    app.layout = page_container
    app.index_string = french_index(app.index_string)
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
        public=public.enabled,
    )
    home.register(kpis, catalog)
    explorer.register(app, kpis, catalog, now, AlertStore(reader.engine).annotations, targets)
    case.register(kpis, catalog, reader, now)
    reports.register(app.server, reports_dir, catalog, reader.engine, kpis, now, report_settings, targets)
    sources.register(app, reader, now)
    screens.register(app, reader, now)
    users.register(reader, now)
    alert_page = alerts.AlertsPage(alert_settings, AlertStore(reader.engine), AuditLog(reader.engine), catalog, now)
    wall.register(app, reader, kpis, catalog, now, alert_page, targets)
    alerts.register(alert_page)
    app.server.register_blueprint(alerts_blueprint(alert_page))
    register_page(not_found_404.__name__, not_found_404.PATH, not_found_404.layout, exact=False)
    register_api(app.server, reader, kpis, catalog, now, boot=boot or secrets.token_hex(8))
    register_exports(app.server, kpis, catalog, reader.engine, now, max_rows=explorer_settings.export_max_rows)
    register_ops(app.server, reader, kpis, now)
    register_store_errors(app.server)
    if public.enabled:  # /statistiques and its open data, without login (the gate 404s them otherwise)
        register_public(app.server, PublicStatistics(kpis, now))
    install_headers(app)
    return app
