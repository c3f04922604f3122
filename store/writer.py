"""The canonical case store: idempotent writes, watermarks, health, quarantine, data version.

One transaction per poll: the data version bump comes first (it serialises writers
on the meta row), then rows, quarantine and the watermark. A crash anywhere before
the commit leaves the previous watermark in place, so the batch is replayed, never
skipped; and because case writes are upserts and event writes are idempotent, the
replay duplicates nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, func, insert, inspect, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from store import schema
from store.watermark import Watermark, dumps, loads

_CHUNK = 20_000
_IN_CHUNK = 900


@dataclass
class Batch:
    """Everything one poll of one source wants to commit, atomically."""

    source: str
    cases: pd.DataFrame
    events: pd.DataFrame
    quarantine: pd.DataFrame
    watermarks: dict[str, Watermark]
    resolved_quarantine_ids: Sequence[int] = ()
    deleted: Sequence[str] = ()
    restored: Sequence[str] = ()


@dataclass
class CommitResult:
    new_cases: int = 0
    updated_cases: int = 0
    new_events: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    restored: int = 0
    version: int | None = None

    @property
    def changed(self) -> bool:
        return self.version is not None


class Store:
    """The writes of collection (cases, events, quarantine, watermarks, source health) and of the wall screens'
    heartbeats, and the small reads collectors need; bulk reads live in reader.Reader.

    Every write to the store is made by this package: this class for the tables above, ``store.accounts`` for
    users and screen tokens, ``store.sessions`` for sessions, ``store.login_throttle`` for login delays and
    ``store.audit`` for the audit log. The dashboard decides (roles, password policy, delays, session rules)
    and calls them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create missing tables and the version counter; safe to call on every start, from several
        processes at once (app workers and the collector starting together on a new store)."""
        for attempt in range(5):
            try:
                self._create()
                return
            except (OperationalError, ProgrammingError, IntegrityError):
                # another process created the same table or row between our check and our write: look again
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _create(self) -> None:
        schema.metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS login_failures")  # replaced by login_throttle (growing delays)
            _add_missing_columns(conn)
            exists = conn.execute(select(schema.store_meta.c.name).where(schema.store_meta.c.name == "data_version")).first()
            if exists is None:
                # store_id tells a Parquet snapshot which store it belongs to (a reset store gets a new one).
                conn.execute(
                    insert(schema.store_meta),
                    [{"name": "data_version", "value": 0}, {"name": "store_id", "value": secrets.randbits(62)}],
                )

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the database, off the polls' critical path."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    # --- small reads -------------------------------------------------------------------
    def data_version(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(schema.store_meta.c.value).where(schema.store_meta.c.name == "data_version")).scalar_one()
            )

    def watermarks(self, source: str) -> dict[str, Watermark]:
        w = schema.watermarks
        with self.engine.connect() as conn:
            rows = conn.execute(select(w.c.stream, w.c.cursor, w.c.boundary).where(w.c.source == source)).all()
        marks = {"cases": Watermark(), "events": Watermark()}
        marks.update({r.stream: loads(r.cursor, r.boundary) for r in rows})
        return marks

    def known_case_ids(self, source: str, case_ids: Iterable[str]) -> set[str]:
        """Which of ``case_ids`` the store holds for ``source`` (tombstones included)."""
        c = schema.cases
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(case_ids)), _IN_CHUNK):
                found.update(conn.execute(select(c.c.case_id).where(c.c.source == source, c.c.case_id.in_(chunk))).scalars())
        return found

    def case_ids(self, source: str) -> pd.DataFrame:
        """Every case key of a source with its tombstone flag: the reconcile's other side."""
        c = schema.cases
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.c.case_id, c.c.deleted_at.is_not(None).label("deleted")).where(c.c.source == source)
            ).all()
        return pd.DataFrame(rows, columns=["case_id", "deleted"])

    def open_quarantine(
        self, source: str, reason: str | None = None, *, stream: str | None = None, case_ids: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Open entries of ``source`` (columns id, stream, reason, case_id, payload, row_hash), narrowed
        by reason, stream and case ids when given: a poll reads only what it may resolve."""
        q = schema.quarantine
        columns = [q.c.id, q.c.stream, q.c.reason, q.c.case_id, q.c.payload, q.c.row_hash]
        query = select(*columns).where(q.c.source == source, q.c.resolved_at.is_(None))
        if reason:
            query = query.where(q.c.reason == reason)
        if stream:
            query = query.where(q.c.stream == stream)
        names = [c.name for c in columns]
        with self.engine.connect() as conn:
            if case_ids is None:
                return pd.DataFrame(conn.execute(query.order_by(q.c.id)).all(), columns=names)
            rows: list[Any] = []
            for chunk in _chunks(sorted(set(case_ids)), _IN_CHUNK):
                rows.extend(conn.execute(query.where(q.c.case_id.in_(chunk))).all())
            return pd.DataFrame(rows, columns=names).sort_values("id", ignore_index=True)

    # --- the one write path of a poll ---------------------------------------------------
    def commit_batch(self, batch: Batch, now: dt.datetime) -> CommitResult:
        """Write a poll's rows, quarantine, tombstones and watermarks in one transaction."""
        result = CommitResult()
        touches_data = not (batch.cases.empty and batch.events.empty and batch.quarantine.empty) or bool(
            batch.deleted or batch.restored or batch.resolved_quarantine_ids
        )
        with self.engine.begin() as conn:
            if touches_data:
                version = self._bump(conn)
                result.version = version
                self._write_cases(conn, batch, version, result)
                self._write_events(conn, batch, version, result)
                self._write_quarantine(conn, batch, now, result)
                self._resolve_quarantine(conn, batch, now)
                self._tombstones(conn, batch, version, now, result)
            self._write_watermarks(conn, batch.source, batch.watermarks, now)
        return result

    def _bump(self, conn: Connection) -> int:
        m = schema.store_meta
        conn.execute(update(m).where(m.c.name == "data_version").values(value=m.c.value + 1))
        return int(conn.execute(select(m.c.value).where(m.c.name == "data_version")).scalar_one())

    def _write_cases(self, conn: Connection, batch: Batch, version: int, result: CommitResult) -> None:
        if batch.cases.empty:
            return
        c = schema.cases
        ids = batch.cases["case_id"].tolist()
        existing = _existing_ids(conn, c, batch.source, ids)
        result.updated_cases = sum(1 for i in ids if i in existing)
        result.new_cases = len(ids) - result.updated_cases
        frame = batch.cases.assign(
            source=batch.source,
            version=version,
            deleted_at=pd.Series(pd.NaT, index=batch.cases.index, dtype="datetime64[us, UTC]"),
        )
        frame = frame[[col.name for col in c.columns]]
        if existing:
            _upsert(conn, c, frame, ["source", "case_id"])
        else:
            _bulk(conn, insert(c), frame)

    def _write_events(self, conn: Connection, batch: Batch, version: int, result: CommitResult) -> None:
        if batch.events.empty:
            return
        e = schema.events
        frame = batch.events.drop_duplicates(["case_id", "status", "at"]).assign(source=batch.source, version=version)
        # Idempotent by the unique key; the drivers' summed rowcount says how many were really new.
        result.new_events = _insert_ignore(conn, e, frame[["source", "case_id", "status", "at", "seq", "version"]])

    def _write_quarantine(self, conn: Connection, batch: Batch, now: dt.datetime, result: CommitResult) -> None:
        if batch.quarantine.empty:
            return
        q = schema.quarantine
        frame = batch.quarantine.assign(source=batch.source, first_seen_at=pd.Timestamp(now))
        _insert_ignore(
            conn, q, frame[["source", "stream", "reason", "case_id", "detail", "payload", "row_hash", "first_seen_at"]]
        )
        result.quarantined = {str(k): int(v) for k, v in batch.quarantine["reason"].value_counts().items()}

    def _resolve_quarantine(self, conn: Connection, batch: Batch, now: dt.datetime) -> None:
        """Close the entries the poll named (superseded by a newer version of their row, or events
        admitted once their case arrived: see collectors.quarantine_match) and the entries of the
        cases that land cleanly now. Runs after _write_quarantine, in the same transaction: a row
        corrected into another bad value has its new entry open and its old one closed at once."""
        q = schema.quarantine
        ids = sorted({int(i) for i in batch.resolved_quarantine_ids})
        for chunk in _chunks(ids, _IN_CHUNK):
            conn.execute(
                update(q).where(q.c.source == batch.source, q.c.id.in_(chunk), q.c.resolved_at.is_(None)).values(resolved_at=now)
            )
        if not batch.cases.empty:
            # A case that now ingests cleanly supersedes its earlier quarantined versions.
            for chunk in _chunks(batch.cases["case_id"].tolist(), _IN_CHUNK):
                conn.execute(
                    update(q)
                    .where(q.c.source == batch.source, q.c.stream == "cases", q.c.resolved_at.is_(None), q.c.case_id.in_(chunk))
                    .values(resolved_at=now)
                )

    def _tombstones(self, conn: Connection, batch: Batch, version: int, now: dt.datetime, result: CommitResult) -> None:
        c = schema.cases
        for chunk in _chunks(list(batch.deleted), _IN_CHUNK):
            result.deleted += conn.execute(
                update(c)
                .where(c.c.source == batch.source, c.c.case_id.in_(chunk), c.c.deleted_at.is_(None))
                .values(deleted_at=now, version=version)
            ).rowcount
        for chunk in _chunks(list(batch.restored), _IN_CHUNK):
            result.restored += conn.execute(
                update(c)
                .where(c.c.source == batch.source, c.c.case_id.in_(chunk), c.c.deleted_at.is_not(None))
                .values(deleted_at=None, version=version)
            ).rowcount

    def _write_watermarks(self, conn: Connection, source: str, marks: dict[str, Watermark], now: dt.datetime) -> None:
        rows = []
        for stream, mark in marks.items():
            cursor, boundary = dumps(mark)
            rows.append(
                {"source": source, "stream": stream, "cursor": cursor, "boundary": boundary, "updated_at": pd.Timestamp(now)}
            )
        if rows:
            _upsert(conn, schema.watermarks, pd.DataFrame(rows), ["source", "stream"])

    # --- health -------------------------------------------------------------------------
    def record_success(self, source: str, *, now: dt.datetime, rows: int, duration_ms: int, every_seconds: float) -> None:
        self._health(
            source,
            now=now,
            every_seconds=every_seconds,
            values={
                "last_success_at": now,
                "consecutive_failures": 0,
                "rows_last_poll": rows,
                "last_poll_ms": duration_ms,
                "next_attempt_at": None,
            },
        )

    def next_attempt_at(self, source: str) -> dt.datetime | None:
        h = schema.source_health
        with self.engine.connect() as conn:
            return conn.execute(select(h.c.next_attempt_at).where(h.c.source == source)).scalar()

    def consecutive_failures(self, source: str) -> int:
        h = schema.source_health
        with self.engine.connect() as conn:
            return int(conn.execute(select(h.c.consecutive_failures).where(h.c.source == source)).scalar() or 0)

    def record_failure(
        self, source: str, *, now: dt.datetime, error: str, failures: int, next_attempt_at: dt.datetime, every_seconds: float
    ) -> None:
        """Record a failed poll; the last good data stays untouched."""
        self._health(
            source,
            now=now,
            every_seconds=every_seconds,
            values={
                "last_error": error[:2000],
                "last_error_at": now,
                "consecutive_failures": failures,
                "next_attempt_at": next_attempt_at,
            },
        )

    def _health(self, source: str, *, now: dt.datetime, every_seconds: float, values: dict[str, Any]) -> None:
        h = schema.source_health
        with self.engine.begin() as conn:
            exists = conn.execute(select(h.c.polls).where(h.c.source == source)).first()
            if exists is None:
                conn.execute(
                    insert(h).values(
                        {"source": source, "polls": 1, "every_seconds": int(every_seconds), "consecutive_failures": 0, **values}
                    )
                )
            else:
                conn.execute(
                    update(h).where(h.c.source == source).values(polls=h.c.polls + 1, every_seconds=int(every_seconds), **values)
                )

    def record_heartbeat(self, row: dict[str, Any]) -> None:
        """A wall screen's heartbeat (name, view, data version, last seen, address, user agent): one small upsert,
        written by the app's workers, not by the collector."""
        with self.engine.begin() as conn:
            _upsert(conn, schema.screens, pd.DataFrame([row]), ["name"])

    def screens(self) -> pd.DataFrame:
        """Every screen's last heartbeat by name, one column per column of the ``screens`` table (times UTC)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.screens).order_by(schema.screens.c.name)).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in schema.screens.columns])

    def quarantine_counts(self) -> pd.DataFrame:
        """Open quarantine rows per source and reason."""
        return open_quarantine_counts(self.engine)


def open_quarantine_counts(engine: Engine) -> pd.DataFrame:
    """Open (unresolved) quarantine rows per source and reason: one GROUP BY, cheap enough for every tick."""
    q = schema.quarantine
    query = (
        select(q.c.source, q.c.reason, func.count().label("rows"))
        .where(q.c.resolved_at.is_(None))
        .group_by(q.c.source, q.c.reason)
        .order_by(q.c.source, q.c.reason)
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=["source", "reason", "rows"])


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_ids(conn: Connection, table: Table, source: str, ids: Sequence[str]) -> set[str]:
    if conn.execute(select(table.c.case_id).where(table.c.source == source).limit(1)).first() is None:
        return set()
    found: set[str] = set()
    for chunk in _chunks(ids, _IN_CHUNK):
        found.update(conn.execute(select(table.c.case_id).where(table.c.source == source, table.c.case_id.in_(chunk))).scalars())
    return found


def _driver_values(col: pd.Series, dialect: str) -> np.ndarray:
    """One column as the DBAPI driver wants it, with None for missing.

    Values go to the driver directly (see _bulk): a million rows cannot afford a
    Python type-processor call per value. Timestamps are UTC; SQLite gets the text
    format SQLAlchemy itself writes, MariaDB naive UTC, PostgreSQL aware UTC.
    """
    missing = pd.isna(col).to_numpy()
    if pd.api.types.is_datetime64_any_dtype(col):
        utc = col.dt.tz_convert("UTC")
        if dialect == "sqlite":
            values = utc.dt.strftime("%Y-%m-%d %H:%M:%S.%f").to_numpy(dtype=object, na_value=None)
        elif dialect in ("mysql", "mariadb"):
            values = np.array(utc.dt.tz_localize(None).dt.to_pydatetime(), dtype=object)
        else:
            values = np.array(utc.dt.to_pydatetime(), dtype=object)
    elif pd.api.types.is_integer_dtype(col) and not missing.any():
        values = np.array(col.to_numpy(dtype="int64").tolist(), dtype=object)
    else:
        values = col.astype(object).to_numpy(copy=True)
    values[missing] = None
    return values


def _bulk(conn: Connection, stmt: Any, frame: pd.DataFrame) -> int:
    """executemany of ``stmt`` over ``frame``'s rows, straight to the driver; returns rows affected."""
    if frame.empty:
        return 0
    affected = 0
    dialect = conn.dialect.name
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(frame.columns))
    columns = {name: _driver_values(frame[name], dialect) for name in frame.columns}
    order = list(compiled.positiontup) if compiled.positiontup else None
    for start in range(0, len(frame), _CHUNK):
        stop = start + _CHUNK
        if order is not None:
            rows: list[Any] = list(zip(*(columns[name][start:stop] for name in order), strict=True))
        else:
            names = list(columns)
            rows = [dict(zip(names, row, strict=True)) for row in zip(*(columns[n][start:stop] for n in names), strict=True)]
        affected += max(0, conn.exec_driver_sql(str(compiled), rows).rowcount)
    return affected


def _upsert(conn: Connection, table: Table, frame: pd.DataFrame, keys: list[str]) -> None:
    updates = [c for c in frame.columns if c not in keys]
    name = conn.dialect.name
    if name in ("mysql", "mariadb"):
        stmt = mysql.insert(table)
        _bulk(conn, stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in updates}), frame)
        return
    module = postgresql if name == "postgresql" else sqlite
    stmt = module.insert(table)
    _bulk(conn, stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in updates}), frame)


def _insert_ignore(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert the rows not already present (by unique key); returns how many were inserted."""
    name = conn.dialect.name
    if name in ("mysql", "mariadb"):
        return _bulk(conn, insert(table).prefix_with("IGNORE"), frame)
    if name == "postgresql":
        return _bulk(conn, postgresql.insert(table).on_conflict_do_nothing(), frame)
    return _bulk(conn, sqlite.insert(table).on_conflict_do_nothing(), frame)


#: Columns added to an existing table after its first release: create_all makes new tables only.
_ADDED_COLUMNS = (("users", "services", "TEXT"), ("screen_tokens", "services", "TEXT"))


def _add_missing_columns(conn: Connection) -> None:
    """Add the columns a store created by an earlier version lacks (plain ``ALTER TABLE … ADD COLUMN``, nullable,
    the same on SQLite, PostgreSQL and MariaDB)."""
    for table, column, sql_type in _ADDED_COLUMNS:
        present = {c["name"] for c in inspect(conn).get_columns(table)}
        if column not in present:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
