"""Per-case state at an instant T: status, closure, pauses, business days, due date.

This is where the KPI definitions of docs/kpis.md live; every metric is an aggregate
of this state. All stages are vectorised (sorts, shifts, bincounts; no per-case Python):

- ``prepare`` (kpis/history.py, once per data version): live cases joined to the catalogue
  with integer group codes, and their events as arrays sorted by case, time, then source order;
- ``settle`` (once per data version): what the history says when every event is known —
  status, closure, closed pauses, and, for closed cases, their business days;
- ``state_at(T)``: for a T after every event (the wall's "now") only the open cases' clocks
  are advanced from the settled state; for an earlier T the events known at T are replayed.

Every function here is pure. What is worth keeping between calls about one History (its
settled state, its case-number index, the backlog steps at a settled T) is kept in a
``HistoryCache`` that the caller owns and passes in: the KPI service keeps one per data version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd

from domain.business_days import WEEKMASK, BusinessCalendar
from domain.model import CLOSING_STATUSES, PAUSE_STATUS, STATUSES
from kpis.case_keys import CaseKeys
from kpis.history import LABEL_COLUMNS, History, prepare

CASE_KEY = ["source", "case_id"]
STATE_COLUMNS = (
    "source", "case_id", "procedure_code", "service", "sla_days", "submitted_at", "channel", "region", "agent",
    "status", "is_open", "closed_at", "paused_seconds", "pause_business_days", "admin_bd_now", "admin_bd_at_close",
    "processing_days", "on_time", "due_date", "age_days", "breached", "at_risk",
)  # fmt: skip
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
CLOSING_CODES = np.array([s in CLOSING_STATUSES for s in STATUSES])
STATUS_NAMES = np.array(STATUSES, dtype=object)
PAUSE_CODE = _STATUS_CODE[PAUSE_STATUS]
_SUBMITTED = _STATUS_CODE["submitted"]
#: Statuses that give the file back to the administration: a pause they end restarts a ``restart`` clock.
RESUMING_CODES = np.array([_STATUS_CODE["submitted"], _STATUS_CODE["in_review"]], dtype=np.int8)
_DAY_US = 86400 * 10**6


@dataclass(frozen=True)
class Settled:
    """Per-case arrays over History.cases from sorted events (all of them, or those known at some T).

    Open pauses and open cases' clocks are left to ``state_at``, which runs them up to T.
    """

    status: np.ndarray  # int8 index into STATUSES
    is_open: np.ndarray
    closed_at: np.ndarray  # int64 µs, UTC, start of the last closing run; 0 for open cases
    paused_us: np.ndarray  # float64 µs of the pauses that ended
    pause_bd: np.ndarray  # int64 business days of the pauses that ended, those on the legal clock (since clock_start)
    open_pause: np.ndarray  # int64 µs start of a pause still running, else -1
    clock_start: np.ndarray  # int64 µs: the legal clock's start (submission, or a restart clock's latest restart)
    business_days: np.ndarray  # int64, at closure for closed cases, 0 for open ones
    processing: np.ndarray  # float64 days, NaN for open cases


class BacklogSteps(NamedTuple):
    """The open-case count as steps: +1 at each submission, then -1/+1 at each closure/reopening."""

    case: np.ndarray  # case number
    at: np.ndarray  # int64 µs, UTC
    value: np.ndarray  # +1.0 or -1.0


class HistoryCache:
    """What is worth keeping between requests about one History, each value computed on first use.

    Owned by whoever keeps the History (KpiService keeps one per data version, beside it) and
    passed explicitly to the functions that can use it; without one they compute afresh, with
    the same result. A cache belongs to one History (``history``) and is never handed to
    another: ``kpis.incremental.apply_changes`` builds the next version's cache from this one's
    values without changing them. Each value is set once and its arrays made read-only, so a
    request holding one keeps a consistent view. Not locked: the owner fills it under its lock.
    """

    def __init__(self, history: History, *, keys: CaseKeys | None = None, settled: Settled | None = None) -> None:
        """``keys`` and ``settled``: values already known for this very History (apply_changes carries them)."""
        self._history = history
        self._keys = keys
        self._settled = _read_only(settled) if settled is not None else None
        self._backlog_steps: BacklogSteps | None = None
        self._backlog_totals: dict[str | None, np.ndarray] = {}

    @property
    def history(self) -> History:
        return self._history

    def keys(self) -> CaseKeys:
        """(source, case_id) -> case number."""
        if self._keys is None:
            self._keys = CaseKeys(self._history.cases["source"], self._history.cases["case_id"])
        return self._keys

    def settled(self) -> Settled:
        """``settle(history)``."""
        if self._settled is None:
            self._settled = _read_only(settle(self._history))
        return self._settled

    @property
    def has_settled(self) -> bool:
        return self._settled is not None

    def backlog_steps(self, compute: Callable[[], BacklogSteps]) -> BacklogSteps:
        """The backlog steps at a T that sees every event (the same for every such T): ``compute()`` once."""
        if self._backlog_steps is None:
            self._backlog_steps = _read_only(compute())
        return self._backlog_steps

    def backlog_total(self, by: str | None, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Open cases per group of ``by`` at a T that sees every event: ``compute()`` once per grouping."""
        if by not in self._backlog_totals:
            self._backlog_totals[by] = _read_only(compute())
        return self._backlog_totals[by]

    def belongs_to(self, history: History) -> HistoryCache:
        """This cache, after checking it is ``history``'s (a cache of another version would give wrong numbers)."""
        if self._history is not history:
            raise ValueError("this HistoryCache belongs to another History")
        return self


_Kept = TypeVar("_Kept", Settled, BacklogSteps, np.ndarray)


def _read_only(value: _Kept) -> _Kept:
    """``value`` with its arrays made read-only: once kept in a cache, every request may be reading them."""
    if isinstance(value, Settled):
        arrays = list(vars(value).values())
    else:
        arrays = [value] if isinstance(value, np.ndarray) else list(value)
    for array in arrays:
        array.flags.writeable = False
    return value


@dataclass(frozen=True)
class CaseState:
    """Arrays over History.cases at one T; ``visible`` marks the cases submitted at or before T."""

    history: History
    as_of: pd.Timestamp
    visible: np.ndarray
    status: np.ndarray
    is_open: np.ndarray
    closed_at_us: np.ndarray  # 0 for open cases
    paused_us: np.ndarray
    pause_bd: np.ndarray
    business_days: np.ndarray  # business days used: at T when open, at closure when closed
    clock_start_us: np.ndarray  # the legal clock's start s(T): submission, or the latest restart (clock = restart)
    due_day: np.ndarray  # datetime64[D]; meaningful for open cases
    processing_days: np.ndarray  # NaN for open cases
    age_days: np.ndarray
    #: Set when ``visible`` was narrowed by filters (kpis/filters.py): the visible cases before that.
    unfiltered_visible: np.ndarray | None = None

    @cached_property
    def over(self) -> np.ndarray:
        return self.business_days > self.history.sla

    @cached_property
    def breached(self) -> np.ndarray:
        return self.visible & self.is_open & self.over

    @cached_property
    def at_risk(self) -> np.ndarray:
        return self.visible & self.is_open & ~self.over & (self.business_days >= 0.8 * self.history.sla)

    @cached_property
    def silence(self) -> np.ndarray:
        """Per case: 0 none, 1 silence vaut accord, 2 silence vaut rejet (its procedure's ``silence``)."""
        return self.history.procedure_silence[self.history.procedure_no]

    @cached_property
    def tacit_accept(self) -> np.ndarray:
        """Open past the delay in a « silence vaut accord » procedure: deemed accepted on its due date."""
        return self.breached & (self.silence == 1)

    @cached_property
    def tacit_reject(self) -> np.ndarray:
        """Open past the delay in a « silence vaut rejet » procedure: deemed rejected on its due date."""
        return self.breached & (self.silence == 2)

    @cached_property
    def on_time(self) -> np.ndarray:
        return ~self.is_open & ~self.over

    def frame(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """The visible cases (or ``rows``, positions into History.cases) as a DataFrame of STATE_COLUMNS."""
        pick = np.flatnonzero(self.visible) if rows is None else rows
        open_ = self.is_open[pick]
        frame = (
            self.history.cases.iloc[pick]
            .reset_index(drop=True)
            .assign(
                status=STATUS_NAMES[self.status[pick]],
                is_open=open_,
                closed_at=pd.Series(self.closed_at_us[pick].astype("datetime64[us]")).where(~open_).dt.tz_localize("UTC"),
                paused_seconds=self.paused_us[pick] / 1e6,
                pause_business_days=self.pause_bd[pick],
                admin_bd_now=pd.array(self.business_days[pick], dtype="Int64"),
                admin_bd_at_close=pd.array(self.business_days[pick], dtype="Int64"),
                processing_days=self.processing_days[pick],
                on_time=self.on_time[pick],
                due_date=pd.Series(self.due_day[pick].astype("datetime64[s]")).where(open_),
                age_days=self.age_days[pick],
                breached=self.breached[pick],
                at_risk=self.at_risk[pick],
            )
        )
        frame["admin_bd_now"] = frame["admin_bd_now"].where(open_)
        frame["admin_bd_at_close"] = frame["admin_bd_at_close"].where(~open_)
        for col in LABEL_COLUMNS:  # categories -> str by taking from the few category labels (10x faster than astype)
            labels = frame[col].cat.categories.astype("str")
            frame[col] = pd.Series(
                labels.take(frame[col].cat.codes.to_numpy(), allow_fill=True, fill_value=None), index=frame.index
            )
        return frame[list(STATE_COLUMNS)]


def case_state(
    cases: pd.DataFrame, events: pd.DataFrame, catalog: pd.DataFrame, as_of: pd.Timestamp, calendar: BusinessCalendar
) -> pd.DataFrame:
    """One row per live case submitted at or before ``as_of``, with its state then."""
    return state_at(prepare(cases, events, catalog, calendar), as_of).frame()


def state_at(history: History, as_of: pd.Timestamp, cache: HistoryCache | None = None) -> CaseState:
    """The state of every case at T (definitions: docs/kpis.md).

    ``cache`` (``history``'s) saves settling the history again for a T that sees every event.
    """
    t = int(as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))
    if t >= history.horizon_us:
        settled = cache.belongs_to(history).settled() if cache is not None else settle(history)
    else:
        known = (history.ev_at <= t) & (history.submitted_us[history.ev_case] <= t) & history.live[history.ev_case]
        settled = replay_events(history, history.ev_case[known], history.ev_at[known], history.ev_status[known])
    return _advance(history, settled, t, as_of)


def settle(history: History) -> Settled:
    """The history with every event known (computed on each call: a HistoryCache keeps it)."""
    return replay_events(history, history.ev_case, history.ev_at, history.ev_status)


def replay_events(history: History, no: np.ndarray, at: np.ndarray, code: np.ndarray) -> Settled:
    """Status, closure and the pauses that ended, from sorted events; open pauses are left to _advance."""
    n, m = len(history.cases), len(no)
    last = np.ones(m, dtype=bool)
    last[:-1] = no[:-1] != no[1:]
    first = np.ones(m, dtype=bool)
    first[1:] = last[:-1]
    status = np.full(n, _SUBMITTED, dtype=np.int8)
    status[no[last]] = code[last]
    is_open = ~CLOSING_CODES[status]

    closing = CLOSING_CODES[code]
    prev_closing = np.zeros(m, dtype=bool)
    prev_closing[1:] = closing[:-1]
    run_start = np.flatnonzero(closing & (first | ~prev_closing))
    closed_at = np.zeros(n, dtype=np.int64)
    closed_at[no[run_start]] = at[run_start]  # sorted: each case keeps its last run's start
    closed_at[is_open] = 0

    pause = code == PAUSE_CODE
    ended = pause & ~last  # a pause followed by another event of its case
    next_at = np.empty(m, dtype=np.int64)
    next_at[:-1] = at[1:]
    next_code = np.empty(m, dtype=code.dtype)
    next_code[:-1] = code[1:]
    # clock = restart: a pause ended by the file coming back (submitted, in_review) starts the delay again
    restarts = history.procedure_restart[history.procedure_no]
    restarting = ended & restarts[no] & np.isin(next_code, RESUMING_CODES)
    clock_start = history.submitted_us.astype(np.int64, copy=True)
    clock_start[no[restarting]] = next_at[restarting]  # sorted: each case keeps its latest restart
    on_clock = ended & (at >= clock_start[no])  # the pauses since the clock's start (all of them for ``pause``)
    holidays = history.holidays
    paused_us = np.bincount(no[ended], weights=(next_at[ended] - at[ended]).astype(np.float64), minlength=n)
    p_no, p_start, p_end = no[on_clock], at[on_clock], next_at[on_clock]
    pause_bd = np.bincount(p_no, weights=_bd(_day(p_start), _day(p_end), holidays), minlength=n).astype(np.int64)
    open_pause = np.full(n, -1, dtype=np.int64)  # start of a pause still running, else -1
    running = pause & last
    open_pause[no[running]] = at[running]

    closed = ~is_open
    admin = np.zeros(n, dtype=np.int64)
    admin[closed] = _bd(_day(clock_start[closed]), _day(closed_at[closed]), holidays) - pause_bd[closed]
    processing = np.full(n, np.nan)
    processing[closed] = (closed_at[closed] - history.submitted_us[closed] - paused_us[closed]) / _DAY_US
    return Settled(
        status=status,
        is_open=is_open,
        closed_at=closed_at,
        paused_us=paused_us,
        pause_bd=pause_bd,
        open_pause=open_pause,
        clock_start=clock_start,
        business_days=admin,
        processing=processing,
    )


def _advance(history: History, settled: Settled, t: int, as_of: pd.Timestamp) -> CaseState:
    """Run the open cases' clocks (and open pauses) up to T; closed cases are already final."""
    holidays = history.holidays_until(as_of)
    is_open = settled.is_open
    open_rows = np.flatnonzero(is_open)
    t_day = _day(np.array([t], dtype=np.int64))[0]
    paused_us = settled.paused_us.copy()
    pause_bd = settled.pause_bd.copy()
    running = open_rows[settled.open_pause[open_rows] >= 0]
    starts = settled.open_pause[running]
    paused_us[running] += t - starts
    pause_bd[running] += _bd(_day(starts), np.full(len(running), t_day), holidays)

    admin = settled.business_days.copy()
    sub_day = _day(settled.clock_start[open_rows])  # the submission, or a restart clock's latest restart
    admin[open_rows] = _bd(sub_day, np.full(len(open_rows), t_day), holidays) - pause_bd[open_rows]
    due = np.full(len(is_open), np.datetime64("NaT"), dtype="datetime64[D]")
    if len(open_rows):
        due[open_rows] = (
            np.busday_offset(
                sub_day, history.sla[open_rows] + pause_bd[open_rows], roll="forward", weekmask=WEEKMASK, holidays=holidays
            )
            + 1
        )
    return CaseState(
        history=history,
        as_of=as_of,
        visible=history.live & (history.submitted_us <= t),
        status=settled.status,
        is_open=is_open,
        closed_at_us=settled.closed_at,
        paused_us=paused_us,
        pause_bd=pause_bd,
        business_days=admin,
        clock_start_us=settled.clock_start,
        due_day=due,
        processing_days=settled.processing,
        age_days=(t - history.submitted_us) // _DAY_US,
    )


def _day(us: np.ndarray) -> np.ndarray:
    """Lomé dates. Africa/Lome is UTC+0 with no daylight saving: the UTC date is the Lomé date."""
    return us.astype("datetime64[us]").astype("datetime64[D]")


def _bd(start: np.ndarray, end: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    if len(start) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.busday_count(start, end, weekmask=WEEKMASK, holidays=holidays)
