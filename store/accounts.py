"""The ``users`` and ``screen_tokens`` tables: who may log in, with which credential.

Only rows are read and written here; the policy (names, roles, password strength, hashing) is
``dashboard.auth.accounts``'s. Every change of a credential ends the account's sessions in the same
transaction, so no session outlives the credential it was opened with. Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update

from store import schema
from store.sessions import end_sessions


@dataclass(frozen=True)
class Credential:
    """A user's password hash (scrypt, by Werkzeug), role and scope (``services``: the structures it may see,
    None for the whole ministry)."""

    password_hash: str
    role: str
    services: frozenset[str] | None = None


class Accounts:
    """Reads and writes of the ``users`` and ``screen_tokens`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- users ----------------------------------------------------------------------------
    def add_user(
        self, username: str, password_hash: str, role: str, now: dt.datetime, services: frozenset[str] | None = None
    ) -> bool:
        """Create a user (``services``: its scope, None for the whole ministry), ending any session left under that
        name; False (and nothing written) when the name is taken."""
        u = schema.users
        with self.engine.begin() as conn:
            if conn.execute(select(u.c.username).where(u.c.username == username)).first():
                return False
            end_sessions(conn, "user", username)
            conn.execute(
                insert(u).values(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    created_at=now,
                    services=schema.encode_services(services),
                )
            )
        return True

    def set_password_hash(self, username: str, password_hash: str) -> int | None:
        """Replace a user's password hash and end the user's sessions; returns how many ended, None when there is
        no such user (nothing written)."""
        u = schema.users
        with self.engine.begin() as conn:
            changed = conn.execute(update(u).where(u.c.username == username).values(password_hash=password_hash)).rowcount
            if changed == 0:
                return None
            return end_sessions(conn, "user", username)

    def set_services(self, username: str, services: frozenset[str] | None) -> bool:
        """Change a user's scope (None: the whole ministry); sessions stay open and read it at their next request.
        False when there is no such user (nothing written)."""
        u = schema.users
        with self.engine.begin() as conn:
            changed = conn.execute(update(u).where(u.c.username == username).values(services=schema.encode_services(services)))
            return changed.rowcount > 0

    def remove_user(self, username: str) -> bool:
        """Delete a user and end the user's sessions; False when there is no such user (nothing written)."""
        u = schema.users
        with self.engine.begin() as conn:
            if conn.execute(delete(u).where(u.c.username == username)).rowcount == 0:
                return False
            end_sessions(conn, "user", username)
        return True

    def credential(self, username: str) -> Credential | None:
        """The user's password hash, role and scope, or None when there is no such user."""
        u = schema.users
        with self.engine.connect() as conn:
            row = conn.execute(select(u.c.password_hash, u.c.role, u.c.services).where(u.c.username == username)).first()
        return None if row is None else Credential(row.password_hash, row.role, schema.decode_services(row.services))

    def users(self) -> pd.DataFrame:
        """Every user by name: username, role, created_at (UTC), services (comma-separated; null: the whole
        ministry)."""
        u = schema.users
        with self.engine.connect() as conn:
            rows = conn.execute(select(u.c.username, u.c.role, u.c.created_at, u.c.services).order_by(u.c.username)).all()
        return pd.DataFrame(rows, columns=["username", "role", "created_at", "services"])

    # --- wall screens' tokens -------------------------------------------------------------
    def add_screen_token(
        self, name: str, token_sha256: str, now: dt.datetime, services: frozenset[str] | None = None
    ) -> bool:
        """Give a screen a new token (replacing a revoked one) and its scope (``services``: the structures its wall
        shows, None for the whole ministry), and end the screen's sessions; False (and nothing written) when the
        screen already has an active token."""
        t = schema.screen_tokens
        with self.engine.begin() as conn:
            existing = conn.execute(select(t.c.revoked_at).where(t.c.name == name)).first()
            if existing is not None and existing.revoked_at is None:
                return False
            conn.execute(delete(t).where(t.c.name == name))
            end_sessions(conn, "screen", name)
            conn.execute(
                insert(t).values(
                    name=name,
                    token_sha256=token_sha256,
                    created_at=now,
                    revoked_at=None,
                    services=schema.encode_services(services),
                )
            )
        return True

    def revoke_screen_token(self, name: str, now: dt.datetime) -> int:
        """Revoke a screen's active token and end the screen's sessions (even when no token was active);
        returns how many tokens were revoked (0 or 1)."""
        t = schema.screen_tokens
        with self.engine.begin() as conn:
            done = conn.execute(update(t).where(t.c.name == name, t.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
            end_sessions(conn, "screen", name)
        return int(done)

    def screen_tokens(self) -> pd.DataFrame:
        """Every screen token by name: name, created_at, revoked_at (UTC; null while active), services
        (comma-separated; null: the whole ministry)."""
        t = schema.screen_tokens
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.name, t.c.created_at, t.c.revoked_at, t.c.services).order_by(t.c.name)).all()
        return pd.DataFrame(rows, columns=["name", "created_at", "revoked_at", "services"])

    def screen_for_token(self, token_sha256: str) -> tuple[str, frozenset[str] | None] | None:
        """The name and scope of the screen whose active token has this digest, or None (unknown or revoked)."""
        t = schema.screen_tokens
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.name, t.c.services).where(t.c.token_sha256 == token_sha256, t.c.revoked_at.is_(None))
            ).first()
        return None if row is None else (str(row.name), schema.decode_services(row.services))
