"""Scoped accounts (issue 15): an account limited to CEET sees only CEET's cases, at every door, and cannot widen it.

Real SQLite store holding the KPI fixture (CEET-ABO for CEET; MIN-EXP and MIN-CAR for the mines direction),
the real app behind its gate (Flask test client), forged requests and callback bodies.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.auth import audit
from dashboard.auth.accounts import Principal, add_user, list_users, set_scope
from dashboard.auth.cli import users_command
from dashboard.auth.roles import PAGE_ROLES
from dashboard.auth.scope import ScopeError, page_in_scope, refusal, scoped_filters
from domain.business_days import BusinessCalendar
from kpis.case_state import prepare, state_at
from kpis.document import document_from_state, kpi_document
from kpis.filters import CaseFilters, filter_state, scope_document
from store.reader import Reader
from tests.kpi_fixtures import CATALOG, frames, histories
from tests.support import PASSWORD, call, ids_in, login, secured_app, texts

CAL = BusinessCalendar("TG")
MINES = "Direction générale des mines et de la géologie"
ROUTER = ".._pages_content.children..._pages_store.data.."
CEET_CASE, MINES_CASE = "c1", "c4"  # procedures P -> CEET-ABO, Q -> MIN-EXP in the fixture
AS_OF = "2026-11-20T12:00:00Z"


@pytest.fixture
def app(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    app = secured_app(sqlite_store, catalog, clock)
    add_user(sqlite_store.engine, "kodjo", PASSWORD, "manager", clock.now, frozenset({"CEET"}))
    add_user(sqlite_store.engine, "yao", PASSWORD, "viewer", clock.now, frozenset({"CEET"}))
    return app


def _route(client, path: str, search: str = ""):  # type: ignore[no-untyped-def]
    address = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    return call(client, ROUTER, address, state=address)


def _ceet_only(catalog: pd.DataFrame, cases: pd.DataFrame) -> pd.Series:
    owner = cases["procedure_code"].map(dict(zip(catalog["code"], catalog["service"], strict=True)))
    return owner == "CEET"


# --- the scope as a filter: the engine's numbers on only the scope's cases --------------------------------------------
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from([1, 7, 30]), st.sampled_from([frozenset({"S1"}), frozenset({"S2"}), frozenset()]))
def test_a_scope_is_a_filter_the_engine_agrees_with(history, days, services) -> None:
    raw_cases, raw_events, t, _ = history
    cases, events = frames(raw_cases, raw_events)
    state = filter_state(state_at(prepare(cases, events, CATALOG, CAL), t), CaseFilters(services=services))
    got = scope_document(document_from_state(state, days, {}), services, CATALOG)
    owner = cases["procedure_code"].map(dict(zip(CATALOG["code"], CATALOG["service"], strict=True)))
    expected = kpi_document(cases[owner.isin(services)], events, CATALOG, {}, as_of=t, days=days, calendar=CAL)
    assert got["overall"] == expected["overall"]
    assert set(got["by_service"]) == set(services)
    assert got["by_service"] == {k: v for k, v in expected["by_service"].items() if k in services}
    procedures = set(CATALOG.loc[CATALOG["service"].isin(services), "code"])
    assert got["by_procedure"] == {k: v for k, v in expected["by_procedure"].items() if k in procedures}


def test_the_one_scope_check(catalog) -> None:
    ceet = Principal("kodjo", "manager", services=frozenset({"CEET"}))
    assert scoped_filters(ceet, CaseFilters(), catalog).services == {"CEET"}
    assert scoped_filters(ceet, CaseFilters(service="CEET", region="Kara"), catalog).region == "Kara"
    for outside in (CaseFilters(service="ARSE"), CaseFilters(procedure="MIN-EXP")):
        with pytest.raises(ScopeError, match="hors de votre périmètre"):
            scoped_filters(ceet, outside, catalog)
    assert scoped_filters(ceet, CaseFilters(services=frozenset({"CEET", "ARSE"})), catalog).services == {"CEET"}
    assert scoped_filters(None, CaseFilters(), catalog).services == frozenset()  # nobody sees nothing
    assert scoped_filters(Principal("marc", "manager"), CaseFilters(service="ARSE"), catalog) == CaseFilters(service="ARSE")


# --- /api/kpis equals the engine's document on only CEET's cases ------------------------------------------------------
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    at=st.datetimes(min_value=dt.datetime(2026, 4, 1), max_value=dt.datetime(2026, 11, 20)),  # noqa: DTZ001 - made UTC below
    days=st.sampled_from([1, 7, 30, 90, 365]),
    channel=st.sampled_from([None, "online", "counter"]),
)
def test_scoped_api_kpis_is_the_engine_on_only_ceet_cases(app, sqlite_store, catalog, at, days, channel) -> None:
    client = login(app, "kodjo")
    as_of = pd.Timestamp(at).tz_localize("UTC").floor("s")  # the URL carries whole seconds
    query = f"/api/kpis?as_of={as_of:%Y-%m-%dT%H:%M:%SZ}&days={days}" + (f"&channel={channel}" if channel else "")
    got = client.get(query).get_json()
    frames_ = Reader(sqlite_store.engine).frames()
    keep = _ceet_only(catalog, frames_.cases) & (frames_.cases["channel"] == channel if channel else True)
    counts = {str(k): int(v) for k, v in Reader(sqlite_store.engine).quarantine_counts().groupby("reason")["rows"].sum().items()}
    engine = kpi_document(frames_.cases[keep], frames_.events, catalog, counts, as_of=as_of, days=days, calendar=CAL)
    expected = scope_document(engine, frozenset({"CEET"}), catalog)
    assert got.pop("filters") == {"services": "CEET", **({"channel": channel} if channel else {})}
    assert got == expected
    assert got["quarantined"] == {}  # per source, every structure's rows mixed: not shown to a scoped account
    assert set(got["by_service"]) == {"CEET"}
    assert set(got["by_procedure"]) == set(catalog.loc[catalog["service"] == "CEET", "code"])


# --- every door ---------------------------------------------------------------------------------------------------
def test_every_endpoint_returns_only_ceet(app, sqlite_store) -> None:
    from sqlalchemy import insert

    from store import schema

    with sqlite_store.engine.begin() as conn:  # a source's quarantined row: per source, not per structure
        row = {"source": "src", "stream": "cases", "reason": "unknown_procedure", "payload": "{}", "row_hash": "h" * 32}
        conn.execute(insert(schema.quarantine).values(**row, first_seen_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
    client, whole = login(app, "kodjo"), login(app, "marc")
    scoped = client.get(f"/api/kpis?as_of={AS_OF}&days=365").get_json()
    everything = whole.get(f"/api/kpis?as_of={AS_OF}&days=365").get_json()
    assert everything["overall"]["backlog"] > scoped["overall"]["backlog"] > 0  # the fixture has both structures
    assert scoped["overall"] == everything["by_service"]["CEET"]
    assert everything["quarantined"] == {"unknown_procedure": 1} and scoped["quarantined"] == {}
    daily = client.get(f"/api/series/daily?as_of={AS_OF}&by=service").get_json()["rows"]
    assert {r["group"] for r in daily} == {"CEET"}
    processing = client.get(f"/api/series/processing?as_of={AS_OF}").get_json()["by_procedure"]
    assert processing and all(c.startswith("CEET-") for c in processing)
    risky = client.get(f"/api/cases/at-risk?as_of={AS_OF}&horizon=60").get_json()["cases"]
    assert all(r["service"] == "CEET" for r in risky)
    every = whole.get(f"/api/cases/at-risk?as_of={AS_OF}&horizon=60").get_json()["cases"]
    assert [r for r in every if r["service"] == "CEET"] == risky
    trend = client.get(f"/api/series/trend?as_of={AS_OF}&weeks=1").get_json()["rows"]
    week = client.get(f"/api/kpis?as_of={AS_OF}&days=7").get_json()["overall"]
    assert trend[0]["backlog"] == week["backlog"] and trend[0]["inflow"] == week["inflow"]  # computed on CEET only


@pytest.mark.parametrize(
    "path",
    [
        "/api/kpis?service=ARSE",
        f"/api/kpis?service={MINES}",
        "/api/kpis?procedure=MIN-EXP",
        "/api/series/daily?service=ARSE",
        "/api/series/processing?procedure=MIN-CAR",
        "/api/cases/at-risk?service=ARSE",
        "/api/series/trend?service=ARSE",
        "/explorer/export.csv?service=ARSE",
        "/explorer/export.xlsx?procedure=MIN-EXP",
    ],
)
def test_a_filter_outside_the_scope_is_refused_everywhere(app, path) -> None:
    answer = login(app, "kodjo").get(path)
    assert answer.status_code == 400
    assert "hors de votre périmètre" in answer.get_data(as_text=True)


def test_exports_hold_only_ceet_and_the_audit_log_records_the_scope(app, sqlite_store) -> None:
    client = login(app, "kodjo")
    text = client.get("/explorer/export.csv?periode=365j&dossiers=deposes").get_data().decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", comment="#")
    assert len(frame) > 0 and set(frame["Structure"]) == {"CEET"}
    assert "# Périmètre : CEET" in text
    book = openpyxl.load_workbook(io.BytesIO(client.get("/explorer/export.xlsx?periode=365j&dossiers=deposes").data))
    rows = list(book["Dossiers"].iter_rows(min_row=2, values_only=True))
    assert rows and {r[2] for r in rows} == {"CEET"}
    log = audit.recent(sqlite_store.engine)
    details = log.loc[(log["username"] == "kodjo") & (log["action"] == "export"), "detail"]
    assert len(details) == 2 and all("périmètre : CEET" in d for d in details)


def test_the_explorer_pages_and_grid_show_only_ceet(app) -> None:
    client = login(app, "kodjo")
    page = _route(client, "/explorer", "?periode=365j").get_json()
    words = texts(page)
    assert not any(MINES in w or "MIN-EXP" in w for w in words)
    assert not any("hors de votre périmètre" in w for w in words)
    for search in ("?service=ARSE", "?procedure=MIN-EXP", "?periode=365j&vue=charge&service=ARSE"):
        refused = _route(client, "/explorer", search).get_json()
        assert any("hors de votre périmètre" in w for w in texts(refused)) and "explorer-error" in ids_in(refused)
    workload = _route(client, "/explorer", "?periode=365j&vue=charge").get_json()
    assert not any("hors de votre périmètre" in w for w in texts(workload))
    grid = [{"id": "explorer-grid", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 500}}]
    answer = call(client, "explorer-grid.getRowsResponse", grid, state=[
        {"id": "_pages_location", "property": "search", "value": "?periode=365j&dossiers=deposes"}])  # fmt: skip
    rows = answer.get_json()["response"]["explorer-grid"]["getRowsResponse"]["rowData"]
    assert rows and {r["service"] for r in rows} == {"CEET"}
    forged = call(client, "explorer-grid.getRowsResponse", grid, state=[
        {"id": "_pages_location", "property": "search", "value": "?periode=365j&service=ARSE"}])  # fmt: skip
    assert forged.get_json()["response"]["explorer-grid"]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
    search = f"?periode=365j&procedure=MIN-EXP&service={MINES}"
    mines = call(client, "explorer-grid.getRowsResponse", grid, state=[
        {"id": "_pages_location", "property": "search", "value": search}])  # fmt: skip
    assert mines.get_json()["response"]["explorer-grid"]["getRowsResponse"]["rowCount"] == 0


def test_another_structures_case_is_a_404(app) -> None:
    client = login(app, "kodjo")
    own = texts(_route(client, f"/explorer/case/src/{CEET_CASE}").get_json())
    assert not any("introuvable" in w for w in own)
    other = texts(_route(client, f"/explorer/case/src/{MINES_CASE}").get_json())
    missing = texts(_route(client, "/explorer/case/src/nope").get_json())
    assert any("Dossier introuvable" in w for w in other) and any("Dossier introuvable" in w for w in missing)
    assert [w.replace(MINES_CASE, "X") for w in other] == [w.replace("nope", "X") for w in missing]  # nothing leaks
    assert any("introuvable" not in w for w in texts(_route(login(app, "marc"), f"/explorer/case/src/{MINES_CASE}").get_json()))


def test_every_door_a_manager_may_open_applies_the_scope(app) -> None:
    client = login(app, "kodjo")
    # /rapports applies the scope itself (tests/test_report_scope.py): open, and a report it does not list is a 404
    assert "Rapports hebdomadaires" in texts(_route(client, "/rapports").get_json())
    assert client.get("/rapports/2026-W47/x.pdf").status_code == 404
    # and so does every other page a manager or a viewer may open: none is left ministry-wide
    assert all(page_in_scope(path) for path, role in PAGE_ROLES if role in ("viewer", "manager"))
    assert not page_in_scope("/utilisateurs")
    assert "limité à CEET" in refusal(Principal("k", "manager", services=frozenset({"CEET"})), "/x")


def _tile(tree: object, label: str) -> str | None:
    """The value of the home page's tile named ``label`` in a parsed router answer."""
    if isinstance(tree, dict):
        props = tree.get("props") if isinstance(tree.get("props"), dict) else {}
        parts = props.get("children") if props.get("className") == "xtile" else None
        if isinstance(parts, list) and len(parts) == 2 and parts[0].get("props", {}).get("children") == label:
            return str(parts[1]["props"]["children"])
        found = [_tile(v, label) for v in tree.values()]
    elif isinstance(tree, list):
        found = [_tile(v, label) for v in tree]
    else:
        return None
    return next((f for f in found if f is not None), None)


def test_the_home_page_counts_only_ceet(app, clock) -> None:
    client, whole = login(app, "kodjo"), login(app, "marc")
    mine = texts(_route(client, "/").get_json())
    assert any("périmètre : CEET" in w for w in mine)
    assert "Mur de supervision" in mine and "Rapports hebdomadaires" in mine  # its structure's wall and reports
    backlog = login(app, "kodjo").get("/api/kpis").get_json()["overall"]["backlog"]
    assert _tile(_route(client, "/").get_json(), "Dossiers en cours") == str(backlog)
    assert "Mur de supervision" in texts(_route(whole, "/").get_json())


def test_alerts_show_only_ceet_groups(app, sqlite_store, clock) -> None:
    from store.alerts import AlertStore

    records = AlertStore(sqlite_store.engine).records()
    assert records == {} or all(r.scope for r in records.values())
    client = login(app, "kodjo")
    assert client.get("/api/alerts").status_code == 200
    assert all(a["scope"] in ("service", "procedure") for a in client.get("/api/alerts").get_json())
    refused = call(client, "..alerts-list.children...alerts-history.children..", [
        {"id": "alerts-service", "property": "value", "value": "ARSE"},
        {"id": "alerts-severity", "property": "value", "value": None},
        {"id": "alerts-tick", "property": "n_intervals", "value": None},
        {"id": "alerts-done", "property": "data", "value": None}])  # fmt: skip
    assert refused.status_code == 200 and any("hors de votre périmètre" in w for w in texts(refused.get_json()))
    note = call(client, "..alerts-note-result.children...alerts-note-text.value..",
                [{"id": "alerts-note-button", "property": "n_clicks", "value": 1}],
                state=[{"id": "alerts-note-text", "property": "value", "value": "grève"},
                       {"id": "alerts-note-scope", "property": "value", "value": "overall"}])  # fmt: skip
    assert any("hors de votre périmètre" in w for w in texts(note.get_json()))
    ok = call(client, "..alerts-note-result.children...alerts-note-text.value..",
              [{"id": "alerts-note-button", "property": "n_clicks", "value": 1}],
              state=[{"id": "alerts-note-text", "property": "value", "value": "grève"},
                     {"id": "alerts-note-scope", "property": "value", "value": "service:CEET"}])  # fmt: skip
    assert any("Annotation ajoutée" in w for w in texts(ok.get_json()))


def test_a_scope_change_reaches_open_sessions_at_their_next_request(app, sqlite_store) -> None:
    client = login(app, "marc")
    assert client.get("/api/kpis?service=ARSE").status_code == 200
    set_scope(sqlite_store.engine, "marc", frozenset({"CEET"}))
    assert client.get("/api/kpis?service=ARSE").status_code == 400
    assert client.get("/api/kpis").get_json()["filters"] == {"services": "CEET"}
    set_scope(sqlite_store.engine, "marc", None)
    assert client.get("/api/kpis?service=ARSE").status_code == 200


# --- the command line -----------------------------------------------------------------------------------------------
def test_users_add_scope_and_all(sqlite_store, catalog, clock, capsys) -> None:
    engine, structures = sqlite_store.engine, catalog["service"]

    def users(action: str, name: str | None = None, **kw: object) -> int:
        return users_command(engine, action, name, "manager", clock.now, lambda: PASSWORD, structures=structures, **kw)  # type: ignore[arg-type]

    assert users("add", "kodjo", services="CEET") == 0
    assert "structures : CEET" in capsys.readouterr().out
    assert users("add", "awa") == 0
    assert users("list") == 0
    listing = capsys.readouterr().out
    assert "structures : CEET" in listing and "tout le ministère" in listing
    assert users("scope", "kodjo", services="CEET,ARSE") == 0
    assert set(list_users(engine).set_index("username").at["kodjo", "services"].split(",")) == {"CEET", "ARSE"}
    assert users("scope", "kodjo", whole_ministry=True) == 0
    assert pd.isna(list_users(engine).set_index("username").at["kodjo", "services"])
    capsys.readouterr()
    assert users("add", "kofi", services="Atlantide") == 2
    assert "structure inconnue : Atlantide" in capsys.readouterr().err
    assert users("scope", "kodjo", services="CEET,Atlantide") == 2
    assert users("scope", "kodjo") == 2  # neither --services nor --all
    assert users("scope", "nobody", services="CEET") == 2
    assert "utilisateur inconnu" in capsys.readouterr().err
    assert users_command(engine, "add", "root", "admin", clock.now, lambda: PASSWORD, services="CEET", structures=structures) == 2


def test_an_existing_store_gets_the_scope_column(tmp_path) -> None:
    from sqlalchemy import inspect

    from store.engines import create_store_engine
    from store.writer import Store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    with engine.begin() as conn:  # the users table as an earlier version made it
        conn.exec_driver_sql(
            "CREATE TABLE users (username VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(256) NOT NULL, "
            "role VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL)"
        )
        conn.exec_driver_sql("INSERT INTO users VALUES ('ama', 'h', 'manager', '2026-01-01 00:00:00')")
    store = Store(engine)
    store.create()
    store.create()  # twice: nothing to add the second time
    assert "services" in {c["name"] for c in inspect(engine).get_columns("users")}
    assert "services" in {c["name"] for c in inspect(engine).get_columns("screen_tokens")}
    assert pd.isna(list_users(engine).set_index("username").at["ama", "services"])  # the whole ministry, as before
