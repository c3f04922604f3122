"""Accounts and wall-screen tokens in the store, and the login lockout.

Passwords are hashed with scrypt by Werkzeug (Flask's own toolkit); screen tokens are
random and kept as SHA-256 digests, shown once when created. Lockouts are rows in the
store, so they hold across app workers and hosts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from collectors import schema
from dashboard.auth.roles import ROLES

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 10
#: Checked against when the user does not exist, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("vigie-dummy-password", method="scrypt")
ADDRESS_FAILURE_FACTOR = 5  # an address may fail this many times more than one account before it is locked


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


def add_user(engine: Engine, username: str, password: str, role: str, now: dt.datetime) -> None:
    if not _NAME.match(username):
        raise AccountError("nom d'utilisateur invalide (1 à 64 lettres, chiffres, . _ @ -)")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu « {role} » (attendu : {', '.join(ROLES)})")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop court ({MIN_PASSWORD_LENGTH} caractères au moins)")
    with engine.begin() as conn:
        if conn.execute(select(schema.users.c.username).where(schema.users.c.username == username)).first():
            raise AccountError(f"l'utilisateur « {username} » existe déjà")
        conn.execute(
            insert(schema.users).values(
                username=username, password_hash=generate_password_hash(password, method="scrypt"), role=role, created_at=now
            )
        )


def remove_user(engine: Engine, username: str) -> None:
    with engine.begin() as conn:
        if conn.execute(delete(schema.users).where(schema.users.c.username == username)).rowcount == 0:
            raise AccountError(f"utilisateur inconnu « {username} »")


def list_users(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(schema.users.c.username, schema.users.c.role, schema.users.c.created_at).order_by(schema.users.c.username)
        ).all()
    return pd.DataFrame(rows, columns=["username", "role", "created_at"])


def user_role(engine: Engine, username: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(schema.users.c.role).where(schema.users.c.username == username)).scalar()


def authenticate(
    engine: Engine, username: str, password: str, address: str, now: dt.datetime, *, max_failures: int, lockout: dt.timedelta
) -> LoginResult:
    """Check a login; count failures per account and per address, and lock either after too many.

    A locked account is refused even with the right password until the lock expires, so
    guessing cannot continue behind the lock.
    """
    keys = {f"user:{username[:64]}": max_failures, f"ip:{address[:64]}": max_failures * ADDRESS_FAILURE_FACTOR}
    locked = _locked_until(engine, list(keys), now)
    if locked is not None:
        until = pd.Timestamp(locked).tz_convert("Africa/Lome").strftime("%H:%M")
        return LoginResult(None, f"Trop d'essais infructueux : connexion bloquée jusqu'à {until} (heure de Lomé).")
    with engine.connect() as conn:
        row = conn.execute(
            select(schema.users.c.password_hash, schema.users.c.role).where(schema.users.c.username == username)
        ).first()
    ok = check_password_hash(row.password_hash if row else _DUMMY_HASH, password) and row is not None
    if ok:
        with engine.begin() as conn:
            conn.execute(delete(schema.login_failures).where(schema.login_failures.c.key == f"user:{username}"))
        return LoginResult(Principal(username, row.role), "")
    _record_failure(engine, keys, now, lockout)
    return LoginResult(None, "Nom d'utilisateur ou mot de passe incorrect.")


def _locked_until(engine: Engine, keys: list[str], now: dt.datetime) -> dt.datetime | None:
    t = schema.login_failures
    with engine.connect() as conn:
        until = conn.execute(select(t.c.locked_until).where(t.c.key.in_(keys), t.c.locked_until > now)).scalars().all()
    return max(until) if until else None


def _record_failure(engine: Engine, keys: dict[str, int], now: dt.datetime, lockout: dt.timedelta) -> None:
    """One more failure per key; a window of ``lockout`` length restarts after it has passed."""
    t = schema.login_failures
    with engine.begin() as conn:
        for key, limit in keys.items():
            row = conn.execute(select(t.c.failures, t.c.first_at).where(t.c.key == key).with_for_update()).first()
            if row is None or row.first_at + lockout < now:
                conn.execute(delete(t).where(t.c.key == key))
                conn.execute(insert(t).values(key=key, failures=1, first_at=now, locked_until=None))
                continue
            failures = row.failures + 1
            locked = now + lockout if failures >= limit else None
            conn.execute(update(t).where(t.c.key == key).values(failures=failures, locked_until=locked))


def unlock(engine: Engine, username: str) -> None:
    """Lift an account's lockout (``users unlock``), e.g. after its owner called the room."""
    with engine.begin() as conn:
        conn.execute(delete(schema.login_failures).where(schema.login_failures.c.key == f"user:{username}"))


def _digest(token: str) -> str:
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
        conn.execute(insert(t).values(name=name, token_sha256=_digest(token), created_at=now, revoked_at=None))
    return token


def revoke_screen(engine: Engine, name: str, now: dt.datetime) -> None:
    t = schema.screen_tokens
    with engine.begin() as conn:
        done = conn.execute(update(t).where(t.c.name == name, t.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
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
        return conn.execute(select(t.c.name).where(t.c.token_sha256 == _digest(token), t.c.revoked_at.is_(None))).scalar()


def screen_active(engine: Engine, name: str) -> bool:
    t = schema.screen_tokens
    with engine.connect() as conn:
        return conn.execute(select(t.c.name).where(t.c.name == name, t.c.revoked_at.is_(None))).first() is not None
