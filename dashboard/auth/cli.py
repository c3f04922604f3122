"""The ``users`` and ``screens`` commands: account and wall-token management from a terminal.

Passwords are never arguments (they would land in the shell history): they are asked twice
at a terminal, or read from the first line of standard input for scripts.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import unicodedata
from collections.abc import Callable, Iterable

from sqlalchemy import Engine

from dashboard.auth import throttle
from dashboard.auth.accounts import (
    AccountError,
    add_screen,
    add_user,
    list_screen_tokens,
    list_users,
    parse_services,
    remove_user,
    revoke_screen,
    set_password,
    set_scope,
)
from dashboard.auth.roles import ROLE_LABELS
from dashboard.screens import list_screens
from kpis.health import ago_fr

EXIT_REFUSED = 2


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Encore une fois : ") != first:
        raise AccountError("les deux saisies diffèrent")
    return first


def printable(value: object) -> str:
    """Text for a terminal: control characters (escape sequences, carriage returns) from a browser or a source
    are shown as « ? », so a crafted screen name or user agent cannot rewrite what the operator sees."""
    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in str(value))


def users_command(
    engine: Engine,
    action: str,
    name: str | None,
    role: str,
    now: dt.datetime,
    read_password: Callable[[], str] = _password,
    address: str | None = None,
    *,
    services: str | None = None,
    whole_ministry: bool = False,
    structures: Iterable[str] = (),
) -> int:
    """One ``users`` action. ``services`` (``--services A,B``) limits the account to those structures (checked
    against ``structures``, the catalogue's); ``whole_ministry`` (``--all``) lifts the limit (``scope`` only)."""
    try:
        if services is not None and action not in ("add", "scope"):
            raise AccountError(f"users {action} : --services ne s'emploie qu'avec add ou scope")
        if whole_ministry and action != "scope":
            raise AccountError(f"users {action} : --all ne s'emploie qu'avec scope")
        scope = None if services is None else parse_services(services, structures)
        if action == "unlock" and address:
            lifted = throttle.clear(engine, address=address)
            print(f"Attente levée pour l'adresse {printable(address)} ({lifted} compteur(s) effacé(s)).")
            if not name:
                return 0
        if action == "list":
            frame = list_users(engine)
            if frame.empty:
                print("Aucun utilisateur. Créez-en un : python app.py users add NOM --role admin")
            for row in frame.itertuples():
                label = ROLE_LABELS.get(row.role, row.role)
                print(
                    f"{printable(row.username):<24} {label:<15} {_scope_text(row.services):<24} "
                    f"créé le {row.created_at:%d/%m/%Y %H:%M} UTC"
                )
            return 0
        if not name:
            raise AccountError(
                f"users {action} : le nom d'utilisateur est requis" + (" (ou --address IP)" if action == "unlock" else "")
            )
        if action == "add":
            add_user(engine, name, read_password(), role, now, scope)
            print(f"Utilisateur « {name} » créé ({ROLE_LABELS[role]}" + (f", {_scope_text(scope)})." if scope else ")."))
        elif action == "scope":
            if (scope is None) == (not whole_ministry):
                raise AccountError("users scope : --services A,B ou --all (tout le ministère), l'un des deux")
            set_scope(engine, name, scope)
            print(f"Périmètre de « {name} » : {_scope_text(scope)} (ses sessions le voient dès leur prochaine requête).")
        elif action == "remove":
            remove_user(engine, name)
            print(f"Utilisateur « {name} » supprimé ; ses sessions sont terminées.")
        elif action == "passwd":
            ended = set_password(engine, name, read_password())
            print(f"Mot de passe de « {name} » changé ; {ended} session(s) terminée(s).")
        elif action == "unlock":
            throttle.clear(engine, username=name)
            print(f"Attente levée pour « {name} ».")
        return 0
    except AccountError as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _scope_text(services: object) -> str:
    """« tout le ministère », or « structures : A, B » (a set, or the store's comma-separated text)."""
    if services is None or (isinstance(services, float) and services != services):  # null, or NaN from a frame
        return "tout le ministère"
    names = sorted(services.split(",") if isinstance(services, str) else services)  # type: ignore[call-overload]
    return "structures : " + printable(", ".join(n for n in names if n)) if any(names) else "aucune structure"


def screens_command(
    engine: Engine,
    action: str,
    name: str | None,
    now: dt.datetime,
    *,
    services: str | None = None,
    structures: Iterable[str] = (),
) -> int:
    """add/revoke a screen's access token; list every screen: its token, its scope and its last heartbeat.
    ``services`` (``--services A,B``, add only) gives the screen a structure's wall."""
    try:
        if services is not None and action != "add":
            raise AccountError(f"screens {action} : --services ne s'emploie qu'avec add")
        scope = None if services is None else parse_services(services, structures)
        if action == "list":
            _list_screens(engine, now)
            return 0
        if not name:
            raise AccountError(f"screens {action} : le nom de l'écran est requis")
        if action == "add":
            token = add_screen(engine, name, now, scope)
            shows = _scope_text(scope)
            print(f"Jeton de l'écran « {name} » ({shows}), affiché une seule fois :\n{token}")
            print(f"Adresse à ouvrir une fois sur l'écran : /wall?screen={name}&token={token}")
            print("(l'écran garde ensuite sa connexion dans un cookie ; le jeton quitte l'adresse aussitôt)")
        else:
            revoke_screen(engine, name, now)
            print(f"Jeton de l'écran « {name} » révoqué : l'écran est déconnecté.")
        return 0
    except AccountError as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _list_screens(engine: Engine, now: dt.datetime) -> None:
    tokens = list_screen_tokens(engine).set_index("name")
    heartbeats = list_screens(engine, now)
    beats = None if heartbeats.empty else heartbeats.set_index("name")
    names = sorted(set(tokens.index) | (set(beats.index) if beats is not None else set()))
    if not names:
        print("Aucun écran. Créez un jeton : python app.py screens add NOM")
    for screen in names:
        if screen in tokens.index:
            revoked = tokens.at[screen, "revoked_at"]
            token = "jeton actif" if revoked is None or revoked != revoked else f"jeton révoqué le {revoked:%d/%m/%Y}"
            shows = _scope_text(tokens.at[screen, "services"])
        else:
            token, shows = "sans jeton", "—"
        if beats is not None and screen in beats.index:
            row = beats.loc[screen]
            state = "SILENCIEUX" if row["silent"] else "actif"
            heard = (
                f"{state}, vue « {row['view']} », version {row['data_version']}, "
                f"dernière nouvelle {ago_fr(row['seconds_ago'])} ({row['address']})"
            )
        else:
            heard = "jamais annoncé"
        print(printable(f"{screen:<24} {token:<28} {shows:<28} {heard}"))
