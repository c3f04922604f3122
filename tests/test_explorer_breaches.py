"""Issue 16, the director's questions: bars of the listed population sorted by it (breaches by default), siblings
kept after a drill, calendar periods (auto step, ISO weeks, partial periods), one legal delay or none."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from collectors.normalize import empty_quarantine
from dashboard import ids
from dashboard.auth.web import DEMO as ALL  # the whole ministry
from dashboard.explorer.figures import BAR_KEYS, flow_trend, population_bars, processing_band, ranked
from dashboard.explorer.state import ExplorerQuery
from dashboard.explorer.views import chart_step, legal_delay
from dashboard.pages.explorer import render
from domain.business_days import BusinessCalendar
from domain.model import REGIONS
from kpis.filters import CaseFilters
from kpis.periods import auto_step, blank_before, data_start, flows_by_period, periods, window_dates
from service.kpi_service import KpiService
from store.reader import Reader
from store.watermark import Watermark
from store.writer import Batch
from tests.kpi_fixtures import frames

D = dt.date


# -- periods ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "step"),
    [(1, "day"), (7, "day"), (31, "day"), (32, "week"), (90, "week"), (183, "week"), (184, "month"), (365, "month")],
)
def test_the_step_follows_the_window(days: int, step: str) -> None:
    assert auto_step(days) == step


def test_a_step_picked_in_the_url_wins_over_the_automatic_one() -> None:
    assert chart_step(ExplorerQuery(), 365) == "month"
    assert chart_step(ExplorerQuery(step="jour"), 365) == "day"
    assert chart_step(ExplorerQuery(step="semaine"), 30) == "week"


def test_weeks_are_iso_weeks_and_short_ends_are_partial() -> None:
    dates = [D(2026, 11, 4) + dt.timedelta(days=k) for k in range(27)]  # Wednesday 4 Nov .. Monday 30 Nov
    cut = periods(dates, "week", last_complete=True)
    assert cut["period_start"].tolist() == [D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30)]
    assert all(day.weekday() == 0 for day in cut["period_start"])  # Mondays
    assert cut["dates"].tolist() == [5, 7, 7, 7, 1]
    assert cut["partial"].tolist() == [True, False, False, False, True]
    assert cut["first"].iloc[0] == D(2026, 11, 4) and cut["last"].iloc[-1] == D(2026, 11, 30)


def test_today_is_a_partial_period_until_it_is_over() -> None:
    dates = [D(2026, 11, 1) + dt.timedelta(days=k) for k in range(30)]  # the whole of November
    assert periods(dates, "month", last_complete=True)["partial"].tolist() == [False]
    assert periods(dates, "month", last_complete=False)["partial"].tolist() == [True]  # the window ends now
    days = periods(dates[-3:], "day", last_complete=False)
    assert days["partial"].tolist() == [False, False, True]


def test_window_dates_end_on_the_last_instant_before_t() -> None:
    midnight = pd.Timestamp("2026-12-01T00:00:00Z")  # a custom range up to 30 Nov
    dates, over = window_dates(midnight, 3)
    assert dates == [D(2026, 11, 28), D(2026, 11, 29), D(2026, 11, 30)] and over
    dates, over = window_dates(pd.Timestamp("2026-12-01T17:00:00Z"), 2)
    assert dates == [D(2026, 11, 30), D(2026, 12, 1)] and not over


def test_flows_by_period_sum_the_days_and_keep_the_last_backlog() -> None:
    daily = pd.DataFrame(
        {
            "date": [D(2026, 11, 27) + dt.timedelta(days=k) for k in range(5)],  # Fri .. Tue
            "inflow": [1, 2, 3, 4, 5],
            "outflow": [0, 1, 0, 2, 0],
            "backlog": [10, 11, 14, 16, 21],
        }
    )
    weekly = flows_by_period(daily, "week")
    assert weekly["period_start"].tolist() == [D(2026, 11, 23), D(2026, 11, 30)]
    assert weekly["inflow"].tolist() == [6, 9] and weekly["outflow"].tolist() == [1, 2]
    assert weekly["backlog"].tolist() == [14, 21]
    assert weekly["partial"].tolist() == [True, True]
    assert weekly["inflow"].sum() == daily["inflow"].sum()


def test_the_previous_period_has_no_points_before_the_data_starts() -> None:
    daily = pd.DataFrame(
        {
            "date": [D(2026, 11, 1) + dt.timedelta(days=k) for k in range(6)],
            "inflow": [0, 0, 0, 2, 0, 1],
            "outflow": [0, 0, 0, 0, 0, 1],
            "backlog": [0, 0, 0, 2, 2, 2],
        }
    )
    assert data_start(daily) == D(2026, 11, 4)
    blank = blank_before(flows_by_period(daily, "day", last_complete=True), data_start(daily))
    assert blank["inflow"].tolist() == [None, None, None, 2, 0, 1]  # zeros after the start stay zeros
    current = flows_by_period(daily, "day", last_complete=True)
    with_previous = flow_trend(current, blank, "day")
    assert "Déposés (avant)" in [t["name"] for t in with_previous["data"]]
    nothing = blank_before(current, None)
    without = flow_trend(current, nothing, "day")
    assert not any("(avant)" in t["name"] for t in without["data"])  # no flat zero line either


def test_partial_periods_are_marked_not_drawn_as_a_collapse() -> None:
    daily = pd.DataFrame(
        {
            "date": [D(2026, 11, 4) + dt.timedelta(days=k) for k in range(20)],
            "inflow": [3] * 20,
            "outflow": [1] * 20,
            "backlog": list(range(20)),
        }
    )
    weekly = flows_by_period(daily, "week")  # Wed 4 .. Mon 23 Nov: first and last weeks partial
    figure = flow_trend(weekly, None, "week")
    solid = next(t for t in figure["data"] if t["name"] == "Déposés" and t["line"].get("dash") is None)
    assert solid["y"][0] is None and solid["y"][-1] is None and solid["y"][1] == 21
    marks = next(t for t in figure["data"] if t["name"] == "Déposés (période partielle)")
    assert marks["y"] == [15, 3]
    assert marks["customdata"][0].startswith("période partielle : 5 j sur 7")


# -- bars ------------------------------------------------------------------------------------------------------


def _rows(*groups: tuple[str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"group": g, "label": g, **dict.fromkeys(BAR_KEYS, 0), "backlog": backlog, "breached_open": breached}
            for g, backlog, breached in groups
        ]
    )


def test_bars_are_sorted_by_breaches_with_their_share() -> None:
    rows = _rows(("A", 500, 10), ("B", 40, 30), ("C", 90, 30), ("D", 0, 0))
    assert ranked(rows, "en_cours")["group"].tolist() == ["C", "B", "A", "D"]  # ties: the larger backlog first
    assert ranked(rows, "deposes")["group"].tolist() == ["A", "B", "C", "D"]  # inflow all zero: by label
    figure = population_bars(rows, "hors_delai", "Par structure")
    whole, part = figure["data"]
    assert whole["customdata"] == ["C", "B", "A", "D"] and part["customdata"] == whole["customdata"]
    assert whole["x"] == [90, 40, 500, 0] and part["x"] == [30, 30, 10, 0]
    assert whole["text"][0] == "30 hors délai · 33\u202f% des en cours"
    assert whole["textposition"] == "outside"  # never inside a thin bar
    assert "text" not in part


def test_the_selected_sibling_is_highlighted() -> None:
    figure = population_bars(_rows(("A", 5, 1), ("B", 9, 4)), "en_cours", "Par région", selected="A")
    whole = figure["data"][0]
    assert whole["customdata"] == ["B", "A"]
    assert whole["marker"]["opacity"] == [0.45, 1.0]
    assert whole["y"][1] == "<b>A</b>" and whole["y"][0] == "B"


# -- legal delay -----------------------------------------------------------------------------------------------


def test_a_legal_delay_only_at_procedure_level(catalog) -> None:
    assert legal_delay(ExplorerQuery(), catalog) is None
    assert legal_delay(ExplorerQuery(service="CEET"), catalog) is None
    assert legal_delay(ExplorerQuery(service="CEET", procedure="CEET-BT"), catalog) == 15
    buckets = pd.DataFrame(
        {
            "period_start": [D(2026, 11, 2), D(2026, 11, 9)],
            "first": [D(2026, 11, 4), D(2026, 11, 9)],
            "last": [D(2026, 11, 8), D(2026, 11, 10)],
            "dates": [5, 2],
            "partial": [True, True],
            "median_business_days": [4.0, 6.0],
            "p90_business_days": [8.0, 9.0],
        }
    )
    none = processing_band(buckets, None, "week")
    assert not none["layout"]["shapes"] and not none["layout"]["annotations"]
    one = processing_band(buckets, 15, "week")
    assert [s["y0"] for s in one["layout"]["shapes"]] == [15]
    note = one["layout"]["annotations"][0]
    assert note["text"] == "délai légal<br>15 j ouvrés" and note["x"] == 1 and note["xanchor"] == "left"  # in the margin


# -- against the engine ----------------------------------------------------------------------------------------


def _spread_cases() -> tuple[list[dict], list[tuple]]:
    """Cases over three procedures of two structures and the five regions, submitted from 1 Oct to 19 Nov 2026
    (the clock: 20 Nov), one in four closed: many past their legal delay, unevenly."""
    cases, events = [], []
    for i in range(90):
        procedure = ("CEET-BT", "CEET-ABO", "MIN-EXP", "CEET-BT", "MIN-EXP")[i % 5]
        submitted = dt.datetime(2026, 10, 1, 8, tzinfo=dt.UTC) + dt.timedelta(days=(i * 7) % 50, hours=i % 6)
        case = {"case_id": f"s{i:03d}", "procedure_code": procedure, "submitted_at": f"{submitted:%Y-%m-%d %H:%M}"}
        cases.append({**case, "region": REGIONS[(i * 3) % len(REGIONS)]})
        events.append((case["case_id"], "submitted", case["submitted_at"]))
        if i % 4 == 0:
            events.append((case["case_id"], "approved", f"{submitted + dt.timedelta(days=9):%Y-%m-%d %H:%M}"))
    return cases, events


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    cases, events = frames(*_spread_cases())
    batch = Batch(
        source="src",
        cases=cases.drop(columns=["source", "deleted_at", "version"]),
        events=events[["case_id", "status", "at", "seq"]],
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    sqlite_store.commit_batch(batch, clock.now)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def _figure(page: object, graph_id: str) -> dict:
    stack = [page]
    while stack:
        node = stack.pop()
        if getattr(node, "id", None) == graph_id:
            return node.figure  # type: ignore[attr-defined]
        children = getattr(node, "children", None)
        stack += [c for c in (children if isinstance(children, list | tuple) else [children]) if c is not None]
    raise AssertionError(graph_id)


def _bars(figure: dict) -> dict[str, tuple[int, int]]:
    whole, *part = figure["data"]
    breached = part[0]["x"] if part else [0] * len(whole["x"])
    return {g: (w, b) for g, w, b in zip(whole["customdata"], whole["x"], breached, strict=True)}


def test_sibling_bars_are_the_engine_counts_without_their_own_filter(service, catalog, clock) -> None:
    now = clock()
    page = render("?service=CEET&procedure=CEET-BT&region=Kara", service, catalog, now, who=ALL)
    procedures = _bars(_figure(page, ids.EXPLORER_BARS))
    assert set(procedures) == set(catalog.loc[catalog["service"] == "CEET", "code"])
    for code, (backlog, breached) in procedures.items():
        alone = service.document(None, 30, CaseFilters(service="CEET", procedure=code, region="Kara"))["overall"]
        assert (backlog, breached) == (alone["backlog"], alone["breached_open"]), code
    assert sum(b for b, _ in procedures.values()) > procedures["CEET-BT"][0]  # the siblings are not empty
    regions = _bars(_figure(page, ids.EXPLORER_REGIONS))
    assert list(regions) != [] and set(regions) == set(REGIONS)
    for region, (backlog, breached) in regions.items():
        alone = service.document(None, 30, CaseFilters(service="CEET", procedure="CEET-BT", region=region))["overall"]
        assert (backlog, breached) == (alone["backlog"], alone["breached_open"]), region
    assert sum(b for b, _ in regions.values()) > regions["Kara"][0]


def test_the_default_bars_put_the_most_breached_structure_first(service, catalog, clock) -> None:
    page = render("", service, catalog, clock(), who=ALL)
    bars = _bars(_figure(page, ids.EXPLORER_BARS))
    document = service.document(None, 30)
    expected = sorted(
        document["by_service"],
        key=lambda s: (-document["by_service"][s]["breached_open"], -document["by_service"][s]["backlog"], s),
    )
    assert list(bars) == expected
    assert max(b for _, b in bars.values()) > 0  # the fixture has breaches: the order is not the alphabet's by luck
    assert sum(b for _, b in bars.values()) == document["overall"]["breached_open"]  # the tile's number


def test_the_time_charts_cover_the_same_dates(service, catalog, clock) -> None:
    for search in ("", "?periode=90j", "?periode=365j", "?periode=perso&du=2026-10-01&au=2026-10-31"):
        page = render(search, service, catalog, clock(), who=ALL)
        trend, processing = _figure(page, ids.EXPLORER_TREND), _figure(page, ids.EXPLORER_PROCESSING)
        assert trend["layout"]["xaxis"]["range"] == processing["layout"]["xaxis"]["range"], search
        assert trend["data"][0]["x"] == processing["data"][0]["x"], search
