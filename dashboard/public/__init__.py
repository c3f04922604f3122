"""The public statistics page and its open data, without login: /statistiques, /statistiques.csv,
/statistiques.json and the page's stylesheet /statistiques.css (roles.PUBLIC_PATHS; the gate answers 404 for
them when ``[public] enabled`` is false, and these routes are then not registered).

Plain Flask routes, no Dash: the page is server-side HTML with one small stylesheet and no script, so a phone
on a slow link downloads a few kilobytes. The table is computed once per data version (PublicStatistics) and each
rendering is kept with the table it was made from. Responses set no cookie and carry a policy stricter than the
app's: nothing but this server's stylesheet may load.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from flask import Blueprint, Flask, Response

from dashboard.public.open_data import to_csv, to_json
from dashboard.public.page import STYLESHEET, render_page
from service.public_stats import PublicStatistics, PublicTable

#: No script, no frame, no form, no connection: only the stylesheet and, for the browser, nothing else.
PUBLIC_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Browsers and proxies may keep an answer a minute: the numbers move with the data, not faster.
CACHE_CONTROL = "public, max-age=60"


class Renderings:
    """Each format's bytes, kept with the table they were made from (a new table renders again)."""

    def __init__(self, stats: PublicStatistics) -> None:
        self.stats = stats
        self._kept: dict[str, tuple[PublicTable, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, render: Callable[[PublicTable], bytes]) -> bytes:
        table = self.stats.table()
        with self._lock:
            kept = self._kept.get(kind)
            if kept is None or kept[0] is not table:
                kept = (table, render(table))
                self._kept[kind] = kept
            return kept[1]


def public_blueprint(stats: PublicStatistics) -> Blueprint:
    blueprint = Blueprint("public", __name__)
    renderings = Renderings(stats)
    stylesheet = STYLESHEET.read_bytes()

    def answer(body: bytes, mimetype: str, download: str | None = None) -> Response:
        response = Response(body, 200, mimetype=mimetype)
        response.headers["Content-Security-Policy"] = PUBLIC_POLICY
        response.headers["Cache-Control"] = CACHE_CONTROL
        if download:
            response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
        return response

    @blueprint.get("/statistiques")
    def page() -> Response:
        return answer(renderings.get("html", lambda t: render_page(t).encode("utf-8")), "text/html")

    @blueprint.get("/statistiques.csv")
    def csv_data() -> Response:
        return answer(renderings.get("csv", to_csv), "text/csv", "statistiques-vigie.csv")

    @blueprint.get("/statistiques.json")
    def json_data() -> Response:
        body = renderings.get("json", lambda t: json.dumps(to_json(t), ensure_ascii=False, indent=1).encode("utf-8"))
        return answer(body, "application/json")

    @blueprint.get("/statistiques.css")
    def css() -> Response:
        return answer(stylesheet, "text/css")

    return blueprint


def register_public(server: Flask, stats: PublicStatistics) -> None:
    server.register_blueprint(public_blueprint(stats))
