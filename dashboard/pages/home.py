"""/ : the overview every role may see — headline numbers (no personal data) and the pages the role opens."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.auth.accounts import Principal
from dashboard.auth.roles import ROLE_LABELS, allows
from dashboard.auth.scope import page_in_scope, scope_label, scoped_filters
from dashboard.auth.web import current
from dashboard.pages.desk import desk_page
from dashboard.pages.routing import register_page
from domain.french import fr_date, fr_number
from domain.model import LOME_TZ
from kpis.filters import CaseFilters
from service.kpi_service import KpiService

PAGES = (
    ("/wall", "Mur de supervision", "les écrans de la salle, en rotation", "viewer"),
    ("/explorer", "Explorateur", "des chiffres jusqu'aux dossiers, exports CSV et Excel", "manager"),
    ("/explorer?vue=charge", "Charge de travail", "dossiers en cours et décisions par agent", "manager"),
    ("/rapports", "Rapports hebdomadaires", "PDF et classeurs de chaque semaine", "manager"),
    ("/sources", "Sources", "santé des collecteurs, quarantaine", "admin"),
    ("/ecrans", "Écrans", "écrans muraux connectés", "admin"),
    ("/utilisateurs", "Utilisateurs et journal", "comptes, jetons d'écran, journal d'audit", "admin"),
)


def register(kpis: KpiService, catalog: pd.DataFrame) -> None:
    def layout(**_query: Any) -> html.Div:
        who = current()
        assert who is not None  # the role check in front of every page let nobody else through
        return overview(kpis.document(None, 7, scoped_filters(who, CaseFilters(), catalog)), who)

    register_page(__name__, "/", layout)


def overview(document: dict[str, Any], who: Principal) -> html.Div:
    """The page for ``who``: the last 7 days' headline numbers (of its structures, for a scoped account) and the
    pages its role (and scope) opens."""
    overall = document["overall"]
    stamp = pd.Timestamp(document["as_of"]).tz_convert(LOME_TZ)
    numbers = [
        ("Dossiers en cours", fr_number(overall["backlog"])),
        ("Déposés (7 jours)", fr_number(overall["inflow"])),
        ("Clos (7 jours)", fr_number(overall["outflow"])),
        ("Délai médian", fr_number(overall["median_processing_days"], 1, "j")),
        ("Dans les délais", fr_number(overall["sla_compliance_pct"], 1, "%")),
        ("⚠ Hors délai en cours", fr_number(overall["breached_open"])),
    ]
    links = [
        html.Li([dcc.Link(label, href=href), html.Span(f" — {text}")])
        for href, label, text, role in PAGES
        if allows(who.role, role) and (not who.scoped or page_in_scope(href.split("?")[0]))
    ]
    notice = [html.P("Mode démonstration : authentification désactivée.", className="notice")] if who.kind == "demo" else []
    return desk_page(
        "/",
        *notice,
        html.H1("Ministère de l'Énergie et des Mines — supervision des procédures"),
        html.P(
            f"Connecté : {who.name} ({ROLE_LABELS.get(who.role, who.role)}"
            + (f", périmètre : {scope_label(who)}). " if who.scoped else "). ")
            + f"Données au {fr_date(stamp)} à {stamp:%H:%M} (heure de Lomé)."
        ),
        html.Div(
            className="xtiles",
            children=[
                html.Div(className="xtile", children=[html.Div(k, className="tile-label"), html.Div(v, className="tile-value")])
                for k, v in numbers
            ],
        ),
        html.H2("Pages"),
        html.Ul(links, className="page-links"),
        page_id=ids.HOME,
    )
