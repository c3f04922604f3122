"""KPIs served from the store: computed once per (data version, parameters), shared by every caller.

Twenty wall screens asking at once cost one computation: callers wait on the lock and
then read the cached result. The prepared history is kept per data version, with the
HistoryCache that goes with it (its settled state, case-number index and backlog steps); each
cached state is kept with its PopulationMemo. The engine's functions stay pure: these caches
are handed to them explicitly, and filled only under this service's lock.
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
from kpis.case_state import CaseState, HistoryCache, state_at
from kpis.case_story import CaseStory, case_story
from kpis.day_ends import DayEndBreaches, earliest_touch_us
from kpis.document import document_from_state
from kpis.filters import CaseFilters, filter_state, scope_document, scope_procedures
from kpis.history import History, prepare
from kpis.incremental import apply_changes
from kpis.metrics import PopulationMemo
from kpis.periods import processing_by_period
from kpis.population import LABEL_COUNTS, case_rows, counts_by_label, processing_buckets
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
        self._history_cache: HistoryCache | None = None  # the current History's, made on first use
        self._live: tuple[int, float, pd.Timestamp] | None = None
        self._day_ends = DayEndBreaches()

    def history(self) -> History:
        """The prepared history at the store's current version: updated from the last polls' rows
        when possible (milliseconds), rebuilt otherwise (seconds for a million cases)."""
        return self._prepared()[0]

    def _prepared(self) -> tuple[History, HistoryCache]:
        """The current version's History and the cache kept beside it."""
        frames = self.reader.frames()
        with self._lock:
            if self._history is not None and self._history_version == frames.version:
                return self._history, self._cache_of(self._history)
            updated = None
            if self._history is not None:
                changes = self.reader.changes_since(self._history_version)
                if changes is not None and changes[0] == frames.version:
                    cache = self._cache_of(self._history)
                    touched = earliest_touch_us(self._history, changes[1], changes[2], cache)
                    updated = apply_changes(self._history, changes[1], changes[2], self.catalog, cache)
                    if updated is not None:
                        self._day_ends.forget_from(touched)
            if updated is None:
                rebuilt = prepare(frames.cases, frames.events, self.catalog, self.calendar)
                updated = rebuilt, HistoryCache(rebuilt)
                self._day_ends.clear()
                self.rebuilds += 1
            (self._history, self._history_cache), self._history_version = updated, frames.version
            return updated

    def _cache_of(self, history: History) -> HistoryCache:
        """The cache kept beside ``history`` when it is the current one; for an older History a request
        still holds, a fresh cache that is not kept (the same numbers, computed again)."""
        with self._lock:
            if history is not self._history:
                return HistoryCache(history)
            if self._history_cache is None or self._history_cache.history is not history:
                self._history_cache = HistoryCache(history)
            return self._history_cache

    def state(self, as_of: pd.Timestamp | None, filters: CaseFilters = NO_FILTERS) -> CaseState:
        return self._populations(as_of, filters).state

    def _populations(self, as_of: pd.Timestamp | None, filters: CaseFilters) -> PopulationMemo:
        """The state at ``as_of`` of the filtered cases, with its population masks: cached as one entry,
        so a memo always describes the state it is handed with."""
        if not filters.empty:
            return self._get("state", as_of, (filters,), lambda at: PopulationMemo(filter_state(self.state(at), filters)))
        return self._get("state", as_of, (), lambda at: PopulationMemo(self._state_at(at)))

    def _state_at(self, as_of: pd.Timestamp) -> CaseState:
        history, cache = self._prepared()
        return state_at(history, as_of, cache)

    def document(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters = NO_FILTERS) -> dict[str, Any]:
        """The KPI document at ``as_of`` (None: now) over ``days``, for the filtered cases."""
        return self._get("document", as_of, (days, filters), lambda at: self._document(at, days, filters))

    def daily(self, as_of: pd.Timestamp | None, days: int, by: str | None, filters: CaseFilters = NO_FILTERS) -> pd.DataFrame:
        """Daily flows per group (``by``: "service", "procedure" or None); under a scope (``filters.services``)
        only the scope's structures or procedures are rows."""

        def compute(at: pd.Timestamp) -> pd.DataFrame:
            state = self.state(at, filters)
            rows = daily_flows(state, days, by, self._cache_of(state.history))
            if filters.services is None or by not in ("service", "procedure"):
                return rows  # one group over the (scoped) cases
            kept = filters.services if by == "service" else scope_procedures(filters.services, self.catalog)
            return rows[rows["group"].isin(kept)].reset_index(drop=True)

        return self._get("daily", as_of, (days, by, filters), compute)

    def processing(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters = NO_FILTERS) -> dict[str, Any]:
        """Processing times per procedure; under a scope, only the scope's procedures."""

        def compute(at: pd.Timestamp) -> dict[str, Any]:
            result = processing_distribution(self.state(at, filters), days)
            if filters.services is None:
                return result
            kept = scope_procedures(filters.services, self.catalog)
            return {code: v for code, v in result.items() if code in kept}

        return self._get("processing", as_of, (days, filters), compute)

    def at_risk(self, as_of: pd.Timestamp | None, horizon: int, filters: CaseFilters = NO_FILTERS) -> pd.DataFrame:
        return self._get("at_risk", as_of, (horizon, filters), lambda at: cases_at_risk(self.state(at, filters), horizon))

    def trend(self, as_of: pd.Timestamp | None, weeks: int, filters: CaseFilters = NO_FILTERS) -> list[dict[str, Any]]:
        return self._get("trend", as_of, (weeks, filters), lambda at: weekly_trend(at, weeks, lambda t: self.state(t, filters)))

    def breached_daily(self, as_of: pd.Timestamp | None, days: int, services: frozenset[str] | None = None) -> list[int]:
        """Open cases past their legal delay at the end of each of the last ``days`` Lomé dates, the last
        one being today so far (at T): the same dates as ``daily``; over the structures ``services`` (None: all),
        as a structure's wall shows them."""

        def compute(at: pd.Timestamp) -> list[int]:
            today = at.tz_convert(LOME_TZ).normalize().tz_convert("UTC")
            ends = [today - pd.Timedelta(days=k) for k in range(days - 1, 0, -1)]
            with self._lock:
                history, cache = self._prepared()
                past = self._day_ends.counts(history, ends, cache, services)
            return [*past, int(self.state(at, CaseFilters(services=services)).breached.sum())]

        return self._get("breached_daily", as_of, (days, services), compute)

    def cases(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters, population: str) -> pd.DataFrame:
        """The filtered cases of one KPI population (backlog, inflow, ...), as rows for the grid and exports."""

        def compute(at: pd.Timestamp) -> pd.DataFrame:
            memo = self._populations(at, filters)
            return case_rows(memo.state, days, population, memo)

        return self._get("cases", as_of, (days, filters, population), compute)

    def processing_buckets(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters, bucket_days: int) -> pd.DataFrame:
        def compute(at: pd.Timestamp) -> pd.DataFrame:
            memo = self._populations(at, filters)
            return processing_buckets(memo.state, days, bucket_days, memo)

        return self._get("buckets", as_of, (days, filters, bucket_days), compute)

    def by_label(
        self,
        as_of: pd.Timestamp | None,
        days: int,
        filters: CaseFilters,
        column: str,
        labels: tuple[str, ...],
        keys: tuple[str, ...] = LABEL_COUNTS,
    ) -> pd.DataFrame:
        """The populations ``keys`` (backlog, inflow, outflow unless told) per value of ``column``."""

        def compute(at: pd.Timestamp) -> pd.DataFrame:
            memo = self._populations(at, filters)
            return counts_by_label(memo.state, days, column, labels, memo, keys)

        return self._get("by_label", as_of, (days, filters, column, labels, keys), compute)

    def processing_by_period(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters, step: str) -> pd.DataFrame:
        """Processing times of the closures of the ``days`` Lomé dates ending on T's, per calendar period
        (``kpis.periods``: day, ISO week or month), partial periods flagged."""

        def compute(at: pd.Timestamp) -> pd.DataFrame:
            return processing_by_period(self._populations(at, filters).state, days, step)

        return self._get("by_period", as_of, (days, filters, step), compute)

    def workload(self, as_of: pd.Timestamp | None, days: int, filters: CaseFilters) -> tuple[pd.DataFrame, pd.DataFrame]:
        def compute(at: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
            memo = self._populations(at, filters)
            return open_by_agent(memo.state), decisions_by_agent_week(memo.state, days, memo)

        return self._get("workload", as_of, (days, filters), compute)

    def case_story(self, source: str, case_id: str) -> CaseStory | None:
        """One case now (not cached: a case page is one lookup in the cached state)."""
        with self._lock:  # the history's cache may build its case-number index
            state = self.state(None)
            return case_story(state, source, case_id, self._cache_of(state.history))

    def _document(self, as_of: pd.Timestamp, days: int, filters: CaseFilters) -> dict[str, Any]:
        started = time.perf_counter()
        counts = {str(k): int(v) for k, v in self.reader.quarantine_counts().groupby("reason")["rows"].sum().items()}
        self.computations += 1
        memo = self._populations(as_of, filters)
        document = scope_document(document_from_state(memo.state, days, counts, memo), filters.services, self.catalog)
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
