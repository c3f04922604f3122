"""POST /api/screens/heartbeat: only a screen's own session may say that screen is alive.

Real SQLite store, real app with authentication on (Flask test client), screens logged in with their token.
"""

from __future__ import annotations

import pytest

from dashboard import create_app
from dashboard.auth.accounts import add_screen, add_user
from dashboard.screens import list_screens
from domain.business_days import BusinessCalendar
from domain.config import AuthSettings
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import load_fixture

PASSWORD = "correct horse battery"
BEAT = {"screen": "hall-1", "view": "Vue d'ensemble", "version": 3}


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    for name, role in (("lea", "viewer"), ("ada", "admin")):
        add_user(sqlite_store.engine, name, PASSWORD, role, clock.now)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


@pytest.fixture
def app(service):  # type: ignore[no-untyped-def]
    return create_app(service.reader, service, service.now, AuthSettings(enabled=True), "s" * 40)


def person(app, name: str):  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    assert client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def screen(app, engine, name: str, clock):  # type: ignore[no-untyped-def]
    """A wall screen's browser: opens its URL with its token, as `app.py screens add` prints it."""
    client = app.server.test_client()
    token = add_screen(engine, name, clock.now)
    assert client.get(f"/wall?screen={name}&token={token}", follow_redirects=True).status_code == 200
    return client


def beat(client, payload: object):  # type: ignore[no-untyped-def]
    csrf = client.get_cookie("_csrf_token")
    return client.post("/api/screens/heartbeat", json=payload, headers={"X-CSRFToken": csrf.value if csrf else ""})


@pytest.mark.parametrize("name", ["lea", "ada"])
def test_a_person_cannot_beat_for_a_screen(app, sqlite_store, clock, name: str) -> None:
    screen(app, sqlite_store.engine, "hall-1", clock)  # the screen exists, and has not reported yet
    response = beat(person(app, name), BEAT)
    assert response.status_code == 403 and response.mimetype == "application/json"
    assert "écran" in response.get_json()["error"]
    assert list_screens(sqlite_store.engine, clock.now).empty  # no phantom, no dead screen made to look alive


def test_a_screen_beats_for_itself_only(app, sqlite_store, clock) -> None:
    hall = screen(app, sqlite_store.engine, "hall-1", clock)
    assert beat(hall, BEAT).status_code == 200
    assert beat(hall, {**BEAT, "screen": "hall-2"}).status_code == 403  # not for another screen
    assert beat(hall, ["hall-1"]).status_code == 400  # not an object: a French message, not a 500
    listed = list_screens(sqlite_store.engine, clock.now)
    assert listed["name"].tolist() == ["hall-1"] and listed["view"].tolist() == ["Vue d'ensemble"]
    assert listed["data_version"].tolist() == [3] and not listed["silent"].any()


def test_without_login_every_wall_names_itself(service, sqlite_store, clock) -> None:
    client = create_app(service.reader, service, service.now).server.test_client()  # the demo: authentication off
    client.get("/")
    assert beat(client, {**BEAT, "screen": "salle-2"}).status_code == 200
    assert list_screens(sqlite_store.engine, clock.now)["name"].tolist() == ["salle-2"]
