"""Workload per agent (managers only): open cases now, and decisions per ISO week.

Counted from the same state and population masks as the KPI document: the open cases
sum to the backlog, the decisions to approved + rejected of the outflow.
"""

from __future__ import annotations

import datetime as dt

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


def window_weeks(as_of: pd.Timestamp, days: int) -> pd.DataFrame:
    """The ISO weeks (Lomé, Monday 00:00 to Monday 00:00) that the window [T - days, T) overlaps, oldest first,
    the weeks ``decisions_by_agent_week`` counts in.

    Columns: week ("2026-W48", as there), year and number (ISO), monday and sunday (Lomé dates), covered (how
    much of the week the window holds, in days: 7.0 for a whole week, 2.5 for one starting on a Saturday noon)
    and partial (covered < 7). The first and last weeks are usually partial; the covered days sum to ``days``.
    """
    end = as_of.tz_convert(LOME_TZ)
    start = end - pd.Timedelta(days=days)
    monday = (start.normalize() - pd.Timedelta(days=start.weekday())).date()
    rows = []
    while True:
        week_start = pd.Timestamp(monday).tz_localize(LOME_TZ)
        if week_start >= end:
            break
        week_end = week_start + pd.Timedelta(days=7)
        covered = (min(end, week_end) - max(start, week_start)) / pd.Timedelta(days=1)
        year, number, _ = monday.isocalendar()
        rows.append((f"{year}-W{number:02d}", year, number, monday, monday + dt.timedelta(days=6), covered))
        monday = week_end.date()
    frame = pd.DataFrame(rows, columns=["week", "year", "number", "monday", "sunday", "covered"])
    frame["partial"] = frame["covered"] < 7
    return frame
