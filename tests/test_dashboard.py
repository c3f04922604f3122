"""The source-health page, called as plain functions over a real store."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from collectors.poll import poll_source
from dashboard.pages.sources import render
from kpis.health import ago_fr, health_table, lome_time, source_state
from store.reader import Reader
from tests.factories import add_case, naive, source_settings
from tests.support import reader_for


@pytest.mark.parametrize(
    ("lag", "state"), [(0, "ok"), (90, "ok"), (91, "stale"), (300, "stale"), (301, "down"), (math.nan, "down")]
)
def test_state_follows_lag_in_poll_intervals(lag: float, state: str) -> None:
    assert source_state(lag, 30) == state


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "il y a 5 s"), (150, "il y a 2 min"), (7300, "il y a 2 h"), (200000, "il y a 2 j"), (math.nan, "jamais")],
)
def test_ago_in_french(seconds: float, text: str) -> None:
    assert ago_fr(seconds) == text


def test_lome_time_is_utc_plus_zero_and_dash_for_missing() -> None:
    assert lome_time(pd.Timestamp("2026-11-20 10:05:00", tz="UTC"), "%H:%M") == "10:05"
    assert lome_time(None) == "—"


def test_health_table_counts_open_quarantine() -> None:
    now = pd.Timestamp("2026-11-20 12:00", tz="UTC")
    health = pd.DataFrame(
        {
            "source": ["a", "b"],
            "lag_seconds": [10.0, 4000.0],
            "every_seconds": [30, 30],
            "last_success_at": [now, now],
            "last_error": [None, "OperationalError: down"],
            "consecutive_failures": [0, 3],
            "rows_last_poll": [5, 0],
        }
    )
    q = pd.DataFrame({"source": ["b", "b"], "reason": ["unknown_case", "bad_region"], "rows": [2, 1]})
    table = health_table(health, q).set_index("source")
    assert table.loc["a", "state"] == "ok" and table.loc["a", "quarantined"] == 0
    assert table.loc["b", "state"] == "down" and table.loc["b", "quarantined"] == 3
    assert table.loc["b", "last_error"] == "OperationalError: down"


def test_page_renders_store_state(sqlite_source, sqlite_store, catalog, clock) -> None:
    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, events=(("DEP", t),))
    add_case(engine, "B", t, chan="fax")
    poll_source(source_settings(url), reader_for(url), sqlite_store, catalog["code"], now=clock)
    table, totals, clock_text = render(Reader(sqlite_store.engine), clock.now + dt.timedelta(seconds=100))
    text = str(table)
    assert "▲ en retard" in text and "il y a 100 s" in text
    assert [t.children[0].children for t in totals] == ["1", "1", "1"]
    assert clock_text == "20/11/2026 12:01:40 (Lomé)"
