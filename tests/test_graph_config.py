"""Every chart of the app takes its modebar from dashboard/graph_config.py, and that modebar keeps nothing that
sends a figure or its data off the machine (tests/browser/test_chart_toolbar.py reads the buttons in Chromium).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import plotly
import pytest
from dash import dcc

from dashboard import graph_config
from dashboard.auth.web import DEMO as ALL  # the whole ministry
from dashboard.pages import case, explorer, wall
from dashboard.pages.explorer import render as explorer_layout
from domain.business_days import BusinessCalendar
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import ROOT, load_fixture

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
SHARED = {"DESK_GRAPH", "TIME_GRAPH", "WALL_GRAPH"}
LOCAL_BUTTONS = {"toImage", "zoom2d", "resetScale2d"}  # a PNG made in the browser; zoom changes only the view


def _graph_calls() -> list[tuple[Path, int, ast.Call]]:
    calls = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("dcc.Graph", "Graph"):
                calls.append((path.relative_to(ROOT), node.lineno, node))
    return calls


def test_every_graph_in_the_code_names_a_shared_config() -> None:
    calls = _graph_calls()
    assert len(calls) >= 8  # explorer (4 + workload 3), case, wall (2): the scan sees them
    for path, line, call in calls:
        config = next((k.value for k in call.keywords if k.arg == "config"), None)
        assert config is not None and ast.unparse(config) in SHARED, f"{path}:{line} needs config= from graph_config"


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def _graphs(component: object) -> list[dcc.Graph]:
    found = [component] if isinstance(component, dcc.Graph) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found += _graphs(child)
    return found


def test_every_graph_the_pages_build_uses_a_shared_config(service) -> None:
    story = service.case_story("src", "c1")
    assert story is not None
    built = [
        explorer_layout("", service, service.catalog, NOW, who=ALL),
        explorer_layout("?service=CEET&procedure=CEET-ABO&pas=semaine", service, service.catalog, NOW, who=ALL),
        explorer_layout("?vue=charge", service, service.catalog, NOW, who=ALL),
        case.story_page(story, "Abonnement"),
        *wall.views(service, service.catalog),
    ]
    graphs = [g for part in built for g in _graphs(part)]
    assert len(graphs) >= 15  # three explorer views, a timeline, the wall's panels and trend lines
    for graph in graphs:
        assert any(graph.config is shared for shared in graph_config.ALL_CONFIGS), getattr(graph, "id", graph)
    assert explorer.DESK_GRAPH is graph_config.DESK_GRAPH  # the page uses the module's, not a copy


@pytest.mark.parametrize("config", [graph_config.DESK_GRAPH, graph_config.TIME_GRAPH])
def test_desk_modebars_keep_local_buttons_only_with_french_titles(config: dict) -> None:
    buttons = {b for group in config["modeBarButtons"] for b in group}
    assert "toImage" in buttons and buttons <= LOCAL_BUTTONS
    assert config["showSendToCloud"] is False and config["displaylogo"] is False and config["plotlyServerURL"] == ""
    assert config["locale"] == "fr" and config["locales"]["fr"]["dictionary"] is graph_config.FRENCH_DICTIONARY


def test_the_wall_shows_no_modebar() -> None:
    assert graph_config.WALL_GRAPH["displayModeBar"] is False and graph_config.WALL_GRAPH["modeBarButtons"] == []


def test_the_french_titles_match_the_plotly_js_that_is_served() -> None:
    """Dash serves plotly's own bundle: if an upgrade renames a button's title, the dictionary must follow."""
    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    for english in ("Download plot as a PNG", "Zoom", "Reset axes", "Preparing image - this may take a few seconds"):
        assert f'"{english}"' in bundle and english in graph_config.FRENCH_DICTIONARY, english
    assert "sendChartToCloud" in bundle  # the button the whitelist keeps out still exists: keep the whitelist
