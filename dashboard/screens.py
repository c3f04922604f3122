"""Wall screens' heartbeats: which screen shows what, and which ones went silent.

Screens write from the app process (not the collector): a heartbeat is one upsert
of one small row every 30 seconds per screen, made by the store (``Store.record_heartbeat``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from store.writer import Store

SILENT_AFTER_SECONDS = 120
_NAME = re.compile(r"^[\w .-]{1,64}$")


class HeartbeatError(ValueError):
    """A heartbeat that cannot be recorded; the message is for the screen's operator."""


def record_heartbeat(
    engine: Engine, payload: dict[str, Any], *, now: dt.datetime, address: str | None, user_agent: str | None
) -> None:
    """Record a screen's heartbeat (``payload``: screen, view, version); HeartbeatError when it names no valid
    screen or carries a version that is not an integer."""
    name = str(payload.get("screen") or "").strip()
    if not _NAME.match(name):
        raise HeartbeatError("nom d'écran invalide (1 à 64 lettres, chiffres, espaces, tirets ou points)")
    version = payload.get("version")
    if version is not None and not isinstance(version, int):
        raise HeartbeatError("version invalide")
    row = {
        "name": name,
        "view": str(payload.get("view") or "")[:32],
        "data_version": version,
        "last_seen": pd.Timestamp(now),
        "address": (address or "")[:64],
        "user_agent": (user_agent or "")[:256],
    }
    Store(engine).record_heartbeat(row)


def list_screens(engine: Engine, now: dt.datetime) -> pd.DataFrame:
    """Every screen seen, with ``silent`` when its last heartbeat is older than two minutes."""
    frame = Store(engine).screens()
    if frame.empty:
        return frame.assign(silent=pd.Series(dtype=bool), seconds_ago=pd.Series(dtype=float))
    frame["last_seen"] = pd.to_datetime(frame["last_seen"], utc=True)
    frame["seconds_ago"] = (pd.Timestamp(now) - frame["last_seen"]).dt.total_seconds()
    frame["silent"] = frame["seconds_ago"] > SILENT_AFTER_SECONDS
    return frame
