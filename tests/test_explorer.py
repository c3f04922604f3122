"""The explorer without a browser: URL state round trip, validation, navigation, grid paging, exports,
and the property that filtered numbers are the KPI engine's numbers."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import ids
from dashboard.explorer.export import to_csv, to_xlsx
from dashboard.explorer.grid import grid_page
from dashboard.explorer.navigation import navigate_to
from dashboard.explorer.state import ExplorerQuery, ExplorerQueryError, parse_search
from domain.business_days import BusinessCalendar
from domain.model import CHANNELS, REGIONS
from kpis.case_state import prepare, state_at
from kpis.document import kpi_document
from kpis.filters import CaseFilters, filter_state
from kpis.metrics import COUNT_KEYS, group_metrics
from kpis.population import POPULATIONS, case_rows
from kpis.series import daily_flows
from tests.kpi_fixtures import MIXED_CATALOG, frames, histories

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
CAL = BusinessCalendar("TG")


def test_url_state_round_trips(catalog) -> None:
    queries = [
        ExplorerQuery(),
        ExplorerQuery(period="7j", service="CEET", procedure="CEET-BT", region="Kara", channel="en_ligne"),
        ExplorerQuery(
            period="perso", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31), population="hors_delai", step="semaine"
        ),
        ExplorerQuery(view="charge", service="ARSE"),
    ]
    for query in queries:
        search = query.to_search()
        assert parse_search(search, catalog, NOW) == query, search
    assert ExplorerQuery().to_search() == ""  # defaults are not spelled out
    assert ExplorerQuery(service="CEET").to_search() == "?service=CEET"


@given(
    service=st.sampled_from([None, "CEET", "ARSE", "AT2ER"]),
    region=st.sampled_from([None, *REGIONS]),
    canal=st.sampled_from([None, "en_ligne", "guichet"]),
    periode=st.sampled_from(["7j", "30j", "90j", "365j", "perso"]),
    start=st.integers(0, 600),
    length=st.integers(0, 120),
    dossiers=st.sampled_from(list(POPULATIONS)),
)
@settings(max_examples=80, deadline=None)
def test_any_valid_state_survives_its_own_url(service, region, canal, periode, start, length, dossiers) -> None:
    from domain.catalog import load_catalog
    from tests.support import ROOT

    catalog = load_catalog(ROOT / "data" / "procedures.csv")
    procedure = None if service is None else str(catalog.loc[catalog["service"] == service, "code"].iloc[0])
    du = au = None
    if periode == "perso":
        au = dt.date(2026, 11, 20) - dt.timedelta(days=start)
        du = au - dt.timedelta(days=length)
    query = ExplorerQuery(periode, du, au, service, procedure, region, canal, dossiers)
    assert parse_search(query.to_search(), catalog, NOW) == query


@pytest.mark.parametrize(
    ("search", "words"),
    [
        ("?service=Atlantide", ["service inconnu", "Atlantide"]),
        ("?procedure=XX-1", ["procédure inconnue", "XX-1"]),
        ("?service=ARSE&procedure=CEET-BT", ["relève de CEET"]),
        ("?region=Lagos", ["région inconnue"]),
        ("?canal=fax", ["canal inconnu"]),
        ("?periode=3j", ["période inconnue"]),
        ("?periode=perso", ["du et au sont obligatoires"]),
        ("?periode=perso&du=2026-13-01&au=2026-11-01", ["date illisible pour du"]),
        ("?periode=perso&du=2026-11-10&au=2026-11-01", ["précède"]),
        ("?periode=perso&du=2026-11-10&au=2027-01-01", ["dans le futur"]),
        ("?du=2026-11-01", ["periode=perso"]),
        ("?dossiers=tous", ["dossiers inconnu"]),
        ("?service=CEET'%3B DROP TABLE cases--", ["service inconnu"]),
        ("?foo=1", ["paramètre inconnu : foo"]),
    ],
)
def test_bad_urls_get_a_french_message(catalog, search, words) -> None:
    with pytest.raises(ExplorerQueryError) as caught:
        parse_search(search, catalog, NOW)
    assert all(w in str(caught.value) for w in words), str(caught.value)


def test_a_procedure_alone_brings_its_service(catalog) -> None:
    assert parse_search("?procedure=CEET-BT", catalog, NOW).service == "CEET"


def _inputs(trigger: str, value: object) -> list[object]:
    order = [
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
    return [value if i == trigger else None for i in order]


def _click(name: str) -> dict:
    return {"points": [{"customdata": name}]}


def test_clicks_drill_down_and_cross_filter(catalog) -> None:
    step = navigate_to(ids.EXPLORER_BARS, (*_inputs(ids.EXPLORER_BARS, _click("CEET")), "?periode=7j"), catalog, NOW)
    assert step == "?periode=7j&service=CEET"
    step = navigate_to(ids.EXPLORER_BARS, (*_inputs(ids.EXPLORER_BARS, _click("CEET-BT")), step), catalog, NOW)
    assert step == "?periode=7j&service=CEET&procedure=CEET-BT"
    region = navigate_to(ids.EXPLORER_REGIONS, (*_inputs(ids.EXPLORER_REGIONS, _click("Kara")), step), catalog, NOW)
    assert region == step + "&region=Kara"
    assert navigate_to(ids.EXPLORER_REGIONS, (*_inputs(ids.EXPLORER_REGIONS, _click("Kara")), region), catalog, NOW) == step
    # the map of Togo filters the same way as the region bars
    mapped = navigate_to(ids.EXPLORER_REGION_MAP, (*_inputs(ids.EXPLORER_REGION_MAP, _click("Savanes")), step), catalog, NOW)
    assert mapped == step + "&region=Savanes"
    assert navigate_to(ids.EXPLORER_REGION_MAP, (*_inputs(ids.EXPLORER_REGION_MAP, _click("Savanes")), mapped), catalog,
                       NOW) == step  # fmt: skip
    # another service drops a procedure that is not its own; choosing a procedure brings its service
    other = navigate_to(ids.EXPLORER_SERVICE, (*_inputs(ids.EXPLORER_SERVICE, "ARSE"), step), catalog, NOW)
    assert other == "?periode=7j&service=ARSE"
    assert navigate_to(ids.EXPLORER_PROCEDURE, (*_inputs(ids.EXPLORER_PROCEDURE, "CEET-MT"), ""), catalog, NOW) == (
        "?service=CEET&procedure=CEET-MT"
    )
    custom = navigate_to(ids.EXPLORER_PERIOD, (*_inputs(ids.EXPLORER_PERIOD, "perso"), ""), catalog, NOW)
    assert custom == "?periode=perso&du=2026-10-22&au=2026-11-20"


def _rows(n: int = 120) -> pd.DataFrame:
    base = pd.Timestamp("2026-11-01T08:00:00Z")
    return pd.DataFrame(
        {
            "source": ["src"] * n,
            "case_id": [f"C{i:04d}" for i in range(n)],
            "service": ["CEET" if i % 3 else "ARSE" for i in range(n)],
            "procedure_code": ["CEET-BT"] * n,
            "region": ["Kara" if i % 2 else "Maritime" for i in range(n)],
            "channel": ["online"] * n,
            "status": ["in_review" if i % 4 else "awaiting_applicant" for i in range(n)],
            "submitted_at": [base + pd.Timedelta(hours=i) for i in range(n)],
            "closed_at": pd.Series([pd.NaT] * n, dtype="datetime64[us, UTC]"),
            "business_days": pd.array([i % 17 for i in range(n)], dtype="Int64"),
            "sla_days": [10] * n,
            "due_date": [pd.Timestamp("2026-12-01")] * n,
            "processing_days": [float("nan")] * n,
            "breached": [i % 17 > 10 for i in range(n)],
            "at_risk": [False] * n,
            "agent": [f"agent{i % 5}" for i in range(n)],
        }
    )


def test_grid_pages_sorts_and_filters_on_the_server() -> None:
    rows = _rows()
    first = grid_page(rows, {"startRow": 0, "endRow": 50})
    assert first["rowCount"] == 120 and len(first["rowData"]) == 50
    assert first["rowData"][0]["case_id"] == "C0000"  # text: the CaseLink renderer builds the link
    assert first["rowData"][0]["submitted_at"] == "01/11/2026 08:00"  # Lomé time, as read
    last = grid_page(rows, {"startRow": 100, "endRow": 150})
    assert len(last["rowData"]) == 20
    by_days = grid_page(rows, {"startRow": 0, "endRow": 5, "sortModel": [{"colId": "business_days", "sort": "desc"}]})
    assert [r["business_days"] for r in by_days["rowData"]] == [16, 16, 16, 16, 16]
    kara = grid_page(
        rows,
        {"startRow": 0, "endRow": 200, "filterModel": {"region": {"filterType": "text", "type": "equals", "filter": "kara"}}},
    )
    assert kara["rowCount"] == 60 and {r["region"] for r in kara["rowData"]} == {"Kara"}
    waiting = grid_page(
        rows,
        {
            "startRow": 0,
            "endRow": 200,
            "filterModel": {"status": {"filterType": "text", "type": "contains", "filter": "attente"}},
        },
    )
    assert waiting["rowCount"] == 30  # filters match the French labels the grid shows
    over = grid_page(
        rows,
        {
            "startRow": 0,
            "endRow": 200,
            "filterModel": {"business_days": {"filterType": "number", "type": "greaterThan", "filter": 10}},
        },
    )
    assert over["rowCount"] == sum(1 for i in range(120) if i % 17 > 10)
    assert grid_page(rows, {"startRow": 0, "endRow": 10**9})["rowData"].__len__() == 120  # never more than asked, capped


def test_exports_record_filters_and_hold_real_dates() -> None:
    rows = _rows(7)
    header = [("Structure", "CEET"), ("Région", "Kara")]
    text = to_csv(rows, header).decode("utf-8-sig")
    assert text.startswith("# Structure : CEET\r\n# Région : Kara\r\n")
    frame = pd.read_csv(io.StringIO(text), sep=";", comment="#")
    assert len(frame) == 7 and list(frame.columns[:3]) == ["Source", "Dossier", "Structure"]
    assert frame.loc[0, "Statut"] == "en attente du demandeur" and frame.loc[0, "Déposé le"] == "2026-11-01 08:00"
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows, header)))
    sheet = book["Dossiers"]
    assert [c.value for c in sheet[1]][:4] == ["Source", "Dossier", "Structure", "Procédure"]
    submitted = sheet.cell(row=2, column=8).value
    assert isinstance(submitted, dt.datetime) and submitted == dt.datetime(2026, 11, 1, 8, 0)  # noqa: DTZ001 - Excel has no zone
    assert [[c.value for c in r] for r in book["Filtres"].iter_rows(min_row=2)] == [["Structure", "CEET"], ["Région", "Kara"]]


@st.composite
def filtered_histories(draw):  # type: ignore[no-untyped-def]
    cases, events, t1, _ = draw(histories())
    for case in cases:
        case["region"] = draw(st.sampled_from(REGIONS[:3]))
        case["agent"] = draw(st.sampled_from(["a", "b", None]))
    filters = CaseFilters(
        service=draw(st.sampled_from([None, "S1", "S2"])),
        region=draw(st.sampled_from([None, *REGIONS[:3]])),
        channel=draw(st.sampled_from([None, *CHANNELS])),
    )
    if filters.service == "S2" and draw(st.booleans()):
        filters = CaseFilters(filters.service, draw(st.sampled_from(["Q", "Z"])), filters.region, filters.channel)
    return cases, events, t1, filters


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filtered_histories(), st.sampled_from([1, 7, 30]))
def test_filtered_numbers_are_the_engine_numbers_on_the_filtered_cases(history, days) -> None:
    """Filtering the state == computing the engine on only the filtered cases (an independent path), with every
    legal clock (MIXED_CATALOG: restart clocks and tacit decisions, so their tiles list exactly their cases too)."""
    raw_cases, raw_events, t, filters = history
    cases, events = frames(raw_cases, raw_events)
    state = filter_state(state_at(prepare(cases, events, MIXED_CATALOG, CAL), t), filters)
    owner = cases["procedure_code"].map(dict(zip(MIXED_CATALOG["code"], MIXED_CATALOG["service"], strict=True)))
    keep = pd.Series(True, index=cases.index)
    for value, column in (
        (filters.service, owner),
        (filters.procedure, cases["procedure_code"]),
        (filters.region, cases["region"]),
        (filters.channel, cases["channel"]),
    ):
        if value is not None:
            keep &= column == value
    expected = kpi_document(cases[keep], events, MIXED_CATALOG, {}, as_of=t, days=days, calendar=CAL)["overall"]
    got = group_metrics(state, days, None)["__all__"]
    assert got == expected
    for slug, key in POPULATIONS.items():  # every drillable number lists exactly its cases
        assert len(case_rows(state, days, slug)) == got[key]
    daily = daily_flows(state, days, None)
    assert int(daily["backlog"].iloc[-1]) == got["backlog"]
    assert all(k in got for k in COUNT_KEYS)


def test_export_header_reads_the_filters_as_people_wrote_them() -> None:
    from dashboard.explorer.routes import export_header

    query = ExplorerQuery(service="Direction générale de l'énergie", region="Kara")
    header = dict(export_header(query, pd.Timestamp("2026-11-28T10:00Z"), 30, 5, "marc"))
    assert header["Structure"] == "Direction générale de l'énergie" and header["Région"] == "Kara"
    # issue 16: the count is named for what it is, the listed population by its French label
    assert header["Exporté par"] == "marc" and header["Nombre de dossiers"] == "5"
    assert header["Lien"] == "/explorer" + query.to_search() and header["Dossiers listés"] == "en cours"
