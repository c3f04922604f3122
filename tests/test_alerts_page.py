"""/alertes and /api/alerts on the real app: viewers read, managers take in charge, admins see what was sent;
every refusal is made on the server (forged callback bodies and direct POSTs included)."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.evaluate import AlertEvaluator
from dashboard.pages import alerts as page
from domain.alert_settings import AlertContact, AlertRule, AlertSettings
from domain.business_days import BusinessCalendar
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.reader import Reader
from tests.support import call, ids_in, login, secured_app, texts

ROUTER = ".._pages_content.children..._pages_store.data.."
SETTINGS = AlertSettings(
    enabled=True,
    contacts=(AlertContact("salle"),),
    rules=(
        AlertRule("stock", "backlog", "service", ">", 0.0, ("salle",), severity="critical"),
        AlertRule("retard", "breached_open", "overall", ">", -1.0, ("salle",)),
    ),
)
ACK = f"..alerts-done.data...{page.MESSAGE}.children.."


@pytest.fixture
def app(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    app = secured_app(sqlite_store, catalog, clock, alerts=SETTINGS)
    reader = Reader(sqlite_store.engine, now=clock)
    kpis = KpiService(reader, catalog, BusinessCalendar("TG"), clock)
    AlertEvaluator(
        SETTINGS, kpis, reader, AlertStore(sqlite_store.engine), catalog, BusinessCalendar("TG"), "http://x", clock
    ).run()
    app.alert_store = AlertStore(sqlite_store.engine)
    return app


def _open(client, path: str = "/alertes"):  # type: ignore[no-untyped-def]
    address = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    answer = call(client, ROUTER, address, state=address)
    assert answer.status_code == 200
    return answer.get_json()


def _tap(client, alert_id: int, comment: str = "", until: str = ""):  # type: ignore[no-untyped-def]
    """The « Je prends en charge » button of one card, as the browser sends it."""
    inputs, state = _ack_body(alert_id, comment, until)
    changed = ['{"index":' + str(alert_id) + ',"type":"' + page.ACK_BUTTON + '"}.n_clicks']
    return call(client, ACK, inputs, state=state, changed=changed)


def _ack_body(alert_id: int, comment: str = "", until: str = "") -> tuple[list[dict], list[dict]]:
    inputs = [[{"id": {"type": page.ACK_BUTTON, "index": alert_id}, "property": "n_clicks", "value": 1}]]
    state = [
        [{"id": {"type": page.ACK_COMMENT, "index": alert_id}, "property": "value", "value": comment}],
        [{"id": {"type": page.ACK_UNTIL, "index": alert_id}, "property": "value", "value": until}],
    ]
    return inputs, state


def _firing(app) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(r.id for r in app.alert_store.records().values() if r.state == "firing")


def test_a_viewer_reads_the_alerts_but_cannot_take_one_in_charge(app) -> None:
    client = login(app, "lea")
    shown = _open(client)
    words = texts(shown)
    assert "Alertes" in words and "Non pris en charge" in words
    assert not any(isinstance(i, dict) and i.get("type") == page.ACK_BUTTON for i in ids_in(shown))
    assert "Journal des envois" not in words and page.NOTE_BUTTON not in ids_in(shown)
    alert_id = _firing(app)[0]
    forged = _tap(client, alert_id)
    assert forged.status_code == 403
    note = call(client, f"..{page.NOTE_RESULT}.children...{page.NOTE_TEXT}.value..",
                [{"id": page.NOTE_BUTTON, "property": "n_clicks", "value": 1}],
                state=[{"id": page.NOTE_TEXT, "property": "value", "value": "x"},
                       {"id": page.NOTE_SCOPE, "property": "value", "value": "overall"}])  # fmt: skip
    assert note.status_code == 403
    api = client.post(
        f"/api/alerts/{alert_id}/ack", json={"comment": "x"}, headers={"X-CSRFToken": client.get_cookie("_csrf_token").value}
    )
    assert api.status_code == 403
    assert app.alert_store.record(alert_id).ack_by is None
    listed = client.get("/api/alerts")
    assert listed.status_code == 200 and {r["id"] for r in listed.get_json()} >= set(_firing(app))


def test_a_manager_takes_an_alert_in_charge_in_one_tap(app) -> None:
    client = login(app, "marc")
    shown = _open(client)
    buttons = [i["index"] for i in ids_in(shown) if isinstance(i, dict) and i.get("type") == page.ACK_BUTTON]
    assert sorted(buttons) == _firing(app)
    assert "Journal des envois" not in texts(shown)
    alert_id = buttons[0]
    answer = _tap(client, alert_id, "équipe CEET sur place", "31/12/2026")
    assert answer.status_code == 200
    assert f"Alerte n° {alert_id} prise en charge par marc." in texts(answer.get_json())
    record = app.alert_store.record(alert_id)
    assert (record.ack_by, record.ack_comment) == ("marc", "équipe CEET sur place")
    assert record.ack_until == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)  # the end of 31 Dec in Lomé
    other = buttons[1]
    again = _tap(client, other, "", "hier")
    assert any("illisible" in t for t in texts(again.get_json()))
    assert app.alert_store.record(other).ack_by is None
    shown = _open(client)
    assert "Pris en charge par marc — « équipe CEET sur place »" in texts(shown)


def test_the_ack_endpoint_for_managers(app) -> None:
    client = login(app, "marc")
    token = client.get_cookie("_csrf_token").value
    alert_id = _firing(app)[-1]
    done = client.post(
        f"/api/alerts/{alert_id}/ack", json={"comment": "vu", "until": "2026-12-31"}, headers={"X-CSRFToken": token}
    )
    assert done.status_code == 200 and done.get_json()["acknowledged_by"] == "marc"
    assert client.post("/api/alerts/999999/ack", json={}, headers={"X-CSRFToken": token}).status_code == 404
    bad = client.post(f"/api/alerts/{alert_id}/ack", json={"until": "demain"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and "illisible" in bad.get_json()["error"]
    assert client.post(f"/api/alerts/{alert_id}/ack", json={}).status_code == 400  # no CSRF token
    rows = {r["id"]: r for r in client.get("/api/alerts").get_json()}
    assert (rows[alert_id]["acknowledged_by"], rows[alert_id]["comment"]) == ("marc", "vu")


def test_an_admin_also_sees_the_delivery_log(app) -> None:
    client = login(app, "ada")
    words = texts(_open(client))
    assert "Journal des envois" in words and "salle" in words


def test_nobody_logged_in_gets_nothing(app) -> None:
    client = app.server.test_client()
    assert client.get("/api/alerts").status_code == 401
