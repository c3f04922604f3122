"""Requests nobody should send still get a clean answer: a 400 with a French message, a French notice on the
page, a one-line CLI error with exit code 2, or the grid's first block, never a 500 or a traceback.

Real SQLite store, real app (Flask test client), the grid's callback logic called directly.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest
from dash import no_update

from dashboard import create_app, ids
from dashboard.auth.web import DEMO as ALL
from dashboard.explorer.grid import grid_page
from dashboard.explorer.navigation import navigate_to
from dashboard.explorer.state import ExplorerQueryError, parse_search
from dashboard.pages import explorer
from domain.business_days import BusinessCalendar
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import ROOT, load_fixture, write_config

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


@pytest.fixture
def client(service):  # type: ignore[no-untyped-def]
    return create_app(service.reader, service, service.now).server.test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/api/series/daily?as_of=0001-01-01",
        "/api/series/daily?as_of=9999-12-31",
        "/api/cases/at-risk?as_of=9999-12-31",
        "/api/cases/at-risk?as_of=0001-01-01T00:00:00%2B01:00",
        "/api/series/processing?as_of=9999-12-31",
        "/api/series/trend?as_of=0001-01-01",
        "/api/kpis?as_of=9999-12-31",
        "/api/kpis?as_of=0001-01-01",
        "/api/kpis?as_of=2100-01-01T00:00:01Z",
    ],
)
def test_an_as_of_outside_1970_2100_gets_a_400_in_french(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error.startswith("as_of invalide") and "entre le 01/01/1970 et le 01/01/2100" in error


@pytest.mark.parametrize(
    "path",
    [
        "/api/series/daily?as_of=1970-01-01&days=730",
        "/api/series/daily?as_of=2100-01-01&days=730&by=procedure",
        "/api/cases/at-risk?as_of=2100-01-01",
        "/api/kpis?as_of=1970-01-01&days=3660",
        "/api/kpis?as_of=2100-01-01T00:00:00Z&days=3660",
    ],
)
def test_the_bounds_themselves_are_answered(client, path: str) -> None:
    assert client.get(path).status_code == 200


def test_cli_refuses_year_9999_in_one_french_line(tmp_path, sqlite_store, sqlite_source) -> None:
    url, _ = sqlite_source
    config = write_config(tmp_path, str(sqlite_store.engine.url), url)
    result = subprocess.run(
        [sys.executable, "app.py", "kpis", "--config", str(config), "--as-of", "9999-12-31"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "as_of invalide" in result.stderr and "entre le 01/01/1970 et le 01/01/2100" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("search", "words"),
    [
        ("?periode=perso&du=0001-01-01&au=0001-01-05", ["du (0001-01-01) précède le 01/01/1970"]),
        ("?periode=perso&du=1969-12-31&au=1970-01-05", ["du (1969-12-31) précède le 01/01/1970"]),
        ("?periode=perso&du=0001-01-01&au=2026-11-20", ["précède le 01/01/1970"]),
        ("?periode=perso&du=2026-11-01&au=9999-12-31", ["au (9999-12-31) est dans le futur"]),
        ("?periode=perso&du=0001-01-01&au=9999-12-31", ["dans le futur"]),
    ],
)
def test_custom_periods_out_of_range_get_a_french_notice_on_the_page(service, catalog, search, words) -> None:
    with pytest.raises(ExplorerQueryError) as caught:
        parse_search(search, catalog, NOW)
    assert all(w in str(caught.value) for w in words), str(caught.value)
    page = explorer.render(search, service, catalog, NOW, who=ALL)  # what the router shows: the explorer's notice, not a 500
    notice = _find(page, ids.EXPLORER_ERROR)
    assert notice is not None and all(w in str(notice.children[1].children) for w in words)


def test_the_earliest_custom_period_is_shown(service, catalog) -> None:
    page = explorer.render("?periode=perso&du=1970-01-01&au=1970-01-31", service, catalog, NOW, who=ALL)
    assert _find(page, ids.EXPLORER_ERROR) is None and _find(page, ids.EXPLORER_GRID) is not None


def _find(component: object, component_id: str) -> object | None:
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _rows(n: int) -> pd.DataFrame:
    base = pd.Timestamp("2026-11-01T08:00:00Z")
    return pd.DataFrame(
        {
            "source": ["src"] * n,
            "case_id": [f"C{i:05d}" for i in range(n)],
            "service": ["CEET"] * n,
            "procedure_code": ["CEET-BT"] * n,
            "region": ["Kara" if i % 2 else "Maritime" for i in range(n)],
            "channel": ["online"] * n,
            "status": ["in_review"] * n,
            "submitted_at": [base + pd.Timedelta(minutes=i) for i in range(n)],
            "closed_at": pd.Series([pd.NaT] * n, dtype="datetime64[us, UTC]"),
            "business_days": pd.array([i % 17 for i in range(n)], dtype="Int64"),
            "sla_days": [10] * n,
            "due_date": [pd.Timestamp("2026-12-01")] * n,
            "processing_days": [float("nan")] * n,
            "breached": [False] * n,
            "at_risk": [False] * n,
            "agent": [f"agent{i % 5}" for i in range(n)],
        }
    )


FIRST_BLOCK = [f"C{i:05d}" for i in range(50)]


@pytest.mark.parametrize(
    "request_",
    [
        {"startRow": "abc", "endRow": "xyz"},
        {"startRow": None, "endRow": {"$gt": 0}},
        {"startRow": [0], "endRow": True},
        {"startRow": "9" * 5000, "endRow": "9" * 5000},  # more digits than Python converts
        {"startRow": float("nan"), "endRow": float("inf")},
        {"startRow": 0, "endRow": 50, "sortModel": "business_days"},
        {"startRow": 0, "endRow": 50, "sortModel": [None, 3, {"colId": ["agent"]}, {"colId": "nope", "sort": "asc"}]},
        {"startRow": 0, "endRow": 50, "filterModel": ["region"]},
        {"startRow": 0, "endRow": 50, "filterModel": {"region": "Kara", "agent": {"type": {"a": 1}, "filter": "agent1"}}},
        {"startRow": 0, "endRow": 50, "filterModel": {"business_days": {"filterType": "number", "filter": "beaucoup"}}},
        {"startRow": 0, "endRow": 50, "filterModel": {"business_days": {"filterType": "number", "filter": {"a": 1}}}},
        {"startRow": 0, "endRow": 50, "filterModel": {"sla_days": {"filterType": "number", "filter": 10**400}}},
        {"startRow": 0, "endRow": 50, "filterModel": {"region": {"filterType": "text", "type": ["equals"], "filter": "kara"}}},
        ["startRow", 0],
        "startRow=0",
    ],
)
def test_a_malformed_grid_request_gets_the_first_block(request_: object) -> None:
    page = grid_page(_rows(1200), request_)
    assert page["rowCount"] == 1200
    assert [r["case_id"] for r in page["rowData"]] == FIRST_BLOCK


def test_a_huge_grid_block_is_capped() -> None:
    rows = _rows(1200)
    page = grid_page(rows, {"startRow": 0, "endRow": 1_000_000})
    assert page["rowCount"] == 1200 and len(page["rowData"]) == 500
    beyond = grid_page(rows, {"startRow": 10**30, "endRow": 10**30 + 50})
    assert beyond == {"rowData": [], "rowCount": 1200}
    backwards = grid_page(rows, {"startRow": 100, "endRow": -5})
    assert backwards["rowData"] == []
    numeric_text = grid_page(rows, {"startRow": "100", "endRow": "150"})  # as a hand-written request would say it
    assert [r["case_id"] for r in numeric_text["rowData"]] == [f"C{i:05d}" for i in range(100, 150)]


def test_well_formed_parts_of_a_request_still_apply() -> None:
    request = {
        "startRow": 0,
        "endRow": "oops",
        "sortModel": [{"colId": "nope"}, {"colId": "business_days", "sort": "desc"}],
        "filterModel": {"region": {"filterType": "text", "type": "equals", "filter": "kara"}, "agent": 7},
    }
    page = grid_page(_rows(1200), request)
    assert page["rowCount"] == 600 and len(page["rowData"]) == 50
    assert {r["region"] for r in page["rowData"]} == {"Kara"} and page["rowData"][0]["business_days"] == 16


def test_the_grid_callback_answers_crafted_requests(service, catalog) -> None:
    """The rows callback's logic, with the real KPI service: crafted requests and URLs, no exception."""
    first = explorer.grid_rows({"startRow": 0, "endRow": 50}, "", service, catalog, NOW, who=ALL)
    assert first["rowCount"] > 0
    assert explorer.grid_rows({"startRow": "x", "sortModel": {"a": 1}}, "", service, catalog, NOW, who=ALL) == first
    assert explorer.grid_rows({"startRow": 0}, 12, service, catalog, NOW, who=ALL) == {
        "rowData": [],
        "rowCount": 0,
    }  # a crafted URL
    assert explorer.grid_rows({"startRow": 0}, "?periode=perso&du=0001-01-01&au=0001-01-02", service, catalog, NOW, who=ALL) == {
        "rowData": [],
        "rowCount": 0,
    }


CONTROLS = [
    ids.EXPLORER_PERIOD,
    ids.EXPLORER_FROM,
    ids.EXPLORER_TO,
    ids.EXPLORER_SERVICE,
    ids.EXPLORER_PROCEDURE,
    ids.EXPLORER_REGION,
    ids.EXPLORER_CHANNEL,
    ids.EXPLORER_POPULATION,
    ids.EXPLORER_STEP,
    ids.EXPLORER_BARS,
    ids.EXPLORER_REGIONS,
    ids.EXPLORER_REGION_MAP,
]


@pytest.mark.parametrize(
    ("trigger", "value"),
    [
        (ids.EXPLORER_BARS, {"points": "CEET"}),
        (ids.EXPLORER_BARS, {"points": [["CEET"]]}),
        (ids.EXPLORER_REGIONS, ["Kara"]),
        (ids.EXPLORER_REGIONS, {"points": [{"customdata": {"region": "Kara"}}]}),
        (ids.EXPLORER_FROM, 20261101),
        (ids.EXPLORER_SERVICE, ["CEET"]),
    ],
)
def test_crafted_navigation_inputs_change_nothing(catalog, trigger: str, value: object) -> None:
    values = tuple(value if i == trigger else None for i in CONTROLS)
    assert navigate_to(trigger, (*values, "?service=CEET"), catalog, NOW) is no_update


def test_an_unknown_procedure_lands_on_the_french_notice(service, catalog) -> None:
    values = tuple("XX-1" if i == ids.EXPLORER_PROCEDURE else None for i in CONTROLS)
    search = navigate_to(ids.EXPLORER_PROCEDURE, (*values, ""), catalog, NOW)
    assert search == "?procedure=XX-1"
    notice = _find(explorer.render(search, service, catalog, NOW, who=ALL), ids.EXPLORER_ERROR)
    assert notice is not None and "procédure inconnue" in str(notice.children[1].children)
