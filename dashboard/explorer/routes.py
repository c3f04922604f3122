"""Export endpoints: the explorer's current view as CSV or XLSX, logged in the audit log.

An export holds at most ``max_rows`` cases ([explorer] export_max_rows): a larger list is refused
with a page saying how to narrow it, before any file is built: a million-case list would keep a
worker busy past its timeout (bench/bench_export.py gives the time per size). No cache keeps an
export: dashboard.headers marks every /explorer/export response ``no-store``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

import pandas as pd
from flask import Flask, Response, request
from sqlalchemy import Engine

from dashboard.auth import audit
from dashboard.auth.scope import scope_label
from dashboard.auth.web import current
from dashboard.explorer.export import to_csv, to_xlsx
from dashboard.explorer.grid import apply_view
from dashboard.explorer.labels import query_lines
from dashboard.explorer.state import ExplorerQuery, ExplorerQueryError, parse_for
from domain.french import fr_number
from domain.model import LOME_TZ
from service.kpi_service import KpiService

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_header(query: ExplorerQuery, as_of: pd.Timestamp, days: int, rows: int, who: str) -> list[tuple[str, str]]:
    """What an export records about itself: when, by whom, the window, every filter in French labels and values
    (the grid's filters and sorts included: explorer/labels.query_lines), and how many cases it lists."""
    lome = as_of.tz_convert(LOME_TZ)
    header = [
        ("Vigie — export", "Ministère de l'Énergie et des Mines"),
        ("Exporté par", who),
        ("Données au", f"{lome:%d/%m/%Y %H:%M} (heure de Lomé)"),
        ("Fenêtre", f"{fr_number(days)} jours jusqu'à cet instant"),
        ("Lien", "/explorer" + query.to_search()),
    ]
    return header + query_lines(query) + [("Nombre de dossiers", fr_number(rows))]


def too_many_rows(found: int, limit: int, search: str) -> Response:
    """The refusal of an export over the limit: what the list holds, the limit, how to narrow it, and a way back."""
    message = (
        f"Export impossible : la liste compte {fr_number(found)} dossiers, la limite est de {fr_number(limit)}. "
        "Resserrez les filtres (période, structure, procédure, région…) puis exportez de nouveau."
    )
    page = (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Export impossible · Vigie</title>"
        "<link rel='stylesheet' href='/assets/app.css'></head><body class='plain-page'><main class='plain-main'>"
        f"<h1>Export impossible</h1><p>{html.escape(message)}</p>"
        f"<p><a href='{html.escape('/explorer' + search)}'>Revenir à l'explorateur</a></p></main></body></html>"
    )
    return Response(page, 400, mimetype="text/html")


def register_exports(
    server: Flask,
    kpis: KpiService,
    catalog: pd.DataFrame,
    engine: Engine,
    now: Callable[[], dt.datetime],
    *,
    max_rows: int = 200_000,
) -> None:
    """/explorer/export.csv and .xlsx: ``catalog`` checks the URL's filters, ``engine`` keeps the audit log."""

    @server.get("/explorer/export.<kind>")
    def export(kind: str) -> Response:
        if kind not in ("csv", "xlsx"):
            return Response("Format d'export inconnu (attendu : csv ou xlsx).", 404, mimetype="text/plain")
        search = "?" + request.query_string.decode("utf-8") if request.query_string else ""
        who = current()
        try:
            query = parse_for(who, search, catalog, now())
        except ExplorerQueryError as exc:
            return Response(f"Export impossible : {exc}", 400, mimetype="text/plain")
        as_of, days = query.window(now())
        at = as_of if as_of is not None else pd.Timestamp(now()).tz_convert("UTC")
        # the same cached list as the page, filtered and sorted as the grid shows it
        rows = apply_view(kpis.cases(as_of, days, query.filters, query.population), query.grid)
        search = query.to_search()
        if len(rows) > max_rows:
            return too_many_rows(len(rows), max_rows, search)
        name = who.name if who else "?"
        scope = scope_label(who) if who else "aucune structure"
        header = export_header(query, at, days, len(rows), name)
        header.insert(2, ("Périmètre", scope))
        body = to_csv(rows, header) if kind == "csv" else to_xlsx(rows, header)
        audit.record(
            engine,
            who=name,
            action="export",
            detail=f"{kind} {len(rows)} dossiers /explorer{search} périmètre : {scope}",
            address=request.remote_addr,
            now=now(),
        )
        stamp = at.tz_convert(LOME_TZ).strftime("%Y%m%d-%H%M")
        return Response(
            body,
            mimetype="text/csv; charset=utf-8" if kind == "csv" else XLSX,
            headers={"Content-Disposition": f'attachment; filename="vigie-dossiers-{stamp}.{kind}"'},
        )
