"""Issue 16: the case grid's filters and sorts live in the URL and in the exports (title = grid = export), statuses sort
in the order of a case's life, and what the explorer says about a list is French (labels, not internal codes)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard.explorer.grid import apply_view
from dashboard.explorer.grid_view import Condition, GridView, filter_model, from_models, from_url, sort_model
from dashboard.explorer.labels import business_days_text, list_title_text, page_title, query_lines
from dashboard.explorer.routes import export_header
from dashboard.explorer.state import ExplorerQuery, parse_search
from dashboard.pages.explorer import grid_search
from tests.support import call, login, secured_app, texts

NOW = pd.Timestamp("2026-11-30T12:00Z").to_pydatetime()
KOFI_AND_OLD = GridView(
    sort=(("business_days", False), ("agent", True)),
    conditions=(Condition("agent", "text", "contains", "Kofi"), Condition("business_days", "number", "greaterThan", 20.0)),
)


def test_the_grid_view_round_trips_through_the_url(catalog) -> None:
    query = ExplorerQuery(service="CEET", population="hors_delai", grid=KOFI_AND_OLD)
    search = query.to_search()
    assert "tri=-jours_ouvres%2Cagent" in search and "filtre=agent%3Acontient%3AKofi" in search
    assert "filtre=jours_ouvres%3Asup%3A20" in search  # French slugs, one filtre per condition
    assert parse_search(search, catalog, NOW) == query
    assert ExplorerQuery(grid=GridView()).to_search() == ""  # no grid state, no parameter


def test_the_grid_opens_as_the_url_says() -> None:
    """The grid's initial state from the URL is read back by the server exactly as the URL's."""
    assert from_models(filter_model(KOFI_AND_OLD), sort_model(KOFI_AND_OLD)) == KOFI_AND_OLD


@pytest.mark.parametrize(
    ("tri", "filtres", "expected"),
    [
        ("-inconnu,agent", [], GridView(sort=(("agent", True),))),
        ("", ["agent:contient:"], GridView()),  # an empty value filters nothing
        (None, ["jours_ouvres:sup:beaucoup"], GridView()),  # not a number
        (None, ["jours_ouvres:contient:3"], GridView()),  # a text test on a number column
        (None, ["agent:sup:3"], GridView()),  # a number test on a text column
        (None, ["nimporte", "::", "agent"], GridView()),
        (None, ["jours_ouvres:sup:1e400"], GridView()),  # not finite
        (None, ["agent:contient:a:b"], GridView(conditions=(Condition("agent", "text", "contains", "a:b"),))),
        ("agent,-agent", [], GridView(sort=(("agent", True),))),  # a column keeps its first mention
        (None, ["jours_ouvres:sup:2,5"], GridView(conditions=(Condition("business_days", "number", "greaterThan", 2.5),))),
    ],
)
def test_a_bad_grid_part_in_the_url_is_dropped_never_an_error(tri, filtres, expected) -> None:  # type: ignore[no-untyped-def]
    assert from_url(tri, filtres) == expected


def test_crafted_grid_parameters_never_raise(catalog) -> None:
    for search in ("?tri=%00", "?filtre=" + "x" * 5000, "?tri=,,,-,&filtre=:::&filtre=%FF"):
        assert parse_search(search, catalog, NOW).grid == GridView()


def _cases() -> pd.DataFrame:
    statuses = ["withdrawn", "approved", "awaiting_applicant", "submitted", "rejected", "in_review"]
    return pd.DataFrame(
        {
            "case_id": [f"C{i}" for i in range(6)],
            "status": statuses,
            "business_days": [3, 25, 21, 1, 30, 22],
            "agent": ["Kofi A.", "Kofi B.", "Ama", "Kofi C.", "Ama", "Kofi D."],
        }
    )


def test_statuses_sort_in_the_order_of_a_case_life() -> None:
    up = apply_view(_cases(), GridView(sort=(("status", True),)))
    assert list(up["status"]) == ["submitted", "in_review", "awaiting_applicant", "approved", "rejected", "withdrawn"]
    down = apply_view(_cases(), GridView(sort=(("status", False),)))
    assert list(down["status"]) == list(reversed(list(up["status"])))


def test_apply_view_filters_then_sorts_without_touching_its_input() -> None:
    cases = _cases()
    before = cases.copy()
    kept = apply_view(cases, KOFI_AND_OLD)
    assert list(kept["case_id"]) == ["C1", "C5"]  # Kofi and more than 20 days, most days first
    pd.testing.assert_frame_equal(cases, before)


def test_the_list_title_counts_what_the_grid_keeps() -> None:
    query = ExplorerQuery(population="hors_delai", grid=KOFI_AND_OLD)
    assert list_title_text(query, 69, 379) == "Dossiers hors délai (en cours) : 69 sur 379 (filtres de la liste)"
    assert list_title_text(ExplorerQuery(), 1017, 1017) == "Dossiers en cours : 1\u202f017"


def test_the_export_header_speaks_french() -> None:
    query = ExplorerQuery(period="90j", population="hors_delai", channel="en_ligne", grid=KOFI_AND_OLD)
    header = dict(export_header(query, pd.Timestamp("2026-11-28T10:00Z"), 90, 1017, "marc"))
    assert header["Période"] == "90 jours" and header["Dossiers listés"] == "hors délai (en cours)"
    assert header["Canal"] == "en ligne" and header["Nombre de dossiers"] == "1\u202f017"
    assert header["Filtres de la liste"] == "Agent contient « Kofi » ; Jours ouvrés supérieur à 20"
    assert header["Tri de la liste"] == "Jours ouvrés décroissant, puis Agent croissant"
    said = [value for label, value in header.items() if label != "Lien"]  # the link is the URL, codes and all
    assert not any(code in value for value in said for code in ("hors_delai", "90j", "en_ligne", "greaterThan"))
    perso = ExplorerQuery(period="perso", start=pd.Timestamp("2026-11-01").date(), end=pd.Timestamp("2026-11-30").date())
    assert dict(query_lines(perso))["Période"] == "du 01/11/2026 au 30/11/2026"


def test_one_business_day_is_singular() -> None:
    assert [business_days_text(n) for n in (0, 1, 2, 1017)] == ["0 j ouvré", "1 j ouvré", "2 j ouvrés", "1\u202f017 j ouvrés"]


def test_the_tab_title_names_the_page_and_its_filters() -> None:
    query = ExplorerQuery(service="CEET", procedure="CEET-BT", population="hors_delai", grid=KOFI_AND_OLD)
    assert page_title(query) == "Explorateur · CEET › CEET-BT · hors délai (en cours) · 30 jours · liste filtrée · Vigie"
    assert page_title(ExplorerQuery(view="charge", region="Kara")) == "Charge de travail · Kara · 30 jours · Vigie"


def test_a_grid_request_writes_its_filters_and_sorts_into_the_url(catalog) -> None:
    request = {"startRow": 0, "endRow": 50, "filterModel": filter_model(KOFI_AND_OLD), "sortModel": sort_model(KOFI_AND_OLD)}
    search = grid_search(request, "?service=CEET", catalog, NOW)
    assert parse_search(search, catalog, NOW) == ExplorerQuery(service="CEET", grid=KOFI_AND_OLD)
    assert grid_search({**request, "startRow": 50}, search, catalog, NOW).__class__.__name__ == "NoUpdate"  # next block
    assert grid_search({"startRow": 0}, search, catalog, NOW) == "?service=CEET"  # filters cleared: out of the URL


def test_title_grid_and_export_agree_when_the_grid_is_filtered(sqlite_store, catalog, clock) -> None:
    """The list's title, the grid's row count and the export's rows are one number, with a grid filter in the URL."""
    app = secured_app(sqlite_store, catalog, clock)
    client = login(app, "marc")
    base = "?periode=365j&dossiers=deposes"
    everything = grid_page_count(client, base, {})
    view = GridView(conditions=(Condition("status", "text", "notContains", "accord"),))
    filtered = grid_page_count(client, base, filter_model(view))
    assert 0 < filtered < everything  # the filter keeps some cases, not all: the check can tell them apart
    search = ExplorerQuery(period="365j", population="deposes", grid=view).to_search()
    text = client.get("/explorer/export.csv" + search).get_data().decode("utf-8-sig")
    exported = pd.read_csv(io.StringIO(text), sep=";", comment="#")
    assert len(exported) == filtered and not exported["Statut"].str.contains("accord").any()
    assert f"# Nombre de dossiers : {filtered}" in text and "# Filtres de la liste : Statut ne contient pas « accord »" in text
    address = [
        {"id": "_pages_location", "property": "pathname", "value": "/explorer"},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    page = call(client, ".._pages_content.children..._pages_store.data..", address, state=address).get_json()
    assert f"Dossiers déposés sur la période : {filtered} sur {everything} (filtres de la liste)" in texts(page)


def grid_page_count(client, search: str, model: dict) -> int:  # type: ignore[no-untyped-def]
    """The grid's rowCount for the URL ``search`` when it asks with the filter ``model``, as the browser would."""
    grid = [{"id": "explorer-grid", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 50, "filterModel": model}}]
    answer = call(client, "explorer-grid.getRowsResponse", grid, state=[
        {"id": "_pages_location", "property": "search", "value": search}])  # fmt: skip
    return int(answer.get_json()["response"]["explorer-grid"]["getRowsResponse"]["rowCount"])
