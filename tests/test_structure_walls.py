"""A wall for each structure (issue 15): ``screens add NAME --services CEET`` gives a screen whose wall shows only
CEET, its tiles, procedures and alerts, with CEET in the header; a CEET-scoped account sees the same wall.

The real app behind its gate (Flask test client) over a real SQLite store holding the KPI fixture (CEET-ABO for
CEET; MIN-EXP and MIN-CAR for the mines direction); the screen logs in with its token as a real screen does, and
the wall's callbacks are posted as the browser posts them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from alerts.evaluate import AlertEvaluator
from dashboard.auth.accounts import add_screen, add_user, list_screen_tokens
from dashboard.auth.cli import screens_command
from dashboard.pages.alerts import AlertsPage
from domain.alert_settings import AlertContact, AlertRule, AlertSettings
from domain.business_days import BusinessCalendar
from domain.french import fr_number
from kpis.filters import CaseFilters
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.audit import AuditLog
from store.reader import Reader
from tests.support import PASSWORD, call, login, secured_app, texts

MINES = "Direction générale des mines et de la géologie"
ROUTER = ".._pages_content.children..._pages_store.data.."
ALERTS = AlertSettings(
    enabled=True,
    contacts=(AlertContact("salle"),),
    rules=(
        AlertRule("stock", "backlog", "procedure", ">", 0.0, ("salle",), groups=("CEET-ABO", "MIN-EXP"), severity="critical"),
        AlertRule("hors-delai", "breached_open", "service", ">", 0.0, ("salle",)),
    ),
)


@pytest.fixture
def app(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    app = secured_app(sqlite_store, catalog, clock, alerts=ALERTS)
    add_user(sqlite_store.engine, "kodjo", PASSWORD, "manager", clock.now, frozenset({"CEET"}))
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    page = AlertsPage(ALERTS, AlertStore(sqlite_store.engine), AuditLog(sqlite_store.engine), catalog, clock)
    AlertEvaluator(ALERTS, service, service.reader, page.store, catalog, BusinessCalendar("TG"), "http://x", clock).run()
    return app


def screen(app, engine, now: dt.datetime, name: str, services: frozenset[str] | None):  # type: ignore[no-untyped-def]
    """A browser that opened the screen's address once, as the operator does after ``screens add``."""
    token = add_screen(engine, name, now, services)
    client = app.server.test_client()
    answer = client.get(f"/wall?screen={name}&token={token}")
    assert answer.status_code == 302 and "token" not in answer.headers["Location"]
    return client


def rebuild(app, client, **sent: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The views a screen receives for data version 1, by view; ``sent``: other values the browser sends (by id)."""
    output = next(key for key in app.callback_map if "view-ensemble.children" in key)
    spec = app.callback_map[output]
    values = {"wall-version": 1, "wall-playlist": {"lang": "fr"}, **{k.replace("_", "-"): v for k, v in sent.items()}}
    inputs = [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in spec["inputs"]]
    state = [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in spec.get("state", [])]
    answer = call(client, output, inputs, state=state)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    views = answer.get_json()["response"]
    return {key.removeprefix("view-"): part["children"] for key, part in views.items() if key.startswith("view-")}


def feed(app, client) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    output = "wall-alerts.data"
    spec = app.callback_map[output]
    inputs = [{"id": i["id"], "property": i["property"], "value": 1} for i in spec["inputs"]]
    state = [{"id": i["id"], "property": i["property"], "value": None} for i in spec.get("state", [])]
    answer = call(client, output, inputs, state=state)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return list(answer.get_json()["response"]["wall-alerts"]["data"])


def figures(tree: object) -> list[dict[str, Any]]:
    if isinstance(tree, dict):
        own = [tree["props"]["figure"]] if isinstance(tree.get("props"), dict) and "figure" in tree["props"] else []
        return own + [f for v in tree.values() for f in figures(v)]
    if isinstance(tree, list):
        return [f for v in tree for f in figures(v)]
    return []


def categories(tree: object) -> set[str]:
    """Every bar category (either axis) of every chart in a view."""
    found: set[str] = set()
    for figure in figures(tree):
        for trace in figure.get("data", []):
            if trace.get("type") == "bar":
                axis = trace.get("y") if trace.get("orientation") == "h" else trace.get("x")
                found |= {str(v) for v in axis or []}
    return found


def tile(view: object, key: str) -> str:
    """The value shown by the overview's tile ``key``."""
    tiles = view["props"]["children"]  # type: ignore[index]
    found = next(t for t in tiles if t["props"]["id"] == f"tile-{key}")
    return str(found["props"]["children"][1]["props"]["children"])


def test_a_structures_screen_shows_only_its_structure(app, sqlite_store, catalog, clock) -> None:
    ceet = rebuild(app, screen(app, sqlite_store.engine, clock.now, "mur-ceet", frozenset({"CEET"})))
    room = rebuild(app, screen(app, sqlite_store.engine, clock.now, "salle", None))
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    own = service.document(None, 7, CaseFilters(services=frozenset({"CEET"})))["overall"]
    everyone = service.document(None, 7)["overall"]
    assert own["backlog"] != everyone["backlog"]  # the fixture tells them apart
    assert tile(ceet["ensemble"], "backlog") == fr_number(own["backlog"])
    assert tile(room["ensemble"], "backlog") == fr_number(everyone["backlog"])
    assert tile(ceet["ensemble"], "breached") == fr_number(own["breached_open"])
    # the structures' charts and the delays by procedure: CEET's bars only
    assert "CEET" in categories(ceet["structures"]) and not any("Mines" in c for c in categories(ceet["structures"]))
    assert any("Mines" in c for c in categories(room["structures"]))
    names = dict(zip(catalog["code"], catalog["name"], strict=True))
    mines_procedures = set(catalog.loc[catalog["service"] == MINES, "code"])
    shown = " ".join(texts(ceet["delais"]) + texts(ceet["alertes"]))
    assert not any(code in shown or names[code] in shown for code in mines_procedures)
    assert any(code in " ".join(texts(room["delais"]) + texts(room["alertes"])) for code in mines_procedures)


def test_a_structures_screen_gets_only_its_alerts(app, sqlite_store, clock) -> None:
    ceet = feed(app, screen(app, sqlite_store.engine, clock.now, "mur-ceet", frozenset({"CEET"})))
    room = feed(app, screen(app, sqlite_store.engine, clock.now, "salle", None))
    assert sorted(a["group"] for a in room) == ["CEET", "CEET-ABO", "MIN-EXP"]
    assert sorted(a["group"] for a in ceet) == ["CEET", "CEET-ABO"]


def test_the_header_names_the_structure_and_the_url_cannot_widen_it(app, sqlite_store, clock) -> None:
    client = screen(app, sqlite_store.engine, clock.now, "mur-ceet", frozenset({"CEET"}))
    for search in ("", "?service=Direction%20g%C3%A9n%C3%A9rale%20des%20mines%20et%20de%20la%20g%C3%A9ologie", "?services=all"):
        address = [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
                   {"id": "_pages_location", "property": "search", "value": search}]  # fmt: skip
        words = texts(call(client, ROUTER, address, state=address).get_json())
        assert "CEET" in words and "Ministère de l'Énergie et des Mines" in words, search
    room = screen(app, sqlite_store.engine, clock.now, "salle", None)
    address = [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
               {"id": "_pages_location", "property": "search", "value": ""}]  # fmt: skip
    assert "CEET" not in texts(call(room, ROUTER, address, state=address).get_json())
    # forged values cannot widen what is shown: the scope and the alerts come from the session and the store only
    forged = {"key": "9@x", "id": 9, "state": "firing", "severity": "critical", "rule": "stock", "scope": "procedure",
              "group": "ARSE-PLT", "metric": "backlog", "value": 5, "threshold": 0, "days": 7, "since": "2026-11-20",
              "minutes": 3, "taken_by": None}  # fmt: skip
    views = rebuild(app, client, wall_alerts=[forged], wall_seen_alerts=[], wall_breaches={"MIN-EXP": 0},
                    wall_playlist={"lang": "fr", "services": ["ARSE"]})  # fmt: skip
    shown = " ".join(texts(views))
    assert "ARSE" not in shown and "Plainte" not in shown and "MIN-" not in shown and "CEET-ABO" in shown
    assert not any("Mines" in c for c in categories(views["structures"]))


def test_a_scoped_account_sees_its_structures_wall(app) -> None:
    client = login(app, "kodjo")
    assert client.get("/wall").status_code == 200
    views = rebuild(app, client)
    assert "CEET" in categories(views["structures"]) and not any("Mines" in c for c in categories(views["structures"]))
    assert sorted(a["group"] for a in feed(app, client)) == ["CEET", "CEET-ABO"]


def test_screens_add_with_services(sqlite_store, clock, catalog, capsys) -> None:
    engine, structures = sqlite_store.engine, catalog["service"]
    assert screens_command(engine, "add", "mur-ceet", clock.now, services="CEET", structures=structures) == 0
    assert "structures : CEET" in capsys.readouterr().out
    assert screens_command(engine, "add", "salle", clock.now, structures=structures) == 0
    tokens = list_screen_tokens(engine).set_index("name")
    assert tokens.at["mur-ceet", "services"] == "CEET" and pd.isna(tokens.at["salle", "services"])
    assert screens_command(engine, "list", None, clock.now, structures=structures) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "structures : CEET" in listed["mur-ceet"] and "tout le ministère" in listed["salle"]
    assert screens_command(engine, "add", "x", clock.now, services="ARSEX", structures=structures) == 2
    assert "structure inconnue : ARSEX" in capsys.readouterr().err
    assert screens_command(engine, "revoke", "mur-ceet", clock.now, services="CEET", structures=structures) == 2
    assert "--services ne s'emploie qu'avec add" in capsys.readouterr().err
    assert tokens.index.tolist() == sorted(list_screen_tokens(engine)["name"])  # nothing written by the refusals


def test_the_breached_trend_of_a_structure_is_a_replay_on_its_cases(sqlite_store, catalog, clock) -> None:
    from kpis.case_state import state_at
    from tests.support import load_fixture

    load_fixture(sqlite_store, clock)
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    history = service.history()
    today = pd.Timestamp(clock.now).normalize()
    ends = [today - pd.Timedelta(days=k) for k in range(29, 0, -1)]
    for services in (frozenset({"CEET"}), frozenset({MINES}), frozenset({"CEET", MINES}), None):
        mine = [history.services[n] in (services or history.services) for n in history.service_no]
        expected = [int((state_at(history, end).breached & mine).sum()) for end in ends]
        got = service.breached_daily(None, 30, services)
        assert got[:-1] == expected, services
        assert got[-1] == int(service.state(None, CaseFilters(services=services)).breached.sum())
    assert service.breached_daily(None, 30, frozenset({MINES})) != service.breached_daily(None, 30)
