"""/rapports (managers, admins): the stored weekly reports each account may read, newest first, and for admins
the log of the subscriptions' e-mails.

Which reports an account sees (``visible``): the whole ministry sees them all; an account limited to some
structures sees only the reports whose structures are all among its own — never the ministry's. The download
route applies the same rule and answers 404 for a report outside it, exactly as for a file that does not exist.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from dash import html
from flask import Flask, Response, abort, send_from_directory
from sqlalchemy import Engine

from dashboard.auth.accounts import Principal
from dashboard.auth.roles import allows
from dashboard.auth.web import current
from dashboard.pages.desk import desk_page
from dashboard.pages.routing import register_page
from domain.model import LOME_TZ
from reports.files import check_tokens, covered_services, list_reports
from store.report_deliveries import ReportDeliveries

_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_STATES = {"pending": "en cours", "sent": "envoyé", "failed": "échec"}


def register(server: Flask, reports_dir: Path, catalog: pd.DataFrame, engine: Engine) -> None:
    """The /rapports page and its downloads; ``catalog`` names the structures a report file covers."""
    tokens = check_tokens(catalog["service"])
    deliveries = ReportDeliveries(engine)

    def layout(**_query: Any) -> html.Div:
        return render(reports_dir, current(), tokens, deliveries)

    register_page(__name__, "/rapports", layout)
    register_downloads(server, reports_dir, tokens)


def visible(who: Principal | None, covered: frozenset[str] | None) -> bool:
    """May ``who`` see a report covering ``covered`` (None: the whole ministry)?"""
    if who is None:
        return False
    if who.services is None:
        return True
    return covered is not None and bool(covered) and covered <= who.services


def visible_reports(reports_dir: Path, who: Principal | None, tokens: dict[str, str]) -> list[tuple[str, list[Path]]]:
    """(week, files) as ``list_reports`` gives them, keeping only the files ``who`` may see, weeks left empty dropped."""
    kept = []
    for week, files in list_reports(reports_dir):
        mine = [f for f in files if visible(who, covered_services(f.name, week, tokens))]
        if mine:
            kept.append((week, mine))
    return kept


def render(reports_dir: Path, who: Principal | None, tokens: dict[str, str], deliveries: ReportDeliveries) -> html.Div:
    items = []
    for week, files in visible_reports(reports_dir, who, tokens):
        groups: dict[str, list[Path]] = {}
        for f in files:
            covered = covered_services(f.name, week, tokens)
            groups.setdefault("Tout le ministère" if covered is None else ", ".join(sorted(covered)), []).append(f)
        for scope, grouped in sorted(groups.items(), key=lambda kv: (kv[0] != "Tout le ministère", kv[0])):
            links = [
                i
                for f in grouped
                for i in (html.A(f.suffix[1:].upper(), href=f"/rapports/{week}/{f.name}", className="button"), " ")
            ]
            items.append(html.Li([html.Strong(week), f" — {scope} — ", *links]))
    admin = who is not None and allows(who.role, "admin")
    return desk_page(
        "",
        html.H1("Rapports hebdomadaires"),
        html.P(
            "Chaque lundi à 6 h (heure de Lomé), le rapport de la semaine écoulée est produit ici, avec ceux des "
            "abonnements par structure. Une semaine passée se régénère à l'identique : "
            "python app.py report --week AAAA-Wnn [--services CEET]."
        ),
        html.Ul(items, className="page-links") if items else html.P("Aucun rapport pour l'instant.", className="notice"),
        *(delivery_log(deliveries.latest()) if admin else []),
        page_id="reports-page",
    )


def delivery_log(rows: pd.DataFrame) -> list[Any]:
    """« Envois des abonnements »: the latest e-mails of the subscriptions, failures first in the eye (admins)."""
    title = html.H2("Envois des abonnements")
    if rows.empty:
        return [title, html.P("Aucun envoi pour l'instant.", className="notice")]
    header = html.Tr(
        [html.Th(h) for h in ("Abonnement", "Période", "Destinataires", "État", "Essais", "Dernier essai", "Erreur")]
    )
    body = []
    for r in rows.to_dict("records"):
        last = r["last_attempt_at"] if pd.notna(r["last_attempt_at"]) else r["created_at"]
        body.append(
            html.Tr(
                [
                    html.Td(str(r["subscription"])),
                    html.Td(str(r["period"])),
                    html.Td(str(r["recipients"])),
                    html.Td(_STATES.get(str(r["state"]), str(r["state"]))),
                    html.Td(str(r["attempts"])),
                    html.Td(pd.Timestamp(last).tz_convert(LOME_TZ).strftime("%d/%m/%Y %H:%M")),
                    html.Td(str(r["last_error"]) if r["state"] == "failed" and r["last_error"] else ""),
                ],
                className="delivery-failed" if r["state"] == "failed" else "",
            )
        )
    return [title, html.Table([html.Thead(header), html.Tbody(body)], className="simple", id="report-deliveries")]


def register_downloads(server: Flask, reports_dir: Path, tokens: dict[str, str]) -> None:
    @server.get("/rapports/<week>/<name>")
    def report_file(week: str, name: str) -> Response:
        """Only files listed for a well-formed week and within the asker's structures: a crafted name cannot reach
        outside the folder, and another structure's report reads as a missing one (404, its existence not told)."""
        if not _WEEK.match(week):
            abort(404)
        listed = {f.name for w, files in visible_reports(reports_dir, current(), tokens) if w == week for f in files}
        if name not in listed:
            abort(404)
        return send_from_directory(reports_dir / week, name, as_attachment=True)
