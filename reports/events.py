"""The week's events for the report (pure): alert transitions, source outages and managers' notes."""

from __future__ import annotations

import pandas as pd

from domain.model import LOME_TZ
from reports.week import IsoWeek

KINDS = {"alert": "Alerte", "outage": "Panne de source", "manual": "Note"}
COLUMNS = ("Date (heure de Lomé)", "Type", "Portée", "Événement", "Par")
_SCOPES = {"overall": "Ensemble", "service": "Structure", "procedure": "Procédure", "source": "Source"}


def week_events(annotations: pd.DataFrame, week: IsoWeek) -> pd.DataFrame:
    """One row per annotation that overlaps the week, oldest first; an outage shows when it ended."""
    if annotations.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = []
    for note in annotations.sort_values(["at", "id"]).to_dict("records"):
        text = str(note["text"])
        if note["kind"] == "outage":
            ends = note["ends_at"]
            text += f" (jusqu'au {_lome(ends)})" if pd.notna(ends) else " (toujours en cours)"
        scope = _SCOPES.get(str(note["scope"]), str(note["scope"]))
        author = note["author"]
        rows.append(
            {
                COLUMNS[0]: _lome(note["at"], "%d/%m/%Y %H:%M"),
                COLUMNS[1]: KINDS.get(str(note["kind"]), str(note["kind"])),
                COLUMNS[2]: f"{scope} {note['grp']}".strip(),
                COLUMNS[3]: text,
                COLUMNS[4]: author if isinstance(author, str) and author else "Vigie",
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _lome(at: pd.Timestamp, pattern: str = "%d/%m %H:%M") -> str:
    return pd.Timestamp(at).tz_convert(LOME_TZ).strftime(pattern)
