"""Accounts and wall-screen tokens in the store, and the login lockout.

Passwords are hashed with scrypt by Werkzeug (Flask's own toolkit) and must pass the
policy of ``passwords``; screen tokens are random and kept as SHA-256 digests, shown once
when created. Login throttling and sessions are rows in the store, so they hold across app
workers and hosts; every change of credential ends the account's sessions in the same
transaction. The rows are read and written by ``store.accounts``; the rules are here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.auth import throttle
from dashboard.auth.passwords import password_problem
from dashboard.auth.roles import ROLES
from domain.model import LOME_TZ
from store.accounts import Accounts

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class AccountError(ValueError):
    """A refused account operation; the message is for the operator (French)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, a wall screen (role viewer), or everyone when authentication is off.

    ``services``: the structures (catalogue services) whose cases it may see; None means the whole ministry.
    Read from the account on every request, so a change of scope reaches every open session at its next request.
    """

    name: str
    role: str
    kind: str = "user"  # "user", "screen" or "demo"
    services: frozenset[str] | None = None

    @property
    def scoped(self) -> bool:
        return self.services is not None


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    message: str  # French, shown on the login page; never says whether the name exists
    credential: str = ""  # the password hash the session is tied to (on success)
    waiting: bool = False  # refused because the account or address must wait: counted, not audited
    slowed: bool = False  # this failure started or lengthened a wait (audited once)


def add_user(
    engine: Engine, username: str, password: str, role: str, now: dt.datetime, services: frozenset[str] | None = None
) -> None:
    """Create an account (``users add``); ``services``: its scope, already checked by ``parse_services`` (None: the
    whole ministry). AccountError when the name, role, scope or password is refused or the name taken."""
    if not _NAME.match(username):
        raise AccountError("nom d'utilisateur invalide (1 à 64 lettres, chiffres, . _ @ -)")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu « {role} » (attendu : {', '.join(ROLES)})")
    _check_scope(role, services)
    _check_password(password, username)
    if not Accounts(engine).add_user(username, generate_password_hash(password, method="scrypt"), role, now, services):
        raise AccountError(f"l'utilisateur « {username} » existe déjà")


def parse_services(text: str, known: Iterable[str]) -> frozenset[str]:
    """``--services CEET,ARSE`` -> the set of structures; AccountError (French) for an empty list or a name that is
    not a structure of the catalogue (its ``service`` column)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    structures = sorted(set(known))
    if not names:
        raise AccountError(f"--services : au moins une structure est attendue ({', '.join(structures)})")
    unknown = sorted(set(names) - set(structures))
    if unknown:
        raise AccountError(f"structure inconnue : {', '.join(unknown)} (attendu : {', '.join(structures)})")
    return frozenset(names)


def set_scope(engine: Engine, username: str, services: frozenset[str] | None) -> None:
    """Limit an account to ``services`` (``users scope --services``), or give it the whole ministry back (None,
    ``--all``); its open sessions see the change at their next request. AccountError for an unknown user."""
    credential = Accounts(engine).credential(username)
    if credential is None:
        raise AccountError(f"utilisateur inconnu « {username} »")
    _check_scope(credential.role, services)
    Accounts(engine).set_services(username, services)


def _check_scope(role: str, services: frozenset[str] | None) -> None:
    # an administrator manages accounts, sources and screens of the whole ministry: a scope would be a false promise
    if services is not None and role == "admin":
        raise AccountError("un administrateur voit tout le ministère : --services est réservé aux lecteurs et gestionnaires")


def set_password(engine: Engine, username: str, password: str) -> int:
    """Change a password (``users passwd``) and end every session of the account; returns how many ended."""
    _check_password(password, username)
    ended = Accounts(engine).set_password_hash(username, generate_password_hash(password, method="scrypt"))
    if ended is None:
        raise AccountError(f"utilisateur inconnu « {username} »")
    return ended


def remove_user(engine: Engine, username: str) -> None:
    """Remove an account (``users remove``) and end its sessions; AccountError when there is no such user."""
    if not Accounts(engine).remove_user(username):
        raise AccountError(f"utilisateur inconnu « {username} »")


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so an unknown name costs the same time as a wrong password.
    Computed on first use, not at import (scrypt takes a noticeable moment)."""
    return generate_password_hash("vigie-dummy-password", method="scrypt")


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise AccountError(problem)


def list_users(engine: Engine) -> pd.DataFrame:
    """Every account by name: username, role, created_at (UTC), services (comma-separated; null: the whole ministry)."""
    return Accounts(engine).users()


def authenticate(
    engine: Engine, username: str, password: str, address: str, now: dt.datetime, *, max_failures: int, lockout: dt.timedelta
) -> LoginResult:
    """Check a login, slowing guessing down per account, address and pair (see ``throttle``).

    During a wait even the right password is refused, so guessing cannot continue behind it.
    """
    keys = throttle.Throttle.for_attempt(username, address, max_failures)
    waiting = throttle.wait_until(engine, keys, now)
    if waiting is not None:
        until = pd.Timestamp(waiting).tz_convert(LOME_TZ).strftime("%H:%M")
        return LoginResult(None, f"Trop d'essais infructueux : connexion bloquée jusqu'à {until} (heure de Lomé).", waiting=True)
    account = Accounts(engine).credential(username)
    ok = check_password_hash(account.password_hash if account else _dummy_hash(), password)  # same cost either way
    if ok and account is not None:
        throttle.forget_success(engine, username, address)
        return LoginResult(Principal(username, account.role, services=account.services), "", credential=account.password_hash)
    slowed = throttle.record_failure(engine, keys, now, lockout)
    return LoginResult(None, "Nom d'utilisateur ou mot de passe incorrect.", slowed=slowed)


def token_digest(token: str) -> str:
    """What the store keeps of a screen token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_screen(engine: Engine, name: str, now: dt.datetime, services: frozenset[str] | None = None) -> str:
    """Create a wall screen's token and return it; it is shown once and kept only as a digest. ``services``: the
    structures its wall shows (``screens add --services``, checked by ``parse_services``), None for the ministry."""
    if not re.match(r"^[\w.-]{1,64}$", name):
        raise AccountError("nom d'écran invalide (1 à 64 lettres, chiffres, . _ -)")
    token = secrets.token_urlsafe(24)
    if not Accounts(engine).add_screen_token(name, token_digest(token), now, services):
        raise AccountError(f"l'écran « {name} » a déjà un jeton actif (révoquez-le d'abord)")
    return token


def revoke_screen(engine: Engine, name: str, now: dt.datetime) -> None:
    """Revoke a screen's token and end its sessions; AccountError when it had no active token."""
    if Accounts(engine).revoke_screen_token(name, now) == 0:
        raise AccountError(f"aucun jeton actif pour l'écran « {name} »")


def list_screen_tokens(engine: Engine) -> pd.DataFrame:
    """Every screen token by name: name, created_at, revoked_at (UTC; null while active), services."""
    return Accounts(engine).screen_tokens()


def screen_for_token(engine: Engine, token: str) -> Principal | None:
    """The active screen that holds ``token`` (a viewer, with the screen's scope), or None (unknown or revoked)."""
    found = Accounts(engine).screen_for_token(token_digest(token))
    return None if found is None else Principal(found[0], "viewer", "screen", found[1])
