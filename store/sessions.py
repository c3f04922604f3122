"""The ``sessions`` table: server-side sessions, keyed by the SHA-256 of the id their cookie carries.

What a session is worth (its fingerprint check, its end) is decided by ``dashboard.auth.sessions``; this
module only reads and writes the rows. Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select

from store import schema


@dataclass(frozen=True)
class SessionRow:
    """A stored session and the credential its account holds now.

    ``current`` is the account's password hash (users) or its active token's digest (screens), None when the
    account was removed or its token revoked; ``role`` is the user's role, None for screens and removed users;
    ``services`` the user's or screen's scope read at the same time (None: the whole ministry).
    """

    kind: str
    name: str
    credential: str
    expires_at: dt.datetime
    current: str | None
    role: str | None
    services: frozenset[str] | None = None


def end_sessions(conn: Connection, kind: str, name: str) -> int:
    """Delete every session of one account (``kind`` "user" or "screen") inside the caller's transaction;
    returns how many ended."""
    s = schema.sessions
    return conn.execute(delete(s).where(s.c.kind == kind, s.c.name == name)).rowcount


class Sessions:
    """Reads and writes of the ``sessions`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, sid_sha256: str, *, kind: str, name: str, credential: str, now: dt.datetime, expires_at: dt.datetime) -> None:
        """Store a new session; sessions expired at ``now`` are deleted in the same transaction (they go as new
        ones come)."""
        s = schema.sessions
        with self.engine.begin() as conn:
            conn.execute(delete(s).where(s.c.expires_at <= now))
            conn.execute(
                insert(s).values(
                    sid_sha256=sid_sha256, kind=kind, name=name, credential=credential, created_at=now, expires_at=expires_at
                )
            )

    def find(self, sid_sha256: str) -> SessionRow | None:
        """The session with this digest and its account's credential now, read together; None when unknown."""
        s, u, t = schema.sessions, schema.users, schema.screen_tokens
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.c.kind, s.c.name, s.c.credential, s.c.expires_at).where(s.c.sid_sha256 == sid_sha256)
            ).first()
            if row is None:
                return None
            if row.kind == "screen":
                token = conn.execute(
                    select(t.c.token_sha256, t.c.services).where(t.c.name == row.name, t.c.revoked_at.is_(None))
                ).first()
                current, role = (token.token_sha256 if token else None), None
                services = schema.decode_services(token.services) if token else frozenset()
            else:
                account = conn.execute(select(u.c.password_hash, u.c.role, u.c.services).where(u.c.username == row.name)).first()
                current, role = (account.password_hash, account.role) if account else (None, None)
                services = schema.decode_services(account.services) if account else frozenset()
        return SessionRow(row.kind, row.name, row.credential, row.expires_at, current, role, services)

    def end(self, sid_sha256: str) -> None:
        """Delete one session (logout); nothing happens when it is already gone."""
        s = schema.sessions
        with self.engine.begin() as conn:
            conn.execute(delete(s).where(s.c.sid_sha256 == sid_sha256))
