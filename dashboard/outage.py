"""The store down: what the server answers, and what the room is told.

While the store is down the Reader serves the last state it read (``Reader.outage`` says
since when); a request that needs something never read before, or a write (an audit row,
a heartbeat), gets a 503 with a French sentence instead of a traceback.
"""

from __future__ import annotations

import json
import logging

import pandas as pd
from flask import Flask, Response, request

from dashboard.i18n import tr
from domain.model import LOME_TZ
from store.reader import STORE_DOWN, Reader, StoreUnavailable

log = logging.getLogger(__name__)
MESSAGE = "La base de données de Vigie ne répond pas ; réessayez dans un instant."


def outage_line(reader: Reader, lang: str = "fr") -> str | None:
    """The banner line while the store is down ('… depuis 14:02 — derniers chiffres connus'), else None."""
    outage = reader.outage
    if outage is None:
        return None
    since = pd.Timestamp(outage.since).tz_convert(LOME_TZ).strftime("%H:%M")
    return tr("✖ Base de données de Vigie injoignable depuis {since} — derniers chiffres connus", lang, since=since)


def register_store_errors(server: Flask) -> None:
    def store_down(exc: Exception) -> Response:
        log.error("%s %s: store unavailable (%s)", request.method, request.path, type(exc).__name__)
        wants_json = request.path.startswith(("/api/", "/_dash", "/explorer/export")) or request.is_json
        if wants_json:
            body = json.dumps({"error": MESSAGE}, ensure_ascii=False)
            return Response(body, 503, mimetype="application/json", headers={"Retry-After": "5"})
        page = (
            "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Vigie — indisponible</title>"
            "<meta http-equiv='refresh' content='10'></head><body><h1>Service momentanément indisponible</h1>"
            f"<p>{MESSAGE} Cette page se recharge toute seule.</p></body></html>"
        )
        return Response(page, 503, mimetype="text/html", headers={"Retry-After": "5"})

    for error in (StoreUnavailable, *STORE_DOWN):
        server.register_error_handler(error, store_down)
