"""The ``users`` and ``screens`` commands: account and wall-token management from a terminal.

Passwords are never arguments (they would land in the shell history): they are asked twice
at a terminal, or read from the first line of standard input for scripts.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine

from dashboard.auth.accounts import (
    AccountError,
    add_screen,
    add_user,
    list_screen_tokens,
    list_users,
    remove_user,
    revoke_screen,
    unlock,
)
from dashboard.auth.roles import ROLE_LABELS

EXIT_REFUSED = 2


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Encore une fois : ") != first:
        raise AccountError("les deux saisies diffèrent")
    return first


def users_command(
    engine: Engine, action: str, name: str | None, role: str, now: dt.datetime, read_password: Callable[[], str] = _password
) -> int:
    try:
        if action == "list":
            frame = list_users(engine)
            if frame.empty:
                print("Aucun utilisateur. Créez-en un : python app.py users add NOM --role admin")
            for row in frame.itertuples():
                print(f"{row.username:<24} {ROLE_LABELS.get(row.role, row.role):<15} créé le {row.created_at:%d/%m/%Y %H:%M} UTC")
            return 0
        if not name:
            raise AccountError(f"users {action} : le nom d'utilisateur est requis")
        if action == "add":
            add_user(engine, name, read_password(), role, now)
            print(f"Utilisateur « {name} » créé ({ROLE_LABELS[role]}).")
        elif action == "remove":
            remove_user(engine, name)
            print(f"Utilisateur « {name} » supprimé ; ses sessions sont refusées dans les 5 secondes.")
        elif action == "unlock":
            unlock(engine, name)
            print(f"Blocage levé pour « {name} ».")
        return 0
    except AccountError as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return EXIT_REFUSED


def screens_tokens_command(engine: Engine, action: str, name: str | None, now: dt.datetime) -> int:
    try:
        if action == "list":
            frame = list_screen_tokens(engine)
            if frame.empty:
                print("Aucun jeton d'écran. Créez-en un : python app.py screens add NOM")
            for row in frame.itertuples():
                state = (
                    "actif"
                    if row.revoked_at is None or row.revoked_at != row.revoked_at
                    else f"révoqué le {row.revoked_at:%d/%m/%Y}"
                )
                print(f"{row.name:<24} jeton {state}, créé le {row.created_at:%d/%m/%Y %H:%M} UTC")
            return 0
        if not name:
            raise AccountError(f"screens {action} : le nom de l'écran est requis")
        if action == "add":
            token = add_screen(engine, name, now)
            print(f"Jeton de l'écran « {name} » (affiché une seule fois) :\n{token}")
            print(f"Adresse à ouvrir sur l'écran : /wall?screen={name}&token={token}")
        else:
            revoke_screen(engine, name, now)
            print(f"Jeton de l'écran « {name} » révoqué : l'écran est déconnecté dans les 5 secondes.")
        return 0
    except AccountError as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return EXIT_REFUSED
