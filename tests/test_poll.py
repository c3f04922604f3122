"""Polling one source into the store, end to end, on real SQLite files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import text

from collectors.collector import Collector
from collectors.poll import backoff_seconds
from domain.config import Settings
from store.reader import Reader
from tests.factories import add_case, naive, source_settings
from tests.support import poll, stored


def settings_for(*sources) -> Settings:
    """Settings holding only ``sources``: the collector needs nothing else from them."""
    return Settings(
        path=None, store_url="", snapshot_dir=Path("."), catalog_path=Path("."), country="TG", extra_closures=(), sources=sources
    )






def test_rows_at_the_watermark_are_neither_lost_nor_duplicated(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, events=(("DEP", t),))
    source = source_settings(url)
    first = poll(source, sqlite_store, catalog, clock)
    assert (first.new_cases, first.new_events) == (1, 1)
    # Committed after our poll but stamped with the same instant as the watermark.
    add_case(engine, "B", t, events=(("DEP", t),))
    # A updated again within the same timestamp resolution: new content, same updated_at.
    add_case(engine, "A", t, officer="K. Agbeko")
    second = poll(source, sqlite_store, catalog, clock)
    assert (second.new_cases, second.updated_cases, second.new_events) == (1, 1, 1)
    third = poll(source, sqlite_store, catalog, clock)
    assert (third.new_cases, third.updated_cases, third.new_events, third.version) == (0, 0, 0, None)
    cases = stored(sqlite_store, "cases")
    assert sorted(cases["case_id"]) == ["A", "B"]
    assert cases.set_index("case_id").loc["A", "agent"] == "K. Agbeko"
    assert len(stored(sqlite_store, "events")) == 2


def test_every_quarantine_reason_is_counted_and_the_rest_lands(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "OK", t, events=(("DEP", t), ("ARCHIVE", t + dt.timedelta(hours=1))))
    add_case(engine, "OLD", t, proc="MIN-ANCIEN")
    add_case(engine, "NODATE", t, deposited=None)
    add_case(engine, "FAX", t, chan="fax")
    add_case(engine, "NOWHERE", t, reg="Atlantide")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO src_events (ref, st, happened, modified) VALUES ('GHOST', 'DEP', :t, :t)"), {"t": t})
    result = poll(source_settings(url), sqlite_store, catalog, clock)
    assert result.new_cases == 1 and result.new_events == 1
    assert dict(result.quarantined) == {
        "unknown_status": 1,
        "unknown_procedure": 1,
        "bad_submitted_at": 1,
        "bad_channel": 1,
        "bad_region": 1,
        "unknown_case": 1,
    }
    counts = sqlite_store.quarantine_counts()
    assert counts["rows"].sum() == 6 and set(counts["source"]) == {"src"}
    # Polling again does not count the same bad rows twice.
    poll(source_settings(url), sqlite_store, catalog, clock)
    assert sqlite_store.quarantine_counts()["rows"].sum() == 6


def test_event_before_its_case_is_admitted_once_the_case_arrives(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO src_events (ref, st, happened, modified) VALUES ('LATE', 'DEP', :t, :t)"), {"t": t})
    source = source_settings(url)
    assert dict(poll(source, sqlite_store, catalog, clock).quarantined) == {"unknown_case": 1}
    add_case(engine, "LATE", t + dt.timedelta(minutes=1))
    result = poll(source, sqlite_store, catalog, clock)
    assert result.new_cases == 1 and result.new_events == 1
    assert sqlite_store.quarantine_counts().empty
    assert stored(sqlite_store, "events")["case_id"].tolist() == ["LATE"]


def test_fixed_row_resolves_its_quarantine(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "X", t, chan="fax")
    source = source_settings(url)
    poll(source, sqlite_store, catalog, clock)
    assert sqlite_store.quarantine_counts()["rows"].sum() == 1
    add_case(engine, "X", t + dt.timedelta(minutes=5), chan="counter")
    poll(source, sqlite_store, catalog, clock)
    assert sqlite_store.quarantine_counts().empty
    assert stored(sqlite_store, "quarantine")["resolved_at"].notna().all()


def test_deleted_case_becomes_a_tombstone_and_can_return(sqlite_source, sqlite_store, catalog, clock, tmp_path) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    for ref in ("A", "B", "C"):
        add_case(engine, ref, t, events=(("DEP", t),))
    source = source_settings(url)
    poll(source, sqlite_store, catalog, clock)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM src_cases WHERE ref = 'B'"))
    assert poll(source, sqlite_store, catalog, clock).deleted == 0  # incremental polls cannot see deletes
    result = poll(source, sqlite_store, catalog, clock, reconcile=True)
    assert result.deleted == 1
    frames = Reader(sqlite_store.engine).frames()
    assert sorted(frames.live_cases()["case_id"]) == ["A", "C"]
    assert frames.cases.set_index("case_id").loc["B", "deleted_at"] == clock.now  # kept, as a tombstone
    with engine.begin() as conn:  # restored from a backup, with its old timestamp
        conn.execute(text("INSERT INTO src_cases VALUES ('B', 'CEET-BT', :t, 'online', 'Maritime', NULL, :t)"), {"t": t})
    assert poll(source, sqlite_store, catalog, clock, reconcile=True).restored == 1
    assert sorted(Reader(sqlite_store.engine).frames().live_cases()["case_id"]) == ["A", "B", "C"]


def test_reconcile_runs_every_n_polls(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t)
    add_case(engine, "B", t)
    settings = settings_for(source_settings(url, reconcile_every_polls=3))
    collector = Collector(settings, sqlite_store, catalog, now=clock)
    collector.poll("src")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM src_cases WHERE ref = 'A'"))
    assert [collector.poll("src").deleted for _ in range(3)] == [0, 0, 1]
    collector.close()


def test_source_down_then_back_catches_up_without_duplicates(sqlite_source, sqlite_store, catalog, clock, tmp_path) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, events=(("DEP", t),))
    ro_url = f"sqlite:///file:{tmp_path / 'source.db'}?mode=ro&uri=true"
    settings = settings_for(source_settings(ro_url))
    collector = Collector(settings, sqlite_store, catalog, now=clock)
    assert collector.poll("src").new_cases == 1
    add_case(engine, "B", t + dt.timedelta(hours=1), events=(("DEP", t + dt.timedelta(hours=1)),))
    engine.dispose()
    shutil.move(tmp_path / "source.db", tmp_path / "away.db")  # the source disappears
    clock.now += dt.timedelta(seconds=30)
    failed = collector.poll("src")
    assert failed.error and "unable to open" in failed.error
    health = Reader(sqlite_store.engine).health(clock.now).set_index("source").loc["src"]
    assert health.consecutive_failures == 1 and health.last_error == failed.error
    assert health.last_success_at < clock.now
    assert collector.poll("src") is None  # backing off: not retried before next_attempt_at
    clock.now += dt.timedelta(seconds=31)
    assert collector.poll("src").error  # second failure: the wait doubles
    assert Reader(sqlite_store.engine).health(clock.now).set_index("source").loc["src"].consecutive_failures == 2
    assert len(stored(sqlite_store, "cases")) == 1  # the last good data stays
    shutil.move(tmp_path / "away.db", tmp_path / "source.db")  # and it comes back
    clock.now += dt.timedelta(seconds=61)
    back = collector.poll("src")
    assert back.error is None and (back.new_cases, back.new_events) == (1, 1)
    assert sorted(stored(sqlite_store, "cases")["case_id"]) == ["A", "B"]
    assert len(stored(sqlite_store, "events")) == 2
    assert Reader(sqlite_store.engine).health(clock.now).set_index("source").loc["src"].consecutive_failures == 0
    collector.close()


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(30, n, 600) for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 480, 600]


def test_sql_error_is_a_source_failure_not_a_crash(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, _ = sqlite_source
    broken = source_settings(url, cases_sql="SELECT nope AS case_id FROM missing_table WHERE x >= :since")
    result = poll(broken, sqlite_store, catalog, clock)
    assert "no such table" in result.error
    assert "SELECT" not in result.error  # the SQL text stays out of health and logs


def test_other_sources_are_not_blocked_by_a_failing_one(sqlite_source, sqlite_store, catalog, clock, tmp_path) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10))
    down = source_settings(f"sqlite:///file:{tmp_path / 'nope.db'}?mode=ro&uri=true", name="down")
    settings = settings_for(down, source_settings(url))
    collector = Collector(settings, sqlite_store, catalog, now=clock)
    results = {r.source: r for r in collector.poll_all()}
    assert results["down"].error and results["src"].new_cases == 1
    collector.close()


def test_data_version_moves_only_when_data_changes(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    add_case(engine, "A", naive(2026, 11, 20, 10))
    source = source_settings(url)
    v0 = sqlite_store.data_version()
    poll(source, sqlite_store, catalog, clock)
    v1 = sqlite_store.data_version()
    poll(source, sqlite_store, catalog, clock)
    assert v1 == v0 + 1 and sqlite_store.data_version() == v1
