"""Series the screens need, from the same definitions as the KPI document.

- daily inflow / outflow / backlog per group (outflow by the closures that count at T,
  so a window's days add up to that window's outflow);
- processing-time distributions per procedure;
- the open cases past or near their legal delay, with due dates;
- a trend of the headline metrics, week by week, with the previous weeks for comparison.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from domain.business_days import WEEKMASK
from kpis.case_state import CLOSING_CODES, BacklogSteps, CaseState, HistoryCache
from kpis.metrics import group_metrics, quantile_sorted, split_by_group

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
TREND_KEYS = ("backlog", "inflow", "outflow", "median_processing_days", "sla_compliance_pct", "breached_open")
_DAY_US = 86400 * 10**6


def _t_us(state: CaseState) -> int:
    return int(state.as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))


def _groups(state: CaseState, by: str | None) -> tuple[np.ndarray, list[str]]:
    h = state.history
    if by == "service":
        return h.service_no, h.services
    if by == "procedure":
        return h.procedure_no, h.procedures
    return np.zeros(len(h.cases), dtype=np.int64), ["Tous"]


def daily_flows(state: CaseState, days: int, by: str | None, cache: HistoryCache | None = None) -> pd.DataFrame:
    """One row per (Lomé date, group) over the ``days`` dates ending on T's date.

    inflow and outflow count submissions and closures (those that count at T) before T, and
    median_processing_days / sla_compliance_pct describe that day's closures;
    backlog is the number of open cases at the end of each date (at T for the last one),
    replayed exactly from the status events: +1 at submission, then one step per
    open/closed flip. ``cache`` (the state's history's) keeps those steps for every T that
    sees every event, so a call only walks the steps inside the window.
    """
    h, t = state.history, _t_us(state)
    codes, names = _groups(state, by)
    first_day = (t // _DAY_US - days + 1) * _DAY_US  # t - first_day < days full days: every cell below is < days

    def per_day(times: np.ndarray, group: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """(group, day) sums of weights; ``times`` are all in [first_day, t]."""
        flat = np.bincount(group * days + (times - first_day) // _DAY_US, weights=weights, minlength=len(names) * days)
        return flat.reshape(len(names), days)

    # Only what falls inside the window is bucketed (a tenth of the history for 90 days out of two years).
    arrived = state.visible & (h.submitted_us >= first_day) & (h.submitted_us < t)
    inflow = per_day(h.submitted_us[arrived], codes[arrived])
    recent = state.visible & ~state.is_open & (state.closed_at_us >= first_day) & (state.closed_at_us < t)
    closed_at, closed_group = state.closed_at_us[recent], codes[recent]
    outflow = per_day(closed_at, closed_group)
    on_time = per_day(closed_at, closed_group, state.on_time[recent].astype(float))

    before, step_times, step_group, step_values = _backlog_window(state, t, first_day, (codes, len(names), by), cache)
    backlog = before[:, None] + np.cumsum(per_day(step_times, step_group, step_values), axis=1)

    # Of each day's closures: median processing time and the share on time (None on a day without closures).
    cell = closed_group * days + (closed_at - first_day) // _DAY_US
    medians = [quantile_sorted(v, 0.5) for v in split_by_group(cell, state.processing_days[recent], len(names) * days)]

    dates = pd.date_range(end=pd.Timestamp(t // _DAY_US * _DAY_US * 1000), periods=days, freq="D").date
    closures = outflow.ravel()
    return pd.DataFrame(
        {
            "date": np.tile(dates, len(names)),
            "group": np.repeat(names, days),
            "inflow": inflow.ravel().astype(int),
            "outflow": closures.astype(int),
            "backlog": np.rint(backlog.ravel()).astype(int),
            "median_processing_days": medians,
            "sla_compliance_pct": [None if n == 0 else 100.0 * k / n for k, n in zip(on_time.ravel(), closures, strict=True)],
        }
    )


def _backlog_window(
    state: CaseState, t: int, first_day: int, grouping: tuple[np.ndarray, int, str | None], cache: HistoryCache | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Open cases per group at ``first_day``, and the backlog steps from then to T (times, group, +1/-1)."""
    codes, groups, by = grouping
    kept = cache if cache is not None and t >= state.history.horizon_us else None  # the same steps for every such T
    no, at, value = _backlog_steps(state, t, kept)
    if kept is not None and state.unfiltered_visible is None:
        total = kept.backlog_total(by, lambda: np.bincount(codes[no], weights=value, minlength=groups))
    else:
        total = np.bincount(codes[no], weights=value, minlength=groups)
    inside = at >= first_day
    window_group, window_values = codes[no[inside]], value[inside]
    before = total - np.bincount(window_group, weights=window_values, minlength=groups)
    return before, at[inside], window_group, window_values


def _backlog_steps(state: CaseState, t: int, cache: HistoryCache | None = None) -> BacklogSteps:
    """(case, time, +1/-1) steps of the open-case count up to T; ``cache`` keeps them (T must see every event)."""
    if state.unfiltered_visible is not None:  # steps are per case: a filtered state keeps its visible cases' steps
        unfiltered = dataclasses.replace(state, visible=state.unfiltered_visible, unfiltered_visible=None)
        no, at, value = _backlog_steps(unfiltered, t, cache)
        keep = state.visible[no]
        return BacklogSteps(no[keep], at[keep], value[keep])
    if cache is not None:
        return cache.belongs_to(state.history).backlog_steps(lambda: _backlog_steps(state, t))
    h = state.history
    known = (h.ev_at <= t) & state.visible[h.ev_case]
    no, at, shut = h.ev_case[known], h.ev_at[known], CLOSING_CODES[h.ev_status[known]]
    first = np.ones(len(no), dtype=bool)
    first[1:] = no[1:] != no[:-1]
    shut_before = np.zeros(len(no), dtype=bool)
    shut_before[1:] = shut[:-1]
    shut_before &= ~first
    flip = shut != shut_before
    visible = np.flatnonzero(state.visible)
    return BacklogSteps(
        np.concatenate([visible, no[flip]]),
        np.concatenate([h.submitted_us[visible], np.maximum(at[flip], h.submitted_us[no[flip]])]),
        np.concatenate([np.ones(len(visible)), np.where(shut[flip], -1.0, 1.0)]),
    )


def processing_distribution(state: CaseState, days: int) -> dict[str, dict[str, Any]]:
    """Per procedure: quantiles of processing_days over the outflow of [T - days, T), and the legal delay."""
    h, t = state.history, _t_us(state)
    out = state.visible & ~state.is_open & (state.closed_at_us >= t - days * _DAY_US) & (state.closed_at_us < t)
    groups = len(h.procedures)
    processing = split_by_group(h.procedure_no[out], state.processing_days[out], groups)
    admin = split_by_group(h.procedure_no[out], state.business_days[out].astype(np.float64), groups)
    result: dict[str, dict[str, Any]] = {}
    for g, code in enumerate(h.procedures):
        values, business = processing[g], admin[g]
        result[code] = {
            "sla_days": int(h.procedure_sla[g]),
            "count": int(len(values)),
            "quantiles": {f"p{int(q * 100)}": quantile_sorted(values, q) for q in QUANTILES},
            "business_days_median": quantile_sorted(business, 0.5),
            "business_days_p90": quantile_sorted(business, 0.9),
        }
    return result


def cases_at_risk(state: CaseState, horizon_business_days: int = 5) -> pd.DataFrame:
    """Open cases breached, at risk, or due to breach within the horizon; soonest due first."""
    h = state.history
    today = np.datetime64(state.as_of.tz_convert("UTC").date(), "D")
    limit = np.busday_offset(
        today, horizon_business_days, roll="forward", weekmask=WEEKMASK, holidays=h.holidays_until(state.as_of)
    )
    open_ = state.visible & state.is_open
    soon = open_ & ~state.breached & (state.due_day <= limit)
    rows = np.flatnonzero(state.breached | state.at_risk | soon)
    frame = state.frame(rows).assign(due_soon=soon[rows])
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
    return frame.sort_values(["due_date", "submitted_at"], kind="stable")[columns].reset_index(drop=True)


def weekly_trend(as_of: pd.Timestamp, weeks: int, state_at: Callable[[pd.Timestamp], CaseState]) -> list[dict[str, Any]]:
    """Headline metrics for each of the last ``weeks`` 7-day windows and the ``weeks`` before them."""
    rows = []
    for k in range(2 * weeks):
        at = as_of - pd.Timedelta(days=7 * k)
        overall = group_metrics(state_at(at), 7, None)["__all__"]
        rows.append(
            {
                "as_of": at.isoformat(),
                "period": "current" if k < weeks else "previous",
                **{key: overall[key] for key in TREND_KEYS},
            }
        )
    return rows
