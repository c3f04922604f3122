"""One poll of one source: fetch -> normalize -> store.commit_batch (rows + watermark).

The watermark only moves inside the store transaction, after the rows it covers are
written; a crash before the commit replays the batch on the next poll.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from collectors.fetch import SOURCE_ERRORS, SourceFetcher
from collectors.normalize import MappingError, empty_quarantine, normalize_cases, normalize_events
from collectors.quarantine_match import superseded_case_entries, superseded_event_entries
from collectors.query import incremental_query, keys_query
from domain.config import SourceSettings
from store.watermark import advance, drop_seen
from store.writer import Batch, Store

log = logging.getLogger(__name__)


class SourceError(Exception):
    """The source could not be read: down, wrong password, SQL error, timeout, bad mapping."""


@dataclass
class PollResult:
    """What a poll did, for the CLI, the logs and the health table."""

    source: str
    new_cases: int = 0
    updated_cases: int = 0
    new_events: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    deleted: int = 0
    restored: int = 0
    rows_read: int = 0
    read_ms: float = 0.0
    total_ms: float = 0.0
    error: str | None = None
    version: int | None = None


def describe_error(exc: BaseException) -> str:
    """A one-line message for operators: the driver's words, never the SQL text or the URL."""
    origin: BaseException = exc
    while origin.__cause__ is not None:  # pandas and SQLAlchemy wrap the driver's error
        origin = origin.__cause__
    origin = getattr(origin, "orig", None) or origin
    text = str(origin).strip().splitlines()[0] if str(origin).strip() else type(origin).__name__
    return f"{type(origin).__name__}: {text}"[:500]


def poll_source(
    source: SourceSettings,
    reader: SourceFetcher,
    store: Store,
    procedure_codes: Iterable[str],
    *,
    now: Callable[[], dt.datetime],
    reconcile: bool = False,
    after_fetch: Callable[[], None] | None = None,
) -> PollResult:
    """Poll ``source`` once. Source failures are recorded in its health, not raised.

    ``after_fetch`` is a fault-injection point for tests (a kill between fetch and commit).
    Store failures are raised: with no store there is nowhere to record anything.
    """
    started = time.perf_counter()
    result = PollResult(source=source.name)
    marks = store.watermarks(source.name)
    try:
        raw_cases = reader.read(
            incremental_query(source.cases_sql, ("case_id",)), {"since": marks["cases"].since(source.initial_since)}
        )
        raw_events = pd.DataFrame()
        if source.events_sql:
            raw_events = reader.read(
                incremental_query(source.events_sql, ("case_id", "at")), {"since": marks["events"].since(source.initial_since)}
            )
        source_keys = reader.read(keys_query(source.cases_sql), {"since": source.initial_since}) if reconcile else None
        result.read_ms = (time.perf_counter() - started) * 1000
        if after_fetch is not None:
            after_fetch()
        batch = _build_batch(source, store, procedure_codes, marks, raw_cases, raw_events, source_keys)
    except Exception as exc:  # noqa: BLE001 - any failure to read or map a source is that source's fault
        if not isinstance(exc, (*SOURCE_ERRORS, MappingError)):
            log.warning("source %s: unexpected error", source.name, exc_info=True)
        return _failed(source, store, result, exc, now(), started)

    result.rows_read = len(raw_cases) + len(raw_events)
    committed = store.commit_batch(batch, now())
    result.new_cases, result.updated_cases = committed.new_cases, committed.updated_cases
    result.new_events, result.deleted, result.restored = committed.new_events, committed.deleted, committed.restored
    result.quarantined.update(committed.quarantined)
    result.version = committed.version
    result.total_ms = (time.perf_counter() - started) * 1000
    store.record_success(
        source.name, now=now(), rows=result.rows_read, duration_ms=int(result.total_ms), every_seconds=source.every_seconds
    )
    return result


def _build_batch(
    source: SourceSettings,
    store: Store,
    procedure_codes: Iterable[str],
    marks: dict,
    raw_cases: pd.DataFrame,
    raw_events: pd.DataFrame,
    source_keys: pd.DataFrame | None,
) -> Batch:
    fresh_cases = drop_seen(raw_cases, marks["cases"])
    cases, quarantine_cases = normalize_cases(fresh_cases, timezone=source.timezone, procedure_codes=procedure_codes)
    events, quarantine_events = empty_events(), empty_quarantine()
    fresh_events = pd.DataFrame()
    new_marks = {"cases": advance(marks["cases"], raw_cases)}
    batch_ids = set(cases["case_id"])
    if source.events_sql:
        fresh_events = drop_seen(raw_events, marks["events"])
        asked = set(fresh_events["case_id"].dropna().astype(str)) - batch_ids if "case_id" in fresh_events else set()
        known = batch_ids | store.known_case_ids(source.name, asked)
        events, quarantine_events = normalize_events(
            fresh_events, timezone=source.timezone, status_map=source.status_map, known_case_ids=known
        )
        new_marks["events"] = advance(marks["events"], raw_events)
    resolved = _superseded_cases(source.name, store, quarantine_cases)
    # Every open event entry when this poll brings events (any of them may be a newer version of one);
    # otherwise only the parked unknown_case ones, which a case arriving alone can release.
    open_events = (
        store.open_quarantine(source.name, stream="events")
        if not fresh_events.empty
        else store.open_quarantine(source.name, reason="unknown_case")
    )
    resolved += superseded_event_entries(open_events, fresh_events, quarantine_events)
    parked = open_events[(open_events["reason"] == "unknown_case") & ~open_events["id"].isin(resolved)]
    retried, released = _retry_unknown_cases(source.name, store, parked, batch_ids)
    resolved += released
    if not retried.empty:
        events = pd.concat([events, retried], ignore_index=True) if not events.empty else retried
    deleted: list[str] = []
    restored: list[str] = []
    if source_keys is not None:
        present = set(source_keys["case_id"].dropna().map(lambda v: str(int(v)) if isinstance(v, float) else str(v).strip()))
        stored = store.case_ids(source.name)
        live = set(stored.loc[~stored["deleted"].astype(bool), "case_id"])
        dead = set(stored.loc[stored["deleted"].astype(bool), "case_id"])
        deleted = sorted(live - present - batch_ids)
        restored = sorted(dead & present)
    quarantine = pd.concat(
        [q for q in (quarantine_cases, quarantine_events) if not q.empty] or [empty_quarantine()], ignore_index=True
    )
    return Batch(
        source=source.name,
        cases=cases,
        events=events,
        quarantine=quarantine,
        watermarks=new_marks,
        resolved_quarantine_ids=sorted(set(resolved)),
        deleted=deleted,
        restored=restored,
    )


def _superseded_cases(source: str, store: Store, quarantine_cases: pd.DataFrame) -> list[int]:
    """Open case entries of the cases this poll quarantined again (a case landing cleanly resolves its
    entries in the store itself): read only for those case ids, so a clean poll reads nothing."""
    ids = quarantine_cases["case_id"].dropna() if not quarantine_cases.empty else ()
    if len(ids) == 0:
        return []
    return superseded_case_entries(store.open_quarantine(source, stream="cases", case_ids=ids), quarantine_cases)


def _retry_unknown_cases(source: str, store: Store, parked: pd.DataFrame, batch_ids: set[str]) -> tuple[pd.DataFrame, list[int]]:
    """Events parked as unknown_case whose case has arrived since: admit them now.

    ``parked`` holds only the entries no row of this poll superseded: a newer version of the
    event row (fetched by this poll) replaces its parked canonical form, never joins it."""
    if parked.empty:
        return empty_events(), []
    known = batch_ids | store.known_case_ids(source, parked["case_id"].dropna())
    ready = parked[parked["case_id"].isin(known)]
    if ready.empty:
        return empty_events(), []
    canon = [json.loads(p)["canonical"] for p in ready["payload"]]
    frame = pd.DataFrame(
        {
            "case_id": [c["case_id"] for c in canon],
            "status": [c["status"] for c in canon],
            "at": pd.to_datetime([c["at"] for c in canon], utc=True).astype("datetime64[us, UTC]"),
            "seq": pd.array([c["seq"] for c in canon], dtype="Int64"),
        }
    )
    return frame, [int(i) for i in ready["id"]]


def empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case_id": pd.Series(dtype=object),
            "status": pd.Series(dtype=object),
            "at": pd.Series(dtype="datetime64[us, UTC]"),
            "seq": pd.Series(dtype="Int64"),
        }
    )


def _failed(
    source: SourceSettings, store: Store, result: PollResult, exc: BaseException, at: dt.datetime, started: float
) -> PollResult:
    result.error = describe_error(exc)
    result.total_ms = (time.perf_counter() - started) * 1000
    failures = store.consecutive_failures(source.name) + 1
    delay = backoff_seconds(source.every_seconds, failures, source.max_backoff_seconds)
    store.record_failure(
        source.name,
        now=at,
        error=result.error,
        failures=failures,
        next_attempt_at=at + dt.timedelta(seconds=delay),
        every_seconds=source.every_seconds,
    )
    log.warning("source %s: poll failed (%s); retry in %.0f s", source.name, result.error, delay)
    return result


def backoff_seconds(every_seconds: float, failures: int, cap_seconds: float) -> float:
    """Wait before the next attempt after ``failures`` consecutive failures: doubling, capped."""
    if failures <= 0:
        return every_seconds
    return min(cap_seconds, every_seconds * 2 ** (failures - 1))
