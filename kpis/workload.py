"""Workload per agent (managers only): open cases now, and decisions per ISO week.

Counted from the same state and population masks as the KPI document: the open cases
sum to the backlog, the decisions to approved + rejected of the outflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.model import LOME_TZ
from kpis.case_state import CaseState
from kpis.metrics import PopulationMemo, populations

UNASSIGNED = "(non attribué)"


def _agents(state: CaseState, rows: np.ndarray) -> pd.Series:
    return (
        state.history.cases["agent"].iloc[rows].astype("string").fillna(UNASSIGNED).replace("", UNASSIGNED).reset_index(drop=True)
    )


def open_by_agent(state: CaseState) -> pd.DataFrame:
    """One row per agent with open cases at T: open, breached; busiest first, then by name."""
    rows = np.flatnonzero(state.visible & state.is_open)
    frame = pd.DataFrame({"agent": _agents(state, rows), "breached": state.breached[rows]})
    out = frame.groupby("agent", sort=False).agg(open=("breached", "size"), breached=("breached", "sum")).reset_index()
    out["breached"] = out["breached"].astype(int)
    return out.sort_values(["open", "agent"], ascending=[False, True], kind="stable").reset_index(drop=True)


def decisions_by_agent_week(state: CaseState, days: int, memo: PopulationMemo | None = None) -> pd.DataFrame:
    """Approvals and rejections of [T - days, T) per agent and ISO week of closure (Lomé time).

    ``memo``: the state's population masks, when the caller keeps them.
    """
    masks = populations(state, days, memo)
    rows = np.flatnonzero(masks["approved"] | masks["rejected"])
    closed = pd.to_datetime(state.closed_at_us[rows], unit="us", utc=True).tz_convert(LOME_TZ)
    iso = closed.isocalendar()
    frame = pd.DataFrame(
        {
            "agent": _agents(state, rows),
            "week": [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)],
            "approved": masks["approved"][rows].astype(int),
            "rejected": masks["rejected"][rows].astype(int),
        }
    )
    out = frame.groupby(["agent", "week"], sort=True).sum().reset_index()
    out["decisions"] = out["approved"] + out["rejected"]
    return out[["agent", "week", "decisions", "approved", "rejected"]]
