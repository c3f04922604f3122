"""The wall's « Par région » view and its map: Togo's five regions drawn offline, numbers equal the engine's,
a structure's wall counting its own cases only; and the Délais view's labels and values (issue 19)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.figures import delays_by_procedure, procedure_label, region_map
from dashboard.pages.wall_views import REGION_MAP_ID, views
from domain.business_days import BusinessCalendar
from domain.geo import region_outlines
from domain.model import REGIONS
from kpis.filters import CaseFilters
from kpis.regions import region_numbers
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import load_fixture


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def test_region_numbers_are_shares_of_the_counts() -> None:
    counts = pd.DataFrame({"group": ["Maritime", "Kara"], "backlog": [8, 0], "breached_open": [2, 0],
                           "inflow": [5, 0], "inflow_online": [4, 0]})  # fmt: skip
    assert region_numbers(counts) == {
        "Maritime": {"backlog": 8, "breached_open": 2, "breached_pct": 25.0, "inflow": 5, "online_pct": 80.0},
        "Kara": {"backlog": 0, "breached_open": 0, "breached_pct": None, "inflow": 0, "online_pct": None},
    }


def test_the_shipped_outlines_are_the_five_regions_inside_togo() -> None:
    outlines = region_outlines()
    assert list(outlines) == list(REGIONS)
    for rings in outlines.values():
        assert rings and all(ring[0] == ring[-1] and len(ring) > 100 for ring in rings)
        assert all(-0.3 < x < 1.9 and 6.0 < y < 11.2 for ring in rings for x, y in ring)  # Togo's bounding box
    south = {r: min(y for ring in outlines[r] for _, y in ring) for r in REGIONS}
    assert sorted(REGIONS, key=south.__getitem__) == list(REGIONS)  # Maritime on the coast … Savanes in the north


def test_the_map_draws_each_region_as_a_filled_shape_with_its_label() -> None:
    numbers = {"Maritime": {"backlog": 1234, "breached_pct": 12.4, "online_pct": 64.0},
               "Kara": {"backlog": 7, "breached_pct": 50.0, "online_pct": None}}  # fmt: skip
    figure = region_map(numbers, region_outlines(), selected="Kara")
    shapes = [t for t in figure.data if t.fill == "toself"]
    assert [t.name for t in shapes] == list(REGIONS)
    assert all(set(t.customdata) == {t.name} for t in shapes)  # a click carries the region's name
    label = next(t for t in figure.data if t.mode == "text")
    texts = dict(zip(label.customdata, label.text, strict=True))
    assert texts["Maritime"] == "<b>Maritime</b><br>1\u202f234 en cours<br>12\u202f% hors délai · 64\u202f% en ligne"
    assert texts["Kara"].endswith("50\u202f% hors délai · — en ligne") and "— en cours" in texts["Savanes"]
    colours = {t.name: t.fillcolor for t in shapes}
    assert colours["Kara"] != colours["Maritime"] and colours["Savanes"] == "#3a4654"  # no backlog: neutral grey
    assert next(t for t in shapes if t.name == "Kara").line.width > shapes[0].line.width  # the selected one stands out
    assert figure.layout.yaxis.scaleanchor == "x" and not figure.layout.xaxis.visible
    assert not [t for t in figure.data if t.type in ("choropleth", "scattergeo", "choroplethmapbox")]  # no base map
    heights = sorted(label.y)
    assert all(b - a >= 1.0 for a, b in zip(heights, heights[1:], strict=False))  # labels never overlap


def test_the_regions_view_shows_the_engines_numbers_and_a_structures_own(service, catalog) -> None:
    _, _, regions, _, _ = views(service, catalog)
    graph = regions[0]
    assert graph.id == REGION_MAP_ID
    label = next(t for t in graph.figure.data if t.mode == "text")
    texts = dict(zip(label.customdata, label.text, strict=True))
    for region in REGIONS:
        backlog = service.document(None, 7, CaseFilters(region=region))["overall"]["backlog"]
        assert f"<br>{backlog} en cours<br>" in texts[region]
    ceet = CaseFilters(services=frozenset({"CEET"}))
    _, _, own, _, _ = views(service, catalog, filters=ceet)
    own_texts = dict(zip(*(lambda t: (t.customdata, t.text))(next(t for t in own[0].figure.data if t.mode == "text")),
                         strict=True))  # fmt: skip
    mine = service.document(None, 7, CaseFilters(region="Maritime", services=frozenset({"CEET"})))["overall"]
    everyone = service.document(None, 7, CaseFilters(region="Maritime"))["overall"]
    assert mine["backlog"] != everyone["backlog"]  # the fixture tells them apart
    assert f"<br>{mine['backlog']} en cours<br>" in own_texts["Maritime"]


def test_procedure_names_wrap_on_whole_words_never_cut() -> None:
    name = "Raccordement au réseau moyenne tension"
    assert procedure_label("CEET-MT", name, width=34) == "<b>CEET-MT</b> Raccordement au réseau<br>moyenne tension"
    assert procedure_label("CEET-MT", name) == "<b>CEET-MT</b> Raccordement au réseau moyenne<br>tension"  # 44 a line
    for code, long in (("AT2ER-CHQ", "Demande de chèque solaire (subvention de kit solaire)"),
                       ("ARSE-LIC", "Avis technique sur licence de distribution d'électricité")):  # fmt: skip
        words = procedure_label(code, long).replace("<br>", " ").replace("<b>", "").replace("</b>", "").split()
        assert words == [code, *long.split()]


def test_delays_say_how_many_procedures_they_show_and_write_values_beside_the_bars() -> None:
    processing = {f"P{i:02d}": {"count": 3, "business_days_median": float(i + 1), "business_days_p90": float(i + 3),
                                "sla_days": 10} for i in range(15)}  # fmt: skip
    figure = delays_by_procedure(processing, {}, top=12)
    assert figure.layout.title.text.endswith("— les 12 procédures les plus en retard sur 15")
    bars = [t for t in figure.data if t.type == "bar"]
    assert all(t.text is None for t in bars)  # nothing inside a thin bar
    values = next(t for t in figure.data if t.type == "scatter" and t.mode == "text")
    assert list(values.x) == [max(i + 3, 10) for i in range(3, 15)]  # after the p90 bar or the diamond, whichever is longer
    assert values.text[-1].strip() == "méd. 15 · p90 17"
    assert figure.layout.xaxis.range[1] > max(values.x)  # room for the values
    whole = delays_by_procedure(dict(list(processing.items())[:5]), {})
    assert "sur" not in whole.layout.title.text  # all shown: nothing to say
