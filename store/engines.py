"""SQLAlchemy engines for the store and the sources, with the settings each needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def create_store_engine(url: str) -> Engine:
    """The store's engine. SQLite gets WAL (readers never block the writer) and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints are run by the collector's scheduler (Store.checkpoint), not inside a poll's commit.
            cursor.execute("PRAGMA wal_autocheckpoint=20000")
            # A million cases' indexes fit in cache: random upserts then cost no read syscalls.
            cursor.execute("PRAGMA cache_size=-131072")
            cursor.execute("PRAGMA mmap_size=1073741824")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def create_source_engine(url: str, timeout_seconds: float) -> Engine:
    """A source's engine, read-only in intent, with connect and statement timeouts.

    A hung source must fail its own poll in ``timeout_seconds`` rather than hold a
    scheduler thread forever.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    seconds = max(1, int(timeout_seconds))
    if backend == "sqlite":
        # No pool: a file source is re-opened each poll, so a vanished or replaced file is seen as such.
        return create_engine(url, connect_args={"timeout": seconds, "check_same_thread": False}, poolclass=NullPool)
    if backend == "postgresql":
        args = {"connect_timeout": seconds, "options": f"-c statement_timeout={seconds * 1000}"}
    elif backend in ("mysql", "mariadb"):
        args = {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds}
    else:
        args = {}
    return create_engine(url, connect_args=args, pool_pre_ping=True, pool_size=2, max_overflow=2)
