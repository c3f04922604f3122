"""Per-case state at an instant T: status, closure, pauses, business days, due date.

This is where the KPI definitions of docs/kpis.md live; every metric is an
aggregate of this frame. Vectorised throughout: sorts, shifts and group-wise
reductions, no per-case Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collectors.model import CLOSING_STATUSES, PAUSE_STATUS
from dashboard.calendar import WEEKMASK, BusinessCalendar

CASE_KEY = ["source", "case_id"]
STATE_COLUMNS = (
    "source", "case_id", "procedure_code", "service", "sla_days", "submitted_at", "channel", "region", "agent",
    "status", "is_open", "closed_at", "paused_seconds", "pause_business_days", "admin_bd_now", "admin_bd_at_close",
    "processing_days", "on_time", "due_date", "age_days", "breached", "at_risk",
)  # fmt: skip


def case_state(
    cases: pd.DataFrame, events: pd.DataFrame, catalog: pd.DataFrame, as_of: pd.Timestamp, calendar: BusinessCalendar
) -> pd.DataFrame:
    """One row per case submitted at or before ``as_of`` and not deleted, with its state at ``as_of``.

    - status: of the last event with at <= T (ties: the source's order, ``seq``, then ingestion
      order); ``submitted`` when there is none.
    - closed_at: first event of the final unbroken run of closing statuses (closed cases only).
    - pauses: from each awaiting_applicant event to the case's next event, or to T.
    - admin_bd_now (open) / admin_bd_at_close (closed): bd(submitted, X) minus the business
      days of the pauses, bd taken on Lomé dates with Togo's holidays.
    - due_date (open): first Lomé date on which admin business days would exceed sla_days.
    Inputs are not modified.
    """
    live = cases.loc[
        cases["deleted_at"].isna() & (cases["submitted_at"] <= as_of),
        ["source", "case_id", "procedure_code", "submitted_at", "channel", "region", "agent"],
    ]
    live = (
        live.merge(catalog[["code", "service", "sla_days"]], left_on="procedure_code", right_on="code", how="inner")
        .drop(columns="code")
        .reset_index(drop=True)
    )
    n = len(live)
    t_us = _utc_us(as_of)

    ev = events.loc[events["at"] <= as_of, ["source", "case_id", "status", "at", "seq", "id"]]
    ev = ev.merge(live[CASE_KEY].assign(case_no=np.arange(n)), on=CASE_KEY, how="inner")
    ev = ev.sort_values(["case_no", "at", "seq", "id"], na_position="last", kind="stable")
    ev = ev.drop_duplicates(["case_no", "status", "at"], keep="first")
    no = ev["case_no"].to_numpy()
    at = _naive_us(ev["at"])
    status = ev["status"].to_numpy(dtype=object)
    same_next = np.zeros(len(ev), dtype=bool)
    same_next[:-1] = no[:-1] == no[1:]
    same_prev = np.zeros(len(ev), dtype=bool)
    same_prev[1:] = same_next[:-1]

    # Status at T: that of each case's last event (events are sorted), else submitted.
    last = ~same_next
    state_status = np.full(n, "submitted", dtype=object)
    state_status[no[last]] = status[last]
    is_open = ~np.isin(state_status, list(CLOSING_STATUSES))

    # closed_at: the first event of the final unbroken run of closing statuses.
    closing = np.isin(status, list(CLOSING_STATUSES))
    prev_closing = np.zeros(len(ev), dtype=bool)
    prev_closing[1:] = closing[:-1]
    run_start = closing & ~(prev_closing & same_prev)
    closed_at = np.full(n, np.datetime64("NaT", "us"))
    starts = np.flatnonzero(run_start)
    closed_at[no[starts]] = at[starts]  # sorted: each case keeps its last run's start
    closed_at[is_open] = np.datetime64("NaT", "us")

    # Pauses: from awaiting_applicant to the case's next event, or to T.
    next_at = np.empty_like(at)
    next_at[:-1] = at[1:]
    next_at[last] = t_us
    pause = status == PAUSE_STATUS
    p_no, p_start, p_end = no[pause], at[pause], next_at[pause]
    paused = np.bincount(p_no, weights=_seconds(p_end - p_start), minlength=n)

    holidays = calendar.holidays_around(live["submitted_at"], as_of)
    submitted = _naive_us(live["submitted_at"])
    # Lomé dates: Africa/Lome is UTC+0 with no daylight saving, so the UTC date is the Lomé date.
    sub_day = submitted.astype("datetime64[D]")
    pause_bd = np.bincount(
        p_no, weights=_bd(p_start.astype("datetime64[D]"), p_end.astype("datetime64[D]"), holidays), minlength=n
    ).astype(np.int64)
    end_day = np.where(is_open, t_us.astype("datetime64[D]"), closed_at.astype("datetime64[D]"))
    admin = _bd(sub_day, end_day, holidays) - pause_bd
    sla = live["sla_days"].to_numpy()
    due = np.busday_offset(sub_day, sla + pause_bd, roll="forward", weekmask=WEEKMASK, holidays=holidays) + 1

    state = live.assign(
        status=state_status,
        is_open=is_open,
        closed_at=pd.Series(closed_at).dt.tz_localize("UTC"),
        paused_seconds=paused,
        pause_business_days=pause_bd,
        admin_bd_now=pd.array(admin, dtype="Int64"),
        admin_bd_at_close=pd.array(admin, dtype="Int64"),
        processing_days=np.where(is_open, np.nan, (_seconds(closed_at - submitted) - paused) / 86400.0),
        due_date=pd.Series(due.astype("datetime64[s]")).where(is_open),
        age_days=np.floor(_seconds(t_us - submitted) / 86400.0).astype(np.int64),
    )
    state.loc[~is_open, "admin_bd_now"] = pd.NA
    state.loc[is_open, "admin_bd_at_close"] = pd.NA
    state["on_time"] = ~is_open & (state["admin_bd_at_close"] <= state["sla_days"]).fillna(False).to_numpy(dtype=bool)
    over = (state["admin_bd_now"] > state["sla_days"]).fillna(False).to_numpy(dtype=bool)
    near = (state["admin_bd_now"] >= 0.8 * state["sla_days"]).fillna(False).to_numpy(dtype=bool)
    state["breached"] = is_open & over
    state["at_risk"] = is_open & ~over & near
    return state[list(STATE_COLUMNS)]


def _utc_us(stamp: pd.Timestamp) -> np.datetime64:
    return np.datetime64(stamp.tz_convert("UTC").tz_localize(None).to_datetime64(), "us")


def _naive_us(values: pd.Series) -> np.ndarray:
    """tz-aware UTC series -> naive datetime64[us] array (UTC wall time)."""
    return values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")


def _seconds(delta: np.ndarray) -> np.ndarray:
    return delta.astype("timedelta64[us]").astype(np.float64) / 1e6


def _bd(start: np.ndarray, end: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    if len(start) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.busday_count(start, end, weekmask=WEEKMASK, holidays=holidays)
