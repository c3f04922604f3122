"""The history of every case, prepared once per data version: what does not depend on T.

``prepare`` joins the live cases to the catalogue with integer group codes and sorts their
events as arrays by case, time, then source order (vectorised: sorts, shifts, bincounts; no
per-case Python). A History is never changed after it is built: ``kpis.incremental`` makes a
new one from the last polls' rows, and what is derived from one lazily (the settled state,
the case-number index) lives beside it in a ``kpis.case_state.HistoryCache``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.business_days import BusinessCalendar
from domain.model import STATUSES
from kpis.case_keys import arrow_text

LABEL_COLUMNS = ("source", "procedure_code", "channel", "region", "agent", "service")


@dataclass(frozen=True)
class History:
    """Live cases (row i is case number i) and their events, sorted by case, time, source order.

    Never changed once built (its arrays are not written either): a request may still read it
    after a poll has produced the next version's History.
    """

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
    procedure_restart: np.ndarray  # bool per entry of ``procedures``: clock = restart (docs/kpis.md)
    procedure_silence: np.ndarray  # int8 per entry of ``procedures``: 0 none, 1 accord, 2 rejet
    ev_case: np.ndarray
    ev_at: np.ndarray  # int64 microseconds, UTC
    ev_status: np.ndarray  # int8 index into STATUSES
    calendar: BusinessCalendar

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


#: ``silence`` -> its code in History.procedure_silence.
SILENCE_CODES = {"none": 0, "accord": 1, "rejet": 2}


def _column(catalog: pd.DataFrame, name: str, default: str) -> pd.Series:
    """An optional catalogue column (a catalogue read without it, as in the tests' small ones, gets its default)."""
    return catalog[name] if name in catalog.columns else pd.Series(default, index=catalog.index)


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
        procedure_restart=_column(catalog, "clock", "pause").to_numpy() == "restart",
        procedure_silence=_column(catalog, "silence", "none").map(SILENCE_CODES).fillna(0).to_numpy(dtype=np.int8),
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
