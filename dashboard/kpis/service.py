"""KPIs served from the store: computed once per (data version, parameters), shared by every caller.

Twenty wall screens asking at once cost one computation: callers wait on the lock
and then read the cached result.
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
from dashboard.kpis.case_state import case_state
from dashboard.kpis.document import kpi_document
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

    def document(self, as_of: pd.Timestamp | None, days: int) -> dict[str, Any]:
        """The KPI document at ``as_of`` (None: now) over ``days``."""
        version = self.reader.version()
        key = ("document", version, None if as_of is None else as_of.isoformat(), days)
        return self._cached(key, as_of, lambda at: self._compute(at, days))

    def state(self, as_of: pd.Timestamp | None) -> pd.DataFrame:
        """The per-case state frame (for case lists and series)."""
        version = self.reader.version()
        key = ("state", version, None if as_of is None else as_of.isoformat())
        return self._cached(key, as_of, self._state_at)

    def daily(self, as_of: pd.Timestamp | None, days: int, by: str | None) -> pd.DataFrame:
        version = self.reader.version()
        key = ("daily", version, None if as_of is None else as_of.isoformat(), days, by)
        return self._cached(key, as_of, lambda at: daily_flows(self.state(at), self.reader.frames().events, at, days, by))

    def processing(self, as_of: pd.Timestamp | None, days: int) -> dict[str, Any]:
        version = self.reader.version()
        key = ("processing", version, None if as_of is None else as_of.isoformat(), days)
        return self._cached(key, as_of, lambda at: processing_distribution(self.state(at), self.catalog, at, days))

    def at_risk(self, as_of: pd.Timestamp | None, horizon: int) -> pd.DataFrame:
        version = self.reader.version()
        key = ("at_risk", version, None if as_of is None else as_of.isoformat(), horizon)
        return self._cached(key, as_of, lambda at: cases_at_risk(self.state(at), at, self.calendar, horizon))

    def trend(self, as_of: pd.Timestamp | None, weeks: int) -> list[dict[str, Any]]:
        version = self.reader.version()
        key = ("trend", version, None if as_of is None else as_of.isoformat(), weeks)
        return self._cached(key, as_of, lambda at: weekly_trend(at, weeks, self.state))

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

    def _state_at(self, as_of: pd.Timestamp) -> pd.DataFrame:
        frames = self.reader.frames()
        return case_state(frames.cases, frames.events, self.catalog, as_of, self.calendar)

    def _compute(self, as_of: pd.Timestamp, days: int) -> dict[str, Any]:
        frames = self.reader.frames()
        quarantine = self.reader.quarantine()
        counts = quarantine["reason"].value_counts().to_dict() if not quarantine.empty else {}
        self.computations += 1
        return kpi_document(frames.cases, frames.events, self.catalog, counts, as_of=as_of, days=days, calendar=self.calendar)
