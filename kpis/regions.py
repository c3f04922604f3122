"""Per region: the backlog, the share of it past its legal delay and the share of new cases submitted online.

Pure over the counts ``counts_by_label`` (or ``KpiService.by_label``) gives per region, so a region's numbers are
the engine's populations, filters included (a structure's wall counts its own cases only).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: The populations to count per region (metrics.populations keys).
REGION_KEYS: tuple[str, ...] = ("backlog", "breached_open", "inflow", "inflow_online")


def region_numbers(counts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Region -> backlog (open cases now), breached_open (of them, past their legal delay), breached_pct (percent
    of the backlog; None with no backlog), inflow (cases submitted in the window), online_pct (percent of the
    inflow submitted online; None with no inflow). ``counts``: one row per region (``group``) with REGION_KEYS."""
    out: dict[str, dict[str, Any]] = {}
    for row in counts.itertuples(index=False):
        backlog, breached, inflow, online = (int(getattr(row, key)) for key in REGION_KEYS)
        out[str(row.group)] = {
            "backlog": backlog,
            "breached_open": breached,
            "breached_pct": 100.0 * breached / backlog if backlog else None,
            "inflow": inflow,
            "online_pct": 100.0 * online / inflow if inflow else None,
        }
    return out
