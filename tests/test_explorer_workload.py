"""Issue 16, the workload view (``/explorer?vue=charge``): only the controls that act, an agent's bar (and its name in
the table) lists exactly that agent's open cases, partial ISO weeks are marked with the days they cover, the table's
numbers are French and sortable as numbers."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly
import pytest
from dash import html

from collectors.normalize import empty_quarantine
from dashboard import ids
from dashboard.auth.web import DEMO as ALL  # the whole ministry
from dashboard.explorer.figures import workload_bars
from dashboard.explorer.grid import AGENT_LINK_RENDERER, NUMBER_RENDERER, apply_view
from dashboard.explorer.grid_view import Condition, GridView
from dashboard.explorer.labels import filter_summary
from dashboard.explorer.navigation import after_agent_click, agent_cases, agent_search
from dashboard.explorer.state import ExplorerQuery, parse_search
from dashboard.explorer.views import week_header, workload_columns, workload_table
from dashboard.pages.explorer import render
from domain.business_days import BusinessCalendar
from kpis.workload import UNASSIGNED, window_weeks
from service.kpi_service import KpiService
from store.reader import Reader
from store.watermark import Watermark
from store.writer import Batch
from tests.kpi_fixtures import CASES, EVENTS, frames
from tests.support import texts

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
#: Agent names as a source may hold them: URL and markup characters, accents, none at all (no two differ by case only).
AGENTS = ["Ama & Kofi : 50 % <b>?#", "agent=1&dossiers=clos", None, "Ébène+Fils", "  K. Mensah"]


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    kept = [{**c, "agent": AGENTS[i % len(AGENTS)]} for i, c in enumerate(CASES) if not c.get("deleted_at")]
    cases, events = frames(kept, EVENTS)
    cases = cases.assign(procedure_code=cases["procedure_code"].map({"P": "CEET-ABO", "Q": "MIN-EXP", "Z": "MIN-CAR"}))
    batch = Batch(
        source="src",
        cases=cases.drop(columns=["source", "deleted_at", "version"]),
        events=events.loc[events["case_id"].isin(set(cases["case_id"])), ["case_id", "status", "at", "seq"]],
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    sqlite_store.commit_batch(batch, clock.now)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


# --- partial ISO weeks -------------------------------------------------------------------------------------------


def test_the_window_weeks_say_how_much_of_each_week_they_cover() -> None:
    # Thursday 26/11/2026 noon, 10 days back: Monday 16/11 noon -> W47 from Monday noon, W48 up to Thursday noon
    weeks = window_weeks(pd.Timestamp("2026-11-26T12:00Z"), 10)
    assert list(weeks["week"]) == ["2026-W47", "2026-W48"]
    assert list(weeks["covered"]) == [6.5, 3.5] and list(weeks["partial"]) == [True, True]
    assert [str(d) for d in weeks["monday"]] == ["2026-11-16", "2026-11-23"]
    assert [week_header(w, 1) for _, w in weeks.iterrows()] == ["S47 (partielle, 6,5 j sur 7)", "S48 (partielle, 3,5 j sur 7)"]
    # two whole weeks, from a Monday midnight to a Monday midnight: nothing partial
    whole = window_weeks(pd.Timestamp("2026-11-30T00:00Z"), 14)
    assert list(whole["week"]) == ["2026-W47", "2026-W48"] and not whole["partial"].any()
    assert [week_header(w, 1) for _, w in whole.iterrows()] == ["S47", "S48"]
    # from Friday midnight: 3 whole days of the first week, said as an integer
    friday = window_weeks(pd.Timestamp("2026-11-30T00:00Z"), 10)
    assert week_header(friday.iloc[0], 1) == "S47 (partielle, 3 j sur 7)"


def test_across_a_new_year_the_weeks_name_their_year() -> None:
    weeks = window_weeks(pd.Timestamp("2027-01-06T00:00Z"), 14)
    assert list(weeks["week"]) == ["2026-W52", "2026-W53", "2027-W01"]  # 2026 has 53 ISO weeks
    assert week_header(weeks.iloc[0], weeks["year"].nunique()).startswith("S52 2026 (partielle")


@pytest.mark.parametrize("days", [1, 7, 30, 90, 365])
@pytest.mark.parametrize("as_of", ["2026-11-30T12:34Z", "2026-11-30T00:00Z", "2026-01-01T23:59Z"])
def test_the_weeks_cover_the_window_exactly(as_of: str, days: int) -> None:
    weeks = window_weeks(pd.Timestamp(as_of), days)
    assert weeks["covered"].sum() == pytest.approx(days)
    assert (weeks["covered"] > 0).all() and (weeks["covered"] <= 7).all()
    assert not weeks.iloc[1:-1]["partial"].any()  # only the first and last weeks can be partial
    assert weeks["week"].is_unique


def test_the_table_has_a_column_per_week_of_the_window_and_marks_the_partial_ones(service) -> None:
    query = ExplorerQuery(period="90j", view="charge")
    as_of, days = query.window(NOW)
    _, decisions = service.workload(as_of, days, query.filters)
    weeks = window_weeks(pd.Timestamp(service.document(as_of, days, query.filters)["as_of"]), days)
    assert set(decisions["week"]) <= set(weeks["week"])  # every decision falls in a week of the window
    columns = workload_columns(weeks)
    headers = [c["headerName"] for c in columns]
    assert headers[:4] == ["Agent", "En cours", "dont hors délai", "Décisions (total)"]
    assert all(c.get("pinned") == "left" for c in columns[:4]) and not any(c.get("pinned") for c in columns[4:])
    assert "(partielle," in headers[4] and "(partielle," in headers[-1]  # 90 days from a Friday noon
    assert not any("partielle" in h for h in headers[5:-1])
    assert all(c["cellRenderer"] == NUMBER_RENDERER and c["type"] == "numericColumn" for c in columns[1:])
    assert columns[0]["cellRenderer"] == AGENT_LINK_RENDERER
    assert not any("function" in json.dumps(c) for c in columns)  # no code for the grid to eval (CSP)


# --- an agent's cases --------------------------------------------------------------------------------------------


def test_the_agent_link_is_encoded_and_reads_back_as_that_agent() -> None:
    name = "Ama & Kofi : 50 % <b>?#"
    query = ExplorerQuery(period="90j", region="Kara", population="hors_delai", view="charge", step="semaine")
    search = agent_search(query, name)
    assert "<" not in search and "#" not in search and "&dossiers" not in search.split("filtre=")[1]
    back = parse_search(search, pd.DataFrame({"code": [], "service": []}), NOW)
    assert back.grid == GridView(conditions=(Condition("agent", "text", "equals", name),))
    assert (back.view, back.population, back.period, back.region) == ("synthese", "en_cours", "90j", "Kara")
    # the grid's other filters are dropped (the list is the agent's whole bar), its sort kept
    other = GridView(sort=(("business_days", False),), conditions=(Condition("region", "text", "equals", "x"),))
    sorted_ = query.with_(grid=other)
    assert agent_cases(sorted_, "Ama").grid == GridView(
        sort=(("business_days", False),), conditions=(Condition("agent", "text", "equals", "Ama"),)
    )


def test_each_agent_list_counts_exactly_its_bar(service, catalog) -> None:
    """For every agent of the workload, the case list its link opens has as many rows as its bar, with the engine's
    own rows and the grid's own filter: the list's title, grid and export all count through ``apply_view``."""
    for search in ("?vue=charge", "?vue=charge&periode=90j&service=CEET", "?vue=charge&region=Maritime"):
        query = parse_search(search, catalog, NOW)
        as_of, days = query.window(NOW)
        open_, _ = service.workload(as_of, days, query.filters)
        assert open_["open"].sum() > 0
        for agent, count in zip(open_["agent"], open_["open"], strict=True):
            listed = parse_search(agent_search(query, agent), catalog, NOW)
            rows = service.cases(*listed.window(NOW), listed.filters, listed.population)
            kept = apply_view(rows, listed.grid)
            assert len(kept) == count, (search, agent)
    every, _ = service.workload(None, 30, ExplorerQuery().filters)
    assert len(every) >= 4 and UNASSIGNED in set(every["agent"])  # the odd names and « (non attribué) » are all there


def test_the_list_title_shows_the_bar_count_on_the_page(service, catalog) -> None:
    query = parse_search("?vue=charge", catalog, NOW)
    open_, _ = service.workload(*query.window(NOW), query.filters)
    agent, count = str(open_["agent"].iloc[0]), int(open_["open"].iloc[0])
    page = _json(render(agent_search(query, agent), service, catalog, NOW, who=ALL))
    total = int(service.document(None, 30, query.filters)["overall"]["backlog"])
    assert count < total  # the filter keeps some cases, not all: the check can tell them apart
    assert f"Dossiers en cours : {count} sur {total} (filtres de la liste)" in texts(page)


def test_a_click_on_a_bar_goes_to_the_agent_list_and_a_crafted_click_nowhere(catalog) -> None:
    bars = workload_bars(pd.DataFrame({"agent": ["<b>Ama</b>", "Kofi"], "open": [3, 1], "breached": [1, 0]}))
    assert bars["data"][0]["y"][0] == "&lt;b&gt;Ama&lt;/b&gt;"  # plotly reads a few tags: the name is escaped there
    assert bars["data"][0]["customdata"] == ["<b>Ama</b>", "Kofi"]  # and given back as typed
    click = {"points": [{"customdata": "<b>Ama</b>"}]}
    search = after_agent_click(click, "?vue=charge&periode=7j", catalog, NOW)
    assert search == agent_search(ExplorerQuery(period="7j", view="charge"), "<b>Ama</b>")
    for crafted in (None, {}, {"points": []}, {"points": [{"customdata": ["x"]}]}, {"points": [{"customdata": ""}]}):
        assert after_agent_click(crafted, "?vue=charge", catalog, NOW).__class__.__name__ == "NoUpdate"
    assert after_agent_click(click, "?periode=xx", catalog, NOW).__class__.__name__ == "NoUpdate"


def test_the_table_links_each_agent_to_its_list_and_totals_its_decisions(service) -> None:
    query = ExplorerQuery(period="90j", view="charge")
    as_of, days = query.window(NOW)
    open_, decisions = service.workload(as_of, days, query.filters)
    weeks = window_weeks(pd.Timestamp(service.document(as_of, days, query.filters)["as_of"]), days)
    table = workload_table(query, open_, decisions, weeks)
    assert set(table["agent"]) == set(open_["agent"]) | set(decisions["agent"])
    assert all(href == "/explorer" + agent_search(query, a) for a, href in zip(table["agent"], table["agent_href"], strict=True))
    assert int(table["total"].sum()) == int(decisions["decisions"].sum()) > 0
    assert int(table["open"].sum()) == int(open_["open"].sum())
    assert list(table["total"]) == sorted(table["total"], reverse=True)
    assert all(isinstance(v, int) for v in table["total"])  # numbers, not text: the grid sorts them as numbers


# --- the controls ------------------------------------------------------------------------------------------------


def _json(tree: object) -> object:
    return json.loads(json.dumps(tree, cls=plotly.utils.PlotlyJSONEncoder))


def _label_of(tree: object, control: str) -> dict | None:
    """The label (« control ») holding the component ``control``, as JSON."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("className") == "control" and control in json.dumps(props.get("children")):
            return props
        for value in tree.values():
            found = _label_of(value, control)
            if found is not None:
                return found
    if isinstance(tree, list):
        for value in tree:
            found = _label_of(value, control)
            if found is not None:
                return found
    return None


def test_the_workload_shows_only_the_controls_that_act(service, catalog) -> None:
    workload = _json(render("?vue=charge&dossiers=hors_delai&pas=semaine", service, catalog, NOW, who=ALL))
    synthesis = _json(render("?dossiers=hors_delai&pas=semaine", service, catalog, NOW, who=ALL))
    for control in (ids.EXPLORER_POPULATION, ids.EXPLORER_STEP):
        hidden, shown = _label_of(workload, control), _label_of(synthesis, control)
        assert hidden is not None and hidden["style"] == {"display": "none"}  # kept: the navigation callback reads it
        assert shown is not None and not shown.get("style")
    for control in (ids.EXPLORER_PERIOD, ids.EXPLORER_SERVICE, ids.EXPLORER_REGION):
        label = _label_of(workload, control)
        assert label is not None and not label.get("style")
    assert filter_summary(ExplorerQuery(view="charge", population="hors_delai", step="semaine")) == "Filtres · 30 j"
    assert ids.EXPLORER_WORKLOAD_BARS in json.dumps(workload)
    assert isinstance(render("?vue=charge", service, catalog, NOW, who=ALL), html.Div)
