"""The demo portal: realistic history, two schemas mapped by SQL, and a live simulator."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.collector import Collector
from collectors.demo.build import build_demo
from collectors.demo.history import generate_history
from collectors.demo.pacing import cases_per_hour
from collectors.demo.simulate import Simulator
from domain.config import load_settings
from domain.holiday_dates import holiday_dates
from store.reader import Reader

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 20, 15, 0)  # noqa: DTZ001 - the demo's naive Lomé wall time


@pytest.fixture(scope="module")
def history(catalog):
    return generate_history(catalog, n_cases=6000, now=NOW, holidays=holiday_dates([2025, 2026]), seed=7)


def test_history_is_deterministic_for_a_seed(catalog, history) -> None:
    again = generate_history(catalog, n_cases=6000, now=NOW, holidays=holiday_dates([2025, 2026]), seed=7)
    pd.testing.assert_frame_equal(history.events, again.events)
    other = generate_history(catalog, n_cases=6000, now=NOW, holidays=holiday_dates([2025, 2026]), seed=8)
    assert not history.events["at"].equals(other.events["at"])


def test_history_has_the_shapes_a_supervision_room_sees(catalog, history) -> None:
    cases, events = history.cases, history.events
    submitted = pd.to_datetime(cases["submitted_at"])
    assert submitted.min() >= pd.Timestamp(NOW) - pd.Timedelta(days=366) and submitted.max() <= pd.Timestamp(NOW)
    weekday = submitted.dt.day_of_week < 5
    assert weekday.mean() > 0.85  # weekday seasonality
    holidays = holiday_dates([2025, 2026])
    days = submitted.values.astype("datetime64[D]")
    weekday_holidays = holidays[np.is_busday(holidays) & (holidays >= days.min()) & (holidays <= days.max())]
    per_holiday = np.isin(days, weekday_holidays).sum() / len(weekday_holidays)
    per_workday = np.is_busday(days, holidays=holidays).sum() / np.busday_count(days.min(), days.max(), holidays=holidays)
    assert per_holiday < per_workday / 3  # public holidays are quiet
    office = submitted.dt.hour.between(8, 17).mean()
    assert office > 0.7  # hour seasonality
    volumes = cases["procedure_code"].value_counts()
    assert volumes.max() > 20 * volumes.min()
    assert set(events["status"]) == {"submitted", "in_review", "awaiting_applicant", "approved", "rejected", "withdrawn"}
    closed_twice = events[events["status"].isin(["approved", "rejected", "withdrawn"])].groupby("case_id").size()
    assert (closed_twice > 1).sum() > 10  # a few reopened cases
    assert (cases["status"].isin(["submitted", "in_review", "awaiting_applicant"])).sum() > 100  # a live backlog


def test_some_procedures_are_chronically_late(catalog, history) -> None:
    events = history.events
    first = events.groupby("case_id")["at"].min()
    closed = events[events["status"] == "approved"].groupby("case_id")["at"].max()
    both = pd.DataFrame({"start": first, "end": closed}).dropna()
    both["bd"] = np.busday_count(
        both["start"].values.astype("datetime64[D]"),
        both["end"].values.astype("datetime64[D]"),
        holidays=holiday_dates([2025, 2026]),
    )
    both = both.join(history.cases.set_index("case_id")["procedure_code"])
    sla = catalog.set_index("code")["sla_days"]
    ratio = both.groupby("procedure_code")["bd"].median() / sla
    assert ratio.loc["CEET-MT"] > 1.2 and ratio.loc["CEET-ABO"] < 1


@pytest.fixture
def demo_settings(tmp_path, catalog):
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "data" / "procedures.csv", tmp_path / "data" / "procedures.csv")
    build_demo(tmp_path / "data" / "demo", catalog, now=NOW, seed=3, n_cases=3000)
    return load_settings(ROOT / "config" / "demo.toml", base_dir=tmp_path)


def test_demo_sources_map_into_the_store(demo_settings, catalog, sqlite_store, tmp_path) -> None:
    collector = Collector(demo_settings, sqlite_store, catalog)
    results = {r.source: r for r in collector.poll_all()}
    portail = sqlite3.connect(tmp_path / "data" / "demo" / "portail.db")
    ceet = sqlite3.connect(tmp_path / "data" / "demo" / "ceet.db")
    assert results["portail"].new_cases == portail.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0] - 3
    assert results["ceet"].new_cases == ceet.execute("SELECT COUNT(*) FROM REQ_MASTER").fetchone()[0]
    assert results["ceet"].new_events == ceet.execute("SELECT COUNT(*) FROM REQ_STATUS_LOG").fetchone()[0] - 3
    assert dict(results["portail"].quarantined) == {"unknown_procedure": 2, "bad_submitted_at": 1}
    assert dict(results["ceet"].quarantined) == {"unknown_status": 2, "unknown_case": 1}
    frames = Reader(sqlite_store.engine).frames()
    assert set(frames.cases["region"]) == {"Maritime", "Plateaux", "Centrale", "Kara", "Savanes"}
    assert set(frames.cases["channel"]) == {"online", "counter"}
    assert set(frames.cases.loc[frames.cases["source"] == "ceet", "procedure_code"]) <= set(
        catalog.loc[catalog["service"] == "CEET", "code"]
    )
    collector.close()


def test_simulator_moves_the_demo_and_the_collector_follows(demo_settings, catalog, sqlite_store, tmp_path) -> None:
    collector = Collector(demo_settings, sqlite_store, catalog)
    collector.poll_all()
    before = Reader(sqlite_store.engine).frames()
    ticks = iter(range(10_000))
    sim = Simulator(tmp_path / "data" / "demo", catalog, seed=1, now=lambda: NOW + dt.timedelta(minutes=5, seconds=next(ticks)))
    written = [sim.step() for _ in range(8)]
    assert sum(w["portail"] + w["ceet"] for w in written) > 5
    results = collector.poll_all()
    assert all(r.error is None for r in results)
    # Every simulated event lands, or is parked because its case is one of the demo's deliberately bad ones.
    parked = sum(r.quarantined.get("unknown_case", 0) for r in results)
    assert sum(r.new_events for r in results) + parked == sum(w["portail"] + w["ceet"] for w in written)
    after = Reader(sqlite_store.engine).frames()
    assert after.version > before.version and len(after.events) > len(before.events)
    reasons = set(sqlite_store.quarantine_counts()["reason"])
    assert reasons <= {"unknown_procedure", "bad_submitted_at", "unknown_status", "unknown_case"}
    collector.close()


PACE_CASES = 20_000


def test_new_cases_are_paced_like_the_history_by_weekday_and_hour(catalog) -> None:
    """The live rate is the history's own: a Thursday at 10:00 sees about twenty times a Saturday at 22:00, and
    over the year the history holds as many cases in those hours as the pacing expects."""
    holidays = holiday_dates([2025, 2026])
    pace = {"n_cases": PACE_CASES, "days": 365, "end": NOW.date(), "holidays": holidays}
    weekday_10 = cases_per_hour(dt.datetime(2026, 11, 19, 10), **pace)  # noqa: DTZ001 - naive Lomé time
    saturday_22 = cases_per_hour(dt.datetime(2026, 11, 14, 22), **pace)  # noqa: DTZ001
    assert weekday_10 > 20 * saturday_22 > 0
    live = cases_per_hour(dt.datetime(2026, 11, 26, 10), **pace)  # noqa: DTZ001 - after the history: its last days' rate
    assert live == pytest.approx(weekday_10 * 1.25 / (0.75 + 0.5 * 364 / 365), rel=1e-3)

    history = generate_history(catalog, n_cases=PACE_CASES, now=NOW, holidays=holidays, seed=11)
    submitted = pd.to_datetime(history.cases["submitted_at"])
    hours = submitted.dt.floor("h").value_counts()
    span = pd.date_range(NOW.date() - dt.timedelta(days=365), NOW.date() - dt.timedelta(days=1), freq="D")
    for weekday, hour in ((3, 10), (5, 22)):  # every Thursday at 10:00, every Saturday at 22:00
        moments = [d + pd.Timedelta(hours=hour) for d in span if d.day_of_week == weekday]
        expected = sum(cases_per_hour(m.to_pydatetime(), **pace) for m in moments)
        seen = sum(int(hours.get(m, 0)) for m in moments)
        assert abs(seen - expected) <= 4 * np.sqrt(expected) + 1, (weekday, hour, seen, expected)


def test_simulator_adds_cases_at_the_hours_pace_and_keeps_moving(demo_settings, catalog, tmp_path) -> None:
    """An hour of ticks every 4 s: a Thursday morning adds about the history's rate of cases; a Saturday night
    almost none and closes nothing, yet its status changes keep the wall moving."""
    demo = tmp_path / "data" / "demo"
    holidays = holiday_dates(range(2024, 2029))

    def run_hour(start: dt.datetime) -> tuple[int, int]:
        before = _cases(demo)
        ticks = iter(range(900))
        sim = Simulator(demo, catalog, seed=5, now=lambda: start + dt.timedelta(seconds=4 * next(ticks)))
        events = sum(sum(sim.step().values()) for _ in range(900))
        return _cases(demo) - before, events

    thursday = dt.datetime(2026, 11, 26, 10)  # noqa: DTZ001 - naive Lomé time
    added, events = run_hour(thursday)
    expected = cases_per_hour(thursday, n_cases=45_000, days=365, end=thursday.date(), holidays=holidays)
    assert 15 < expected < 40 and abs(added - expected) <= 4 * np.sqrt(expected), (added, expected)
    added, events = run_hour(dt.datetime(2026, 11, 28, 22))  # noqa: DTZ001
    assert added <= 5 and events > 300  # a few cases at most, and a status change every few seconds


def _cases(demo: Path) -> int:
    counts = []
    for file, table in (("portail.db", "dossiers"), ("ceet.db", "REQ_MASTER")):
        conn = sqlite3.connect(demo / file)
        counts.append(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 - constant names
        conn.close()
    return sum(counts)
