from __future__ import annotations

import datetime as dt

import pandas as pd

from collectors.poll import poll_source
from store.reader import Reader
from tests.factories import add_case, naive, source_settings
from tests.support import reader_for


def fill(engine, n: int, start: dt.datetime) -> None:
    for i in range(n):
        t = start + dt.timedelta(minutes=i)
        add_case(engine, f"C{i}", t, events=(("DEP", t),))


def test_incremental_frames_equal_a_full_reload(sqlite_source, sqlite_store, catalog, clock, tmp_path) -> None:
    url, engine = sqlite_source
    source = source_settings(url)
    live = Reader(sqlite_store.engine)
    fill(engine, 5, naive(2026, 11, 20, 8))
    poll_source(source, reader_for(url), sqlite_store, catalog["code"], now=clock)
    first = live.frames()
    add_case(
        engine,
        "C1",
        naive(2026, 11, 20, 12),
        deposited=naive(2026, 11, 20, 8, 1),
        officer="A. Mensah",
        events=(("INS", naive(2026, 11, 20, 12)),),
    )
    add_case(engine, "NEW", naive(2026, 11, 21, 9), events=(("DEP", naive(2026, 11, 21, 9)),))
    poll_source(source, reader_for(url), sqlite_store, catalog["code"], now=clock)
    incremental = live.frames()
    full = Reader(sqlite_store.engine).frames()
    assert incremental.version == full.version > first.version
    key = ["source", "case_id"]
    pd.testing.assert_frame_equal(
        incremental.cases.sort_values(key).reset_index(drop=True), full.cases.sort_values(key).reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(
        incremental.events.sort_values("id").reset_index(drop=True), full.events.sort_values("id").reset_index(drop=True)
    )
    assert incremental.cases.set_index("case_id").loc["C1", "agent"] == "A. Mensah"


def test_snapshot_restores_frames_then_catches_up(sqlite_source, sqlite_store, catalog, clock, tmp_path) -> None:
    url, engine = sqlite_source
    source = source_settings(url)
    fill(engine, 20, naive(2026, 11, 20, 8))
    poll_source(source, reader_for(url), sqlite_store, catalog["code"], now=clock)
    writer = Reader(sqlite_store.engine, tmp_path / "snap", snapshot_every_seconds=0)
    written = writer.frames()
    assert (tmp_path / "snap" / f"cases-{written.version}.parquet").exists()
    add_case(engine, "LATE", naive(2026, 11, 22, 8))
    poll_source(source, reader_for(url), sqlite_store, catalog["code"], now=clock)
    restarted = Reader(sqlite_store.engine, tmp_path / "snap")
    frames = restarted.frames()
    assert frames.version == written.version + 1
    assert len(frames.cases) == 21 and "LATE" in set(frames.cases["case_id"])
    pd.testing.assert_frame_equal(frames.events.reset_index(drop=True), written.events.reset_index(drop=True))


def test_snapshot_of_another_store_is_ignored(sqlite_source, sqlite_store, catalog, clock, tmp_path) -> None:
    from store.engines import create_store_engine
    from store.writer import Store

    url, engine = sqlite_source
    fill(engine, 3, naive(2026, 11, 20, 8))
    poll_source(source_settings(url), reader_for(url), sqlite_store, catalog["code"], now=clock)
    Reader(sqlite_store.engine, tmp_path / "snap", snapshot_every_seconds=0).frames()
    other = Store(create_store_engine(f"sqlite:///{tmp_path / 'other.db'}"))
    other.create()
    assert Reader(other.engine, tmp_path / "snap").frames().cases.empty


def test_health_reports_lag_from_last_success(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    poll_source(source_settings(url), reader_for(url), sqlite_store, catalog["code"], now=clock)
    later = clock.now + dt.timedelta(seconds=95)
    health = Reader(sqlite_store.engine).health(later).set_index("source")
    assert health.loc["src", "lag_seconds"] == 95
    assert health.loc["src", "every_seconds"] == 30
