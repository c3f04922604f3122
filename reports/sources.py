"""Source health over a report's week: what each source delivered and what was set aside (pure)."""

from __future__ import annotations

import pandas as pd

from kpis.health import STATE_LABELS, source_state
from reports.week import IsoWeek

COLUMNS = ("Source", "Dossiers déposés", "Changements de statut", "Lignes en quarantaine", "Motifs", "État à la génération")


def sources_over_week(
    week: IsoWeek,
    cases: pd.DataFrame,
    events: pd.DataFrame,
    quarantine: pd.DataFrame,
    health: pd.DataFrame,
    procedures: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Per source: cases and status events timed in the week, rows quarantined in the week (by reason),
    and its state when the report was made (a week-old report still says how the source stands).

    ``procedures``: a report on some structures counts only the cases of these procedures and their events, lists
    only the sources that hold any of them, and has no quarantine columns: a quarantined row may belong to any
    structure (that is why it was set aside), so its count would tell about the others."""
    start, end = week.start, week.end
    if procedures is not None:
        cases = cases[cases["procedure_code"].isin(procedures)]
        keys = cases[["source", "case_id"]].astype(str).drop_duplicates()
        events = events.astype({"source": str, "case_id": str}).merge(keys, on=["source", "case_id"])
        names = sorted(set(cases["source"].astype(str)))
    else:
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
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame if procedures is None else frame.drop(columns=["Lignes en quarantaine", "Motifs"])
