"""One case told in full: its status periods, pauses, business days used and due date at T.

Read from the same prepared history and state as the KPIs, so the case page agrees with
the counts it was drilled from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.business_days import WEEKMASK
from domain.model import LOME_TZ, PAUSE_STATUS
from kpis.case_state import STATUS_NAMES, CaseState, HistoryCache


@dataclass(frozen=True)
class CaseStory:
    case: dict[str, object]  # the case's row of CaseState.frame (status, dates, business days, due date, agent)
    steps: pd.DataFrame  # status, start, end (aware UTC; end is T for the current status of an open case)
    pauses: pd.DataFrame  # start, end, business_days (end is T for a pause still running)
    #: a restart clock's latest restart (the complete file back after a request for documents), None otherwise
    restarted_at: pd.Timestamp | None = None
    #: "accord" or "rejet" when the legal silence has decided (open past the delay in such a procedure), else None
    tacit: str | None = None


def case_story(state: CaseState, source: str, case_id: str, cache: HistoryCache | None = None) -> CaseStory | None:
    """None when the case is unknown, deleted at its source, or not yet submitted at T.

    ``cache`` (the state's history's) lends its case-number index; without it one is built.
    """
    h = state.history
    cache = HistoryCache(h) if cache is None else cache.belongs_to(h)
    no = cache.keys().get((source, case_id))
    if no is None or not state.visible[no]:
        return None
    t_us = int(state.as_of.tz_convert("UTC").value // 1000)
    picked = np.flatnonzero((h.ev_case == no) & (h.ev_at <= t_us))
    at, status = h.ev_at[picked], STATUS_NAMES[h.ev_status[picked]]
    if len(at) == 0:  # a legacy case without history: submitted since its submission
        at, status = np.array([h.submitted_us[no]]), np.array(["submitted"], dtype=object)
    ends = np.append(at[1:], t_us if state.is_open[no] else at[-1])
    to_time = lambda us: pd.to_datetime(us, unit="us", utc=True)  # noqa: E731
    steps = pd.DataFrame({"status": status, "start": to_time(at), "end": to_time(ends)})
    pauses = steps[steps["status"] == PAUSE_STATUS][["start", "end"]].reset_index(drop=True)
    holidays = h.holidays_until(state.as_of)
    pauses["business_days"] = np.busday_count(
        _lome_days(pauses["start"]), _lome_days(pauses["end"]), weekmask=WEEKMASK, holidays=holidays
    ).astype(int)
    row = {str(k): v for k, v in state.frame(np.array([no])).iloc[0].to_dict().items()}
    start = int(state.clock_start_us[no])
    restarted = pd.Timestamp(start * 1000, tz="UTC") if start != int(h.submitted_us[no]) else None
    tacit = "accord" if state.tacit_accept[no] else "rejet" if state.tacit_reject[no] else None
    return CaseStory(case=row, steps=steps, pauses=pauses, restarted_at=restarted, tacit=tacit)


def _lome_days(stamps: pd.Series) -> np.ndarray:
    return stamps.dt.tz_convert(LOME_TZ).dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
