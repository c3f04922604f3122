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

from domain.business_days import BusinessCalendar
from domain.model import LOME_TZ
from kpis.case_state import CaseState, History, prepare, state_at
from kpis.case_story import CaseStory, case_story
from kpis.day_ends import DayEndBreaches, earliest_touch_us
from kpis.document import document_from_state
from kpis.filters import CaseFilters, filter_state
from kpis.incremental import apply_changes
from kpis.population import case_rows, counts_by_label, processing_buckets
from kpis.series import cases_at_risk, daily_flows, processing_distribution, weekly_trend
from kpis.workload import decisions_by_agent_week, open_by_agent
from store.reader import Reader

#: Without an explicit as_of, "now" moves: a cached answer is reused for this long at most.
NOW_TTL_SECONDS = 30.0
_CACHE_SIZE = 128  # documents, states and case lists for every screen and every manager's filters
NO_FILTERS = CaseFilters()


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
        self.compute_seconds = 0.0  # total time spent computing documents (/metrics)
        self.last_compute_seconds = 0.0
        self._history: History | None = None
        self._history_version = -1
        self._live: tuple[int, float, pd.Timestamp] | None = None
        self._day_ends = DayEndBreaches()

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
                    touched = earliest_touch_us(self._history, changes[1], changes[2])  # before the update extends it
                    updated = apply_changes(self._history, changes[1], changes[2], self.catalog)
                    if updated is not None:
                        self._day_ends.forget_from(touched)
            if updated is None:
                updated = prepare(frames.cases, frames.events, self.catalog, self.calendar)
                self._day_ends.clear()
                self.rebuilds += 1
            self._history, self._history_version = updated, frames.version
            return updated

    def state(self, as_of: pd.Timestamp | None, filters: CaseFilters = NO_FILTERS) -> CaseState:
        if not filters.empty:
            return self._get("state", as_of, (filters,), lambda at: filter_state(self.state(at), filters))
        return self._get("state", as_of, (), lambda at: state_at(self.history(), at))

    def document(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters = NO_FILTERS) -> dict[str, Any]:
        """The KPI document at ``as_of`` (None: now) over ``days``, for the filtered cases."""
        return self._get("document", as_of, (days, filters), lambda at: self._document(at, days, filters))

    def daily(self, as_of: pd.Timestamp | None, days: int, by: str | None, filters: CaseFilters = NO_FILTERS) -> pd.DataFrame:
        return self._get("daily", as_of, (days, by, filters), lambda at: daily_flows(self.state(at, filters), days, by))

    def processing(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters = NO_FILTERS) -> dict[str, Any]:
        return self._get("processing", as_of, (days, filters), lambda at: processing_distribution(self.state(at, filters), days))

    def at_risk(self, as_of: pd.Timestamp | None, horizon: int, filters: CaseFilters = NO_FILTERS) -> pd.DataFrame:
        return self._get("at_risk", as_of, (horizon, filters), lambda at: cases_at_risk(self.state(at, filters), horizon))

    def trend(self, as_of: pd.Timestamp | None, weeks: int) -> list[dict[str, Any]]:
        return self._get("trend", as_of, (weeks,), lambda at: weekly_trend(at, weeks, self.state))

    def breached_daily(self, as_of: pd.Timestamp | None, days: int) -> list[int]:
        """Open cases past their legal delay at the end of each of the last ``days`` Lomé dates, the last
        one being today so far (at T): the same dates as ``daily``."""

        def compute(at: pd.Timestamp) -> list[int]:
            today = at.tz_convert(LOME_TZ).normalize().tz_convert("UTC")
            ends = [today - pd.Timedelta(days=k) for k in range(days - 1, 0, -1)]
            with self._lock:
                past = self._day_ends.counts(self.history(), ends)
            return [*past, int(self.state(at).breached.sum())]

        return self._get("breached_daily", as_of, (days,), compute)

    def cases(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters, population: str) -> pd.DataFrame:
        """The filtered cases of one KPI population (backlog, inflow, ...), as rows for the grid and exports."""
        return self._get(
            "cases", as_of, (days, filters, population), lambda at: case_rows(self.state(at, filters), days, population)
        )

    def processing_buckets(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters, bucket_days: int) -> pd.DataFrame:
        return self._get(
            "buckets",
            as_of,
            (days, filters, bucket_days),
            lambda at: processing_buckets(self.state(at, filters), days, bucket_days),
        )

    def by_label(
        self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters, column: str, labels: tuple[str, ...]
    ) -> pd.DataFrame:
        return self._get(
            "by_label", as_of, (days, filters, column), lambda at: counts_by_label(self.state(at, filters), days, column, labels)
        )

    def workload(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self._get(
            "workload", as_of, (days, filters),
            lambda at: (open_by_agent(self.state(at, filters)), decisions_by_agent_week(self.state(at, filters), days)),
        )  # fmt: skip

    def case_story(self, source: str, case_id: str) -> CaseStory | None:
        """One case now (not cached: a case page is one lookup in the cached state)."""
        return case_story(self.state(None), source, case_id)

    def _document(self, as_of: pd.Timestamp, days: int, filters: CaseFilters) -> dict[str, Any]:
        started = time.perf_counter()
        counts = {str(k): int(v) for k, v in self.reader.quarantine_counts().groupby("reason")["rows"].sum().items()}
        self.computations += 1
        document = document_from_state(self.state(as_of, filters), days, counts)
        self.last_compute_seconds = time.perf_counter() - started
        self.compute_seconds += self.last_compute_seconds
        return {**document, "filters": filters.as_dict()} if not filters.empty else document

    def _live_as_of(self) -> pd.Timestamp:
        """The T that "now" means, shared by every answer of one data version for up to NOW_TTL_SECONDS,
        so that a page's numbers, charts and case list all describe the same instant."""
        version = self.reader.version()
        if self._live is None or self._live[0] != version or time.monotonic() - self._live[1] >= NOW_TTL_SECONDS:
            self._live = (version, time.monotonic(), pd.Timestamp(self.now()).tz_convert("UTC"))
        return self._live[2]

    def _get(self, kind: str, as_of: pd.Timestamp | None, params: tuple[Any, ...], compute: Callable[[pd.Timestamp], Any]) -> Any:
        key = (kind, self.reader.version(), None if as_of is None else as_of.isoformat(), *params)
        return self._cached(key, as_of, compute)

    def _cached(self, key: tuple[Any, ...], as_of: pd.Timestamp | None, compute: Callable[[pd.Timestamp], Any]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and (as_of is not None or time.monotonic() - hit[0] < NOW_TTL_SECONDS):
                self._cache.move_to_end(key)
                return hit[1]
            value = compute(as_of if as_of is not None else self._live_as_of())
            self._cache[key] = (time.monotonic(), value)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return value
