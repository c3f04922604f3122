"""Case ids in the explorer's grid are text, and their links lead only to their own case page.

A case id comes from a source database, which anyone who files a case may shape. Shown through the
grid's markdown renderer, ``PHISH](https://evil.example/login) [z`` became a live link to another
site. The grid now sends ids as plain text and the CaseLink renderer (assets/case_link.js) builds
``/explorer/case/<source>/<id>`` with encodeURIComponent; tests/browser/test_case_links.py clicks it
in Chromium. Here: what the server sends, and that the address the renderer builds opens the case.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pandas as pd
import pytest

from collectors.normalize import empty_quarantine
from dashboard import create_app, ids
from dashboard.explorer.grid import CASE_LINK_RENDERER, NUMBER_RENDERER, case_columns, case_grid, display_rows
from dashboard.pages.explorer import grid_page
from domain.business_days import BusinessCalendar
from service.kpi_service import KpiService
from store.reader import Reader
from store.watermark import Watermark
from store.writer import Batch
from tests.kpi_fixtures import frames
from tests.support import ROOT

EVIL_IDS = [
    "PHISH](https://evil.example/login) [z",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "a/b?c=d#e",
    "dossier 42 % été",
]


def encode_uri_component(text: str) -> str:
    """JavaScript's encodeURIComponent (UTF-8; A-Z a-z 0-9 - _ . ! ~ * ' ( ) kept), which the renderer uses."""
    return quote(text, safe="-_.!~*'()")


def renderer_href(source: str, case_id: str) -> str:
    """The address assets/case_link.js gives a row's link."""
    return f"/explorer/case/{encode_uri_component(source)}/{encode_uri_component(case_id)}"


def _rows(case_ids: list[str]) -> pd.DataFrame:
    n = len(case_ids)
    return pd.DataFrame(
        {
            "source": ["src"] * n,
            "case_id": case_ids,
            "service": ["CEET"] * n,
            "procedure_code": ["CEET-BT"] * n,
            "region": ["Kara"] * n,
            "channel": ["online"] * n,
            "status": ["in_review"] * n,
            "submitted_at": [pd.Timestamp("2026-11-01T08:00:00Z")] * n,
            "closed_at": pd.Series([pd.NaT] * n, dtype="datetime64[us, UTC]"),
            "business_days": pd.array([3] * n, dtype="Int64"),
            "sla_days": [10] * n,
            "due_date": [pd.Timestamp("2026-12-01")] * n,
            "processing_days": [float("nan")] * n,
            "breached": [False] * n,
            "at_risk": [False] * n,
            "agent": ["agent0"] * n,
        }
    )


def test_the_grid_sends_case_ids_as_typed() -> None:
    page = grid_page(_rows(EVIL_IDS), {"startRow": 0, "endRow": 50})
    assert [r["case_id"] for r in page["rowData"]] == EVIL_IDS  # no markdown, no link: text
    assert {r["source"] for r in page["rowData"]} == {"src"}
    assert display_rows(_rows(["C1"]))[0]["case_id"] == "C1"


def test_the_case_column_is_drawn_by_the_case_link_renderer_never_markdown() -> None:
    columns = case_columns()
    assert columns[0]["field"] == "case_id" and columns[0]["cellRenderer"] == CASE_LINK_RENDERER
    # issue 16: numbers get French thousands separators through a renderer of the same asset
    assert all(c.get("cellRenderer") in (None, CASE_LINK_RENDERER, NUMBER_RENDERER) for c in columns)
    grid = case_grid(ids.EXPLORER_GRID)
    assert "markdown" not in repr(grid.to_plotly_json()).lower()
    assert "dangerously_allow_code" not in repr(grid.to_plotly_json())


def test_the_renderer_asset_builds_text_and_a_local_target() -> None:
    """The asset registers the renderer under the grid's name, writes the id as a text child and builds the
    address itself; nothing that parses markup or runs code (it must run under the strict CSP)."""
    script = (ROOT / "assets" / "case_link.js").read_text(encoding="utf-8")
    assert f"renderers.{CASE_LINK_RENDERER} = function" in script
    assert "window.dashAgGridComponentFunctions" in script
    assert '"/explorer/case/" + encodeURIComponent(String(row.source)) + "/" + encodeURIComponent(id)' in script
    assert 'createElement("a", { href: href, className: "case-link", tabIndex: -1 }, id)' in script
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.DOTALL)  # the comments may name what the code avoids
    for forbidden in ("innerHTML", "outerHTML", "dangerouslySetInnerHTML", "eval(", "Function(", "markdown", "document.write"):
        assert forbidden not in code, forbidden


@pytest.fixture
def app_with(sqlite_store, catalog, clock):  # type: ignore[no-untyped-def]
    cases, events = frames(
        [{"case_id": case_id, "procedure_code": "CEET-BT", "submitted_at": "2026-11-10 09:00"} for case_id in EVIL_IDS],
        [(case_id, "submitted", "2026-11-10 09:00") for case_id in EVIL_IDS],
    )
    sqlite_store.commit_batch(
        Batch(
            source="src",
            cases=cases.drop(columns=["source", "deleted_at", "version"]),
            events=events[["case_id", "status", "at", "seq"]],
            quarantine=empty_quarantine(),
            watermarks={"cases": Watermark(), "events": Watermark()},
        ),
        clock.now,
    )
    service = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    return create_app(service.reader, service, clock)


@pytest.mark.parametrize("case_id", EVIL_IDS)
def test_the_link_the_renderer_builds_opens_that_very_case(app_with, case_id: str) -> None:
    """The router splits the path on « / » and unquotes each part: the renderer's address names the case back."""
    href = renderer_href("src", case_id)
    assert href.count("/") == 4 and "evil.example" not in href.split("/explorer/case/")[0]
    client = app_with.server.test_client()
    client.get("/")  # the page gives the CSRF cookie the renderer sends back
    address = [
        {"id": "_pages_location", "property": "pathname", "value": href},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": address,
        "changedPropIds": ["_pages_location.pathname"],
        "state": address,
    }
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    assert response.status_code == 200
    assert _h1(response.get_json()) == f"Dossier {case_id} (src)"  # the case page, not « Dossier introuvable »


def _h1(payload: object) -> str | None:
    """The first H1's text in a Dash callback answer."""
    if isinstance(payload, dict):
        if payload.get("type") == "H1":
            return payload["props"]["children"]
        values = list(payload.values())
    elif isinstance(payload, list):
        values = payload
    else:
        return None
    for value in values:
        found = _h1(value)
        if found is not None:
            return found
    return None
