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

from sqlalchemy import Engine

from dashboard.auth.accounts import Principal
from store.sessions import Sessions


def fingerprint(secret_digest: str) -> str:
    """What a session remembers of its account's credential (a password hash or a token digest)."""
    return hashlib.sha256(f"vigie-session:{secret_digest}".encode()).hexdigest()


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def open_session(engine: Engine, who: Principal, credential: str, now: dt.datetime, lifetime: dt.timedelta) -> str:
    """A new session for ``who`` (``credential``: its password hash or token digest); returns the id for the cookie."""
    sid = secrets.token_urlsafe(32)
    Sessions(engine).open(
        _digest(sid), kind=who.kind, name=who.name, credential=fingerprint(credential), now=now, expires_at=now + lifetime
    )
    return sid


def session_principal(engine: Engine, sid: str, now: dt.datetime) -> Principal | None:
    """The principal of a live session, its role and scope read from the account now; None when the session has
    ended."""
    row = Sessions(engine).find(_digest(sid))
    if row is None or row.expires_at <= now:
        return None
    role = "viewer" if row.kind == "screen" else row.role  # None: the account was removed
    if row.current is None or role is None or not secrets.compare_digest(fingerprint(row.current), row.credential):
        return None
    return Principal(row.name, role, row.kind, row.services)


def end_session(engine: Engine, sid: str) -> None:
    """End one session (logout); nothing happens when it has already ended."""
    Sessions(engine).end(_digest(sid))
