"""/api/kpis and `app.py kpis --json`: the same document, cached per data version, friendly errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from collectors.normalize import empty_quarantine
from dashboard import create_app
from domain.business_days import BusinessCalendar
from kpis.document import kpi_document
from service.kpi_service import KpiService
from store.reader import Reader
from store.writer import Batch
from tests.kpi_fixtures import frames
from tests.support import load_fixture, write_config

ROOT = Path(__file__).resolve().parent.parent




@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


@pytest.fixture
def client(service):
    return create_app(service.reader, service, service.now).server.test_client()


def test_api_serves_the_engine_document_and_caches_it(client, service, catalog) -> None:
    response = client.get("/api/kpis?as_of=2026-11-20T12:00:00Z&days=14")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    frames_ = service.reader.frames()
    expected = kpi_document(
        frames_.cases,
        frames_.events,
        catalog,
        {},
        as_of=pd.Timestamp("2026-11-20 12:00", tz="UTC"),
        days=14,
        calendar=BusinessCalendar("TG"),
    )
    assert body == json.loads(json.dumps(expected))
    assert body["by_service"]["CEET"]["backlog"] == 5 and body["overall"]["inflow"] == 8
    assert set(body["by_procedure"]) == set(catalog["code"])
    computed = service.computations
    for _ in range(5):
        assert client.get("/api/kpis?as_of=2026-11-20T12:00:00Z&days=14").get_json() == body
    assert service.computations == computed  # unchanged store: served from the cache


def test_new_data_version_recomputes(client, service, sqlite_store, clock) -> None:
    client.get("/api/kpis?as_of=2026-11-20T12:00:00Z")
    before = service.computations
    cases, _ = frames([{"case_id": "late", "procedure_code": "P", "submitted_at": "2026-11-19 09:00"}], [])
    sqlite_store.commit_batch(
        Batch(
            source="src",
            cases=cases.drop(columns=["source", "deleted_at", "version"]).assign(procedure_code="CEET-ABO"),
            events=cases.iloc[0:0],
            quarantine=empty_quarantine(),
            watermarks={},
        ),
        clock.now,
    )
    body = client.get("/api/kpis?as_of=2026-11-20T12:00:00Z").get_json()
    assert service.computations == before + 1 and body["overall"]["backlog"] == 7


@pytest.mark.parametrize(
    ("query", "word"), [("as_of=demain", "as_of"), ("days=0", "days"), ("days=sept", "days"), ("as_of=2026-02-30", "as_of")]
)
def test_bad_parameters_get_a_400_with_a_message(client, query: str, word: str) -> None:
    response = client.get(f"/api/kpis?{query}")
    assert response.status_code == 400
    assert f"{word} invalide" in response.get_json()["error"]


def test_default_is_now_and_seven_days(client, clock) -> None:
    body = client.get("/api/kpis").get_json()
    assert body["as_of"] == clock.now.isoformat() and body["window_days"] == 7


def test_cli_prints_the_same_document(tmp_path, sqlite_store, clock, sqlite_source, service) -> None:
    url, _ = sqlite_source
    config = write_config(tmp_path, str(sqlite_store.engine.url), url)
    result = subprocess.run(
        [sys.executable, "app.py", "kpis", "--config", str(config), "--as-of", "2026-11-20T12:00:00", "--days", "14", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(service.document(pd.Timestamp("2026-11-20T12:00Z"), 14)))
    bad = subprocess.run(
        [sys.executable, "app.py", "kpis", "--config", str(config), "--as-of", "hier", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "as_of invalide" in bad.stderr


def test_series_endpoints(client, catalog) -> None:
    at = "as_of=2026-11-20T12:00:00Z"
    daily = client.get(f"/api/series/daily?{at}&days=20&by=overall").get_json()
    last = daily["rows"][-1]
    assert last == {
        "date": "2026-11-20",
        "group": "Tous",
        "inflow": 0,
        "outflow": 0,
        "backlog": 6,  # T itself: next window
        "median_processing_days": None,
        "sla_compliance_pct": None,
    }
    by_day = {r["date"]: r for r in daily["rows"]}
    # 10/11: c2 closed (8.0 days, late); 12/11: c1 closed (3.0 days, on time)
    assert (by_day["2026-11-10"]["median_processing_days"], by_day["2026-11-10"]["sla_compliance_pct"]) == (8.0, 0.0)
    assert (by_day["2026-11-12"]["median_processing_days"], by_day["2026-11-12"]["sla_compliance_pct"]) == (3.0, 100.0)
    by_service = client.get(f"/api/series/daily?{at}&days=20").get_json()["rows"]
    assert {r["group"] for r in by_service} == set(catalog["service"])  # every service, even without cases
    assert sum(r["backlog"] for r in by_service if r["date"] == "2026-11-20") == 6
    risk = client.get(f"/api/cases/at-risk?{at}").get_json()["cases"]
    assert [c["case_id"] for c in risk] == ["c9d", "c6", "c3", "c12"]
    assert risk[0]["breached"] is True and risk[0]["due_date"] == "2026-11-14"
    assert risk[-1]["due_soon"] is True and risk[-1]["agent"] is None
    processing = client.get(f"/api/series/processing?{at}&days=14").get_json()["by_procedure"]
    assert processing["CEET-ABO"]["count"] == 4 and processing["CEET-ABO"]["quantiles"]["p50"] == 2.5
    assert processing["MIN-CAR"]["quantiles"]["p90"] is None
    trend = client.get(f"/api/series/trend?{at}&weeks=2").get_json()["rows"]
    assert [r["period"] for r in trend] == ["current", "current", "previous", "previous"]
    assert trend[0]["backlog"] == 6


@pytest.mark.parametrize(
    "path",
    [
        "/api/series/daily?by=region",
        "/api/series/daily?days=x",
        "/api/cases/at-risk?horizon=0",
        "/api/series/trend?weeks=99",
        "/api/series/processing?as_of=hier",
    ],
)
def test_series_bad_parameters_get_400(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400 and "invalide" in response.get_json()["error"]


def test_a_poll_updates_the_history_without_a_rebuild(service, sqlite_store, clock) -> None:
    before = service.document(pd.Timestamp("2026-11-30T00:00Z"), 7)
    assert service.rebuilds == 1
    cases, events = frames(
        [{"case_id": "new", "procedure_code": "P", "submitted_at": "2026-11-25 09:00"}],
        [("new", "submitted", "2026-11-25 09:00"), ("c3", "approved", "2026-11-25 10:00")],
    )
    sqlite_store.commit_batch(
        Batch(
            source="src",
            cases=cases.drop(columns=["source", "deleted_at", "version"]).assign(procedure_code="CEET-ABO"),
            events=events[["case_id", "status", "at", "seq"]],
            quarantine=empty_quarantine(),
            watermarks={},
        ),
        clock.now,
    )
    after = service.document(pd.Timestamp("2026-11-30T00:00Z"), 7)
    assert service.rebuilds == 1  # updated from the poll's rows
    assert after["overall"]["inflow"] == before["overall"]["inflow"] + 1
    assert after["overall"]["outflow"] == before["overall"]["outflow"] + 1
    frames_ = service.reader.frames()
    from_scratch = kpi_document(
        frames_.cases,
        frames_.events,
        service.catalog,
        {},
        as_of=pd.Timestamp("2026-11-30T00:00Z"),
        days=7,
        calendar=BusinessCalendar("TG"),
    )
    assert after == from_scratch


def test_cli_collect_polls_sources_before_computing(tmp_path, sqlite_source) -> None:
    from tests.factories import add_case, naive

    url, engine = sqlite_source
    t = naive(2026, 11, 20, 10)
    add_case(engine, "A", t, proc="CEET-ABO", events=(("DEP", t),))
    add_case(engine, "B", t, proc="CEET-ABO", events=(("DEP", t), ("OK", naive(2026, 11, 21, 10))))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    args = [sys.executable, "app.py", "kpis", "--config", str(config), "--as-of", "2026-11-25T00:00:00Z", "--json"]
    without = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert without.returncode == 0 and json.loads(without.stdout)["overall"]["backlog"] == 0  # nothing collected yet
    collected = subprocess.run([*args, "--collect"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    overall = json.loads(collected.stdout)["overall"]
    assert (overall["backlog"], overall["outflow"], overall["approved"]) == (1, 1, 1)
