"""Spreadsheets from source data: no formula reaches a CSV or XLSX, exports are capped, downloads are not cached.

Real SQLite store holding cases whose ids and agents are formulas (OWASP CSV injection), real app
(Flask test client), real weekly report; the files are read back with the csv module and openpyxl.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from collectors.normalize import empty_quarantine
from dashboard import create_app
from dashboard.auth import audit
from dashboard.explorer.export import to_csv
from domain.business_days import BusinessCalendar
from domain.config import ExplorerSettings
from reports.build import generate
from reports.cells import csv_safe, xlsx_column
from reports.week import IsoWeek
from service.kpi_service import KpiService
from store.reader import Reader
from store.watermark import Watermark
from store.writer import Batch
from tests.kpi_fixtures import frames

#: What a source may hold and a spreadsheet would run: each one is a case id and that case's agent.
HOSTILE = ('=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx")
PLAIN = "C-100"  # one ordinary case beside them, left as it is
AFTER = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
W47 = IsoWeek(2026, 47)


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    """Seven cases open since October (CEET-ABO: 5 business days, so all past their legal delay by W47)."""
    ids = [*HOSTILE, PLAIN]
    cases = [
        {"case_id": case_id, "procedure_code": "CEET-ABO", "submitted_at": f"2026-10-{i + 1:02d} 08:00", "agent": case_id}
        for i, case_id in enumerate(ids)
    ]
    cases[-1]["agent"] = "A. Mensah"
    events = [(c["case_id"], status, c["submitted_at"]) for c in cases for status in ("submitted", "in_review")]
    case_frame, event_frame = frames(cases, events)
    batch = Batch(
        source="src",
        cases=case_frame.drop(columns=["source", "deleted_at", "version"]),
        events=event_frame[["case_id", "status", "at", "seq"]],
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    sqlite_store.commit_batch(batch, clock.now)
    clock.now = AFTER
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def client_for(service: KpiService, max_rows: int = 200_000, reports_dir=None):  # type: ignore[no-untyped-def]
    app = create_app(service.reader, service, service.now, reports_dir=reports_dir, explorer_settings=ExplorerSettings(max_rows))
    return app.server.test_client()


def csv_rows(body: bytes) -> list[list[str]]:
    """The CSV as a spreadsheet reads it: ";" fields, quoted fields may hold line breaks; "#" lines apart."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def no_formula_anywhere(book: openpyxl.Workbook) -> None:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"


def test_csv_export_prefixes_formula_text_with_a_quote(service) -> None:
    response = client_for(service).get("/explorer/export.csv")
    assert response.status_code == 200
    rows = csv_rows(response.data)
    table = [r for r in rows if not r[0].startswith("#")]
    header, body = table[0], table[1:]
    assert [len(r) for r in body] == [len(header)] * len(body)  # no value spilled into another cell or row
    cases = {r[header.index("Dossier")]: r for r in body}
    assert set(cases) == {"'" + h for h in HOSTILE} | {PLAIN}
    for hostile in HOSTILE:
        row = cases["'" + hostile]
        assert row[header.index("Agent")] == "'" + hostile
        assert row[header.index("Délai légal (j ouvrés)")] == "5"  # numbers stay bare numbers
        assert row[header.index("Jours ouvrés")].isdigit()
    assert cases[PLAIN][header.index("Agent")] == "A. Mensah"
    text = response.data.decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text  # quoted, its quotes doubled
    assert '"\'\rx"' in text  # a carriage return never ends a row outside quotes


def test_csv_header_lines_stay_one_inert_cell() -> None:
    empty = pd.DataFrame(
        columns=["source", "case_id", "service", "procedure_code", "region", "channel", "status", "submitted_at",
                 "closed_at", "business_days", "sla_days", "due_date", "processing_days", "breached", "at_risk", "agent"]
    )  # fmt: skip
    header = [("Structure", 'a;=HYPERLINK("http://x")'), ("Exporté par", "=1+1\n=2+2"), ("Région", "Kara")]
    rows = csv_rows(to_csv(empty, header))
    assert rows[:3] == [
        ['# Structure : a;=HYPERLINK("http://x")'],
        ["# Exporté par : '=1+1 =2+2"],
        ["# Région : Kara"],
    ]


def test_csv_safe_prefixes_only_text_and_leaves_its_input_alone() -> None:
    frame = pd.DataFrame(
        {
            "Durée": [-3.5, 2.0],
            "Texte": ["-3,5", "ok"],
            "Jours": pd.array([-2, None], dtype="Int64"),
            "Déposé le": pd.to_datetime(["2026-11-01 08:00", None]),
            "Mêlé": pd.Series(["@x", 7], dtype=object),
        }
    )
    before = frame.copy()
    safe = csv_safe(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert safe["Durée"].tolist() == [-3.5, 2.0] and safe["Jours"].tolist()[0] == -2
    assert safe["Texte"].tolist() == ["'-3,5", "ok"] and safe["Mêlé"].tolist() == ["'@x", 7]
    assert safe["Déposé le"].equals(frame["Déposé le"])
    body = safe.to_csv(index=False, sep=";", decimal=",")
    assert body.splitlines()[1].startswith("-3,5;'-3,5;-2;")  # a negative number stays a bare number


def test_xlsx_column_forces_formula_and_error_texts_to_text_and_drops_what_xml_cannot_hold() -> None:
    values, forced = xlsx_column(pd.Series(["=A1", "ok", None, "#N/A", "+1", "bip\x07"], dtype="str"))
    assert values == ["=A1", "ok", None, "#N/A", "+1", "bip"] and forced == [0, 3, 4]
    assert xlsx_column(pd.Series([1.5, float("nan")])) == ([1.5, None], [])


def test_xlsx_export_holds_strings_never_formulas(service) -> None:
    response = client_for(service).get("/explorer/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Dossiers", "Filtres"]
    no_formula_anywhere(book)
    sheet = book["Dossiers"]
    assert sheet.freeze_panes == "A2"
    names = [c.value for c in sheet[1]]
    by_id = {row[names.index("Dossier")].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(by_id) == len(HOSTILE) + 1
    for hostile in HOSTILE:
        read = hostile.replace("\r", "\n")  # XML reads a bare carriage return as a line feed
        row = by_id[read]
        for cell in (row[names.index("Dossier")], row[names.index("Agent")]):
            assert cell.value == read and cell.data_type == "s" and cell.quotePrefix  # exact text, kept text on edit
        submitted = row[names.index("Déposé le")]
        assert isinstance(submitted.value, dt.datetime) and submitted.number_format == "dd/mm/yyyy hh:mm"
        assert row[names.index("Délai légal (j ouvrés)")].value == 5
        assert isinstance(row[names.index("Jours ouvrés")].value, int)
    plain = by_id[PLAIN][names.index("Agent")]
    assert plain.value == "A. Mensah" and not plain.quotePrefix
    filters = {r[0]: r[1] for r in book["Filtres"].iter_rows(min_row=2, values_only=True)}
    assert filters["Nombre de dossiers"] == str(len(HOSTILE) + 1)  # issue 16: the count named for what it is


def test_weekly_workbook_holds_strings_never_formulas(service, tmp_path) -> None:
    files = generate(service, service.reader, W47, tmp_path, service.now)
    book = openpyxl.load_workbook(files.xlsx)
    no_formula_anywhere(book)
    rows = list(book["Hors délai les plus anciens"].iter_rows())
    names = [c.value for c in rows[0]]
    listed = {r[names.index("Dossier")].value: r for r in rows[1:]}
    assert {h.replace("\r", "\n") for h in HOSTILE} | {PLAIN} == set(listed)
    for hostile in HOSTILE:
        row = listed[hostile.replace("\r", "\n")]
        assert row[names.index("Dossier")].data_type == "s"
        assert isinstance(row[names.index("Jours ouvrés")].value, int) and row[names.index("Délai légal")].value == 5
    by_service = {r[0]: r for r in book["Par structure"].iter_rows(min_row=2, values_only=True)}
    assert by_service["CEET"][3] == len(HOSTILE) + 1  # numbers stay numbers


def test_an_export_over_the_limit_is_refused_and_not_audited(service, sqlite_store) -> None:
    total = len(HOSTILE) + 1
    over = client_for(service, max_rows=3)
    for kind in ("csv", "xlsx"):
        response = over.get(f"/explorer/export.{kind}?periode=90j")
        assert response.status_code == 400 and response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert f"la liste compte {total} dossiers, la limite est de 3" in page
        assert "Resserrez les filtres (période, structure, procédure, région…)" in page
        assert "href='/explorer?periode=90j'" in page
        assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert "export" not in set(audit.recent(sqlite_store.engine)["action"])
    at_limit = client_for(service, max_rows=total).get("/explorer/export.csv?periode=90j")
    assert at_limit.status_code == 200 and at_limit.data.decode("utf-8-sig").count("CEET-ABO") == total
    assert list(audit.recent(sqlite_store.engine)["action"]) == ["export"]


def test_exports_and_report_downloads_are_not_cached(service, tmp_path) -> None:
    """Agents' names and the cabinet's figures: no copy left in a browser or proxy cache (dashboard.headers)."""
    generate(service, service.reader, W47, tmp_path, service.now)
    client = client_for(service, reports_dir=tmp_path)
    for url in (
        "/explorer/export.csv",
        "/explorer/export.xlsx",
        "/rapports/2026-W47/vigie-rapport-2026-W47.xlsx",
        "/rapports/2026-W47/vigie-rapport-2026-W47.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"], url
        assert response.headers["Cache-Control"] == "no-store", url
