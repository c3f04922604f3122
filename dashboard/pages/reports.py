"""/rapports (managers, admins): the stored weekly reports, newest first, for download."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dash import html
from flask import Flask, Response, abort, send_from_directory

from dashboard.pages.desk import desk_page
from dashboard.pages.routing import register_page
from reports.files import list_reports

_WEEK = re.compile(r"^\d{4}-W\d{2}$")


def register(server: Flask, reports_dir: Path) -> None:
    """The /rapports page and its downloads."""

    def layout(**_query: Any) -> html.Div:
        return render(reports_dir)

    register_page(__name__, "/rapports", layout)
    register_downloads(server, reports_dir)


def render(reports_dir: Path) -> html.Div:
    weeks = list_reports(reports_dir)
    items = [
        html.Li(
            [
                html.Strong(week),
                " — ",
                *[
                    item
                    for f in files
                    for item in (html.A(f.suffix[1:].upper(), href=f"/rapports/{week}/{f.name}", className="button"), " ")
                ],
            ]
        )
        for week, files in weeks
    ]
    return desk_page(
        "",
        html.H1("Rapports hebdomadaires"),
        html.P(
            "Chaque lundi à 6 h (heure de Lomé), le rapport de la semaine écoulée est produit ici. "
            "Une semaine passée se régénère à l'identique : python app.py report --week AAAA-Wnn."
        ),
        html.Ul(items, className="page-links") if items else html.P("Aucun rapport pour l'instant.", className="notice"),
        page_id="reports-page",
    )


def register_downloads(server: Flask, reports_dir: Path) -> None:
    @server.get("/rapports/<week>/<name>")
    def report_file(week: str, name: str) -> Response:
        """Only files listed for a well-formed week: a crafted name cannot reach outside the folder."""
        if not _WEEK.match(week):
            abort(404)
        listed = {f.name for w, files in list_reports(reports_dir) if w == week for f in files}
        if name not in listed:
            abort(404)
        return send_from_directory(reports_dir / week, name, as_attachment=True)
