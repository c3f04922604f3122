"""The Dash application: ``create_app`` builds it from a reader; nothing runs at import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from dash import Dash

from collectors.reader import Reader
from dashboard.api import register_api
from dashboard.kpis.service import KpiService
from dashboard.pages import sources

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(reader: Reader, kpis: KpiService, now: Callable[[], dt.datetime]) -> Dash:
    app = Dash(__name__, title="Vigie", assets_folder=str(ASSETS), serve_locally=True, update_title=None)
    app.layout = sources.layout()
    sources.register(app, reader, now)
    register_api(app.server, kpis)
    return app
