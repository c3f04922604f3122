"""Pure: source health rows -> what the room sees (état, retard, message)."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pandas as pd

from domain.model import LOME_TZ

STALE_INTERVALS = 3
DOWN_INTERVALS = 10
#: state -> (icon, French label): colour always comes with a second cue.
STATE_LABELS = {"ok": ("●", "à jour"), "stale": ("▲", "en retard"), "down": ("✖", "en panne")}


def source_state(lag_seconds: float, every_seconds: float) -> str:
    """ok, stale (older than 3 polls) or down (older than 10 polls, or never succeeded)."""
    if lag_seconds is None or math.isnan(lag_seconds):
        return "down"
    if lag_seconds > DOWN_INTERVALS * every_seconds:
        return "down"
    if lag_seconds > STALE_INTERVALS * every_seconds:
        return "stale"
    return "ok"


def health_table(health: pd.DataFrame, quarantine_counts: pd.DataFrame) -> pd.DataFrame:
    """One display row per source: state, age of the data, last error, open quarantine."""
    open_q = quarantine_counts.groupby("source")["rows"].sum() if not quarantine_counts.empty else pd.Series(dtype=int)
    rows = []
    for h in health.itertuples(index=False):
        state = source_state(float(h.lag_seconds), float(h.every_seconds or 30))  # type: ignore[arg-type]  # pandas-stubs types itertuples fields as any scalar
        rows.append(
            {
                "source": h.source,
                "state": state,
                "lag_seconds": h.lag_seconds,
                "last_success_at": h.last_success_at,
                "last_error": h.last_error if h.consecutive_failures else None,
                "consecutive_failures": int(h.consecutive_failures or 0),  # type: ignore[arg-type]  # same: a numeric column
                "rows_last_poll": h.rows_last_poll,
                "quarantined": int(open_q.get(h.source, 0)),
            }
        )
    return pd.DataFrame(rows)


def ago_fr(seconds: float, lang: str = "fr") -> str:
    """'il y a 12 s', 'il y a 3 min', 'il y a 2 h' — 'jamais' when there was no success ('12 s ago' in English)."""
    if seconds is None or math.isnan(seconds):
        return "never" if lang == "en" else "jamais"
    seconds = max(0, int(seconds))
    if seconds < 120:
        amount = f"{seconds} s"
    elif seconds < 7200:
        amount = f"{seconds // 60} min"
    elif seconds < 172800:
        amount = f"{seconds // 3600} h"
    else:
        amount = f"{seconds // 86400} {'d' if lang == 'en' else 'j'}"
    return f"{amount} ago" if lang == "en" else f"il y a {amount}"


def lome_time(at: dt.datetime | pd.Timestamp | None, fmt: str = "%d/%m/%Y %H:%M:%S") -> str:
    if at is None or pd.isna(at):
        return "—"
    return pd.Timestamp(at).tz_convert(ZoneInfo(LOME_TZ)).strftime(fmt)
