"""/explorer/case/<source>/<id>: one case's timeline, clock stops, business days against its legal delay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pandas as pd
from dash import dcc, html
from flask import request

from dashboard import ids
from dashboard.auth import audit
from dashboard.auth.scope import sees_service
from dashboard.auth.web import current
from dashboard.explorer.figures import case_timeline
from dashboard.explorer.labels import CHANNEL_LABELS, STATUS_LABELS, business_days_text
from dashboard.explorer.state import ExplorerQuery, ExplorerQueryError, parse_for
from dashboard.graph_config import TIME_GRAPH
from dashboard.pages import not_found_404
from dashboard.pages.desk import desk_page, simple_table
from dashboard.pages.explorer import error_page
from dashboard.pages.routing import register_page, set_title
from domain.french import fr_date, fr_number
from domain.model import LOME_TZ
from kpis.case_story import CaseStory
from service.kpi_service import KpiService
from store.reader import Reader

PREFIX = "/explorer/case/"


def register(kpis: KpiService, catalog: pd.DataFrame, reader: Reader, now: Callable[[], dt.datetime]) -> None:
    """The case page. Dash sends it /explorer/case/… and /explorer/case itself; the address is read from
    the path as typed (``source`` and ``case_id`` are URL-encoded, and may hold what Dash's own path
    variables would cut wrongly). Its query string is the explorer's view the case was opened from (the grid's
    links carry it): the breadcrumbs go back to that view, filters and listed population kept."""

    def layout(path: str, search: str | None = None, **_query: Any) -> html.Div:
        if not path.startswith(PREFIX):  # /explorer/case alone: no page
            return not_found_404.layout(path=path)
        parts = path[len(PREFIX) :].split("/")
        if len(parts) != 2 or not all(parts):
            return error_page("adresse de dossier attendue : /explorer/case/<source>/<numéro>")
        source, case_id = (unquote(p) for p in parts)
        story = kpis.case_story(source, case_id)
        who = current()
        audit.record(
            reader.engine,
            who=who.name if who else "?",
            action="case_view",
            detail=f"{source}/{case_id}",
            address=request.remote_addr,
            now=now(),
        )
        # another structure's case reads exactly as a missing one: its existence does not leak
        if story is None or not sees_service(who, str(story.case.get("service"))):
            set_title("Dossier introuvable · Vigie")
            return not_found(source, case_id)
        set_title(f"Dossier {case_id} ({source}) · Vigie")
        origin = _origin(search, catalog, now())
        return story_page(story, procedure_name(catalog, story.case["procedure_code"]), origin)

    def title(path: str, search: str) -> str:
        parts = path[len(PREFIX) :].split("/") if path.startswith(PREFIX) else []
        return f"Dossier {unquote(parts[1])} ({unquote(parts[0])}) · Vigie" if len(parts) == 2 and all(parts) else "Vigie"

    register_page(__name__, PREFIX.rstrip("/"), layout, path_template=PREFIX + "<address>", exact=False, title=title)


def _origin(search: str | None, catalog: pd.DataFrame, now: dt.datetime) -> ExplorerQuery:
    """The explorer view a case was opened from (its page's query string), or the default view when there is
    none or it cannot be read: the breadcrumbs then still lead somewhere."""
    try:
        return parse_for(current(), search, catalog, now).with_(services=None)
    except ExplorerQueryError:
        return ExplorerQuery()


def procedure_name(catalog: pd.DataFrame, code: str) -> str:
    """The procedure's name in the catalogue ("" for a code it does not list)."""
    name = catalog.loc[catalog["code"] == code, "name"]
    return str(name.iloc[0]) if not name.empty else ""


def _when(stamp: object) -> str:
    if stamp is None or pd.isna(stamp):
        return "—"
    local = pd.Timestamp(stamp).tz_convert(LOME_TZ)
    return f"{fr_date(local)} {local:%H:%M}"


def not_found(source: str, case_id: str) -> html.Div:
    return desk_page(
        "",
        html.Div(
            id=ids.CASE_PAGE,
            className="notice error",
            role="alert",
            children=f"Dossier introuvable : « {case_id} » de la source « {source} » (inconnu, supprimé à la source, "
            "ou pas encore déposé).",
        ),
        dcc.Link("Revenir à l'explorateur", href="/explorer"),
    )


def story_page(story: CaseStory, procedure_name: str, origin: ExplorerQuery | None = None) -> html.Div:
    """The case's page: where it sits in the explorer, its facts, its business days against the delay, its history;
    ``origin``: the explorer view it was opened from (the breadcrumbs keep its filters and listed population)."""
    case = story.case
    used = _business_days_used(case)
    sla = int(case["sla_days"])
    steps = story.steps.assign(
        status_label=story.steps["status"].map(STATUS_LABELS), paused=story.steps["status"] == "awaiting_applicant"
    )
    return desk_page(
        "",
        _breadcrumbs(case, origin or ExplorerQuery()),
        html.H1(f"Dossier {case['case_id']} ({case['source']})"),
        html.Dl(
            id=ids.CASE_PAGE,
            className="facts",
            children=[
                item for label, value in _facts(story, procedure_name, used) for item in (html.Dt(label), html.Dd(str(value)))
            ],
        ),
        _progress(used, sla),
        dcc.Graph(figure=case_timeline(steps, sla, used, *_due_and_now(story)), config=TIME_GRAPH),
        html.H2("Historique des statuts"),
        _status_history(steps, bool(case["is_open"])),
        html.H2("Arrêts d'horloge (en attente du demandeur)"),
        _pauses(story),
        class_name="case",
    )


def _due_and_now(story: CaseStory) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """An open case's due date (the timeline marks it) and the instant its current status runs to (T)."""
    case = story.case
    if not case["is_open"] or len(story.steps) == 0:
        return None, None
    due = None if pd.isna(case["due_date"]) else pd.Timestamp(case["due_date"])
    return due, pd.Timestamp(story.steps["end"].iloc[-1])


def _legal_clock_facts(story: CaseStory) -> list[tuple[str, object]]:
    """What the law's clock did to this case (docs/kpis.md): a restart after the complete file came back, and the
    tacit decision the legal silence took on its due date."""
    facts: list[tuple[str, object]] = []
    if story.restarted_at is not None:
        facts.append(("Délai relancé le", f"{_when(story.restarted_at)} (dossier complet : le délai légal repart de zéro)"))
    if story.tacit is not None and not pd.isna(story.case["due_date"]):
        kind = "d'acceptation" if story.tacit == "accord" else "de rejet"
        when = fr_date(pd.Timestamp(story.case["due_date"]))
        facts.append(("Décision implicite", f"{kind} le {when} (silence de l'administration)"))
    return facts


def _business_days_used(case: pd.Series) -> int | None:
    """Business days counted so far (open) or at closing (closed); None when unknown."""
    used = case["admin_bd_now"] if case["is_open"] else case["admin_bd_at_close"]
    return None if used is None or pd.isna(used) else int(used)


def _verdict(case: pd.Series) -> str:
    if case["is_open"]:
        return "⚠ hors délai" if case["breached"] else "◔ à risque" if case["at_risk"] else "● dans les délais"
    return "● clos dans les délais" if case["on_time"] else "⚠ clos hors délai"


def _facts(story: CaseStory, procedure_name: str, used: int | None) -> list[tuple[str, object]]:
    case = story.case
    open_ = bool(case["is_open"])
    return [
        ("Procédure", f"{case['procedure_code']} — {procedure_name}"),
        ("Structure", case["service"]),
        ("Statut", STATUS_LABELS.get(case["status"], case["status"])),
        ("Déposé le", _when(case["submitted_at"])),
        ("Clos le", _when(case["closed_at"]) if not open_ else "— (en cours)"),
        ("Jours ouvrés utilisés", f"{fr_number(used)} sur {fr_number(int(case['sla_days']))} (délai légal)"),
        ("Situation", _verdict(case)),
        ("Échéance", fr_date(pd.Timestamp(case["due_date"])) if open_ and not pd.isna(case["due_date"]) else "—"),
        *_legal_clock_facts(story),
        ("Arrêts d'horloge", f"{fr_number(len(story.pauses))} ({business_days_text(int(story.pauses['business_days'].sum()))})"),
        ("Agent", case["agent"] or "—"),
        ("Région", case["region"]),
        ("Canal", CHANNEL_LABELS.get(case["channel"], case["channel"])),
    ]


def _breadcrumbs(case: pd.Series, origin: ExplorerQuery) -> html.Nav:
    """Ensemble › the case's service › its procedure › the case, each a link into the explorer view the case was
    opened from (``origin``: its period, region, channel, listed population and the grid's filters are kept)."""
    whole = origin.with_(service=None, procedure=None)
    service_query = origin.with_(service=case["service"], procedure=None)
    return html.Nav(
        className="breadcrumbs",
        **{"aria-label": "fil d'Ariane"},
        children=[
            dcc.Link("Ensemble", href="/explorer" + whole.to_search()),
            " › ",
            dcc.Link(case["service"], href="/explorer" + service_query.to_search()),
            " › ",
            dcc.Link(
                case["procedure_code"],
                href="/explorer" + service_query.with_(procedure=case["procedure_code"]).to_search(),
            ),
            " › ",
            html.Span(f"Dossier {case['case_id']}", className="current"),
        ],
    )


def _progress(used: int | None, sla: int) -> html.Div:
    """Business days used against the legal delay, as a bar (red past the delay)."""
    return html.Div(
        className="progress",
        role="img",
        **{"aria-label": f"{business_days_text(used)} sur {fr_number(sla)} (délai légal)"},
        children=[
            html.Div(
                className="progress-bar" + (" over" if used is not None and used > sla else ""),
                style={"width": f"{min(100, 100 * (used or 0) / sla):.0f}%"},
            ),
        ],
    )


def _status_history(steps: pd.DataFrame, open_: bool = False) -> html.Table:
    """Each status from its start to the next one; an open case's current status runs « jusqu'à maintenant »,
    never to the present instant written as a date."""
    last = len(steps) - 1
    return simple_table(
        ["Depuis", "Statut", "Jusqu'à"],
        [
            [
                _when(r.start),
                r.status_label + (" (arrêt d'horloge)" if r.paused else ""),
                "— (statut actuel)" if open_ and i == last else (_when(r.end) if r.end != r.start else "—"),
            ]
            for i, r in enumerate(steps.itertuples())
        ],
        "—",
    )


def _pauses(story: CaseStory) -> html.Table:
    """The clock stops; the last one runs to now while the case still waits for the applicant."""
    open_ = bool(story.case["is_open"])
    running = open_ and len(story.steps) > 0 and story.steps["status"].iloc[-1] == "awaiting_applicant"
    return simple_table(
        ["Début", "Fin", "Jours ouvrés"],
        [
            [
                _when(p.start),
                "en cours" if running and i == len(story.pauses) - 1 else _when(p.end),
                fr_number(int(p.business_days)),
            ]
            for i, p in enumerate(story.pauses.itertuples())
        ],
        "Aucun",
    )
