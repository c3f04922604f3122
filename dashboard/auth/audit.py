"""The audit log: who logged in, exported, or opened a case, and when. Append-only, in the store."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, insert, select

from store import schema

ACTIONS = ("login", "login_failed", "login_throttled", "logout", "export", "case_view", "screen_login")


def record(engine: Engine, *, who: str, action: str, detail: str, address: str | None, now: dt.datetime) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with engine.begin() as conn:
        conn.execute(
            insert(schema.audit_log).values(
                at=now, username=who[:64], action=action, detail=detail[:2000], address=(address or "")[:64]
            )
        )


def recent(engine: Engine, limit: int = 200) -> pd.DataFrame:
    t = schema.audit_log
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.at, t.c.username, t.c.action, t.c.detail, t.c.address).order_by(t.c.id.desc()).limit(limit)
        ).all()
    return pd.DataFrame(rows, columns=["at", "username", "action", "detail", "address"])
