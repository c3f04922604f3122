"""Read a source query into a pandas frame, as fast as the source's driver allows.

PostgreSQL sources are read through ADBC (Arrow-native, several times faster than
``pd.read_sql`` on large loads); other sources through SQLAlchemy and pandas.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, TextClause
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SQLAlchemyError

try:  # ADBC is an optimisation: without it PostgreSQL is read like the others.
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as adbc_pg

    _ADBC_ERRORS: tuple[type[BaseException], ...] = (adbc_driver_manager.Error,)
except ImportError:  # pragma: no cover - the pinned requirements install it
    adbc_pg = None
    _ADBC_ERRORS = ()

#: What a source read may raise when the source (not Vigie) is at fault.
SOURCE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, *_ADBC_ERRORS)

_NUMERIC_DOLLAR = postgresql.dialect(paramstyle="numeric_dollar")


class SourceFetcher:
    """One source's read side; keeps an ADBC connection open between polls."""

    def __init__(self, engine: Engine, timeout_seconds: float) -> None:
        self.engine = engine
        self.timeout_seconds = timeout_seconds
        self._adbc: Any = None

    @property
    def arrow_native(self) -> bool:
        return adbc_pg is not None and self.engine.dialect.name == "postgresql"

    def read(self, query: TextClause, params: dict[str, Any]) -> pd.DataFrame:
        if self.arrow_native:
            try:
                return self._read_adbc(query, params)
            except Exception:
                self.close()  # a broken connection must not poison the next poll
                raise
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn, params=params)

    def _read_adbc(self, query: TextClause, params: dict[str, Any]) -> pd.DataFrame:
        compiled = query.compile(dialect=_NUMERIC_DOLLAR)
        args = tuple(params[name] for name in compiled.positiontup or ())
        if self._adbc is None:
            url = self.engine.url.set(drivername="postgresql")
            seconds = max(1, int(self.timeout_seconds))
            uri = url.update_query_dict({"connect_timeout": str(seconds)}).render_as_string(hide_password=False)
            self._adbc = adbc_pg.connect(uri)
            with self._adbc.cursor() as cur:
                cur.execute(f"SET statement_timeout = {seconds * 1000}")
        with self._adbc.cursor() as cur:
            cur.execute(str(compiled), parameters=args or None)
            table = cur.fetch_arrow_table()
        self._adbc.commit()  # end the read transaction: no snapshot held between polls
        return table.to_pandas()

    def close(self) -> None:
        if self._adbc is not None:
            try:
                self._adbc.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to do
                pass
            self._adbc = None
        self.engine.dispose()
