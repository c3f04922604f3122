"""JSON endpoints under /api/, on the Dash app's Flask server. Bad parameters get a 400 with a French message."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
from flask import Flask, Response, request

from dashboard.auth.roles import allows
from dashboard.auth.scope import scoped_filters
from dashboard.auth.web import current
from dashboard.screens import HeartbeatError, list_screens, record_heartbeat
from kpis.document import KpiParameterError, parse_as_of, parse_days
from kpis.filters import CaseFilters, parse_filters
from service.kpi_service import KpiService
from store.reader import Reader

MASKED = "•••"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), status=status, mimetype="application/json")


def register_api(
    server: Flask, reader: Reader, kpis: KpiService, catalog: pd.DataFrame, now: Callable[[], dt.datetime], boot: str = ""
) -> None:
    """/api/screens (heartbeats and the list), /healthz, /api/kpis and the series; ``catalog`` checks the filters.
    Every case-bearing answer is narrowed to the asking account's structures (``dashboard.auth.scope``)."""

    @server.post("/api/screens/heartbeat")
    def heartbeat() -> Response:
        """A wall screen says it is alive; only the screen's own session may speak for it.

        A user's session (any role) would otherwise create phantom screens, or make a dead screen
        look alive on /ecrans; with authentication off (demo) every screen names itself.
        """
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return _json({"error": "battement de cœur illisible : un objet JSON est attendu"}, 400)
        who = current()
        name = str(payload.get("screen") or "").strip()
        if who is None or not (who.kind == "demo" or (who.kind == "screen" and who.name == name)):
            return _json({"error": "seul l'écran lui-même peut signaler son activité (session d'écran requise)"}, 403)
        try:
            record_heartbeat(
                reader.engine,
                payload,
                now=now(),
                address=request.remote_addr,
                user_agent=request.headers.get("User-Agent"),
            )
        except HeartbeatError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"status": "ok"})

    @server.get("/api/screens")
    def screens() -> Response:
        frame = list_screens(reader.engine, now())
        return _json({"screens": _records(frame.drop(columns=["user_agent"], errors="ignore"))})

    @server.get("/healthz")
    def healthz() -> Response:
        """Liveness, and the process's boot id: a wall screen reloads itself when it changes (redeploy)."""
        return _json({"status": "ok", "boot": boot})

    @server.get("/api/kpis")
    def api_kpis() -> Response:
        """The KPI document; ``service``, ``procedure``, ``region`` and ``channel`` narrow the cases counted."""
        try:
            as_of = parse_as_of(request.args.get("as_of"), now()) if request.args.get("as_of") else None
            days = parse_days(request.args.get("days"))
            filters = asked_filters(catalog)
        except KpiParameterError as exc:
            return _json({"error": str(exc)}, 400)
        answer = _json(kpis.document(as_of, days, filters))
        outage = reader.outage
        if outage is not None:  # same JSON contract; the staleness goes in headers
            answer.headers["X-Vigie-Store"] = f"unreachable since {outage.since.isoformat()}"
            answer.headers["Warning"] = '110 - "Response is Stale"'
        return answer

    register_series(server, kpis, catalog, now)


def asked_filters(catalog: pd.DataFrame) -> CaseFilters:
    """The request's ``service``, ``procedure``, ``region`` and ``channel``, checked against the catalogue and
    narrowed to the asking account's scope (KpiParameterError, French, for a bad value or one outside the scope)."""
    return scoped_filters(current(), parse_filters(request.args.to_dict(), catalog), catalog)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise KpiParameterError(f"{name} invalide : « {text} » (attendu : un nombre entier)") from None
    if not low <= value <= high:
        raise KpiParameterError(f"{name} invalide : {value} (attendu : entre {low} et {high})")
    return value


def _records(frame: Any) -> list[dict[str, Any]]:
    """Frame rows as JSON-able dicts: ISO dates, None for missing."""
    out = frame.copy()
    for col in out.columns:
        if col == "due_date":  # a Lomé calendar date
            out[col] = out[col].map(lambda v: None if pd.isna(v) else v.date().isoformat())
        elif str(out[col].dtype).startswith("datetime64"):
            out[col] = out[col].map(lambda v: None if pd.isna(v) else v.isoformat())
        elif col == "date":
            out[col] = out[col].map(str)
    return json.loads(out.to_json(orient="records", force_ascii=False, date_format="iso"))


def register_series(server: Flask, kpis: KpiService, catalog: pd.DataFrame, now: Callable[[], dt.datetime]) -> None:
    """The series and the cases at risk; each takes the same filters as /api/kpis (and the same scope)."""

    def params() -> pd.Timestamp | None:
        return parse_as_of(request.args.get("as_of"), now()) if request.args.get("as_of") else None

    @server.get("/api/series/daily")
    def api_daily() -> Response:
        try:
            as_of, days = params(), _int_arg("days", 90, 1, 730)
            by = request.args.get("by", "service")
            if by not in ("service", "procedure", "overall"):
                raise KpiParameterError(f"by invalide : « {by} » (attendu : service, procedure ou overall)")
            filters = asked_filters(catalog)
        except KpiParameterError as exc:
            return _json({"error": str(exc)}, 400)
        column = {"service": "service", "procedure": "procedure", "overall": None}[by]
        return _json({"by": by, "days": days, "rows": _records(kpis.daily(as_of, days, column, filters))})

    @server.get("/api/series/processing")
    def api_processing() -> Response:
        try:
            as_of, days = params(), _int_arg("days", 90, 1, 730)
            filters = asked_filters(catalog)
        except KpiParameterError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"days": days, "by_procedure": kpis.processing(as_of, days, filters)})

    @server.get("/api/cases/at-risk")
    def api_at_risk() -> Response:
        try:
            as_of, horizon = params(), _int_arg("horizon", 5, 1, 60)
            filters = asked_filters(catalog)
        except KpiParameterError as exc:
            return _json({"error": str(exc)}, 400)
        cases = kpis.at_risk(as_of, horizon, filters)
        who = current()
        if who is None or not allows(who.role, "manager"):  # viewers see no personal data
            cases = cases.assign(agent=MASKED)
        return _json({"horizon_business_days": horizon, "cases": _records(cases)})

    @server.get("/api/series/trend")
    def api_trend() -> Response:
        try:
            as_of, weeks = params(), _int_arg("weeks", 4, 1, 26)
            filters = asked_filters(catalog)
        except KpiParameterError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"weeks": weeks, "rows": kpis.trend(as_of, weeks, filters)})
