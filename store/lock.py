"""One writer per store: a second collector on the same store must say so and exit.

SQLite stores use an exclusive ``flock`` on a file beside the database (released by
the kernel if the process dies); PostgreSQL uses a session advisory lock and MariaDB
``GET_LOCK``, both released when the holding connection ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

_LOCK_NAME = "vigie_collector"


class WriterLockBusy(Exception):
    """Another collector process already writes this store."""


class WriterLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._file: IO[str] | None = None
        self._conn: Any = None
        self._sql: tuple[str, dict[str, Any]] | None = None  # set once an SQL lock was taken: ensure() retakes it
        self._checking = threading.Lock()

    def acquire(self) -> None:
        backend = self.engine.dialect.name
        if backend == "sqlite":
            self._acquire_file()
        elif backend == "postgresql":
            self._acquire_sql("SELECT pg_try_advisory_lock(:key)", {"key": _pg_key(self.engine)})
        elif backend in ("mysql", "mariadb"):
            self._acquire_sql("SELECT GET_LOCK(:name, 0)", {"name": f"{_LOCK_NAME}_{self.engine.url.database}"})
        else:
            raise WriterLockBusy(f"pas de verrou d'écrivain unique pour le moteur {backend}")

    def _acquire_file(self) -> None:
        database = make_url(str(self.engine.url)).database or ""
        path = Path(database + ".collector.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise WriterLockBusy(
                f"un autre collecteur (pid {holder}) écrit déjà dans le magasin {database} ; un seul collecteur par magasin"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def ensure(self) -> None:
        """Check, before a poll, that the lock is still held; take it again if the store restarted.

        A PostgreSQL or MariaDB lock lives in its connection's session: a restarted server ends the
        session and frees the lock. Raises WriterLockBusy when another collector took it meanwhile
        (this one must stop writing), and the store's error while the store is still down.
        """
        with self._checking:  # one poll thread per source calls this
            if self._sql is None:
                return  # a file lock (the kernel keeps it) or no lock taken
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT 1")).scalar()
                    self._conn.commit()
                    return
                except SQLAlchemyError:
                    self._drop_connection()
            self._acquire_sql(*self._sql)  # raises the store's error while it is down: tried again next poll

    def _drop_connection(self) -> None:
        try:
            self._conn.close()
        except SQLAlchemyError:  # the server already ended it
            pass
        self._conn = None
        self._lock_engine.dispose()

    def _acquire_sql(self, sql: str, params: dict[str, Any]) -> None:
        # A dedicated, unpooled connection: closing it must end the session and so free the lock.
        self._sql = (sql, params)
        self._lock_engine = create_engine(self.engine.url, poolclass=NullPool)
        conn = self._lock_engine.connect()
        got = conn.execute(text(sql), params).scalar()
        conn.commit()
        if not got:
            conn.close()
            raise WriterLockBusy(
                f"un autre collecteur écrit déjà dans le magasin {self.engine.url.render_as_string(hide_password=True)} ; "
                "un seul collecteur par magasin"
            )
        self._conn = conn

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self._sql = None
        if self._conn is not None:
            self._drop_connection()  # ends the session, which releases advisory and GET_LOCK locks

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _pg_key(engine: Engine) -> int:
    digest = hashlib.sha256(f"{_LOCK_NAME}:{engine.url.database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
