"""The read side of the store: pandas frames at the current data version.

The dashboard and the reports read only through this. Frames are cached per data
version and refreshed incrementally (only rows whose ``version`` is newer), and a
columnar snapshot (Parquet) lets a restarted process load a million cases in about
a second instead of re-reading the whole store.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError

from domain.clock import utc_now
from store import schema
from store.writer import open_quarantine_counts

log = logging.getLogger(__name__)

# Column lists come from the schema: one place declares them.
CASE_FIELDS = tuple(c.name for c in schema.cases.columns)
EVENT_FIELDS = tuple(c.name for c in schema.events.columns)
_TIME_FIELDS = ("submitted_at", "updated_at", "deleted_at", "at")
_INT_FIELDS = ("id", "version")
_DELTA_ROWS_KEPT = 200_000
#: Columns with few distinct values, held as categories in the cached frames.
CASE_LABELS = ("source", "procedure_code", "channel", "region", "agent")
EVENT_LABELS = ("source", "status")
_LABELS = {"cases": CASE_LABELS, "events": EVENT_LABELS}
#: Kept in the deltas (consumers replay them in order) but not in the cached frames: the store
#: itself answers "what changed after version v", and fifty million int64 are 440 MB.
_DELTA_ONLY = ("version",)
T = TypeVar("T")
#: What the store's driver raises when the server is away (refused, restarted, locked); anything
#: else (a missing table, bad SQL) is a bug and is raised as such.
STORE_DOWN = (OperationalError, InterfaceError)


class StoreUnavailable(Exception):
    """The store cannot be read and nothing was read from it before: there is no last known state to show."""


@dataclass(frozen=True)
class StoreOutage:
    """The store stopped answering at ``since`` (UTC); ``error`` is one line, with no credentials."""

    since: dt.datetime
    error: str


class StoreFrames:
    """Cases (tombstones included, flagged by ``deleted_at``) and events at one version.

    Kept as parts (the frames last joined, then each poll's delta) and joined on first read of
    ``cases`` or ``events``: a poll then costs the size of its delta instead of a copy of every
    case and event (3 GB at ten million cases), and consumers that replay deltas never pay it.
    """

    def __init__(self, version: int, cases: pd.DataFrame, events: pd.DataFrame) -> None:
        self.version = version
        self._parts: dict[str, list[pd.DataFrame]] = {"cases": [cases], "events": [events]}
        self._lock = threading.Lock()

    def appended(self, version: int, cases: pd.DataFrame, events: pd.DataFrame) -> StoreFrames:
        """These frames followed by a delta (text rows, as read), not joined yet."""
        following = StoreFrames(version, cases, events)
        with self._lock:
            for name, delta in (("cases", cases), ("events", events)):
                following._parts[name] = [*self._parts[name], *([delta] if len(delta) else [])]
        return following

    @property
    def cases(self) -> pd.DataFrame:
        return self._joined("cases")

    @property
    def events(self) -> pd.DataFrame:
        return self._joined("events")

    def _joined(self, name: str) -> pd.DataFrame:
        with self._lock:
            parts, labels = self._parts[name], _LABELS[name]
            if len(parts) > 1 or not _is_compact(parts[0], labels):
                joined = _join(parts, labels)
                if name == "cases":
                    joined = joined.drop_duplicates(["source", "case_id"], keep="last").reset_index(drop=True)
                self._parts[name] = [joined]
            return self._parts[name][0]

    def live_cases(self) -> pd.DataFrame:
        """Cases still present in their source: the ones KPIs count."""
        return self.cases.loc[self.cases["deleted_at"].isna()]


class Reader:
    def __init__(
        self,
        engine: Engine,
        snapshot_dir: Path | None = None,
        snapshot_every_seconds: float = 300,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.now = now  # the process clock, injected: outages and snapshots are dated by it
        self.snapshot_dir = snapshot_dir
        self.snapshot_every_seconds = snapshot_every_seconds
        self._frames: StoreFrames | None = None
        self._snapshot_version = -1
        self._snapshot_written_at = 0.0
        self._lock = threading.Lock()
        #: The last incremental reads: (from version, to version, cases rows, events rows).
        self._deltas: deque[tuple[int, int, pd.DataFrame, pd.DataFrame]] = deque(maxlen=64)
        #: The last answer of each small read, served while the store is down.
        self._last_good: dict[str, object] = {}
        self.outage: StoreOutage | None = None

    def _guarded(self, name: str, read: Callable[[], T]) -> T:
        """Read, or, while the store is down, give the last answer read before it went down.

        The room keeps its last numbers on the wall (marked as such by the caller, from
        ``self.outage``) instead of a blank screen or an error; the outage is logged once.
        """
        try:
            value = read()
        except STORE_DOWN as exc:
            if self.outage is None:
                self.outage = StoreOutage(self.now(), f"{type(exc).__name__}: {_first_line(exc)}")
                log.error("store unreachable, serving the last known state: %s", self.outage.error)
            if name not in self._last_good:
                raise StoreUnavailable(self.outage.error) from None
            return self._last_good[name]  # type: ignore[return-value]  # keyed by the loader's own name: same T
        if self.outage is not None:
            log.warning("store reachable again after %s", self.now() - self.outage.since)
            self.outage = None
        self._last_good[name] = value
        return value

    def changes_since(self, version: int) -> tuple[int, pd.DataFrame, pd.DataFrame] | None:
        """Rows written after ``version`` up to the cached frames' version, or None if not all are kept.

        Lets consumers (the KPI engine) update derived state instead of rebuilding it.
        """
        with self._lock:
            if self._frames is None:
                return None
            chain = [d for d in self._deltas if d[0] >= version]
            if not chain or chain[0][0] != version or chain[-1][1] != self._frames.version:
                return None
            if any(a[1] != b[0] for a, b in zip(chain, chain[1:], strict=False)):
                return None
            cases = pd.concat([d[2] for d in chain], ignore_index=True)
            events = pd.concat([d[3] for d in chain], ignore_index=True)
            return self._frames.version, cases, events

    def warm(self) -> None:
        """Read everything a page needs once (at start-up, in the background): the first answers are fast,
        and a store that goes down later still leaves a last known state to show."""
        try:
            self.frames()
            self.health(self.now())
            self.quarantine_counts()
        except StoreUnavailable:  # down at start-up: pages say so (503) until it answers
            pass

    def version(self) -> int:
        """The store's data version: one indexed row, cheap enough to poll every second.

        While the store is down: the last version read (see ``outage``).
        """

        def read() -> int:
            with self.engine.connect() as conn:
                return int(conn.execute(text("SELECT value FROM store_meta WHERE name = 'data_version'")).scalar_one())

        return self._guarded("version", read)

    def frames(self) -> StoreFrames:
        """Cases and events at the current version (cached; incremental on change); while the store is
        down, the frames last read."""
        return self._guarded("frames", self._frames_now)

    def _frames_now(self) -> StoreFrames:
        with self._lock:
            current = self.version()
            cached = self._frames
            if cached is None:
                cached = self._load_snapshot()
            if cached is None or cached.version > current:
                cached = StoreFrames(0, _empty(CASE_FIELDS), _empty(EVENT_FIELDS))
            if cached.version < current:
                cached = self._apply_delta(cached, current)
            self._frames = cached
            self._maybe_snapshot(cached)
            return cached

    def _apply_delta(self, base: StoreFrames, current: int) -> StoreFrames:
        with self.engine.connect() as conn:
            cases = _read(
                conn,
                f"SELECT {', '.join(CASE_FIELDS)} FROM cases WHERE version > :v AND version <= :c",
                base.version,
                current,
                CASE_FIELDS,
            )
            events = _read(
                conn,
                f"SELECT {', '.join(EVENT_FIELDS)} FROM events WHERE version > :v AND version <= :c",
                base.version,
                current,
                EVENT_FIELDS,
            )
        if len(cases) + len(events) <= _DELTA_ROWS_KEPT:
            self._deltas.append((base.version, current, cases, events))
        else:  # a bulk load: consumers rebuild rather than replay it
            self._deltas.clear()
        return base.appended(current, cases, events)

    # --- snapshots ----------------------------------------------------------------------
    def _snapshot_path(self) -> Path | None:
        return None if self.snapshot_dir is None else Path(self.snapshot_dir)

    def _load_snapshot(self) -> StoreFrames | None:
        path = self._snapshot_path()
        if path is None or not (path / "meta.json").exists():
            return None
        try:
            meta = json.loads((path / "meta.json").read_text())
            if meta.get("store_id") != self.store_id():
                return None
            frames = StoreFrames(
                int(meta["version"]),
                pd.read_parquet(path / f"cases-{meta['version']}.parquet"),
                pd.read_parquet(path / f"events-{meta['version']}.parquet"),
            )
        except (OSError, ValueError, KeyError) as exc:
            log.warning("snapshot ignored (%s): reloading from the store", exc)
            return None
        self._snapshot_version = frames.version
        return frames

    def _maybe_snapshot(self, frames: StoreFrames) -> None:
        path = self._snapshot_path()
        now = self.now().timestamp()
        if (
            path is None
            or frames.version == self._snapshot_version
            or now - self._snapshot_written_at < self.snapshot_every_seconds
        ):
            return
        try:
            self.write_snapshot(frames, path)
        except OSError as exc:  # a full disk must not stop the dashboard; it only slows the next start
            log.warning("snapshot not written: %s", exc)
        self._snapshot_written_at = now

    def write_snapshot(self, frames: StoreFrames, path: Path) -> None:
        """Write ``frames`` as Parquet, then switch ``meta.json`` atomically to it."""
        path.mkdir(parents=True, exist_ok=True)
        v = frames.version
        for name, frame in (("cases", frames.cases), ("events", frames.events)):
            tmp = path / f".{name}-{v}.{os.getpid()}.tmp"
            frame.to_parquet(tmp, index=False)
            tmp.replace(path / f"{name}-{v}.parquet")
        tmp = path / f".meta.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"version": v, "store_id": self.store_id()}))
        tmp.replace(path / "meta.json")
        for old in path.glob("*.parquet"):
            if not old.name.endswith(f"-{v}.parquet"):
                old.unlink(missing_ok=True)
        self._snapshot_version = v

    def store_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT value FROM store_meta WHERE name = 'store_id'")).scalar_one())

    # --- small tables -------------------------------------------------------------------
    def health(self, now: dt.datetime) -> pd.DataFrame:
        """Per-source health, with ``lag_seconds`` = now - last success (NaN if never).

        While the store is down, the last rows read, aged to ``now``: sources turn stale, then
        down, as the time without news grows.
        """

        def read() -> pd.DataFrame:
            with self.engine.connect() as conn:
                return pd.read_sql(text("SELECT * FROM source_health ORDER BY source"), conn)

        frame = self._guarded("health", read).copy()
        for col in ("last_success_at", "last_error_at", "next_attempt_at"):
            frame[col] = _utc(frame[col])
        frame["lag_seconds"] = (pd.Timestamp(now) - frame["last_success_at"]).dt.total_seconds()
        return frame

    def quarantine_counts(self) -> pd.DataFrame:
        """Open quarantine rows per source and reason (columns source, reason, rows)."""
        return self._guarded("quarantine_counts", lambda: open_quarantine_counts(self.engine))

    def quarantine(self, open_only: bool = True) -> pd.DataFrame:
        sql = "SELECT id, source, stream, reason, case_id, detail, payload, first_seen_at, resolved_at FROM quarantine"
        if open_only:
            sql += " WHERE resolved_at IS NULL"
        with self.engine.connect() as conn:
            frame = pd.read_sql(text(sql + " ORDER BY id"), conn)
        for col in ("first_seen_at", "resolved_at"):
            frame[col] = _utc(frame[col])
        return frame


def _is_compact(frame: pd.DataFrame, labels: tuple[str, ...]) -> bool:
    present = [c for c in labels if c in frame.columns]
    return not any(c in frame.columns for c in _DELTA_ONLY) and all(
        isinstance(frame[c].dtype, pd.CategoricalDtype) for c in present
    )


def _join(parts: list[pd.DataFrame], labels: tuple[str, ...]) -> pd.DataFrame:
    """One frame from parts, label columns (few distinct values) as categories: a byte or two per row
    instead of a string. Categories are unified and sorted, as ``astype("category")`` gives them."""
    kept = [p.drop(columns=[c for c in _DELTA_ONLY if c in p.columns]) for p in parts]
    filled = [p for p in kept if len(p)] or kept[:1]
    columns = list(filled[0].columns)
    present = [c for c in labels if c in columns]
    if len(filled) == 1:
        frame = filled[0]
        return frame.assign(**{c: frame[c].astype("category") for c in present})
    joined = pd.concat([p.drop(columns=present) for p in filled], ignore_index=True)
    for col in present:
        joined[col] = union_categoricals([_categorical(p[col]) for p in filled], sort_categories=True)
    return joined[columns]


def _categorical(values: pd.Series) -> pd.Categorical[str]:
    """As a Categorical with str categories (union_categoricals wants one category dtype everywhere)."""
    cat = values.array if isinstance(values.dtype, pd.CategoricalDtype) else pd.Categorical(values.astype("str"))
    if cat.categories.dtype != "str":  # an all-empty column, or categories read back from Parquet as objects
        cat = pd.Categorical.from_codes(cat.codes, categories=cat.categories.astype("str"))
    return cat


def _first_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL/parameters block (which may quote case data)."""
    inner = getattr(exc, "orig", None) or exc
    return (str(inner).splitlines() or [""])[0][:200]


def _read(conn: Connection, sql: str, since: int, current: int, fields: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_sql(text(sql), conn, params={"v": since, "c": current})
    if frame.empty:
        return _empty(fields)
    for col in _TIME_FIELDS:
        if col in frame.columns:
            frame[col] = _utc(frame[col])
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """One dtype per column whatever the backend or the nulls: text str, ints int64, seq Int64."""
    for col in frame.columns:
        if col == "seq":
            frame[col] = frame[col].astype("Int64")
        elif col in _INT_FIELDS:
            frame[col] = frame[col].astype("int64")
        elif col not in _TIME_FIELDS:
            frame[col] = frame[col].astype("str")
    return frame


def _utc(values: pd.Series) -> pd.Series:
    """Store timestamps -> datetime64[us, UTC] (SQLite gives text, MariaDB naive UTC)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    if pd.api.types.is_datetime64_dtype(values):
        return values.dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[us, UTC]")


def _empty(fields: tuple[str, ...]) -> pd.DataFrame:
    return _typed(pd.DataFrame({f: pd.Series(dtype="datetime64[us, UTC]" if f in _TIME_FIELDS else object) for f in fields}))
