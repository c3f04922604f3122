"""The audit log: who logged in, exported, or opened a case, and when. Append-only, in the store
(``store.audit`` writes the rows)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from store.audit import AuditLog

ACTIONS = ("login", "login_failed", "login_throttled", "logout", "export", "case_view", "screen_login", "report_build")


def record(engine: Engine, *, who: str, action: str, detail: str, address: str | None, now: dt.datetime) -> None:
    """Append one row (``now`` in UTC); an action outside ``ACTIONS`` is a bug and raises ValueError."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    AuditLog(engine).append(at=now, username=who, action=action, detail=detail, address=address)


def recent(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """The last ``limit`` rows, newest first: at, username, action, detail, address."""
    return AuditLog(engine).recent(limit)
