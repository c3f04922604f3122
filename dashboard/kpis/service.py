"""KPIs served from the store: computed once per (data version, parameters), shared by every caller.

Twenty wall screens asking at once cost one computation: callers wait on the lock and
then read the cached result. The prepared history is kept per data version.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

from collectors.reader import Reader
from dashboard.calendar import BusinessCalendar
from dashboard.kpis.case_state import CaseState, History, prepare, state_at
from dashboard.kpis.document import document_from_state
from dashboard.kpis.incremental import apply_changes
from dashboard.kpis.series import cases_at_risk, daily_flows, processing_distribution, weekly_trend

#: Without an explicit as_of, "now" moves: a cached answer is reused for this long at most.
NOW_TTL_SECONDS = 30.0
_CACHE_SIZE = 64


class KpiService:
    def __init__(self, reader: Reader, catalog: pd.DataFrame, calendar: BusinessCalendar, now: Callable[[], dt.datetime]) -> None:
        self.reader = reader
        self.catalog = catalog
        self.calendar = calendar
        self.now = now
        self._cache: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._lock = threading.RLock()  # re-entrant: a series asks for the state under the same lock
        self.computations = 0  # how many documents were really computed (tests, /metrics)
        self.rebuilds = 0  # how many times the history was prepared from scratch
        self._history: History | None = None
        self._history_version = -1

    def history(self) -> History:
        """The prepared history at the store's current version: updated from the last polls' rows
        when possible (milliseconds), rebuilt otherwise (seconds for a million cases)."""
        frames = self.reader.frames()
        with self._lock:
            if self._history is not None and self._history_version == frames.version:
                return self._history
            updated = None
            if self._history is not None:
                changes = self.reader.changes_since(self._history_version)
                if changes is not None and changes[0] == frames.version:
                    updated = apply_changes(self._history, changes[1], changes[2], self.catalog)
            if updated is None:
                updated = prepare(frames.cases, frames.events, self.catalog, self.calendar)
                self.rebuilds += 1
            self._history, self._history_version = updated, frames.version
            return updated

    def state(self, as_of: pd.Timestamp | None) -> CaseState:
        return self._get("state", as_of, (), lambda at: state_at(self.history(), at))

    def document(self, as_of: pd.Timestamp | None, days: int) -> dict[str, Any]:
        """The KPI document at ``as_of`` (None: now) over ``days``."""
        return self._get("document", as_of, (days,), lambda at: self._document(at, days))

    def daily(self, as_of: pd.Timestamp | None, days: int, by: str | None) -> pd.DataFrame:
        return self._get("daily", as_of, (days, by), lambda at: daily_flows(self.state(at), days, by))

    def processing(self, as_of: pd.Timestamp | None, days: int) -> dict[str, Any]:
        return self._get("processing", as_of, (days,), lambda at: processing_distribution(self.state(at), days))

    def at_risk(self, as_of: pd.Timestamp | None, horizon: int) -> pd.DataFrame:
        return self._get("at_risk", as_of, (horizon,), lambda at: cases_at_risk(self.state(at), horizon))

    def trend(self, as_of: pd.Timestamp | None, weeks: int) -> list[dict[str, Any]]:
        return self._get("trend", as_of, (weeks,), lambda at: weekly_trend(at, weeks, self.state))

    def _document(self, as_of: pd.Timestamp, days: int) -> dict[str, Any]:
        counts = self.reader.quarantine_counts().groupby("reason")["rows"].sum().to_dict()
        self.computations += 1
        return document_from_state(self.state(as_of), days, counts)

    def _get(self, kind: str, as_of: pd.Timestamp | None, params: tuple[Any, ...], compute: Callable[[pd.Timestamp], Any]) -> Any:
        key = (kind, self.reader.version(), None if as_of is None else as_of.isoformat(), *params)
        return self._cached(key, as_of, compute)

    def _cached(self, key: tuple[Any, ...], as_of: pd.Timestamp | None, compute: Callable[[pd.Timestamp], Any]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and (as_of is not None or time.monotonic() - hit[0] < NOW_TTL_SECONDS):
                self._cache.move_to_end(key)
                return hit[1]
            value = compute(as_of if as_of is not None else pd.Timestamp(self.now()).tz_convert("UTC"))
            self._cache[key] = (time.monotonic(), value)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return value
