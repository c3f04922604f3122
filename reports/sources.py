"""Source health over a report's week: what each source delivered and what was set aside (pure)."""

from __future__ import annotations

import pandas as pd

from kpis.health import STATE_LABELS, source_state
from reports.week import IsoWeek


def sources_over_week(
    week: IsoWeek, cases: pd.DataFrame, events: pd.DataFrame, quarantine: pd.DataFrame, health: pd.DataFrame
) -> pd.DataFrame:
    """Per source: cases and status events timed in the week, rows quarantined in the week (by reason),
    and its state when the report was made (a week-old report still says how the source stands)."""
    start, end = week.start, week.end
    names = sorted(set(health["source"]) | set(cases["source"].astype(str)))
    rows = []
    for name in names:
        submitted = cases[(cases["source"] == name) & (cases["submitted_at"] >= start) & (cases["submitted_at"] < end)]
        timed = events[(events["source"] == name) & (events["at"] >= start) & (events["at"] < end)]
        held = quarantine[
            (quarantine["source"] == name) & (quarantine["first_seen_at"] >= start) & (quarantine["first_seen_at"] < end)
        ]
        reasons = held["reason"].value_counts().sort_index()
        now = health[health["source"] == name]
        if now.empty:
            state = "—"
        else:
            h = now.iloc[0]
            icon, label = STATE_LABELS[source_state(h["lag_seconds"], h["every_seconds"] or 30)]
            state = f"{icon} {label}"
        rows.append(
            {
                "Source": name,
                "Dossiers déposés": len(submitted),
                "Changements de statut": len(timed),
                "Lignes en quarantaine": len(held),
                "Motifs": ", ".join(f"{r} : {n}" for r, n in reasons.items()) or "—",
                "État à la génération": state,
            }
        )
    return pd.DataFrame(rows)
