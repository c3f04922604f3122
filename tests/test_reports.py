"""Weekly reports: the same numbers as /api/kpis, a PDF that opens and says them, a workbook, atomic writes,
an empty week, the Monday job, and delivery to a real (local) SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest
from aiosmtpd.controller import Controller
from apscheduler.schedulers.background import BackgroundScheduler

from dashboard import create_app
from dashboard.auth.accounts import add_user
from domain.business_days import BusinessCalendar
from domain.config import AuthSettings, ReportSettings, SmtpSettings
from domain.french import fr_date, fr_number
from reports.build import ReportError, generate
from reports.content import HEADLINE
from reports.files import write_atomically
from reports.mail import send_report
from reports.schedule import schedule_reports, weekly_job
from reports.week import IsoWeek, WeekError, last_complete_week, parse_week
from service.kpi_service import KpiService
from store.reader import Reader
from tests.support import ARTIFACTS, free_port, load_fixture, run_app, write_config

AFTER = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
W47 = IsoWeek(2026, 47)


@pytest.fixture
def service(sqlite_store, catalog, clock) -> KpiService:
    load_fixture(sqlite_store, clock)
    clock.now = AFTER
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_weeks_are_iso_weeks_in_lome_time() -> None:
    assert W47.start.isoformat() == "2026-11-16T00:00:00+00:00" and W47.end.isoformat() == "2026-11-23T00:00:00+00:00"
    assert W47.previous() == IsoWeek(2026, 46) and IsoWeek(2026, 1).previous() == IsoWeek(2025, 52)
    assert parse_week("2026-W47", AFTER) == W47
    assert last_complete_week(dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)) == W47  # Monday 06:00: last week
    for text, words in (("2026-47", "illisible"), ("2026-W54", "n'existe pas"), ("2026-W49", "pas terminée")):
        with pytest.raises(WeekError, match=words):
            parse_week(text, AFTER)


def test_report_numbers_are_the_api_numbers(service, tmp_path) -> None:
    files = generate(service, service.reader, W47, tmp_path, service.now)
    api = create_app(service.reader, service, service.now).server.test_client()
    expected = api.get(f"/api/kpis?{W47.api_query}").get_json()
    assert files.report.current == expected
    previous = api.get(f"/api/kpis?{W47.previous().api_query}").get_json()
    assert files.report.previous == previous
    # the PDF says them
    text = pdf_text(files.pdf)
    assert "Semaine 47 de 2026 (2026-W47)" in text and "Données arrêtées au 22 nov. 2026 à 23:59" in text
    overall = expected["overall"]
    assert f"Dossiers en cours (fin de semaine) {fr_number(overall['backlog'])}" in text
    assert f"Dossiers déposés {fr_number(overall['inflow'])}" in text
    for sentence in files.report.sentences:
        assert sentence.split(" ")[0] in text
    # every page, as a picture, for people to look at
    ARTIFACTS.mkdir(exist_ok=True)
    document = pdfium.PdfDocument(str(files.pdf))
    for i in range(len(document)):
        page = document[i]
        assert round(page.get_width()) > round(page.get_height())  # A4 landscape
        page.render(scale=1.5).to_pil().save(ARTIFACTS / f"report-{W47.label}-p{i + 1}.png")
    assert len(document) >= 5
    # the workbook holds the same tables
    book = openpyxl.load_workbook(files.xlsx)
    assert book.sheetnames == [
        "Synthèse",
        "Par structure",
        "Par procédure",
        "Hors délai les plus anciens",
        "Sources",
        "Événements",
        "Paramètres",
    ]
    rows = list(book["Par structure"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("Structure", "Déposés", "Clos", "En cours")
    assert {r[0]: r[3] for r in body} == {s: m["backlog"] for s, m in expected["by_service"].items()}
    assert sum(r[1] for r in body) == overall["inflow"]


def test_an_old_week_is_regenerated_identically(service, tmp_path) -> None:
    first = generate(service, service.reader, W47, tmp_path / "a", service.now)
    service.now = lambda: AFTER + dt.timedelta(days=40)  # type: ignore[method-assign]
    again = generate(service, service.reader, W47, tmp_path / "b", service.now)
    assert first.report.current == again.report.current and first.report.sentences == again.report.sentences
    assert pdf_text(first.pdf) == pdf_text(again.pdf)


def test_a_week_without_data_gives_a_valid_report_that_says_so(service, tmp_path) -> None:
    files = generate(service, service.reader, IsoWeek(2020, 10), tmp_path, service.now)
    text = pdf_text(files.pdf)
    assert "Aucun dossier déposé, clos ou en cours durant cette semaine" in text
    assert files.report.empty and openpyxl.load_workbook(files.xlsx)["Synthèse"].max_row > 1


def test_a_failed_generation_is_retried_logged_and_leaves_no_partial_file(service, tmp_path, caplog) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports folder should be")
    with caplog.at_level(logging.WARNING, logger="vigie.reports"), pytest.raises(ReportError, match="après 3 essais"):
        generate(service, service.reader, W47, blocker, service.now, attempts=3, wait_seconds=0)
    assert sum("essai" in r.getMessage() for r in caplog.records) == 3
    assert blocker.read_text() == "a file where the reports folder should be"
    # an interrupted write keeps the previous file whole and leaves nothing behind
    target = tmp_path / "r" / "report.pdf"
    write_atomically(target, b"old report")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old report" and sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def test_the_monday_job_reports_last_week(service, tmp_path) -> None:
    settings = ReportSettings(out_dir=tmp_path)
    scheduler = BackgroundScheduler(timezone="Africa/Lome")
    schedule_reports(scheduler, settings, lambda: service, service.now)
    job = scheduler.get_job("weekly-report")
    fire = job.trigger.get_next_fire_time(None, AFTER)
    assert (fire.strftime("%A %H:%M"), str(fire.tzinfo)) == ("Monday 06:00", "Africa/Lome")
    weekly_job(settings, lambda: service, service.now)()  # what the scheduler calls
    assert (tmp_path / "2026-W48" / "vigie-rapport-2026-W48.pdf").is_file()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def] # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def test_report_is_mailed_through_smtp(service, tmp_path) -> None:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        files = generate(service, service.reader, W47, tmp_path, service.now)
        smtp = SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender="vigie@mme.gouv.tg",
            recipients=("cabinet@mme.gouv.tg", "dsi@mme.gouv.tg"),
            starttls=False,
        )
        send_report(files, smtp)
    finally:
        controller.stop()
    [message] = inbox.messages
    assert message["Subject"] == "Vigie — rapport hebdomadaire 2026-W47"
    assert message["To"] == "cabinet@mme.gouv.tg, dsi@mme.gouv.tg"
    names = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert names == ["vigie-rapport-2026-W47.pdf", "vigie-rapport-2026-W47.xlsx"]


def test_reports_page_and_downloads_are_for_managers(service, sqlite_store, tmp_path) -> None:
    generate(service, service.reader, W47, tmp_path, service.now)
    for name, role in (("lea", "viewer"), ("marc", "manager")):
        add_user(sqlite_store.engine, name, "un-long-mot-de-passe", role, AFTER)
    app = create_app(service.reader, service, service.now, AuthSettings(), "s" * 40, reports_dir=tmp_path)

    def client_for(name: str):  # type: ignore[no-untyped-def]
        client = app.server.test_client()
        client.get("/login")
        token = client.get_cookie("_csrf_token").value
        client.post("/login", data={"username": name, "password": "un-long-mot-de-passe", "csrf_token": token})
        return client

    manager, viewer = client_for("marc"), client_for("lea")
    url = "/rapports/2026-W47/vigie-rapport-2026-W47.pdf"
    got = manager.get(url)
    assert got.status_code == 200 and got.data[:5] == b"%PDF-"
    assert viewer.get(url).status_code == 403 and viewer.get("/rapports").status_code == 403
    for crafted in ("/rapports/2026-W47/..%2F..%2Fetc%2Fpasswd", "/rapports/../etc/passwd", "/rapports/2026-W47/.x.pdf.partial"):
        answer = manager.get(crafted)  # the download route refuses it; at most the app's "page introuvable" shell answers
        assert b"root:" not in answer.data and "attachment" not in answer.headers.get("Content-Disposition", ""), crafted
    assert manager.get("/rapports/2026-W47/inconnu.pdf").status_code == 404
    assert app.server.test_client().get(url).status_code == 302  # anonymous: to the login form


def test_the_report_command_prints_no_font_subsetting_chatter(sqlite_store, clock, tmp_path) -> None:
    """fpdf2 subsets the embedded fonts with fontTools, which logs a hundred INFO lines per PDF: the command says what it
    wrote, and nothing more."""
    load_fixture(sqlite_store, clock)
    config = write_config(tmp_path, str(sqlite_store.engine.url), f"sqlite:///{tmp_path / 'unused-source.db'}")
    done = run_app("report", "--week", "2026-W47", "--out", str(tmp_path / "out"), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "2026-W47" / "vigie-rapport-2026-W47.pdf").is_file()
    lines = (done.stdout + done.stderr).splitlines()
    assert not [line for line in lines if "fontTools" in line], lines
    assert not [line for line in lines if "INFO" in line], lines  # the command prints what it wrote, once
    assert "Rapport 2026-W47, tout le ministère" in done.stdout


def test_the_workbook_holds_numbers_and_dates_as_typed_cells(service, tmp_path) -> None:
    """« Synthèse » and the tables: numbers are number cells with a format (French in a French spreadsheet), « Déposé le »
    a date; the PDF still writes them the French way."""
    files = generate(service, service.reader, W47, tmp_path, service.now)
    book = openpyxl.load_workbook(files.xlsx)
    overall, before = files.report.current["overall"], files.report.previous["overall"]
    rows = {r[0].value: r for r in book["Synthèse"].iter_rows(min_row=2) if r[0].value}
    for key, label, decimals, unit in HEADLINE:
        now_cell, before_cell = rows[label][1], rows[label][2]
        for cell, value in ((now_cell, overall[key]), (before_cell, before[key])):
            if value is None:
                assert cell.value is None, label
                continue
            assert cell.data_type == "n" and isinstance(cell.value, int | float), (label, cell.value)  # 2.0 reads back as 2
            assert cell.value == (value if decimals == 0 else round(value, decimals)), label
            assert cell.number_format == ("#,##0" if decimals == 0 else f'#,##0.0" {unit}"'), label
    assert rows["Dossiers en cours (fin de semaine)"][1].value == overall["backlog"]
    structures = list(book["Par structure"].iter_rows())
    names = [c.value for c in structures[0]]
    for row in structures[1:]:
        assert isinstance(row[names.index("En cours")].value, int) and row[names.index("En cours")].number_format == "#,##0"
    oldest = list(book["Hors délai les plus anciens"].iter_rows())
    names = [c.value for c in oldest[0]]
    assert len(oldest) > 1  # the fixture has cases past their delay at the week's end
    expected = sorted(files.report.oldest_breached["Déposé le"])
    submitted = [row[names.index("Déposé le")] for row in oldest[1:]]
    assert all(isinstance(c.value, dt.datetime) and c.number_format == "dd/mm/yyyy hh:mm" for c in submitted)
    assert [c.value for c in submitted] == [ts.to_pydatetime() for ts in expected]
    text = pdf_text(files.pdf)
    assert f"Dossiers en cours (fin de semaine) {fr_number(overall['backlog'])}" in text
    assert fr_date(expected[0]) in text
