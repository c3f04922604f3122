"""Series the screens need, from the same definitions as the KPI document.

- daily inflow / outflow / backlog per group (outflow by the closures that count at T,
  so a window's days add up to that window's outflow);
- processing-time distributions per procedure;
- the open cases past or near their legal delay, with due dates;
- a trend of the headline metrics, week by week, with the previous weeks for comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from collectors.model import CLOSING_STATUSES
from dashboard.calendar import WEEKMASK, BusinessCalendar
from dashboard.kpis.case_state import CASE_KEY
from dashboard.kpis.metrics import group_metrics

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
TREND_KEYS = ("backlog", "inflow", "outflow", "median_processing_days", "sla_compliance_pct", "breached_open")


def daily_flows(state: pd.DataFrame, events: pd.DataFrame, as_of: pd.Timestamp, days: int, by: str | None) -> pd.DataFrame:
    """One row per (Lomé date, group) over the ``days`` dates ending on T's date.

    inflow and outflow count submissions and closures (those that count at T) before T;
    backlog is the number of open cases at the end of each date (at T for the last one),
    replayed exactly from the status events of the cases in ``state``.
    """
    dates = pd.date_range(end=as_of.tz_convert("UTC").normalize().tz_localize(None), periods=days, freq="D")
    group = state[by] if by else pd.Series("Tous", index=state.index)
    groups = sorted(group.unique()) if len(state) else []
    # Half-open like the KPI windows: what happens exactly at T belongs to the next window.
    arrived = state["submitted_at"] < as_of
    inflow = _count_by_day(state.loc[arrived, "submitted_at"], group[arrived], dates)
    closed = ~state["is_open"] & (state["closed_at"] < as_of)
    outflow = _count_by_day(state.loc[closed, "closed_at"], group[closed], dates)

    # Backlog as a running sum of +1/-1 steps: +1 at submission, then one step per open/closed flip.
    keyed = state[CASE_KEY].assign(g=group.to_numpy(), sub=state["submitted_at"])
    ev = events.loc[events["at"] <= as_of, [*CASE_KEY, "status", "at", "seq", "id"]].merge(keyed, on=CASE_KEY)
    ev = ev.sort_values([*CASE_KEY, "at", "seq", "id"], na_position="last", kind="stable")
    closed_after = ev["status"].isin(CLOSING_STATUSES).to_numpy()
    first = ~(ev[CASE_KEY].shift().eq(ev[CASE_KEY])).all(axis=1).to_numpy()
    closed_before = np.concatenate([[False], closed_after[:-1]]) & ~first
    flip = closed_after != closed_before
    steps = pd.concat(
        [
            pd.DataFrame({"g": keyed["g"], "t": keyed["sub"], "v": 1}),
            pd.DataFrame(
                {
                    "g": ev["g"].to_numpy()[flip],
                    "t": np.maximum(ev["at"].to_numpy()[flip], ev["sub"].to_numpy()[flip]),
                    "v": np.where(closed_after[flip], -1, 1),
                }
            ),
        ],
        ignore_index=True,
    )
    steps["t"] = pd.to_datetime(steps["t"], utc=True)
    day = steps["t"].dt.tz_localize(None).dt.normalize()
    before = steps[day < dates[0]].groupby("g")["v"].sum()
    per_day = steps[day >= dates[0]].assign(day=day).pivot_table(index="day", columns="g", values="v", aggfunc="sum")
    per_day = per_day.reindex(index=dates, columns=groups, fill_value=0).fillna(0)
    backlog = per_day.cumsum() + before.reindex(groups, fill_value=0)

    rows = []
    for g in groups:
        rows.append(
            pd.DataFrame(
                {
                    "date": dates.date,
                    "group": g,
                    "inflow": inflow.get(g, _zeros(dates)),
                    "outflow": outflow.get(g, _zeros(dates)),
                    "backlog": backlog[g].astype(int).to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["date", "group", "inflow", "outflow", "backlog"])
    return pd.concat(rows, ignore_index=True)


def _zeros(dates: pd.DatetimeIndex) -> np.ndarray:
    return np.zeros(len(dates), dtype=int)


def _count_by_day(times: pd.Series, group: pd.Series, dates: pd.DatetimeIndex) -> dict[Any, np.ndarray]:
    day = times.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    counts = pd.crosstab(day, group.to_numpy()) if len(day) else pd.DataFrame()
    counts = counts.reindex(index=dates, fill_value=0)
    return {g: counts[g].to_numpy(dtype=int) for g in counts.columns}


def processing_distribution(
    state: pd.DataFrame, catalog: pd.DataFrame, as_of: pd.Timestamp, days: int
) -> dict[str, dict[str, Any]]:
    """Per procedure: quantiles of processing_days over the outflow of [T - days, T), and the legal delay."""
    start = as_of - pd.Timedelta(days=days)
    out = state[~state["is_open"] & (state["closed_at"] >= start) & (state["closed_at"] < as_of)]
    result: dict[str, dict[str, Any]] = {}
    for row in catalog.itertuples(index=False):
        values = np.sort(out.loc[out["procedure_code"] == row.code, "processing_days"].to_numpy(dtype=float))
        result[row.code] = {
            "sla_days": int(row.sla_days),
            "count": int(len(values)),
            "quantiles": {f"p{int(q * 100)}": (float(np.quantile(values, q)) if len(values) else None) for q in QUANTILES},
            "business_days_median": (
                float(np.median(out.loc[out["procedure_code"] == row.code, "admin_bd_at_close"].to_numpy(dtype=float)))
                if len(values)
                else None
            ),
        }
    return result


def cases_at_risk(
    state: pd.DataFrame, as_of: pd.Timestamp, calendar: BusinessCalendar, horizon_business_days: int = 5
) -> pd.DataFrame:
    """Open cases breached, at risk, or due to breach within the horizon; soonest due first."""
    holidays = calendar.holidays_around(as_of)
    today = np.datetime64(as_of.tz_convert("UTC").date(), "D")
    limit = np.busday_offset(today, horizon_business_days, roll="forward", weekmask=WEEKMASK, holidays=holidays)
    open_cases = state[state["is_open"]]
    due = open_cases["due_date"].to_numpy(dtype="datetime64[D]")
    soon = (~open_cases["breached"].to_numpy(dtype=bool)) & (due <= limit)
    picked = open_cases.assign(due_soon=soon)
    picked = picked[picked["breached"] | picked["at_risk"] | picked["due_soon"]]
    columns = [
        "source",
        "case_id",
        "procedure_code",
        "service",
        "status",
        "submitted_at",
        "agent",
        "sla_days",
        "admin_bd_now",
        "due_date",
        "breached",
        "at_risk",
        "due_soon",
    ]
    return picked.sort_values(["due_date", "submitted_at"])[columns].reset_index(drop=True)


def weekly_trend(as_of: pd.Timestamp, weeks: int, state_at: Any) -> list[dict[str, Any]]:
    """Headline metrics for each of the last ``weeks`` 7-day windows and the ``weeks`` before them.

    ``state_at(T)`` returns the per-case state at T (cached by the caller).
    """
    rows = []
    for k in range(2 * weeks):
        at = as_of - pd.Timedelta(days=7 * k)
        overall = group_metrics(state_at(at), at, 7, None, None)["__all__"]
        rows.append(
            {
                "as_of": at.isoformat(),
                "period": "current" if k < weeks else "previous",
                **{key: overall[key] for key in TREND_KEYS},
            }
        )
    return rows
