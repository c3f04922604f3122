"""The same collector behaviour against real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from collectors.poll import poll_source
from store.engines import create_source_engine, create_store_engine
from store.reader import Reader
from store.writer import Store
from tests.factories import add_case, create_source_schema, naive, source_settings
from tests.servers import PG_ADMIN_URL
from tests.support import reader_for


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def source_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'src.db'}"
    return request.getfixturevalue("pg_url" if request.param == "postgres" else "mariadb_url")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def store(request, tmp_path) -> Store:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'vigie.db'}"
    else:
        url = request.getfixturevalue("pg_url_2" if request.param == "postgres" else "mariadb_url")
    store = Store(create_store_engine(url))
    store.create()
    yield store
    store.engine.dispose()


def test_naive_source_times_in_a_non_utc_zone_land_as_utc(source_url, sqlite_store, catalog, clock) -> None:
    engine = create_source_engine(source_url, 5)
    create_source_schema(engine)
    winter, summer = naive(2026, 11, 20, 10, 30), naive(2026, 7, 1, 10, 30)
    add_case(engine, "W", winter, events=(("DEP", winter), ("INS", winter + dt.timedelta(hours=2))))
    add_case(engine, "S", summer, events=(("DEP", summer),))
    source = source_settings(source_url, timezone="Europe/Paris")
    result = poll_source(source, reader_for(source_url), sqlite_store, catalog["code"], now=clock)
    assert (result.error, result.new_cases, result.new_events) == (None, 2, 3)
    frames = Reader(sqlite_store.engine).frames()
    cases = frames.cases.set_index("case_id")
    assert cases.loc["W", "submitted_at"] == pd.Timestamp("2026-11-20 09:30", tz="UTC")
    assert cases.loc["S", "submitted_at"] == pd.Timestamp("2026-07-01 08:30", tz="UTC")
    assert sorted(frames.events["at"]) == [
        pd.Timestamp("2026-07-01 08:30", tz="UTC"),
        pd.Timestamp("2026-11-20 09:30", tz="UTC"),
        pd.Timestamp("2026-11-20 11:30", tz="UTC"),
    ]
    engine.dispose()


def test_incremental_at_the_watermark_on_every_backend(source_url, sqlite_store, catalog, clock) -> None:
    engine = create_source_engine(source_url, 5)
    create_source_schema(engine)
    t = naive(2026, 11, 20, 10, 0, 0, 250000)
    add_case(engine, "A", t, events=(("DEP", t),))
    source = source_settings(source_url)
    reader = reader_for(source_url)
    assert poll_source(source, reader, sqlite_store, catalog["code"], now=clock).new_cases == 1
    add_case(engine, "B", t, events=(("DEP", t),))
    second = poll_source(source, reader, sqlite_store, catalog["code"], now=clock)
    assert (second.new_cases, second.updated_cases, second.new_events) == (1, 0, 1)
    third = poll_source(source, reader, sqlite_store, catalog["code"], now=clock)
    assert third.version is None
    frames = Reader(sqlite_store.engine).frames()
    assert sorted(frames.cases["case_id"]) == ["A", "B"] and len(frames.events) == 2
    reader.close()
    engine.dispose()


def test_store_backends_hold_the_same_data(store, sqlite_source, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10, 0, 0, 123456)
    add_case(engine, "A", t, events=(("DEP", t), ("INS", t + dt.timedelta(hours=1))))
    add_case(engine, "B", t, proc="NOPE")
    source = source_settings(url)
    first = poll_source(source, reader_for(url), store, catalog["code"], now=clock)
    assert (first.new_cases, first.new_events, dict(first.quarantined)) == (1, 2, {"unknown_procedure": 1})
    add_case(engine, "A", t + dt.timedelta(hours=2), deposited=t, officer="Y. Kodjo", events=(("OK", t + dt.timedelta(hours=2)),))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM src_cases WHERE ref = 'B'"))
    second = poll_source(source, reader_for(url), store, catalog["code"], now=clock, reconcile=True)
    assert (second.new_cases, second.updated_cases, second.new_events) == (0, 1, 1)
    frames = Reader(store.engine).frames()
    a = frames.cases.set_index("case_id").loc["A"]
    assert a.agent == "Y. Kodjo" and a.submitted_at == pd.Timestamp(t, tz="UTC")  # microseconds kept
    assert sorted(frames.events["status"]) == ["approved", "in_review", "submitted"]
    assert store.data_version() == 2
    assert store.quarantine_counts()["rows"].tolist() == [1]


@pytest.mark.postgres
def test_postgres_source_down_then_back(pg_url, sqlite_store, catalog, clock) -> None:
    engine = create_engine(pg_url, poolclass=NullPool)
    create_source_schema(engine)
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, events=(("DEP", t),))
    source = source_settings(pg_url)
    reader = reader_for(pg_url)
    assert poll_source(source, reader, sqlite_store, catalog["code"], now=clock).new_cases == 1
    add_case(engine, "B", t + dt.timedelta(minutes=5), events=(("DEP", t + dt.timedelta(minutes=5)),))
    name = engine.url.database
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the database goes away for new and existing sessions
        conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
    down = poll_source(source, reader, sqlite_store, catalog["code"], now=clock)
    assert down.error and "OperationalError" in down.error
    assert len(Reader(sqlite_store.engine).frames().cases) == 1
    with admin.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
    back = poll_source(source, reader, sqlite_store, catalog["code"], now=clock)
    assert (back.error, back.new_cases, back.new_events) == (None, 1, 1)
    again = poll_source(source, reader, sqlite_store, catalog["code"], now=clock)
    assert (again.new_cases, again.new_events) == (0, 0)
    reader.close()
    admin.dispose()


@pytest.mark.postgres
def test_postgres_wrong_password_is_reported_without_the_secret(sqlite_store, catalog, clock) -> None:
    admin = create_engine(PG_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("DROP ROLE IF EXISTS vigie_pw_test"))
            conn.execute(text("CREATE ROLE vigie_pw_test LOGIN PASSWORD 'right-one'"))
            method = conn.execute(
                text("SELECT auth_method FROM pg_hba_file_rules WHERE 'all' = ANY(user_name) AND address = '127.0.0.1' LIMIT 1")
            ).scalar()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"PostgreSQL: {exc}")
    url = "postgresql+psycopg://vigie_pw_test:wrong-one@127.0.0.1:5432/postgres"
    result = poll_source(source_settings(url), reader_for(url), sqlite_store, catalog["code"], now=clock)
    if method == "trust":
        # This server trusts loopback: the password is not checked, but the mapping SQL fails instead.
        assert result.error and "src_cases" in result.error
    else:
        assert result.error and "password" in result.error
    assert "wrong-one" not in (result.error or "")
    with admin.connect() as conn:
        conn.execute(text("DROP ROLE IF EXISTS vigie_pw_test"))
    admin.dispose()


def test_replayed_batch_is_idempotent_and_counted_as_nothing_new(store, clock) -> None:
    from store.watermark import Watermark
    from store.writer import Batch

    at = pd.Timestamp("2026-11-20 10:00", tz="UTC")
    cases = pd.DataFrame(
        {
            "case_id": ["A", "B"],
            "procedure_code": ["CEET-BT", "MIN-PR"],
            "submitted_at": [at, at],
            "channel": ["online", "counter"],
            "region": ["Kara", "Savanes"],
            "agent": [None, "X"],
            "updated_at": [at, at],
        }
    )
    events = pd.DataFrame(
        {
            "case_id": ["A", "A", "B"],
            "status": ["submitted", "in_review", "submitted"],
            "at": [at, at + pd.Timedelta(hours=1), at],
            "seq": pd.array([1, 2, None], dtype="Int64"),
        }
    )
    from collectors.normalize import empty_quarantine

    batch = Batch(
        source="s",
        cases=cases,
        events=events,
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    first = store.commit_batch(batch, clock.now)
    replay = store.commit_batch(batch, clock.now)
    assert (first.new_cases, first.new_events) == (2, 3)
    assert (replay.new_cases, replay.updated_cases, replay.new_events) == (0, 2, 0)
    frames = Reader(store.engine).frames()
    assert len(frames.cases) == 2 and len(frames.events) == 3
    assert frames.events.sort_values("seq")["seq"].tolist()[:2] == [1, 2]


@pytest.mark.postgres
def test_postgres_statement_timeout_is_a_source_failure(pg_url, sqlite_store, catalog, clock) -> None:
    slow = source_settings(
        pg_url,
        timeout_seconds=1,
        cases_sql="SELECT 'A' AS case_id, now() AS updated_at, pg_sleep(5)::text AS x WHERE now() >= :since",
    )
    reader = reader_for(slow.url)
    reader.timeout_seconds = 1
    started = dt.datetime.now(dt.UTC)
    result = poll_source(slow, reader, sqlite_store, catalog["code"], now=clock)
    assert result.error and "statement timeout" in result.error
    assert dt.datetime.now(dt.UTC) - started < dt.timedelta(seconds=4)  # bounded by the timeout, not the query
    reader.close()
