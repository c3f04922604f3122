"""Reports on some structures (issue 15): ``report --services CEET`` gives the numbers a CEET-scoped manager reads on
/api/kpis of a served app, and /rapports shows each account only the reports of its structures (404 for the others).

Real SQLite store holding the KPI fixture (CEET-ABO for CEET; MIN-EXP and MIN-CAR for the mines direction).
"""

from __future__ import annotations

import http.cookiejar
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest

from dashboard.auth.accounts import add_user
from domain.business_days import BusinessCalendar
from domain.french import fr_number
from kpis.filters import CaseFilters, group_in_scope
from reports.build import ReportError, generate
from reports.files import FileNameError, check_tokens, covered_services, report_stem, service_token
from reports.week import IsoWeek
from service.kpi_service import KpiService
from store.engines import create_store_engine
from store.reader import Reader
from store.writer import Store
from tests.support import PASSWORD, ROOT, call, load_fixture, login, run_app, secured_app, serve, stop, texts, write_config

W47 = IsoWeek(2026, 47)
MINES = "Direction générale des mines et de la géologie"
ROUTER = ".._pages_content.children..._pages_store.data.."


def pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


# --- file names --------------------------------------------------------------------------------------------------
def test_report_file_names_tell_which_structures_they_cover(catalog) -> None:
    tokens = check_tokens(catalog["service"])
    assert service_token("CEET") == "CEET" and service_token(MINES) == "Direction_generale_des_mines_et_de_la_geologie"
    assert report_stem("2026-W47", None) == "vigie-rapport-2026-W47"
    assert report_stem("2026-W47", frozenset({"CEET", "ARSE"})) == "vigie-rapport-2026-W47-ARSE-CEET"
    assert covered_services("vigie-rapport-2026-W47.pdf", "2026-W47", tokens) is None
    assert covered_services("vigie-rapport-2026-W47-ARSE-CEET.xlsx", "2026-W47", tokens) == {"ARSE", "CEET"}
    name = report_stem("2026-W47", frozenset({MINES})) + ".pdf"
    assert covered_services(name, "2026-W47", tokens) == {MINES}
    for odd in ("vigie-rapport-2026-W47-NOPE.pdf", "notes.pdf", "vigie-rapport-2026-W47-.pdf"):
        assert covered_services(odd, "2026-W47", tokens) == frozenset(), odd  # fail closed: no scoped account sees it
    for bad in ("", "../..", "日本", "A" * 65):
        with pytest.raises(FileNameError):
            service_token(bad)
    with pytest.raises(FileNameError, match="même nom de fichier"):
        check_tokens(["CEET", "CEET!"])


def test_events_kept_for_a_scope_are_its_structures_and_procedures() -> None:
    owners = {"CEET-ABO": "CEET", "MIN-EXP": MINES}
    ceet = frozenset({"CEET"})
    kept = [
        (kind, group)
        for kind, group in [("service", "CEET"), ("service", "ARSE"), ("procedure", "CEET-ABO"), ("procedure", "MIN-EXP"),
                            ("overall", ""), ("source", "src")]  # fmt: skip
        if group_in_scope(ceet, kind, group, owners)
    ]
    assert kept == [("service", "CEET"), ("procedure", "CEET-ABO")]
    assert group_in_scope(None, "source", "src", owners)


# --- the report equals the scoped /api/kpis ------------------------------------------------------------------------
@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    clock.now = clock.now.replace(day=30)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def test_a_scoped_report_holds_only_its_structures(service, tmp_path) -> None:
    ceet = generate(service, service.reader, W47, tmp_path, service.now, services=frozenset({"CEET"}))
    whole = generate(service, service.reader, W47, tmp_path, service.now)
    assert ceet.pdf.name == "vigie-rapport-2026-W47-CEET.pdf" and whole.pdf.name == "vigie-rapport-2026-W47.pdf"
    assert ceet.report.current == service.document(W47.end, 7, CaseFilters(services=frozenset({"CEET"})))
    assert ceet.report.current["overall"] != whole.report.current["overall"]  # the fixture has cases of both
    assert set(ceet.report.services["Structure"]) == {"CEET"}
    assert set(ceet.report.procedures["Structure"]) == {"CEET"}
    assert set(ceet.report.oldest_breached.get("Structure", [])) <= {"CEET"}
    assert "Lignes en quarantaine" not in ceet.report.sources.columns  # per source, every structure's rows mixed
    assert "Lignes en quarantaine" in whole.report.sources.columns
    assert ceet.report.sources["Dossiers déposés"].sum() <= whole.report.sources["Dossiers déposés"].sum()
    text = pdf_text(ceet.pdf)
    assert "Structure : CEET" in text and MINES not in text and "MIN-EXP" not in text
    book = openpyxl.load_workbook(ceet.xlsx)
    assert {r[0] for r in list(book["Par structure"].iter_rows(values_only=True))[1:]} == {"CEET"}
    assert ("Structures", "CEET") in list(book["Paramètres"].iter_rows(values_only=True))


def test_an_unknown_structure_or_none_is_refused(service, tmp_path) -> None:
    with pytest.raises(ReportError, match="structure inconnue : NOPE"):
        generate(service, service.reader, W47, tmp_path, service.now, services=frozenset({"CEET", "NOPE"}), attempts=1)
    with pytest.raises(ReportError, match="au moins une structure"):
        generate(service, service.reader, W47, tmp_path, service.now, services=frozenset(), attempts=1)
    assert not (tmp_path / W47.label).exists()


class _Browser:
    """Cookies kept, redirects followed: a person logged in on a served app."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def login(self, name: str) -> None:
        self.get("/login")
        token = next(c.value for c in self.jar if c.name == "_csrf_token")
        body = urllib.parse.urlencode({"username": name, "password": PASSWORD, "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login", data=body, timeout=30) as answer:
            assert answer.status == 200


def test_report_services_ceet_equals_the_scoped_api_of_a_served_app(tmp_path, clock) -> None:
    store_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    store = Store(create_store_engine(store_url))
    store.create()
    load_fixture(store, clock)
    config = write_config(tmp_path, store_url, f"sqlite:///{tmp_path / 'unused-source.db'}", auth=True)
    added = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "users", "add", "kodjo", "--role", "manager", "--services", "CEET",
         "--config", str(config)],
        input=PASSWORD + "\n", text=True, capture_output=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    out = tmp_path / "reports"
    done = run_app("report", "--week", "2026-W47", "--services", "CEET", "--out", str(out), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "CEET" in done.stdout
    refused = run_app("report", "--week", "2026-W47", "--services", "CEET,NOPE", "--out", str(out), "--config", str(config))
    assert refused.returncode == 2 and "structure inconnue : NOPE" in refused.stderr
    proc, base = serve(config, "--no-collect")
    try:
        browser = _Browser(base)
        browser.login("kodjo")
        status, body = browser.get(f"/api/kpis?{W47.api_query}")
        assert status == 200, body
        api = json.loads(body)
        _, previous_body = browser.get(f"/api/kpis?{W47.previous().api_query}")
        previous = json.loads(previous_body)
    finally:
        stop(proc)
    assert api["filters"] == {"services": "CEET"} and set(api["by_service"]) == {"CEET"}
    book = openpyxl.load_workbook(out / "2026-W47" / "vigie-rapport-2026-W47-CEET.xlsx")
    summary = {r[0]: r[1:3] for r in book["Synthèse"].iter_rows(values_only=True)}
    overall, before = api["overall"], previous["overall"]
    for key, label, decimals, _unit in (("backlog", "Dossiers en cours (fin de semaine)", 0, ""),
                                       ("inflow", "Dossiers déposés", 0, ""), ("outflow", "Dossiers clos", 0, ""),
                                       ("sla_compliance_pct", "Clos dans le délai légal", 1, "%")):  # fmt: skip
        assert summary[label] == (round(overall[key], decimals), round(before[key], decimals)), label  # number cells
    rows = list(book["Par structure"].iter_rows(values_only=True))
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [
        (s, m["inflow"], m["outflow"], m["backlog"]) for s, m in api["by_service"].items()
    ]
    procedures = {r[0]: r[5] for r in list(book["Par procédure"].iter_rows(values_only=True))[1:]}
    assert procedures == {code: m["outflow"] for code, m in api["by_procedure"].items()}
    text = pdf_text(out / "2026-W47" / "vigie-rapport-2026-W47-CEET.pdf")
    assert f"Dossiers en cours (fin de semaine) {fr_number(overall['backlog'])}" in text


# --- /rapports: each account sees its structures' reports --------------------------------------------------------
def _route(client, path: str):  # type: ignore[no-untyped-def]
    address = [
        {"id": "_pages_location", "property": "pathname", "value": path},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    return call(client, ROUTER, address, state=address)


@pytest.fixture
def reports_app(sqlite_store, catalog, clock, tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "reports"
    app = secured_app(sqlite_store, catalog, clock, reports_dir=out)
    clock.now = clock.now.replace(day=30)
    kpis = KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)
    for services in (None, frozenset({"CEET"}), frozenset({"ARSE"}), frozenset({"CEET", "ARSE"})):
        generate(kpis, kpis.reader, W47, out, clock, services=services)
    add_user(sqlite_store.engine, "kodjo", PASSWORD, "manager", clock.now, frozenset({"CEET"}))
    add_user(sqlite_store.engine, "afi", PASSWORD, "manager", clock.now, frozenset({"CEET", "ARSE"}))
    return app


def test_a_ceet_manager_sees_only_ceet_reports_and_404_for_the_others(reports_app) -> None:
    url = "/rapports/2026-W47/vigie-rapport-2026-W47{}.pdf"
    kodjo, afi, marc = login(reports_app, "kodjo"), login(reports_app, "afi"), login(reports_app, "marc")
    page = texts(_route(kodjo, "/rapports").get_json())
    links = [w for w in page if w.startswith("/rapports/")]
    assert "Rapports hebdomadaires" in page and any("CEET" in w for w in page)
    assert sorted(links) == [url.format("-CEET"), url.format("-CEET").replace(".pdf", ".xlsx")]
    assert not any("Tout le ministère" in w or "ARSE" in w for w in page)
    own = kodjo.get(url.format("-CEET"))
    assert own.status_code == 200 and own.data[:5] == b"%PDF-"
    for other in ("", "-ARSE", "-ARSE-CEET", "-NOPE"):
        assert kodjo.get(url.format(other)).status_code == 404, other
    # two structures: their own and each one's, never the ministry's
    assert afi.get(url.format("-ARSE-CEET")).status_code == 200 and afi.get(url.format("-ARSE")).status_code == 200
    assert afi.get(url.format("")).status_code == 404
    # the whole ministry: every report
    whole = [w for w in texts(_route(marc, "/rapports").get_json()) if w.startswith("/rapports/")]
    assert len(whole) == 8
    assert all(marc.get(url.format(s)).status_code == 200 for s in ("", "-CEET", "-ARSE", "-ARSE-CEET"))
    # no delivery log for a manager
    assert "Envois des abonnements" not in page and "Envois des abonnements" not in texts(_route(marc, "/rapports").get_json())
