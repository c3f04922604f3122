"""/utilisateurs (admin): accounts, wall-screen tokens and the audit log. Changes are made with the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import html
from sqlalchemy import Engine

from dashboard.auth import audit, throttle
from dashboard.auth.accounts import list_screen_tokens, list_users
from dashboard.auth.roles import ROLE_LABELS
from dashboard.pages.desk import desk_page, simple_table
from dashboard.pages.routing import register_page
from domain.model import LOME_TZ
from store.reader import Reader


def _when(value: object) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert(LOME_TZ).strftime("%d/%m/%Y %H:%M")


def _waiting_key(key: str) -> str:
    kind, _, rest = key.partition(":")
    if kind == "pair":
        user, _, address = rest.partition("|")
        return f"« {user} » depuis {address}"
    return f"compte « {rest} » (toutes adresses)" if kind == "user" else f"adresse {rest} (tous comptes)"


def register(reader: Reader, now: Callable[[], dt.datetime]) -> None:
    def layout(**_query: Any) -> html.Div:
        return render(reader.engine, now())

    register_page(__name__, "/utilisateurs", layout)


def render(engine: Engine, now: dt.datetime) -> html.Div:
    users = list_users(engine)
    waits = throttle.current_waits(engine, now)
    tokens = list_screen_tokens(engine)
    log = audit.recent(engine, 200)
    return desk_page(
        "",
        html.H1("Utilisateurs, écrans et journal d'audit"),
        html.P(
            "Comptes et jetons se gèrent en ligne de commande : python app.py users add|remove|passwd|list|unlock, "
            "screens add|revoke|list."
        ),
        html.H2("Connexions freinées après des échecs"),
        html.P(
            "Après trop d'échecs, chaque nouvel essai doit attendre (1, 2, 4… minutes). Les essais refusés pendant "
            "l'attente sont comptés ici, pas inscrits au journal. Lever une attente : python app.py users unlock NOM "
            "ou users unlock --address IP."
        ),
        simple_table(
            ["Qui", "Échecs", "Essais refusés pendant l'attente", "Attente jusqu'à"],
            [[_waiting_key(r.key), str(r.failures), str(r.refused), _when(r.locked_until)] for r in waits.itertuples()],
            "Aucune attente en cours",
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
