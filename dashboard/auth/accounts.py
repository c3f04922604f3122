"""Accounts and wall-screen tokens in the store, and the login lockout.

Passwords are hashed with scrypt by Werkzeug (Flask's own toolkit) and must pass the
policy of ``passwords``; screen tokens are random and kept as SHA-256 digests, shown once
when created. Login throttling and sessions are rows in the store, so they hold across app
workers and hosts; every change of credential ends the account's sessions in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.auth import throttle
from dashboard.auth.passwords import password_problem
from dashboard.auth.roles import ROLES
from domain.model import LOME_TZ
from store import schema

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class AccountError(ValueError):
    """A refused account operation; the message is for the operator (French)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, a wall screen (role viewer), or everyone when authentication is off."""

    name: str
    role: str
    kind: str = "user"  # "user", "screen" or "demo"


@dataclass(frozen=True)
class LoginResult:
    principal: Principal | None
    message: str  # French, shown on the login page; never says whether the name exists
    credential: str = ""  # the password hash the session is tied to (on success)
    waiting: bool = False  # refused because the account or address must wait: counted, not audited
    slowed: bool = False  # this failure started or lengthened a wait (audited once)


def add_user(engine: Engine, username: str, password: str, role: str, now: dt.datetime) -> None:
    if not _NAME.match(username):
        raise AccountError("nom d'utilisateur invalide (1 à 64 lettres, chiffres, . _ @ -)")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu « {role} » (attendu : {', '.join(ROLES)})")
    _check_password(password, username)
    with engine.begin() as conn:
        if conn.execute(select(schema.users.c.username).where(schema.users.c.username == username)).first():
            raise AccountError(f"l'utilisateur « {username} » existe déjà")
        conn.execute(delete(schema.sessions).where(schema.sessions.c.kind == "user", schema.sessions.c.name == username))
        conn.execute(
            insert(schema.users).values(
                username=username, password_hash=generate_password_hash(password, method="scrypt"), role=role, created_at=now
            )
        )


def set_password(engine: Engine, username: str, password: str) -> int:
    """Change a password (``users passwd``) and end every session of the account; returns how many ended."""
    _check_password(password, username)
    with engine.begin() as conn:
        changed = conn.execute(
            update(schema.users)
            .where(schema.users.c.username == username)
            .values(password_hash=generate_password_hash(password, method="scrypt"))
        ).rowcount
        if changed == 0:
            raise AccountError(f"utilisateur inconnu « {username} »")
        return _end_sessions(conn, "user", username)


def remove_user(engine: Engine, username: str) -> None:
    with engine.begin() as conn:
        if conn.execute(delete(schema.users).where(schema.users.c.username == username)).rowcount == 0:
            raise AccountError(f"utilisateur inconnu « {username} »")
        _end_sessions(conn, "user", username)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so an unknown name costs the same time as a wrong password.
    Computed on first use, not at import (scrypt takes a noticeable moment)."""
    return generate_password_hash("vigie-dummy-password", method="scrypt")


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise AccountError(problem)


def _end_sessions(conn: Connection, kind: str, name: str) -> int:
    s = schema.sessions
    return conn.execute(delete(s).where(s.c.kind == kind, s.c.name == name)).rowcount


def list_users(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(schema.users.c.username, schema.users.c.role, schema.users.c.created_at).order_by(schema.users.c.username)
        ).all()
    return pd.DataFrame(rows, columns=["username", "role", "created_at"])


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
    with engine.connect() as conn:
        row = conn.execute(
            select(schema.users.c.password_hash, schema.users.c.role).where(schema.users.c.username == username)
        ).first()
    ok = check_password_hash(row.password_hash if row else _dummy_hash(), password) and row is not None
    if ok:
        throttle.forget_success(engine, username, address)
        return LoginResult(Principal(username, row.role), "", credential=row.password_hash)
    slowed = throttle.record_failure(engine, keys, now, lockout)
    return LoginResult(None, "Nom d'utilisateur ou mot de passe incorrect.", slowed=slowed)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_screen(engine: Engine, name: str, now: dt.datetime) -> str:
    """Create a wall screen's token and return it; it is shown once and kept only as a digest."""
    if not re.match(r"^[\w.-]{1,64}$", name):
        raise AccountError("nom d'écran invalide (1 à 64 lettres, chiffres, . _ -)")
    token = secrets.token_urlsafe(24)
    t = schema.screen_tokens
    with engine.begin() as conn:
        existing = conn.execute(select(t.c.revoked_at).where(t.c.name == name)).first()
        if existing is not None and existing.revoked_at is None:
            raise AccountError(f"l'écran « {name} » a déjà un jeton actif (révoquez-le d'abord)")
        conn.execute(delete(t).where(t.c.name == name))
        _end_sessions(conn, "screen", name)
        conn.execute(insert(t).values(name=name, token_sha256=token_digest(token), created_at=now, revoked_at=None))
    return token


def revoke_screen(engine: Engine, name: str, now: dt.datetime) -> None:
    t = schema.screen_tokens
    with engine.begin() as conn:
        done = conn.execute(update(t).where(t.c.name == name, t.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
        _end_sessions(conn, "screen", name)
    if done == 0:
        raise AccountError(f"aucun jeton actif pour l'écran « {name} »")


def list_screen_tokens(engine: Engine) -> pd.DataFrame:
    t = schema.screen_tokens
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.name, t.c.created_at, t.c.revoked_at).order_by(t.c.name)).all()
    return pd.DataFrame(rows, columns=["name", "created_at", "revoked_at"])


def screen_for_token(engine: Engine, token: str) -> str | None:
    """The active screen that holds ``token``, or None (unknown or revoked)."""
    t = schema.screen_tokens
    with engine.connect() as conn:
        return conn.execute(select(t.c.name).where(t.c.token_sha256 == token_digest(token), t.c.revoked_at.is_(None))).scalar()
