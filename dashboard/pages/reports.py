"""/rapports (managers, admins): the stored weekly reports each account may read, newest first, and for admins
the log of the subscriptions' e-mails.

Which reports an account sees (``visible``): the whole ministry sees them all; an account limited to some
structures sees only the reports whose structures are all among its own — never the ministry's. The download
route applies the same rule and answers 404 for a report outside it, exactly as for a file that does not exist.

Each week reads with its dates (« 2026-W48 — du 23 au 29 nov. 2026 »), and the page says when the next one comes, from
``[reports]`` day_of_week/hour/minute and the app's clock (the scheduler's own trigger). An admin builds a missing
week from the page: one of the last ``RECENT_WEEKS`` complete weeks without a ministry-wide report; the callback is
the admins' in the one gate (``reports-`` ids), checks the role again, accepts only a week it offers, writes the
files as ``reports.build.generate`` does for the Monday job, and records it in the audit log (« report_build »).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from flask import Flask, Response, abort, request, send_from_directory
from sqlalchemy import Engine

from dashboard.auth import audit
from dashboard.auth.accounts import Principal
from dashboard.auth.roles import allows
from dashboard.auth.web import current
from dashboard.pages.desk import desk_page
from dashboard.pages.routing import register_page
from domain.config import ReportSettings
from domain.french import fr_date, fr_time_of_day, fr_weekday
from domain.model import LOME_TZ
from domain.target_settings import Target
from reports.build import ReportError, generate
from reports.files import check_tokens, covered_services, list_reports
from reports.schedule import next_weekly_report
from reports.week import IsoWeek, read_label, recent_weeks
from service.kpi_service import KpiService
from store.report_deliveries import ReportDeliveries

_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_STATES = {"pending": "en cours", "sent": "envoyé", "failed": "échec"}
MINISTRY = "Tout le ministère"
RECENT_WEEKS = 12  # the weeks an admin may build from the page; older ones: python app.py report --week
LIST = "reports-list"
BUILD_WEEK, BUILD_BUTTON, BUILD_MESSAGE = "reports-build-week", "reports-build-button", "reports-build-message"


@dataclass(frozen=True)
class ReportsPage:
    """What the page and its callback work with: the folder, the catalogue's file-name tokens, the store, the KPI
    service the reports are built from, the schedule and the clock."""

    reports_dir: Path
    tokens: dict[str, str]
    deliveries: ReportDeliveries
    engine: Engine
    kpis: KpiService
    schedule: ReportSettings
    now: Callable[[], dt.datetime]
    targets: tuple[Target, ...] = ()  # [[targets]]: the reports' « Objectifs »


def register(
    server: Flask,
    reports_dir: Path,
    catalog: pd.DataFrame,
    engine: Engine,
    kpis: KpiService,
    now: Callable[[], dt.datetime],
    schedule: ReportSettings | None = None,
    targets: Sequence[Target] = (),
) -> None:
    """The /rapports page, its build callback and its downloads; ``catalog`` names the structures a report file
    covers; ``schedule``: ``[reports]``, for its day and time (the defaults when None); ``targets``: the section
    « Objectifs » of the reports built here."""
    tokens = check_tokens(catalog["service"])
    page = ReportsPage(
        reports_dir, tokens, ReportDeliveries(engine), engine, kpis, schedule or ReportSettings(), now, tuple(targets)
    )

    def layout(**_query: Any) -> html.Div:
        return render(page, current())

    register_page(__name__, "/rapports", layout, components=components)
    _register_callbacks(page)
    register_downloads(server, reports_dir, tokens)


def components() -> html.Div:
    """What the callback reads and writes, for Dash's check of callback ids."""
    return html.Div([html.Div(id=LIST), dcc.Dropdown(id=BUILD_WEEK), html.Button(id=BUILD_BUTTON), html.Div(id=BUILD_MESSAGE)])


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


def render(page: ReportsPage, who: Principal | None) -> html.Div:
    admin = who is not None and allows(who.role, "admin")
    return desk_page(
        "",
        html.H1("Rapports hebdomadaires"),
        html.P(
            "Chaque semaine, le rapport de la semaine écoulée est produit ici, avec ceux des abonnements par structure. "
            + next_report_line(page.schedule, page.now())
        ),
        html.Div(report_list(page, who), id=LIST),
        *(build_form(page) if admin else [html.P("Un administrateur peut produire ici une semaine manquante.")]),
        *(delivery_log(page.deliveries.latest()) if admin else []),
        page_id="reports-page",
    )


def next_report_line(schedule: ReportSettings, now: dt.datetime) -> str:
    """« Prochain rapport : lundi 7 déc. 2026 à 6 h (semaine 2026-W49, heure de Lomé). »"""
    fire, week = next_weekly_report(schedule, now)
    day = pd.Timestamp(fire).tz_convert(LOME_TZ)
    when = f"{fr_weekday(day)} {fr_date(day)} à {fr_time_of_day(day.hour, day.minute)}"
    return f"Prochain rapport : {when} (semaine {week.label}, heure de Lomé)."


def week_heading(label: str) -> str:
    """« 2026-W48 — du 23 au 29 nov. 2026 »; a folder name that is no week stays as it is."""
    week = read_label(label)
    return label if week is None else week.title


def report_list(page: ReportsPage, who: Principal | None) -> html.Ul | html.P:
    """The reports ``who`` may see, newest week first: one line per week and structures, with its files."""
    items = []
    for week, files in visible_reports(page.reports_dir, who, page.tokens):
        groups: dict[str, list[Path]] = {}
        for f in files:
            covered = covered_services(f.name, week, page.tokens)
            groups.setdefault(MINISTRY if covered is None else ", ".join(sorted(covered)), []).append(f)
        for scope, grouped in sorted(groups.items(), key=lambda kv: (kv[0] != MINISTRY, kv[0])):
            links = [
                i
                for f in grouped
                for i in (html.A(f.suffix[1:].upper(), href=f"/rapports/{week}/{f.name}", className="button"), " ")
            ]
            items.append(html.Li([html.Strong(week_heading(week)), f" — {scope} — ", *links]))
    return html.Ul(items, className="page-links") if items else html.P("Aucun rapport pour l'instant.", className="notice")


def missing_weeks(page: ReportsPage) -> list[IsoWeek]:
    """The last ``RECENT_WEEKS`` complete weeks without a ministry-wide report (its PDF and its workbook), newest first."""
    stored = {
        week
        for week, files in list_reports(page.reports_dir)
        if {f.suffix for f in files if covered_services(f.name, week, page.tokens) is None} >= {".pdf", ".xlsx"}
    }
    return [w for w in recent_weeks(page.now(), RECENT_WEEKS) if w.label not in stored]


def _options(weeks: list[IsoWeek]) -> list[dict[str, str]]:
    return [{"label": w.title, "value": w.label} for w in weeks]


def build_form(page: ReportsPage) -> list[Any]:
    """« Produire un rapport manquant » (admins): a week without a ministry-wide report, and the button."""
    weeks = missing_weeks(page)
    return [
        html.H2("Produire un rapport manquant"),
        html.Div(
            className="report-build",
            children=[
                html.Label("Semaine", htmlFor=BUILD_WEEK),
                dcc.Dropdown(
                    id=BUILD_WEEK,
                    options=_options(weeks),
                    value=weeks[0].label if weeks else None,
                    clearable=False,
                    searchable=False,
                    placeholder=f"Aucune : les {RECENT_WEEKS} dernières semaines ont leur rapport",
                ),
                html.Button("Produire le rapport", id=BUILD_BUTTON, n_clicks=0, className="button"),
                html.Div(id=BUILD_MESSAGE, role="status"),
            ],
        ),
    ]


def _register_callbacks(page: ReportsPage) -> None:
    @dash.callback(Output(BUILD_MESSAGE, "children"), Output(LIST, "children"), Output(BUILD_WEEK, "options"),
                   Output(BUILD_WEEK, "value"), Input(BUILD_BUTTON, "n_clicks"), State(BUILD_WEEK, "value"),
                   prevent_initial_call=True)  # fmt: skip
    def build(clicks: int | None, week: str | None) -> tuple[Any, Any, Any, Any]:
        return build_from_page(page, clicks, week)


def build_from_page(page: ReportsPage, clicks: int | None, asked: str | None) -> tuple[Any, Any, Any, Any]:
    """Build the ministry-wide report of week ``asked`` (only a week the form offers), then say so and give the list
    and the weeks still missing. A failure reads as its French reason (``ReportError``), never a traceback; both
    are written to the audit log."""
    who = current()
    if who is None or not allows(who.role, "admin"):  # the gate refuses first; this is the second lock
        return "Accès refusé", no_update, no_update, no_update
    if not clicks:
        return no_update, no_update, no_update, no_update
    offered = {w.label: w for w in missing_weeks(page)}
    week = offered.get(asked or "")
    if week is None:
        why = (f"Refusé : la semaine « {asked} » n'est pas à produire ici (déjà produite, pas encore terminée ou "
               f"antérieure aux {RECENT_WEEKS} dernières semaines)." if asked else "Choisissez une semaine.")  # fmt: skip
        left = list(offered.values())
        return why, report_list(page, who), _options(left), left[0].label if left else None
    now = page.now()
    try:
        generate(page.kpis, page.kpis.reader, week, page.reports_dir, page.now, attempts=1, targets=page.targets)
    except ReportError as exc:
        message, detail = f"Rapport non produit : {exc}", f"{week.label} : échec"
    else:
        message, detail = f"Rapport {week.title} produit (PDF et XLSX) : il est dans la liste ci-dessus.", week.label
    audit.record(page.engine, who=who.name, action="report_build", detail=detail, address=request.remote_addr, now=now)
    left = missing_weeks(page)
    return message, report_list(page, who), _options(left), left[0].label if left else None


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
