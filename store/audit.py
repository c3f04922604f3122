"""The ``audit_log`` table: append-only rows of who did what, and when (UTC).

Which actions exist is ``dashboard.auth.audit``'s to say; this module appends and reads rows, cutting each
text to its column's width.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, insert, select

from store import schema


class AuditLog:
    """Reads and writes of the ``audit_log`` table; rows are never updated or deleted."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, *, at: dt.datetime, username: str, action: str, detail: str, address: str | None) -> None:
        """One row; a missing address is stored as an empty string."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(schema.audit_log).values(
                    at=at, username=username[:64], action=action, detail=detail[:2000], address=(address or "")[:64]
                )
            )

    def recent(self, limit: int = 200) -> pd.DataFrame:
        """The last ``limit`` rows, newest first: at, username, action, detail, address."""
        t = schema.audit_log
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.at, t.c.username, t.c.action, t.c.detail, t.c.address).order_by(t.c.id.desc()).limit(limit)
            ).all()
        return pd.DataFrame(rows, columns=["at", "username", "action", "detail", "address"])
