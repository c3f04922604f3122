"""The wall's callbacks and figure builders, called as plain functions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dashboard.figures import alerts_by_procedure, backlog_age_by_service, delays_by_procedure, flows_by_service
from dashboard.pages.wall import VIEWS, freshness, overview, playlist, views
from domain.business_days import BusinessCalendar
from domain.french import fr_number
from service.kpi_service import KpiService
from store.reader import Reader
from tests.factories import csrf_headers
from tests.support import load_fixture


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


@pytest.mark.parametrize(
    ("search", "views_", "period", "error"),
    [
        ("", list(VIEWS), 20, None),
        ("?view=alertes", ["alertes"], 20, None),
        ("?views=delais,ensemble&period=45", ["delais", "ensemble"], 45, None),
        (
            "?views=nope&period=2",
            list(VIEWS),
            5,
            "vue inconnue « nope » (vues : ensemble, structures, delais, alertes) : rotation normale",
        ),
        (
            "?view=inconnue",
            list(VIEWS),
            20,
            "vue inconnue « inconnue » (vues : ensemble, structures, delais, alertes) : rotation normale",
        ),
        ("?period=abc", list(VIEWS), 20, None),
    ],
)
def test_playlist_from_the_screen_url(search, views_, period, error) -> None:
    assert playlist(search) == {"views": views_, "period": period, "tick": 5, "lang": "fr", "error": error}
    assert playlist(search + "&tick=1")["tick"] == 1 and playlist("?tick=0")["tick"] == 1


def test_freshness_chips_banner_and_staleness() -> None:
    health = pd.DataFrame(
        {
            "source": ["a", "b", "c"],
            "state": ["ok", "stale", "down"],
            "lag_seconds": [3.0, 200.0, math.nan],
            "last_success_at": [pd.Timestamp("2026-11-20 10:00", tz="UTC")] * 2 + [pd.NaT],
        }
    )
    chips, banner, stale = freshness(health)
    assert [c.children for c in chips] == ["a ● il y a 3 s", "b ▲ il y a 3 min", "c ✖ jamais"]
    assert [c.className for c in chips] == ["chip state-ok", "chip state-stale", "chip state-down"]
    assert stale and len(banner) == 1 and "« c » en panne" in banner[0].children
    _, no_banner, fresh = freshness(health.iloc[:1])
    assert no_banner is None and not fresh


def test_views_show_the_engine_numbers(service) -> None:
    ensemble, structures, delais, alertes = views(service, service.catalog)
    doc = service.document(None, 7)
    backlog = find(ensemble, id="tile-backlog", className="value")
    assert backlog.children == fr_number(doc["overall"]["backlog"])
    assert "Agent" not in str(alertes) and "A. Mensah" not in str(alertes)  # no personal data on the wall
    assert len(structures[0].children) == 3 and len(delais) == 1


def test_overview_compares_with_the_previous_window() -> None:
    metrics = {
        "backlog": 10,
        "backlog_waiting_applicant": 2,
        "inflow": 5,
        "outflow": 4,
        "median_processing_days": 3.5,
        "sla_compliance_pct": 80.0,
        "breached_open": 1,
        "at_risk_open": 2,
    }
    before = dict(metrics, backlog=7, median_processing_days=None)
    daily = pd.DataFrame(
        {
            "inflow": [1, 2],
            "outflow": [0, 1],
            "backlog": [9, 10],
            "median_processing_days": [None, 2.0],
            "sla_compliance_pct": [None, 100.0],
        }
    )
    tiles = overview({"overall": metrics}, {"overall": before}, daily, [])
    assert find(tiles, id="tile-backlog", className="delta").children == "+3"
    assert find(tiles, id="tile-median", className="delta").children == "—"  # nothing to compare with
    assert "alert" in find(tiles, id="tile-breached").className


def test_figures_carry_labels_not_only_colours() -> None:
    by_service = {
        "CEET": {"inflow": 10, "outflow": 7, "backlog": 5, "backlog_age": {"0-7": 3, "8-30": 2, "31-90": 0, "91+": 0}},
        "Direction générale de l'énergie": {
            "inflow": 2,
            "outflow": 3,
            "backlog": 1,
            "backlog_age": {"0-7": 1, "8-30": 0, "31-90": 0, "91+": 0},
        },
    }
    flows = flows_by_service(by_service, 7)
    assert [t.name for t in flows.data] == ["Entrées", "Sorties"] and list(flows.data[0].y) == ["DG Énergie", "CEET"]
    assert list(flows.data[0].text) == ["2", "10"]
    assert [t.name for t in backlog_age_by_service(by_service).data] == ["0-7 j", "8-30 j", "31-90 j", "91+ j"]
    processing = {
        "P": {"count": 4, "business_days_median": 6.0, "business_days_p90": 9.0, "sla_days": 5},
        "Q": {"count": 0, "business_days_median": None, "business_days_p90": None, "sla_days": 10},
    }
    delays = delays_by_procedure(processing, {"P": "Procédure P"})
    assert delays.data[2].marker.symbol == "diamond" and list(delays.data[2].x) == [5]
    assert not delays.layout.annotations
    nothing = delays_by_procedure({"Q": processing["Q"]}, {}, lang="en")  # no closure in 90 days: said, not blank
    assert [a.text for a in nothing.layout.annotations] == ["No case closed in the last 90 days"]
    alerts = alerts_by_procedure({"P": {"breached_open": 2, "at_risk_open": 1}, "Q": {"breached_open": 0, "at_risk_open": 0}})
    assert list(alerts.data[0].y) == ["P"] and alerts.data[0].name.startswith("✖")


def test_new_breaches_are_the_procedures_that_got_worse() -> None:
    from dashboard.pages.wall import new_breaches

    assert new_breaches(None, {"A": 3}) == []  # a screen's first load is not news
    assert new_breaches({"A": 3, "B": 0}, {"A": 3, "B": 1, "C": 2}) == ["B", "C"]
    assert new_breaches({"A": 3}, {"A": 2}) == []


def test_alerts_view_highlights_new_breaches(service) -> None:
    *_, alertes = views(service, service.catalog, ["CEET-ABO"])
    assert "⚠ Nouveaux dépassements : CEET-ABO" in str(alertes)
    *_, calm = views(service, service.catalog, [])
    assert "Nouveaux dépassements" not in str(calm)


def test_heartbeats_are_recorded_and_silent_screens_listed(sqlite_store, clock) -> None:
    import datetime as dt

    from dashboard.screens import HeartbeatError, list_screens, record_heartbeat

    record_heartbeat(
        sqlite_store.engine,
        {"screen": "salle-1", "view": "Alertes", "version": 7},
        now=clock.now,
        address="10.0.0.8",
        user_agent="TV",
    )
    record_heartbeat(
        sqlite_store.engine,
        {"screen": "salle-2", "view": "Délais", "version": 7},
        now=clock.now - dt.timedelta(minutes=5),
        address=None,
        user_agent=None,
    )
    record_heartbeat(
        sqlite_store.engine,
        {"screen": "salle-1", "view": "Délais", "version": 8},
        now=clock.now,
        address="10.0.0.8",
        user_agent="TV",
    )
    screens = list_screens(sqlite_store.engine, clock.now + dt.timedelta(seconds=10)).set_index("name")
    assert list(screens.index) == ["salle-1", "salle-2"]
    assert (screens.loc["salle-1", "view"], screens.loc["salle-1", "data_version"]) == ("Délais", 8)
    assert not screens.loc["salle-1", "silent"] and screens.loc["salle-2", "silent"]
    for bad in ({"screen": ""}, {"screen": "<script>"}, {"screen": "ok", "version": "7"}):
        with pytest.raises(HeartbeatError):
            record_heartbeat(sqlite_store.engine, bad, now=clock.now, address=None, user_agent=None)


def test_heartbeat_endpoint(service) -> None:
    from dashboard import create_app

    client = create_app(service.reader, service, service.now).server.test_client()
    headers = csrf_headers(client)
    assert (
        client.post("/api/screens/heartbeat", json={"screen": "hall", "view": "Alertes", "version": 1}).status_code == 400
    )  # no token
    assert (
        client.post(
            "/api/screens/heartbeat", json={"screen": "hall", "view": "Alertes", "version": 1}, headers=headers
        ).status_code
        == 200
    )
    assert client.post("/api/screens/heartbeat", json={"screen": ""}, headers=headers).status_code == 400
    assert client.post("/api/screens/heartbeat", data="pas du json", headers=headers).status_code == 400
    listed = client.get("/api/screens").get_json()["screens"]
    assert [s["name"] for s in listed] == ["hall"] and listed[0]["silent"] is False


def test_english_on_request() -> None:
    from dashboard.pages.wall import language
    from domain.french import fr_delta, fr_number
    from kpis.health import ago_fr

    assert (language("?lang=en"), language("?lang=de"), language("")) == ("en", "fr", "fr")
    assert fr_number(1234.5, 1, "j", lang="en") == "1,234.5\u202fd" and fr_delta(-2, lang="en") == "\u22122"
    assert ago_fr(5, "en") == "5 s ago"
    tiles = overview(
        {
            "overall": {
                "backlog": 1200,
                "backlog_waiting_applicant": 2,
                "inflow": 5,
                "outflow": 4,
                "median_processing_days": 3.5,
                "sla_compliance_pct": 80.0,
                "breached_open": 0,
                "at_risk_open": 2,
            }
        },
        {
            "overall": {
                "backlog": 1000,
                "backlog_waiting_applicant": 0,
                "inflow": 5,
                "outflow": 4,
                "median_processing_days": 3.0,
                "sla_compliance_pct": 80.0,
                "breached_open": 0,
                "at_risk_open": 0,
            }
        },
        pd.DataFrame(
            {"inflow": [1], "outflow": [1], "backlog": [1], "median_processing_days": [2.0], "sla_compliance_pct": [100.0]}
        ),
        [],
        "en",
    )
    text = str(tiles)
    assert "Open cases" in text and "1,200" in text and "vs previous 7 days" in text and "Stock" not in text


def test_screens_page_flags_silent_screens(sqlite_store, clock) -> None:
    import datetime as dt

    from dashboard.pages.screens import screens_table
    from dashboard.screens import list_screens, record_heartbeat

    record_heartbeat(
        sqlite_store.engine,
        {"screen": "hall", "view": "Alertes", "version": 3},
        now=clock.now,
        address="10.0.0.9",
        user_agent=None,
    )
    table = str(screens_table(list_screens(sqlite_store.engine, clock.now + dt.timedelta(minutes=3))))
    assert "hall" in table and "✖ silencieux" in table and "il y a 3 min" in table
    assert "Aucun écran" in str(screens_table(list_screens(sqlite_store.engine, clock.now).iloc[0:0]))


def test_changes_send_nothing_a_patch_or_the_whole_view(service) -> None:
    from dash import Patch, no_update

    from dashboard.pages.wall import changes

    content = views(service, service.catalog)
    first, digests = changes(content, None)
    assert all(part is not no_update for part in first)  # a screen's first load gets everything
    same, _ = changes(content, digests)
    assert all(part is no_update for part in same)  # nothing changed: nothing sent
    tiles = overview(
        {"overall": dict(service.document(None, 7)["overall"], backlog=999)},
        service.document(None, 7),
        service.daily(None, 30, None),
        [],
    )
    moved, _ = changes((tiles, *content[1:]), digests)
    assert isinstance(moved[0], Patch) and all(part is no_update for part in moved[1:])
    patched = moved[0].to_plotly_json()["operations"]
    assert {
        "operation": "Assign",
        "location": ["props", "children", 0, "props", "children", 1, "props", "children"],
        "params": {"value": "999"},
    } in patched


def test_breached_trend_is_exact_per_day_and_survives_late_rows(service, sqlite_store, clock) -> None:
    """Each day-end's breached count equals a fresh replay at that instant, also after a late event for a past day."""
    from collectors.normalize import empty_quarantine
    from kpis.case_state import state_at
    from store.watermark import Watermark
    from store.writer import Batch

    def expected() -> list[int]:
        history = service.history()
        today = pd.Timestamp(clock.now).normalize()
        ends = [today - pd.Timedelta(days=k) for k in range(29, 0, -1)]
        return [int(state_at(history, end).breached.sum()) for end in ends] + [int(service.state(None).breached.sum())]

    first = service.breached_daily(None, 30)
    assert first == expected() and len(first) == 30 and max(first) > 0
    # a late event: the case breached now is found approved on a past day (written only now)
    state = service.state(None)
    breached = state.frame(np.flatnonzero(state.breached))
    assert len(breached) == 1 and first[-1] == 1
    case_id = breached["case_id"].iloc[0]
    events = service.reader.frames().events
    last = events.loc[events["case_id"] == case_id, "at"].max()
    last = breached["submitted_at"].iloc[0] if pd.isna(last) else last  # a case without history yet
    today = pd.Timestamp(clock.now).normalize()
    when = max(last + pd.Timedelta(minutes=1), today - pd.Timedelta(days=3))
    assert when < today - pd.Timedelta(days=1)  # a past day, at least two day-ends before today
    late = pd.DataFrame({"case_id": [case_id], "status": ["approved"], "at": [when], "seq": pd.array([99], dtype="Int64")})
    batch = Batch(
        source="src",
        cases=pd.DataFrame(columns=["case_id"]).iloc[0:0],
        events=late,
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    sqlite_store.commit_batch(batch, clock.now)
    clock.now += dt.timedelta(minutes=1)
    rebuilds = service.rebuilds
    after = service.breached_daily(None, 30)
    assert service.rebuilds == rebuilds  # updated from the poll's rows, not rebuilt
    assert after == expected() and after[-2:] == [0, 0] and after[:-4] == first[:-4]


def find(tree: object, *, id: str, className: str | None = None) -> Any:  # noqa: A002 - Dash's own prop name
    """The component with ``id`` (and, within it, the first with ``className``): tests find by id, never by path."""

    def walk(node: object) -> Iterator[Any]:
        if isinstance(node, list | tuple):
            for child in node:
                yield from walk(child)
        elif hasattr(node, "to_plotly_json"):
            yield node
            yield from walk(getattr(node, "children", None))

    root = next((n for n in walk(tree) if getattr(n, "id", None) == id), None)
    assert root is not None, f"no component with id {id}"
    if className is None:
        return root
    found = next((n for n in walk(root) if className in (getattr(n, "className", None) or "").split()), None)
    assert found is not None, f"no .{className} in #{id}"
    return found
