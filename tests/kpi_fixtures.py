"""Hand-built histories for the KPI tests: frames shaped like the reader's."""

from __future__ import annotations

import pandas as pd

from store.reader import CASE_FIELDS

CATALOG = pd.DataFrame(
    {
        "code": ["P", "Q", "Z"],
        "name": ["Procédure P", "Procédure Q", "Procédure Z"],
        "service": ["S1", "S2", "S2"],
        "sla_days": [5, 10, 3],
    }
)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def frames(cases: list[dict], events: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """cases: dicts with case_id, procedure_code, submitted_at (+ channel, deleted_at); events: (case_id, status, at[, seq])."""
    rows = []
    for c in cases:
        rows.append(
            {
                "source": c.get("source", "src"),
                "case_id": c["case_id"],
                "procedure_code": c["procedure_code"],
                "submitted_at": ts(c["submitted_at"]),
                "channel": c.get("channel", "online"),
                "region": c.get("region", "Maritime"),
                "agent": c.get("agent"),
                "updated_at": ts(c["submitted_at"]),
                "deleted_at": ts(c["deleted_at"]) if c.get("deleted_at") else pd.NaT,
                "version": 1,
            }
        )
    case_frame = pd.DataFrame(rows, columns=list(CASE_FIELDS))
    for col in ("submitted_at", "updated_at", "deleted_at"):
        case_frame[col] = pd.to_datetime(case_frame[col], utc=True).astype("datetime64[us, UTC]")
    ev_rows = [
        {
            "id": i + 1,
            "source": "src",
            "case_id": e[0],
            "status": e[1],
            "at": ts(e[2]),
            "seq": e[3] if len(e) > 3 else pd.NA,
            "version": 1,
        }
        for i, e in enumerate(events)
    ]
    event_frame = pd.DataFrame(ev_rows, columns=["id", "source", "case_id", "status", "at", "seq", "version"])
    event_frame["at"] = pd.to_datetime(event_frame["at"], utc=True).astype("datetime64[us, UTC]")
    event_frame = event_frame.astype({"seq": "Int64", "id": "int64"})
    return case_frame, event_frame
