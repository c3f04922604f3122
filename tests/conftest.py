from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

from domain.catalog import load_catalog
from store.engines import create_source_engine, create_store_engine
from store.writer import Store
from tests import factories
from tests.servers import MARIADB_ADMIN_URL, PG_ADMIN_URL, fresh_database

ROOT = Path(__file__).resolve().parent.parent

# CI explores the same examples every run (a red CI must be reproducible); local runs explore freely.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def catalog() -> pd.DataFrame:
    return load_catalog(ROOT / "data" / "procedures.csv")


@pytest.fixture
def clock() -> Callable[[], dt.datetime]:
    """A controllable UTC clock: tests move ``clock.now`` by hand."""

    class Clock:
        now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)

        def __call__(self) -> dt.datetime:
            return self.now

    return Clock()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    store = Store(create_store_engine(f"sqlite:///{tmp_path / 'vigie.db'}"))
    store.create()
    return store


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database(PG_ADMIN_URL, "PostgreSQL") as url:
        yield url


@pytest.fixture
def pg_url_2() -> Iterator[str]:
    with fresh_database(PG_ADMIN_URL, "PostgreSQL") as url:
        yield url


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    with fresh_database(MARIADB_ADMIN_URL, "MariaDB") as url:
        yield url


@pytest.fixture
def sqlite_source(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = create_source_engine(url, 5)
    factories.create_source_schema(engine)
    yield url, engine
    engine.dispose()
