"""JSON endpoints under /api/, on the Dash app's Flask server. Bad parameters get a 400 with a French message."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request

from dashboard.kpis.document import KpiParameterError, parse_as_of, parse_days
from dashboard.kpis.service import KpiService


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), status=status, mimetype="application/json")


def register_api(server: Flask, kpis: KpiService) -> None:
    @server.get("/api/kpis")
    def api_kpis() -> Response:
        try:
            as_of = parse_as_of(request.args.get("as_of"), kpis.now()) if request.args.get("as_of") else None
            days = parse_days(request.args.get("days"))
        except KpiParameterError as exc:
            return _json({"error": str(exc)}, 400)
        return _json(kpis.document(as_of, days))
