"""With the public page on, nothing but it (and the doors that were already open) answers without a session.

Every route of the Flask app (its url_map, with sample values in its variables), every method it declares,
every Dash page and every Dash callback is asked without a session, on a real app over a real SQLite store.
"""

from __future__ import annotations

import re

import dash
import pytest
from werkzeug.routing import Rule

from dashboard import create_app
from dashboard.auth.roles import PUBLIC_PATHS
from domain.business_days import BusinessCalendar
from domain.config import AuthSettings, PublicSettings
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import load_fixture, token_of

#: Open without a session before this page existed, on purpose: the login form, liveness and readiness, the
#: metrics (counts, no personal data; the deployment guide keeps them for the monitoring host), and the static
#: files the login page and Dash need.
ALREADY_OPEN = ("/login", "/healthz", "/readyz", "/metrics")
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
#: A sample value per variable name of the app's rules (an unknown name fails the test: add it here).
SAMPLES = {
    "filename": "app.css",
    "package_name": "dash",
    "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
    "path": "nimporte/ou",
    "week": "2026-W47",
    "name": "rapport.pdf",
    "alert_id": "1",
    "kind": "csv",
    "address": "src/A",
}


@pytest.fixture
def app(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    load_fixture(sqlite_store, clock)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    auth = AuthSettings(enabled=True, lockout_failures=20, lockout_minutes=15)
    return create_app(service.reader, service, clock, auth, "s" * 40, public=PublicSettings(enabled=True))


def _sample(template: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        assert name in SAMPLES, f"variable de route sans exemple : {name} ({template})"
        return SAMPLES[name]

    return re.sub(r"<([^>]+)>", value, template)


def _refused(response, where: str) -> None:  # type: ignore[no-untyped-def]
    """A redirect to the login form, or 401/403/404: nothing of the app's data."""
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login"), where
    else:
        assert response.status_code in (401, 403, 404), (where, response.status_code, response.get_data(as_text=True)[:200])


def _is_open(path: str) -> bool:
    return path in PUBLIC_PATHS or path in ALREADY_OPEN or path.startswith(STATIC_PREFIXES)


def test_every_route_is_closed_without_a_session_but_the_public_ones(app) -> None:
    client = app.server.test_client()
    rules: list[Rule] = list(app.server.url_map.iter_rules())
    assert {rule.rule for rule in rules} >= PUBLIC_PATHS
    walked = 0
    for rule in rules:
        path = _sample(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            token = token_of(client)  # an anonymous CSRF token (anew: /logout clears it): POSTs reach the gate
            response = client.open(path, method=method, headers={"X-CSRFToken": token}, data={"csrf_token": token})
            walked += 1
            if _is_open(path):
                continue
            if path == "/logout":  # logging out without a session: back to the login form
                assert response.status_code == 302 and response.headers["Location"] == "/login"
                continue
            if path == "/_dash-update-component":
                continue  # each callback, below
            _refused(response, f"{method} {path}")
    assert walked >= len(rules)
    for path in PUBLIC_PATHS:  # the public doors do open, without a session
        assert client.get(path).status_code == 200, path


def test_every_dash_page_is_closed_without_a_session(app) -> None:
    client = app.server.test_client()
    client.get("/login")
    paths = [_sample(page.get("path_template") or page["path"]) for page in dash.page_registry.values()]
    assert {"/", "/wall", "/explorer", "/alertes", "/utilisateurs"} <= set(paths)
    for path in [*paths, "/statistiques/", "/statistiques.xlsx", "/nimporte"]:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_every_callback_is_refused_without_a_session(app) -> None:
    client = app.server.test_client()
    token = token_of(client)
    assert len(app.callback_map) >= 8
    for output, spec in app.callback_map.items():
        body = {
            "output": output,
            "outputs": [],
            "inputs": [{"id": i["id"], "property": i["property"], "value": None} for i in spec.get("inputs", [])],
            "changedPropIds": [],
            "state": [],
        }
        response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 401, (output, response.status_code)
