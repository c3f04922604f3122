"""``app.py sources``: is each source reachable, and what would its mapping SQL give?

Read-only: nothing is written to the store, so an administrator can try a new
mapping against production before enabling it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import text

from collectors.fetch import SourceFetcher
from collectors.normalize import normalize_cases, normalize_events
from collectors.poll import describe_error
from collectors.query import incremental_query
from domain.config import SourceSettings
from store.engines import create_source_engine


@dataclass
class SourceCheck:
    name: str
    ok: bool
    error: str | None = None
    cases: int = 0
    events: int = 0
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    quarantine: Counter[str] = field(default_factory=Counter)


def check_source(source: SourceSettings, procedure_codes: frozenset[str]) -> SourceCheck:
    engine = create_source_engine(source.url, source.timeout_seconds)
    reader = SourceFetcher(engine, source.timeout_seconds)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        since = {"since": source.initial_since}
        raw_cases = reader.read(incremental_query(source.cases_sql, ("case_id",)), since)
        cases, quarantine = normalize_cases(raw_cases, timezone=source.timezone, procedure_codes=procedure_codes)
        counts = Counter(quarantine["reason"])
        events_count = 0
        if source.events_sql:
            raw_events = reader.read(incremental_query(source.events_sql, ("case_id", "at")), since)
            events_count = len(raw_events)
            _, q_events = normalize_events(
                raw_events, timezone=source.timezone, status_map=source.status_map, known_case_ids=set(cases["case_id"])
            )
            counts.update(q_events["reason"])
        return SourceCheck(source.name, True, cases=len(raw_cases), events=events_count, sample=cases.tail(3), quarantine=counts)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised, so other sources still get checked
        return SourceCheck(source.name, False, error=describe_error(exc))
    finally:
        reader.close()


def render(check: SourceCheck) -> str:
    """A French report block for one source."""
    if not check.ok:
        return f"✗ {check.name} : INDISPONIBLE — {check.error}"
    lines = [f"✓ {check.name} : connexion OK — {check.cases} dossiers, {check.events} événements"]
    if check.quarantine:
        for reason, n in sorted(check.quarantine.items()):
            lines.append(f"    à mettre en quarantaine : {n} ({reason})")
    else:
        lines.append("    aucune ligne à mettre en quarantaine")
    if not check.sample.empty:
        lines.append("    exemple (après correspondance SQL, en UTC) :")
        for row in check.sample.itertuples(index=False):
            lines.append(
                f"      {row.case_id} | {row.procedure_code} | {row.submitted_at:%Y-%m-%d %H:%M} | "
                f"{row.channel} | {row.region} | {'—' if pd.isna(row.agent) else row.agent}"
            )
    return "\n".join(lines)
