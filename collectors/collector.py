"""The collector: every configured source, polled into one store, with reconcile and backoff."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from collectors.fetch import SourceFetcher
from collectors.poll import PollResult, poll_source
from domain.clock import utc_now
from domain.config import Settings, SourceSettings
from store.engines import create_source_engine
from store.writer import Store

log = logging.getLogger(__name__)


@dataclass
class SourceRuntime:
    settings: SourceSettings
    reader: SourceFetcher
    polls: int = 0
    next_attempt_at: dt.datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Collector:
    """Polls sources into ``store``. Thread-safe per source; sources never block each other."""

    def __init__(self, settings: Settings, store: Store, catalog: pd.DataFrame, now: Callable[[], dt.datetime] = utc_now) -> None:
        self.store = store
        self.procedure_codes = frozenset(catalog["code"])
        self.now = now
        self.sources = {
            s.name: SourceRuntime(s, SourceFetcher(create_source_engine(s.url, s.timeout_seconds), s.timeout_seconds))
            for s in settings.sources
        }

    def poll(self, name: str, *, force: bool = False) -> PollResult | None:
        """Poll one source, unless it is backing off after failures (``force`` ignores that).

        Returns None when skipped: backing off, or a previous poll of it still running.
        """
        runtime = self.sources[name]
        if not runtime.lock.acquire(blocking=False):
            return None
        try:
            if not force and runtime.next_attempt_at is not None and self.now() < runtime.next_attempt_at:
                return None
            every = runtime.settings.reconcile_every_polls
            reconcile = bool(every) and runtime.polls > 0 and runtime.polls % every == 0
            result = poll_source(
                runtime.settings, runtime.reader, self.store, self.procedure_codes, now=self.now, reconcile=reconcile
            )
            runtime.polls += 1
            if result.error:
                runtime.next_attempt_at = self.store.next_attempt_at(name)
            else:
                runtime.next_attempt_at = None
                if result.version is not None:
                    log.info("source %s: %s", name, summary(result))
            return result
        finally:
            runtime.lock.release()

    def reconcile(self, name: str) -> PollResult:
        """A poll with a full key reconcile (finds cases deleted at the source)."""
        runtime = self.sources[name]
        with runtime.lock:
            result = poll_source(runtime.settings, runtime.reader, self.store, self.procedure_codes, now=self.now, reconcile=True)
            runtime.polls += 1
            return result

    def poll_all(self) -> list[PollResult]:
        """One pass over every source, ignoring backoff (``collect --once``)."""
        return [r for name in self.sources if (r := self.poll(name, force=True)) is not None]

    def close(self) -> None:
        for runtime in self.sources.values():
            runtime.reader.close()


def summary(result: PollResult) -> str:
    """One line in French for the CLI and the logs."""
    if result.error:
        return f"ERREUR : {result.error}"
    parts = [f"{result.new_cases} nouveaux", f"{result.updated_cases} mis à jour", f"{result.new_events} événements"]
    if result.quarantined:
        detail = ", ".join(f"{reason} : {n}" for reason, n in sorted(result.quarantined.items()))
        parts.append(f"{sum(result.quarantined.values())} en quarantaine ({detail})")
    else:
        parts.append("0 en quarantaine")
    if result.deleted or result.restored:
        parts.append(f"{result.deleted} supprimés à la source, {result.restored} réapparus")
    parts.append(f"{result.rows_read} lignes lues en {result.total_ms:.0f} ms")
    return ", ".join(parts)
