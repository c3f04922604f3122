"""/utilisateurs (admin): accounts, wall-screen tokens and the audit log. Changes are made with the CLI."""

from __future__ import annotations

import pandas as pd
from dash import html
from sqlalchemy import Engine

from dashboard.auth import audit
from dashboard.auth.accounts import list_screen_tokens, list_users
from dashboard.auth.roles import ROLE_LABELS
from dashboard.pages.desk import page, simple_table


def _when(value: object) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("Africa/Lome").strftime("%d/%m/%Y %H:%M")


def layout(engine: Engine) -> html.Div:
    users = list_users(engine)
    tokens = list_screen_tokens(engine)
    log = audit.recent(engine, 200)
    return page(
        "",
        html.H1("Utilisateurs, écrans et journal d'audit"),
        html.P(
            "Comptes et jetons se gèrent en ligne de commande : python app.py users add|remove|list, screens add|revoke|list."
        ),
        html.H2("Utilisateurs"),
        simple_table(
            ["Utilisateur", "Rôle", "Créé le"],
            [[r.username, ROLE_LABELS.get(r.role, r.role), _when(r.created_at)] for r in users.itertuples()],
            "Aucun utilisateur",
        ),
        html.H2("Jetons d'écran"),
        simple_table(
            ["Écran", "Créé le", "Révoqué le"],
            [[r.name, _when(r.created_at), _when(r.revoked_at)] for r in tokens.itertuples()],
            "Aucun jeton",
        ),
        html.H2("Journal d'audit (200 dernières entrées)"),
        simple_table(
            ["Quand", "Qui", "Action", "Détail", "Adresse"],
            [[_when(r.at), r.username, r.action, r.detail or "", r.address or ""] for r in log.itertuples()],
            "Journal vide",
        ),
        page_id="admin-users",
    )
