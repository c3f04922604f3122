"""Access control on the server: every route and every callback refuses the wrong people.

Real SQLite store, real app (Flask test client): no mock of the database or of the gate.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from dashboard.auth import audit
from dashboard.auth.accounts import add_screen, remove_user, revoke_screen
from dashboard.auth.callbacks import declared_ids
from dashboard.auth.roles import callback_role
from domain.config import AuthSettings
from tests.support import PASSWORD, call, ids_in, login, secured_app, texts, token_of

AUTH = AuthSettings(enabled=True, lockout_failures=20, lockout_minutes=15)


@pytest.fixture
def app(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    return secured_app(sqlite_store, catalog, clock)


#: Dash pages' router: the page and its title from the address (pathname and search, also passed as state).
ROUTER = ".._pages_content.children..._pages_store.data.."
PAGES = [
    "/",
    "/wall",
    "/explorer",
    "/explorer?service=CEET",
    "/explorer/case/src/A",
    "/sources",
    "/ecrans",
    "/utilisateurs",
    "/alertes",
]
ENDPOINTS = [
    "/api/kpis",
    "/api/series/daily",
    "/api/cases/at-risk",
    "/api/screens",
    "/api/alerts",
    "/explorer/export.csv",
    "/explorer/export.xlsx",
    "/_dash-layout",
    "/_dash-dependencies",
]
# least role per page and endpoint (None: refused to everyone without a login)
PAGE_NEEDS = {
    "/": "viewer",
    "/wall": "viewer",
    "/explorer": "manager",
    "/explorer?service=CEET": "manager",
    "/explorer/case/src/A": "manager",
    "/sources": "admin",
    "/ecrans": "admin",
    "/utilisateurs": "admin",
    "/alertes": "viewer",
}
ENDPOINT_NEEDS = {
    "/api/kpis": "viewer",
    "/api/series/daily": "viewer",
    "/api/cases/at-risk": "viewer",
    "/api/screens": "admin",
    "/api/alerts": "viewer",
    "/explorer/export.csv": "manager",
    "/explorer/export.xlsx": "manager",
    "/_dash-layout": "viewer",
    "/_dash-dependencies": "viewer",
}
RANK = {None: -1, "viewer": 0, "manager": 1, "admin": 2}
USERS = {None: None, "lea": "viewer", "marc": "manager", "ada": "admin"}


@pytest.mark.parametrize("user", list(USERS))
def test_every_page_and_endpoint_checks_the_role(app, user) -> None:
    client = login(app, user)
    role = USERS[user]
    for path in PAGES:
        status = client.get(path).status_code
        if role is None:
            assert status == 302, path  # to the login form
        else:
            assert status == (200 if RANK[role] >= RANK[PAGE_NEEDS[path]] else 403), (user, path, status)
    for path in ENDPOINTS:
        status = client.get(path).status_code
        expected = 200 if RANK[role] >= RANK[ENDPOINT_NEEDS[path]] else 401 if role is None else 403
        assert status == expected, (user, path, status)


def test_every_callback_is_refused_below_its_role(app) -> None:
    """Each registered callback, called directly with its own inputs, by each role: refused below the role of
    the components it reads and writes, let through at or above it."""
    app.server.test_client().get("/login")  # Dash pages adds its router's callbacks on the first request
    callbacks = app.callback_map
    assert len(callbacks) >= 8
    # by first output id: what each callback must need (a new callback must be added here, deliberately)
    expected_roles = {
        "_pages_content": "viewer",
        "_pages_dummy": "viewer",
        "sources-table": "admin",
        "wall-playlist": "viewer",
        "wall-version": "viewer",
        "view-ensemble": "viewer",
        "wall-view-title": "viewer",
        "screens-table": "admin",
        "_pages_location": "manager",
        "explorer-grid": "manager",
        "alerts-list": "viewer",
        "alerts-done": "manager",  # taking an alert in charge (its buttons are pattern-matching ids)
        "alerts-note-result": "manager",
        "reports-build-message": "admin",  # building a missing week on /rapports
    }
    for user, role in USERS.items():
        client = login(app, user)
        for output, spec in callbacks.items():
            inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in spec["inputs"]]
            state = [{"id": i["id"], "property": i["property"], "value": None} for i in spec.get("state", [])]
            outputs = [part.split(".")[0] for part in output.strip(".").split("...")]
            needed = callback_role(declared_ids(spec))  # a pattern-matching id counts by its "type"
            assert needed == expected_roles[outputs[0]], (output, needed)  # the explorer's navigation writes only the URL
            status = call(client, output, inputs, state=state).status_code
            if RANK[role] < RANK[needed]:
                assert status == (401 if role is None else 403), (user, output, status)
            else:
                assert status not in (401, 403), (user, output, status)


def test_a_viewer_gets_nothing_from_the_explorer_callbacks(app) -> None:
    client = login(app, "lea")
    grid = call(
        client,
        "explorer-grid.getRowsResponse",
        [{"id": "explorer-grid", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 50}}],
    )
    assert grid.status_code == 403 and b"rowData" not in grid.data
    address = [
        {"id": "_pages_location", "property": "pathname", "value": "/explorer"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    page = call(client, ROUTER, address, state=address)
    assert page.status_code == 200 and "Accès refusé" in texts(page.get_json())
    assert "explorer-grid" not in ids_in(page.get_json())


def test_the_router_builds_the_explorer_for_a_manager(app) -> None:
    client = login(app, "marc")
    address = [
        {"id": "_pages_location", "property": "pathname", "value": "/explorer"},
        {"id": "_pages_location", "property": "search", "value": "?service=Nulle-part"},
    ]
    page = call(client, ROUTER, address, state=address)
    assert page.status_code == 200 and any("service inconnu" in t for t in texts(page.get_json()))


def test_requests_without_csrf_token_are_refused(app) -> None:
    client = app.server.test_client()
    assert client.post("/login", data={"username": "marc", "password": PASSWORD}).status_code == 400
    client = login(app, "marc")
    assert call(client, ROUTER, [], token=None).status_code == 400
    assert call(client, ROUTER, [], token="forged").status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.post("/api/screens/heartbeat", json={"screen": "x"}).status_code == 400


def test_twenty_wrong_passwords_lock_the_account_for_a_while(app, clock) -> None:
    client = app.server.test_client()
    token = token_of(client)
    for _ in range(20):
        wrong = client.post("/login", data={"username": "marc", "password": "nope", "csrf_token": token})
        assert wrong.status_code == 401 and "incorrect" in wrong.get_data(as_text=True)
    locked = client.post("/login", data={"username": "marc", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 401 and "connexion bloquée jusqu" in locked.get_data(as_text=True)
    assert login(app, "ada").get("/").status_code == 200  # other accounts are not locked
    clock.now += dt.timedelta(minutes=16)
    assert client.post("/login", data={"username": "marc", "password": PASSWORD, "csrf_token": token}).status_code == 302


def test_logout_ends_the_session(app) -> None:
    client = login(app, "marc")
    assert client.get("/explorer").status_code == 200
    assert client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value}).status_code == 302
    assert client.get("/explorer").status_code == 302


def test_login_redirects_only_inside_the_app(app) -> None:
    client = app.server.test_client()
    for target, expected in (
        ("/explorer?service=CEET", "/explorer?service=CEET"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ):
        token = token_of(client)  # a login starts a new session: a new token each time
        response = client.post("/login", data={"username": "marc", "password": PASSWORD, "csrf_token": token, "next": target})
        assert response.headers["Location"] == expected


def test_removed_user_and_revoked_screen_are_shut_out(app, sqlite_store, clock) -> None:
    token = add_screen(sqlite_store.engine, "hall-1", clock.now)
    screen = app.server.test_client()
    first = screen.get(f"/wall?screen=hall-1&token={token}")
    assert first.status_code == 302 and first.headers["Location"] == "/wall?screen=hall-1"  # the token leaves the URL
    assert screen.get("/wall?screen=hall-1").status_code == 200
    assert screen.get("/api/kpis").status_code == 200  # the screen's session is a viewer's
    assert screen.get("/explorer").status_code == 403
    refused = app.server.test_client().get("/wall?token=not-a-token")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    revoke_screen(sqlite_store.engine, "hall-1", clock.now)
    assert screen.get("/api/kpis").status_code == 401  # its session ended with the token
    assert app.server.test_client().get(f"/wall?token={token}").headers["Location"].startswith("/login")
    user = login(app, "marc")
    assert user.get("/explorer").status_code == 200
    remove_user(sqlite_store.engine, "marc")
    assert user.get("/explorer").status_code == 302


def test_viewers_see_no_agent_names(app) -> None:
    viewer = login(app, "lea").get("/api/cases/at-risk?as_of=2026-11-20T12:00:00Z").get_json()["cases"]
    manager = login(app, "marc").get("/api/cases/at-risk?as_of=2026-11-20T12:00:00Z").get_json()["cases"]
    assert viewer and len(viewer) == len(manager)
    assert {c["agent"] for c in viewer} == {"•••"}


def test_audit_log_records_logins_exports_and_case_views(app, sqlite_store) -> None:
    client = login(app, "marc")
    assert client.get("/explorer/export.csv?service=CEET").status_code == 200
    address = [
        {"id": "_pages_location", "property": "pathname", "value": "/explorer/case/src/A"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    call(client, ROUTER, address, state=address)
    log = audit.recent(sqlite_store.engine)
    actions = set(zip(log["username"], log["action"], strict=True))
    assert {("marc", "login"), ("marc", "export"), ("marc", "case_view")} <= actions
    detail = log.loc[log["action"] == "export", "detail"].iloc[0]
    assert re.search(r"csv \d+ dossiers /explorer\?service=CEET", detail)


def test_no_secret_in_the_session_cookie(app) -> None:
    client = login(app, "marc")
    cookie = client.get_cookie("session")
    assert cookie is not None and PASSWORD not in cookie.value and cookie.http_only
    assert json.dumps(client.get("/api/kpis").get_json()).find(PASSWORD) == -1
