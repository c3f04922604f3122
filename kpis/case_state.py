"""Per-case state at an instant T: status, closure, pauses, business days, due date.

This is where the KPI definitions of docs/kpis.md live; every metric is an aggregate
of this state. All stages are vectorised (sorts, shifts, bincounts; no per-case Python):

- ``prepare`` (once per data version): live cases joined to the catalogue with integer
  group codes, and their events as arrays sorted by case, time, then source order;
- ``settle`` (once per data version): what the history says when every event is known —
  status, closure, closed pauses, and, for closed cases, their business days;
- ``state_at(T)``: for a T after every event (the wall's "now") only the open cases' clocks
  are advanced from the settled state; for an earlier T the events known at T are replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.business_days import WEEKMASK, BusinessCalendar
from domain.model import CLOSING_STATUSES, PAUSE_STATUS, STATUSES
from kpis.case_keys import CaseKeys, arrow_text

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
_DAY_US = 86400 * 10**6
LABEL_COLUMNS = ("source", "procedure_code", "channel", "region", "agent", "service")


@dataclass(frozen=True)
class History:
    """Live cases (row i is case number i) and their events, sorted by case, time, source order."""

    cases: pd.DataFrame
    live: np.ndarray  # False for cases deleted at their source (kept so a restoration is a flag flip)
    submitted_us: np.ndarray  # int64 microseconds since the epoch, UTC
    sla: np.ndarray
    online: np.ndarray
    service_no: np.ndarray  # index into ``services``
    procedure_no: np.ndarray  # index into ``procedures`` (catalogue order)
    services: list[str]
    procedures: list[str]
    procedure_sla: np.ndarray  # sla_days per entry of ``procedures``
    ev_case: np.ndarray
    ev_at: np.ndarray  # int64 microseconds, UTC
    ev_status: np.ndarray  # int8 index into STATUSES
    calendar: BusinessCalendar
    _settled: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    _keys: list[CaseKeys] = field(default_factory=list, compare=False, repr=False)  # built on first use, shared

    def case_numbers(self) -> CaseKeys:
        """(source, case_id) -> case number; built on first use, then kept up to date by apply_changes."""
        if not self._keys:
            self._keys.append(CaseKeys(self.cases["source"], self.cases["case_id"]))
        return self._keys[0]

    @cached_property
    def horizon_us(self) -> int:
        """The latest instant the history knows of: any T at or after it sees every event."""
        latest = [int(self.ev_at.max())] if len(self.ev_at) else []
        latest += [int(self.submitted_us.max())] if len(self.submitted_us) else []
        return max(latest, default=np.iinfo(np.int64).min)

    @cached_property
    def holidays(self) -> np.ndarray:
        """Holidays covering every date the history holds (enough for settled, closed cases)."""
        return self.holidays_until(pd.Timestamp(max(self.horizon_us, 0) * 1000, tz="UTC"))

    def holidays_until(self, as_of: pd.Timestamp) -> np.ndarray:
        """Holidays from the first submission to ``as_of``, with margin for due dates (cached by year range)."""
        first = pd.Timestamp(int(self.submitted_us.min()) * 1000, tz="UTC") if len(self.submitted_us) else as_of
        return self.calendar.holidays_around(first, as_of, pd.Timestamp(max(self.horizon_us, 0) * 1000, tz="UTC"))


def prepare(cases: pd.DataFrame, events: pd.DataFrame, catalog: pd.DataFrame, calendar: BusinessCalendar) -> History:
    """Everything about the history that does not depend on T. Inputs are not modified.

    Cases whose procedure is not in the catalogue are left out; deleted cases are kept but
    flagged not live (they count nowhere); a repeated (case, status, at) is kept once.
    """
    live = cases[["source", "case_id", "procedure_code", "submitted_at", "channel", "region", "agent", "deleted_at"]]
    live = (
        live.merge(catalog[["code", "service", "sla_days"]], left_on="procedure_code", right_on="code", how="inner")
        .drop(columns="code")
        .reset_index(drop=True)
    )
    services = sorted(catalog["service"].unique())
    procedures = list(catalog["code"])
    ev_case, ev_at, ev_status = _sorted_events(live, events)
    alive = live["deleted_at"].isna().to_numpy()
    live = live.drop(columns="deleted_at")
    for col in LABEL_COLUMNS:  # few distinct values: categories keep memory low and make updates O(changed rows)
        live[col] = live[col].astype("category")
    return History(
        cases=live,
        live=alive,
        submitted_us=instants_us(live["submitted_at"]),
        sla=live["sla_days"].to_numpy(dtype=np.int64),
        online=(live["channel"] == "online").to_numpy(dtype=bool),
        service_no=pd.Categorical(live["service"], categories=services).codes.astype(np.int64),
        procedure_no=pd.Categorical(live["procedure_code"], categories=procedures).codes.astype(np.int64),
        services=services,
        procedures=procedures,
        procedure_sla=catalog["sla_days"].to_numpy(dtype=np.int64),
        ev_case=ev_case,
        ev_at=ev_at,
        ev_status=ev_status,
        calendar=calendar,
    )


def _sorted_events(live: pd.DataFrame, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(case number, time, status code) of the events of live cases, sorted by case, time, then source
    order (seq, id), a repeated (case, status, at) kept once.

    Built for fifty million events in a few gigabytes: the sort is on (case, time) only, and the
    source order is looked up just for the rare events that share their case and instant.
    """
    case_no = _case_numbers(live, events)
    status = status_codes(events["status"])
    kept = np.flatnonzero((case_no >= 0) & (status >= 0))
    ev_case, ev_at, ev_status = case_no[kept], instants_us(events["at"])[kept], status[kept]
    del case_no, status
    order = np.lexsort((ev_at, ev_case))
    ev_case, ev_at, ev_status, kept = ev_case[order], ev_at[order], ev_status[order], kept[order]
    del order
    rows = _tied(ev_case, ev_at)
    if len(rows):  # same case, same instant: the source's order decides (seq, then id)
        starts = (np.diff(rows) != 1) | (ev_case[rows[1:]] != ev_case[rows[:-1]]) | (ev_at[rows[1:]] != ev_at[rows[:-1]])
        run = np.cumsum(np.r_[True, starts])
        source_rows = kept[rows]
        seq = events["seq"].to_numpy(dtype="float64", na_value=np.inf)[source_rows]
        ids = events["id"].to_numpy(dtype=np.int64)[source_rows]
        ev_status[rows] = ev_status[rows][np.lexsort((ids, seq, run))]
    first = _first_of_each(ev_case, ev_at, ev_status, rows)
    return ev_case[first], ev_at[first], ev_status[first]


def _tied(case: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Positions of events that share their case and instant with a neighbour (sorted input)."""
    same = (case[1:] == case[:-1]) & (at[1:] == at[:-1])
    tied = np.zeros(len(case), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    return np.flatnonzero(tied)


def _case_numbers(live: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """For each event, the row of its case in ``live`` (-1 when the case is not live), as int32.

    Ids are matched in Arrow, one C++ hash table per source: as Python strings, fifty million
    event ids would cost gigabytes.
    """
    out = np.full(len(events), -1, dtype=np.int32)
    live_ids, event_ids = arrow_text(live["case_id"]), arrow_text(events["case_id"])
    for source in live["source"].dropna().unique():
        live_rows = np.flatnonzero((live["source"] == source).to_numpy(dtype=bool, na_value=False))
        value_set = pc.take(live_ids, pa.array(live_rows)).combine_chunks()
        mine = (events["source"] == source).to_numpy(dtype=bool, na_value=False)
        every = bool(mine.all())
        found = pc.index_in(event_ids if every else pc.filter(event_ids, pa.array(mine)), value_set=value_set)
        position = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
        matched = np.where(position >= 0, live_rows[np.maximum(position, 0)], -1).astype(np.int32)
        if every:
            out = matched
        else:
            out[mine] = matched
    return out


def status_codes(status: pd.Series) -> np.ndarray:
    """int8 index into STATUSES; -1 for a status outside the canonical model (or none)."""
    if isinstance(status.dtype, pd.CategoricalDtype):  # look up the few categories, then take by code
        lookup = np.append(status_codes(pd.Series(status.cat.categories, dtype="str")), np.int8(-1))
        return lookup[status.cat.codes.to_numpy()]  # code -1 (missing) takes the appended -1
    found = pc.index_in(arrow_text(status), value_set=pa.array(STATUSES))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int8)


def _first_of_each(case: np.ndarray, at: np.ndarray, status: np.ndarray, tied: np.ndarray) -> np.ndarray:
    """Which events to keep so that a repeated (case, status, at) stays once, at its first place.

    Repeats can only be among ``tied`` (the events sharing their case and instant), which are
    rare: only those are hashed.
    """
    keep = np.ones(len(case), dtype=bool)
    if len(tied):
        repeated = pd.DataFrame({"case": case[tied], "at": at[tied], "status": status[tied]}).duplicated(keep="first")
        keep[tied[repeated.to_numpy()]] = False
    return keep


def instants_us(values: pd.Series) -> np.ndarray:
    """Microseconds since the epoch (UTC) as int64; a view of the column when it is already UTC microseconds."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.array.as_unit("us").asi8
    return values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]").astype(np.int64)


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
    due_day: np.ndarray  # datetime64[D]; meaningful for open cases
    processing_days: np.ndarray  # NaN for open cases
    age_days: np.ndarray
    #: Set when ``visible`` was narrowed by filters (kpis/filters.py): the visible cases before that.
    unfiltered_visible: np.ndarray | None = None
    #: Derived arrays kept with this state (populations per window length); not carried over by replace().
    memo: dict[object, object] = field(default_factory=dict, init=False, compare=False, repr=False)

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


def state_at(history: History, as_of: pd.Timestamp) -> CaseState:
    """The state of every case at T (definitions: docs/kpis.md)."""
    t = int(as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))
    if t >= history.horizon_us:
        settled = settle(history)
    else:
        known = (history.ev_at <= t) & (history.submitted_us[history.ev_case] <= t) & history.live[history.ev_case]
        settled = replay_events(history, history.ev_case[known], history.ev_at[known], history.ev_status[known])
    return _advance(history, settled, t, as_of)


def settle(history: History) -> dict[str, np.ndarray]:
    """The history with every event known; computed once per History and kept on it."""
    if not history._settled:
        history._settled.update(replay_events(history, history.ev_case, history.ev_at, history.ev_status))
    return history._settled


def replay_events(history: History, no: np.ndarray, at: np.ndarray, code: np.ndarray) -> dict[str, np.ndarray]:
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
    p_no, p_start, p_end = no[ended], at[ended], next_at[ended]
    holidays = history.holidays
    paused_us = np.bincount(p_no, weights=(p_end - p_start).astype(np.float64), minlength=n)
    pause_bd = np.bincount(p_no, weights=_bd(_day(p_start), _day(p_end), holidays), minlength=n).astype(np.int64)
    open_pause = np.full(n, -1, dtype=np.int64)  # start of a pause still running, else -1
    running = pause & last
    open_pause[no[running]] = at[running]

    closed = ~is_open
    admin = np.zeros(n, dtype=np.int64)
    admin[closed] = _bd(_day(history.submitted_us[closed]), _day(closed_at[closed]), holidays) - pause_bd[closed]
    processing = np.full(n, np.nan)
    processing[closed] = (closed_at[closed] - history.submitted_us[closed] - paused_us[closed]) / _DAY_US
    return {
        "status": status,
        "is_open": is_open,
        "closed_at": closed_at,
        "paused_us": paused_us,
        "pause_bd": pause_bd,
        "open_pause": open_pause,
        "business_days": admin,
        "processing": processing,
    }


def _advance(history: History, settled: dict[str, np.ndarray], t: int, as_of: pd.Timestamp) -> CaseState:
    """Run the open cases' clocks (and open pauses) up to T; closed cases are already final."""
    holidays = history.holidays_until(as_of)
    is_open = settled["is_open"]
    open_rows = np.flatnonzero(is_open)
    t_day = _day(np.array([t], dtype=np.int64))[0]
    paused_us = settled["paused_us"].copy()
    pause_bd = settled["pause_bd"].copy()
    running = open_rows[settled["open_pause"][open_rows] >= 0]
    starts = settled["open_pause"][running]
    paused_us[running] += t - starts
    pause_bd[running] += _bd(_day(starts), np.full(len(running), t_day), holidays)

    admin = settled["business_days"].copy()
    sub_day = _day(history.submitted_us[open_rows])
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
        status=settled["status"],
        is_open=is_open,
        closed_at_us=settled["closed_at"],
        paused_us=paused_us,
        pause_bd=pause_bd,
        business_days=admin,
        due_day=due,
        processing_days=settled["processing"],
        age_days=(t - history.submitted_us) // _DAY_US,
    )


def _day(us: np.ndarray) -> np.ndarray:
    """Lomé dates. Africa/Lome is UTC+0 with no daylight saving: the UTC date is the Lomé date."""
    return us.astype("datetime64[us]").astype("datetime64[D]")


def _bd(start: np.ndarray, end: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    if len(start) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.busday_count(start, end, weekmask=WEEKMASK, holidays=holidays)
