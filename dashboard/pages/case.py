"""/explorer/case/<source>/<id>: one case's timeline, clock stops, business days against its legal delay."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.explorer.figures import case_timeline
from dashboard.explorer.labels import CHANNEL_LABELS, STATUS_LABELS
from dashboard.explorer.state import ExplorerQuery
from dashboard.graph_config import TIME_GRAPH
from dashboard.pages.desk import desk_page, simple_table
from domain.french import fr_date, fr_number
from domain.model import LOME_TZ
from kpis.case_story import CaseStory


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


def layout(story: CaseStory, procedure_name: str) -> html.Div:
    case = story.case
    open_ = bool(case["is_open"])
    used = case["admin_bd_now"] if open_ else case["admin_bd_at_close"]
    used = None if used is None or pd.isna(used) else int(used)
    sla = int(case["sla_days"])
    if open_:
        verdict = "⚠ hors délai" if case["breached"] else "◔ à risque" if case["at_risk"] else "● dans les délais"
    else:
        verdict = "● clos dans les délais" if case["on_time"] else "⚠ clos hors délai"
    # the clock is stopped right now: the last pause has no end yet (its figures run to now)
    running = open_ and len(story.steps) > 0 and story.steps["status"].iloc[-1] == "awaiting_applicant"
    steps = story.steps.assign(
        status_label=story.steps["status"].map(STATUS_LABELS), paused=story.steps["status"] == "awaiting_applicant"
    )
    facts = [
        ("Procédure", f"{case['procedure_code']} — {procedure_name}"),
        ("Structure", case["service"]),
        ("Statut", STATUS_LABELS.get(case["status"], case["status"])),
        ("Déposé le", _when(case["submitted_at"])),
        ("Clos le", _when(case["closed_at"]) if not open_ else "— (en cours)"),
        ("Jours ouvrés utilisés", f"{fr_number(used)} sur {sla} (délai légal)"),
        ("Situation", verdict),
        ("Échéance", fr_date(pd.Timestamp(case["due_date"])) if open_ and not pd.isna(case["due_date"]) else "—"),
        ("Arrêts d'horloge", f"{len(story.pauses)} ({fr_number(int(story.pauses['business_days'].sum()))} j ouvrés)"),
        ("Agent", case["agent"] or "—"),
        ("Région", case["region"]),
        ("Canal", CHANNEL_LABELS.get(case["channel"], case["channel"])),
    ]
    return desk_page(
        "",
        html.Nav(
            className="breadcrumbs",
            children=[
                dcc.Link("Ensemble", href="/explorer"),
                " › ",
                dcc.Link(case["service"], href="/explorer" + ExplorerQuery(service=case["service"]).to_search()),
                " › ",
                dcc.Link(
                    case["procedure_code"],
                    href="/explorer" + ExplorerQuery(service=case["service"], procedure=case["procedure_code"]).to_search(),
                ),
                " › ",
                html.Span(f"Dossier {case['case_id']}", className="current"),
            ],
        ),
        html.H1(f"Dossier {case['case_id']} ({case['source']})"),
        html.Dl(
            id=ids.CASE_PAGE,
            className="facts",
            children=[item for label, value in facts for item in (html.Dt(label), html.Dd(str(value)))],
        ),
        html.Div(
            className="progress",
            role="img",
            **{"aria-label": f"{used} jours ouvrés sur {sla}"},
            children=[
                html.Div(
                    className="progress-bar" + (" over" if used is not None and used > sla else ""),
                    style={"width": f"{min(100, 100 * (used or 0) / sla):.0f}%"},
                ),
            ],
        ),
        dcc.Graph(figure=case_timeline(steps, sla, used), config=TIME_GRAPH),
        html.H2("Historique des statuts"),
        simple_table(
            ["Depuis", "Statut", "Jusqu'à"],
            [
                [
                    _when(r.start),
                    r.status_label + (" (arrêt d'horloge)" if r.paused else ""),
                    _when(r.end) if r.end != r.start else "—",
                ]
                for r in steps.itertuples()
            ],
            "—",
        ),
        html.H2("Arrêts d'horloge (en attente du demandeur)"),
        simple_table(
            ["Début", "Fin", "Jours ouvrés"],
            [
                [_when(p.start), "en cours" if running and i == len(story.pauses) - 1 else _when(p.end), str(p.business_days)]
                for i, p in enumerate(story.pauses.itertuples())
            ],
            "Aucun",
        ),
        class_name="case",
    )
