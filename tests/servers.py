"""Throwaway databases on the local PostgreSQL and MariaDB servers.

Outside CI a missing server skips its tests; in CI (CI=true) it fails them, so a
green CI always means the tests really ran against both servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

PG_ADMIN_URL = os.environ.get("VIGIE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("VIGIE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql")


def unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} injoignable : {exc}".splitlines()[0]
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (en CI, un serveur absent est un échec, pas un saut)")
    pytest.skip(message)


@contextmanager
def fresh_database(admin_url: str, what: str) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"vigie_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server is reported the same way
        unavailable(what, exc)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            if admin.dialect.name == "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
