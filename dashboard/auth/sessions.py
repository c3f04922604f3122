"""Server-side sessions: what a session cookie is worth is decided here, on every request.

The signed cookie carries only a random session id; the store keeps its SHA-256 (a leaked
store yields no usable session) with the account it belongs to, the fingerprint of the
credential it was opened with, and its absolute end. So a session ends for good when:
- its owner logs out (the row is deleted);
- the account is removed, its password changed, or the screen's token revoked or re-issued
  (the rows are deleted, and the fingerprint no longer matches even if a row survived);
- ``session_hours`` have passed since login, however active the session has been.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine, delete, insert, select

from dashboard.auth.accounts import Principal
from store import schema


def fingerprint(secret_digest: str) -> str:
    """What a session remembers of its account's credential (a password hash or a token digest)."""
    return hashlib.sha256(f"vigie-session:{secret_digest}".encode()).hexdigest()


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def open_session(engine: Engine, who: Principal, credential: str, now: dt.datetime, lifetime: dt.timedelta) -> str:
    """A new session for ``who`` (``credential``: its password hash or token digest); returns the id for the cookie."""
    sid = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(schema.sessions).where(schema.sessions.c.expires_at <= now))  # expired rows go as new ones come
        conn.execute(
            insert(schema.sessions).values(
                sid_sha256=_digest(sid),
                kind=who.kind,
                name=who.name,
                credential=fingerprint(credential),
                created_at=now,
                expires_at=now + lifetime,
            )
        )
    return sid


def session_principal(engine: Engine, sid: str, now: dt.datetime) -> Principal | None:
    """The principal of a live session, its role read from the account now; None when the session has ended."""
    s, u, t = schema.sessions, schema.users, schema.screen_tokens
    with engine.connect() as conn:
        row = conn.execute(
            select(s.c.kind, s.c.name, s.c.credential, s.c.expires_at).where(s.c.sid_sha256 == _digest(sid))
        ).first()
        if row is None or row.expires_at <= now:
            return None
        if row.kind == "screen":
            current = conn.execute(select(t.c.token_sha256).where(t.c.name == row.name, t.c.revoked_at.is_(None))).scalar()
            role = "viewer"
        else:
            account = conn.execute(select(u.c.password_hash, u.c.role).where(u.c.username == row.name)).first()
            current, role = (account.password_hash, account.role) if account else (None, None)
    if current is None or not secrets.compare_digest(fingerprint(current), row.credential):
        return None
    return Principal(row.name, role, row.kind)


def end_session(engine: Engine, sid: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(schema.sessions).where(schema.sessions.c.sid_sha256 == _digest(sid)))
