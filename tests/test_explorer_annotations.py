"""Annotations on the explorer's time charts: from a real SQLite store to the figure, level by level,
and the filters' button; the pure rule of which annotation concerns which view, hand-written."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import pytest
from dash import dcc

from dashboard import ids
from dashboard.auth.web import DEMO as ALL
from dashboard.explorer.annotations import concerns, markers_for
from dashboard.explorer.figures import flow_trend
from dashboard.explorer.labels import filter_summary
from dashboard.explorer.state import ExplorerQuery
from dashboard.pages.explorer import render
from domain.business_days import BusinessCalendar
from kpis.periods import flows_by_period
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.reader import Reader
from tests.support import call, load_fixture, login, secured_app, texts

ROUTER = ".._pages_content.children..._pages_store.data.."


def _utc(day: int, hour: int = 9, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC)


#: text -> (scope, group, kind, at, ends_at); the clock's now is 20/11/2026 12:00 UTC, the default window 30 days.
ANNOTATIONS = {
    "grève des agents": ("overall", "", "manual", _utc(3), None),
    "portail src coupé": ("source", "src", "outage", _utc(5), _utc(6, 14)),
    "CEET en alerte": ("service", "CEET", "alert", _utc(8), None),
    "ARSE en alerte": ("service", "ARSE", "alert", _utc(9), None),
    "stock CEET-BT": ("procedure", "CEET-BT", "alert", _utc(10), None),
    "stock CEET-MT": ("procedure", "CEET-MT", "alert", _utc(11), None),
    "abonnements CEET-ABO": ("procedure", "CEET-ABO", "manual", _utc(12), None),
    "trop ancienne": ("overall", "", "manual", _utc(1, month=9), None),
    "<b>gras</b> & <a href='javascript:alert(1)'>lien</a>": ("service", "CEET", "manual", _utc(14), None),
}
EVERYWHERE = {"grève des agents", "portail src coupé"}
TOP = EVERYWHERE | {
    "CEET en alerte",
    "ARSE en alerte",
    "stock CEET-BT",
    "stock CEET-MT",
    "abonnements CEET-ABO",
    "<b>gras</b> & <a href='javascript:alert(1)'>lien</a>",
}
CEET = TOP - {"ARSE en alerte"}
CEET_BT = EVERYWHERE | {"CEET en alerte", "stock CEET-BT", "<b>gras</b> & <a href='javascript:alert(1)'>lien</a>"}
ARSE = EVERYWHERE | {"ARSE en alerte"}


@pytest.fixture
def alert_store(sqlite_store, clock) -> AlertStore:
    store = AlertStore(sqlite_store.engine)
    for text, (scope, group, kind, at, ends_at) in ANNOTATIONS.items():
        store.annotate(at=at, scope=scope, group=group, kind=kind, text=text, author="marc", now=clock.now, ends_at=ends_at)
    return store


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def _graph(component: object, graph_id: str) -> dcc.Graph:
    if isinstance(component, dcc.Graph) and getattr(component, "id", None) == graph_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _graph(child, graph_id)
            if found is not None:
                return found
    return None  # type: ignore[return-value]


def _marker_hovers(figure: dict) -> list[str]:
    return [h for trace in figure["data"] if trace.get("yaxis") == "y3" for h in trace["hovertext"]]


def _shown(figure: dict) -> set[str]:
    """The annotations a figure's markers name (their hover text, unescaped and unwrapped)."""
    return {html.unescape(h.split("<br>", 1)[1].replace("<br>", " ")) for h in _marker_hovers(figure)}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("", TOP),
        ("?service=CEET", CEET),
        ("?service=CEET&procedure=CEET-BT", CEET_BT),
        ("?service=ARSE", ARSE),
        ("?service=CEET&procedure=CEET-BT&region=Kara&pas=semaine", CEET_BT),  # region and step hide no event
    ],
)
def test_each_level_shows_the_annotations_that_concern_it(alert_store, service, catalog, clock, search, expected) -> None:
    page = render(search, service, catalog, clock.now, alert_store.annotations, who=ALL)
    for chart in (ids.EXPLORER_TREND, ids.EXPLORER_PROCESSING):
        figure = _graph(page, chart).figure
        assert _shown(figure) == expected, (search, chart)
    assert "trop ancienne" not in str(page)  # before the window


def test_markers_are_lines_bands_and_symbols_with_french_dates(alert_store, service, catalog, clock) -> None:
    figure = _graph(
        render("?service=CEET", service, catalog, clock.now, alert_store.annotations, who=ALL), ids.EXPLORER_TREND
    ).figure
    bands = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line" and s["yref"] == "paper"]
    assert [(b["x0"], b["x1"]) for b in bands] == [("2026-11-05 09:00:00", "2026-11-06 14:00:00")]  # Lomé is UTC+0
    assert len(lines) == len(CEET) - 1  # one dotted line per instant
    hovers = _marker_hovers(figure)
    assert "Panne de source · du 05/11 09:00 au 06/11 14:00<br>portail src coupé" in hovers
    assert "08/11 09:00 · Alerte<br>CEET en alerte" in hovers
    assert "03/11 09:00 · Note · marc<br>grève des agents" in hovers
    names = {t["name"] for t in figure["data"] if t.get("yaxis") == "y3"}
    assert names == {"Alertes", "Pannes", "Notes"}
    assert figure["layout"]["yaxis3"]["visible"] is False  # the symbols' axis: 0..1 over the plot


def test_store_text_stays_text_in_the_hover(alert_store, service, catalog, clock) -> None:
    figure = _graph(
        render("?service=CEET", service, catalog, clock.now, alert_store.annotations, who=ALL), ids.EXPLORER_TREND
    ).figure
    (hover,) = [h for h in _marker_hovers(figure) if "gras" in h]
    assert "&lt;b&gt;gras&lt;/b&gt; &amp; &lt;a" in hover
    assert "<b>" not in hover and "<a" not in hover
    trace = next(t for t in figure["data"] if t.get("yaxis") == "y3" and hover in t["hovertext"])
    assert trace["hoverinfo"] == "text" and "hovertemplate" not in trace  # never read as a template either


def test_the_app_wires_the_store_into_the_explorer(sqlite_store, catalog, clock) -> None:
    app = secured_app(sqlite_store, catalog, clock)
    AlertStore(sqlite_store.engine).annotate(
        at=_utc(18), scope="service", group="CEET", kind="manual", text="coupure du portail CEET", author="marc", now=clock.now
    )
    client = login(app, "marc")
    for search, seen in (("?service=CEET", True), ("?service=ARSE", False)):
        address = [
            {"id": "_pages_location", "property": "pathname", "value": "/explorer"},
            {"id": "_pages_location", "property": "search", "value": search},
        ]
        page = call(client, ROUTER, address, state=address)
        assert page.status_code == 200
        assert any("coupure du portail CEET" in t for t in texts(page.get_json())) is seen, search


@pytest.mark.parametrize(
    ("scope", "group", "service", "procedure", "owner", "shown"),
    [
        ("overall", "", None, None, None, True),
        ("source", "src", "ARSE", "ARSE-LIC", None, True),
        ("service", "CEET", None, None, None, True),
        ("service", "CEET", "CEET", None, None, True),
        ("service", "CEET", "CEET", "CEET-BT", None, True),
        ("service", "CEET", "ARSE", None, None, False),
        ("procedure", "CEET-BT", None, None, "CEET", True),
        ("procedure", "CEET-BT", "CEET", None, "CEET", True),
        ("procedure", "CEET-BT", "CEET", "CEET-BT", "CEET", True),
        ("procedure", "CEET-BT", "CEET", "CEET-MT", "CEET", False),
        ("procedure", "CEET-BT", "ARSE", None, "CEET", False),
        ("galaxy", "x", None, None, None, False),
    ],
)
def test_which_view_an_annotation_concerns(scope, group, service, procedure, owner, shown) -> None:
    assert concerns(scope, group, service, procedure, owner) is shown


def test_outages_are_clipped_to_the_window_and_the_frame_is_left_alone(catalog) -> None:
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2026-10-01T08:00Z", "2026-11-19T08:00Z", "2026-10-02T08:00Z"], utc=True),
            "ends_at": pd.to_datetime([None, None, "2026-10-03T08:00Z"], utc=True),
            "scope": ["source", "source", "source"],
            "grp": ["src", "src2", "src3"],
            "kind": ["outage", "outage", "outage"],
            "text": ["toujours en panne", "en panne depuis hier", "revenue avant la fenêtre"],
            "author": [None, None, None],
        }
    )
    before = frame.copy()
    start, end = _utc(1), _utc(20, 12)
    markers = markers_for(frame, "CEET", None, catalog, start, end)
    assert [(m.at, m.until) for m in markers] == [
        (dt.datetime(2026, 11, 1, 9), dt.datetime(2026, 11, 20, 12)),  # noqa: DTZ001 - Lomé wall clock, as the axes read it
        (dt.datetime(2026, 11, 19, 8), dt.datetime(2026, 11, 20, 12)),  # noqa: DTZ001
    ]
    assert markers[1].hover.startswith("Panne de source · depuis le 19/11 08:00 (en cours)")
    pd.testing.assert_frame_equal(frame, before)


def test_no_annotations_no_markers() -> None:
    daily = pd.DataFrame({"date": ["2026-11-19", "2026-11-20"], "inflow": [1, 2], "outflow": [0, 1], "backlog": [3, 4]})
    current = flows_by_period(daily, "day")
    figure = flow_trend(current, current, "day")
    assert "yaxis3" not in figure["layout"] and all(t.get("yaxis") != "y3" for t in figure["data"])


def test_the_filters_button_names_the_active_filters() -> None:
    assert filter_summary(ExplorerQuery()) == "Filtres · 30 j"
    query = ExplorerQuery(period="7j", service="CEET", procedure="CEET-BT", region="Kara", channel="guichet")
    assert filter_summary(query) == "Filtres · 7 j · CEET · CEET-BT · Kara · guichet"
    custom = ExplorerQuery(period="perso", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31), population="hors_delai")
    assert filter_summary(custom) == "Filtres · 01/10/2026 – 31/10/2026 · dossiers hors délai (en cours)"
