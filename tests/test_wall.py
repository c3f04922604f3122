"""The wall's callbacks and figure builders, called as plain functions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from alerts.actions import acknowledge
from alerts.evaluate import AlertEvaluator
from dashboard.figures import alerts_by_procedure, backlog_age_by_service, delays_by_procedure, flows_by_service
from dashboard.pages.alerts import AlertsPage
from dashboard.pages.wall import VIEWS, freshness, playlist, refresh
from dashboard.pages.wall_alerts import due_words, new_alerts, snapshot
from dashboard.pages.wall_views import overview, views
from domain.alert_settings import AlertContact, AlertRule, AlertSettings
from domain.business_days import BusinessCalendar
from domain.french import fr_duration, fr_number
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.audit import AuditLog
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
            "vue inconnue « nope » (vues : ensemble, structures, regions, delais, alertes) : rotation normale",
        ),
        (
            "?view=inconnue",
            list(VIEWS),
            20,
            "vue inconnue « inconnue » (vues : ensemble, structures, regions, delais, alertes) : rotation normale",
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
    ensemble, structures, regions, delais, alertes = views(service, service.catalog)
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


ALERTS = AlertSettings(
    enabled=True,
    contacts=(AlertContact("salle"),),
    rules=(
        AlertRule("stock", "backlog", "procedure", ">", 0.0, ("salle",), groups=("CEET-ABO", "MIN-EXP"), severity="critical"),
        AlertRule("hors-delai", "breached_open", "service", ">", 0.0, ("salle",)),
    ),
)


@pytest.fixture
def alert_page(service, sqlite_store, catalog, clock) -> AlertsPage:
    return AlertsPage(ALERTS, AlertStore(sqlite_store.engine), AuditLog(sqlite_store.engine), catalog, clock)


def evaluate(service, page: AlertsPage) -> None:  # type: ignore[no-untyped-def]
    """One run of the collector's evaluator over the fixture: the rules' alerts fire at once (for_minutes 0)."""
    AlertEvaluator(page.settings, service, service.reader, page.store, service.catalog, BusinessCalendar("TG"), "http://x",
                   page.now).run()  # fmt: skip


def firing_id(page: AlertsPage, group: str) -> int:
    return next(r.id for r in page.store.records().values() if r.group == group and r.state == "firing")


def test_the_alertes_view_lists_firing_alerts_and_who_took_them_in_charge(service, alert_page, clock) -> None:
    evaluate(service, alert_page)
    clock.now += dt.timedelta(hours=2, minutes=5)
    active = snapshot(alert_page)
    assert sorted((a["group"], a["state"]) for a in active) == [("CEET", "firing"), ("CEET-ABO", "firing"), ("MIN-EXP", "firing")]
    *_, alertes = views(service, service.catalog, active=active)
    shown = strings(find(alertes, id="wall-active-alerts"))
    names = dict(zip(service.catalog["code"], service.catalog["name"], strict=True))
    assert "Alertes en cours (3)" in shown and f"CEET-ABO — {names['CEET-ABO']}" in shown and "CEET" in shown
    assert "5 dossiers en cours — seuil 0" in shown and "critique" in shown and "avertissement" in shown
    assert shown.count("depuis " + fr_duration(2 * 3600 + 5 * 60)) == 3  # « depuis 2 h 05 »
    assert shown.count("⚠ non pris en charge") == 3 and "pris en charge par" not in shown
    assert "Aucune alerte en cours" not in str(alertes)
    assert "Échéance dans les 5 jours ouvrés (3)" in strings(find(alertes, id="wall-due"))  # the rest stays below

    acknowledge(alert_page.store, alert_page.audit, firing_id(alert_page, "CEET-ABO"), "marc", "A. Mensah appelé", None,
                clock.now)  # fmt: skip
    active = snapshot(alert_page)
    assert active[-1]["group"] == "CEET-ABO"  # those nobody has taken in charge come first
    *_, alertes = views(service, service.catalog, active=active)
    shown = strings(find(alertes, id="wall-active-alerts"))
    assert "✔ pris en charge par marc" in shown and shown.count("⚠ non pris en charge") == 2
    assert "Mensah" not in str(alertes)  # the comment is free text: it stays on /alertes
    *_, english = views(service, service.catalog, lang="en", active=snapshot(alert_page))
    assert "taken in charge by marc" in strings(english) and "not taken in charge" in strings(english)


def test_without_alerts_or_with_none_firing_the_view_says_so(service, alert_page) -> None:
    for active in (None, snapshot(alert_page)):
        assert active in (None, [])
        *_, alertes = views(service, service.catalog, active=active)
        assert strings(find(alertes, id="wall-active-alerts")) == "✔ Aucune alerte en cours"
        assert find(alertes, id="wall-due") is not None  # the counts, chart and due cases are still there
    off = AlertsPage(AlertSettings(), alert_page.store, alert_page.audit, service.catalog, alert_page.now)
    assert snapshot(off) is None


def test_alerts_needing_someone_come_first_and_the_list_stays_short() -> None:
    from dashboard.pages.wall_alerts import SHOWN_ALERTS, active_panel

    def alert(n: int, state: str = "firing", taken_by: str | None = None) -> dict[str, Any]:
        return {"key": f"{n}@x", "id": n, "state": state, "severity": "warning", "rule": "r", "scope": "source",
                "group": f"s{n}", "metric": "quarantine_open", "value": 3.0, "threshold": 1.0, "days": 7,
                "since": "2026-11-20T12:00:00+00:00", "minutes": 0, "taken_by": taken_by}  # fmt: skip

    active = [alert(i) for i in range(SHOWN_ALERTS + 2)]
    shown = strings(active_panel(active, {}))
    assert f"Alertes en cours ({SHOWN_ALERTS + 2})" in shown and shown.endswith("+ 2 autres alertes sur /alertes")
    assert "Source s0" in shown and "3 lignes en quarantaine — seuil 1" in shown and "depuis <\u202f1\u202fmin" in shown
    assert "Source s6" not in shown and "+ 1 autre alerte sur /alertes" in strings(active_panel(active[:-1], {}))


def test_due_dates_past_today_and_coming_read_differently(service) -> None:
    today = dt.date(2026, 11, 20)
    assert due_words(pd.Timestamp("2026-11-14"), today) == "dépassée depuis le 14 nov. 2026"
    assert due_words(pd.Timestamp("2026-11-20"), today) == "aujourd'hui"
    assert due_words(pd.Timestamp("2026-11-24"), today) == "le 24 nov. 2026"
    assert due_words(pd.Timestamp("2026-11-24"), today, "en") == "on 24 Nov 2026"
    *_, alertes = views(service, service.catalog)
    due = find(alertes, id="wall-due")
    assert "Dépassé le" not in str(alertes) and "Échéance" in strings(due)
    rows = [strings(row) for row in due.children[-1].children[-1].children]  # the due table's body
    assert rows == ["c6CEET-ABOle 24 nov. 20264 / 5 j", "c3CEET-ABOle 24 nov. 20264 / 5 j", "c12CEET-ABOle 26 nov. 20262 / 5 j"]


def test_takeover_only_for_a_new_firing_alert_nobody_took_in_charge(service, alert_page, clock) -> None:
    catalog = service.catalog
    breaches_seen = {code: 0 for code in catalog["code"]}  # with alerts on, new breaches alone take nothing over

    def rebuild(active, seen):  # type: ignore[no-untyped-def]
        *content, _breaches, takeover, seen_after, _text, _digests = refresh(
            service, catalog, True, 3, active, breaches_seen, seen, None, None
        )
        return content[-1], takeover, seen if seen_after is no_update else seen_after

    _, takeover, seen = rebuild(snapshot(alert_page), None)  # the screen's first load: nothing is news
    assert takeover is no_update and seen == []
    evaluate(service, alert_page)  # three alerts start firing...
    acknowledge(alert_page.store, alert_page.audit, firing_id(alert_page, "CEET-ABO"), "marc", None, None, clock.now)
    acknowledge(alert_page.store, alert_page.audit, firing_id(alert_page, "CEET"), "marc", None, None, clock.now)
    active = snapshot(alert_page)  # ...two taken in charge before the screen's next tick
    names = dict(zip(catalog["code"], catalog["name"], strict=True))
    alertes, takeover, seen = rebuild(active, seen)
    new = f"MIN-EXP — {names['MIN-EXP']}"
    assert takeover["alerts"] == [new] and takeover["id"] == f"{firing_id(alert_page, 'MIN-EXP')}@2026-11-20T12:00:00+00:00"
    assert f"⚠ Nouvelle alerte : {new}" in strings(alertes) and "Nouveaux dépassements" not in strings(alertes)
    assert sorted(seen) == sorted(a["key"] for a in active)
    again, takeover, seen = rebuild(active, seen)  # already shown: no second takeover
    assert takeover is no_update and "Nouvelle alerte" not in strings(again)
    _, takeover, _ = rebuild(active, None)  # a screen opened now sees them firing, without a takeover
    assert takeover is no_update
    # the same alert firing again later is a new episode: news again
    refired = [dict(a, key=f"{a['id']}@2026-11-21T08:00:00+00:00") if a["group"] == "MIN-EXP" else a for a in active]
    assert [a["group"] for a in new_alerts(seen, refired)] == ["MIN-EXP"]


def test_with_alerts_off_new_breaches_still_take_over(service) -> None:
    *content, breaches, takeover, seen, text, _ = refresh(service, service.catalog, False, 7, None, {}, None, None, None)
    assert takeover == {"id": 7, "procedures": ["CEET-ABO"]} and breaches["CEET-ABO"] == 1 and text == "7"
    assert seen is no_update and "⚠ Nouveaux dépassements : CEET-ABO" in strings(content[-1])
    *_, takeover, _, _, _ = refresh(service, service.catalog, False, 8, None, breaches, None, None, None)
    assert takeover is no_update


def test_the_alert_feed_runs_only_with_alerts_on(sqlite_store, catalog, clock) -> None:
    from tests.support import secured_app

    assert not any(key.startswith("wall-alerts") for key in secured_app(sqlite_store, catalog, clock).callback_map)


def test_stacked_bars_carry_their_counts_outside() -> None:
    figure = alerts_by_procedure({"P": {"breached_open": 2, "at_risk_open": 1}, "R": {"breached_open": 0, "at_risk_open": 4}})
    bars = [t for t in figure.data if t.type == "bar"]
    assert all(t.text is None for t in bars)  # nothing drawn inside a thin segment
    counts = next(t for t in figure.data if t.type == "scatter")
    assert list(counts.y) == ["R", "P"] and list(counts.text) == [" ▲ 4", " ✖ 2  ▲ 1"] and list(counts.x) == [4, 3]


def strings(tree: object) -> str:
    """The text a component tree shows, concatenated in order."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, list | tuple):
        return "".join(strings(child) for child in tree)
    if hasattr(tree, "to_plotly_json"):
        return strings(getattr(tree, "children", None))
    return ""


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
