"""Alerts: the rules' contract, noise control, quiet hours, and notifications that reach real receivers
exactly as often as they should."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from alerts.deliver import DeliveryWorker, retry_delay
from alerts.evaluate import AlertEvaluator
from alerts.lifecycle import fresh, step, take_in_charge
from alerts.quiet import in_business_hours, next_opening
from domain.alert_settings import DOCUMENT_METRICS, AlertContact, AlertRule, AlertSettings, parse_alerts
from domain.business_days import BusinessCalendar
from domain.config import ConfigError, SmtpSettings
from kpis.document import kpi_document
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.reader import Reader
from tests.kpi_fixtures import BASE
from tests.receivers import SmtpInbox, WebhookReceiver
from tests.support import ROOT, free_port, load_fixture

UTC = dt.UTC
TG = BusinessCalendar("TG")
PAYLOAD_KEYS = {"alert_id", "rule", "state", "severity", "scope", "group", "metric", "op", "threshold", "value", "days",
                "since", "as_of", "summary", "url"}  # fmt: skip


def _rule(**kw: object) -> AlertRule:
    values: dict[str, object] = {"name": "stock", "metric": "backlog", "scope": "overall", "op": ">", "threshold": 0.0,
                                 "contacts": ("ceet",), "for_minutes": 0.0}  # fmt: skip
    return AlertRule(**(values | kw))  # type: ignore[arg-type]


# -- the contract -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"metric": "bogus"}, "règle d'alerte « r »: clé metric"),
        ({"scope": "region"}, "règle d'alerte « r »: clé scope"),
        ({"metric": "source_lag_seconds", "scope": "service"}, "clé scope"),
        ({"op": "=="}, "clé op"),
        ({"contacts": ["personne"]}, "clé contacts : contact inconnu « personne »"),
        ({"severity": "info"}, "clé severity"),
        ({"threshold": "cinq"}, "clé threshold"),
        ({"days": 0}, "clé days"),
        ({"groups": ["X"]}, "clé groups"),  # overall has no groups
        ({"surprise": 1}, "clé inconnue : surprise"),
    ],
)
def test_a_bad_rule_is_named_with_its_key(rule: dict[str, object], message: str) -> None:
    raw = {
        "contacts": [{"name": "ceet"}],
        "rules": [{"name": "r", "metric": "backlog", "scope": "overall", "op": ">", "threshold": 5, "contacts": ["ceet"]} | rule],
    }
    with pytest.raises(ConfigError) as error:
        parse_alerts(raw, "vigie.toml", {})
    assert message in str(error.value)
    assert str(error.value).startswith("vigie.toml ")


def test_contacts_read_their_secrets_from_the_environment() -> None:
    raw = {
        "enabled": True,
        "contacts": [{"name": "ceet", "webhook_url": "${HOOK}", "webhook_secret": "${KEY}", "quiet": "business-hours"}],
        "rules": [],
    }
    settings = parse_alerts(raw, "vigie.toml", {"HOOK": "http://127.0.0.1:9/x", "KEY": "s3cret"})
    assert settings.contacts[0] == AlertContact("ceet", (), "http://127.0.0.1:9/x", "s3cret", "business-hours")
    with pytest.raises(ConfigError, match=r"\$\{HOOK\} non définie"):
        parse_alerts(raw, "vigie.toml", {})


def test_the_rule_metrics_are_the_documents(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    frames = Reader(sqlite_store.engine).frames()
    document = kpi_document(frames.cases, frames.events, catalog, {}, as_of=BASE, days=7, calendar=TG)
    numeric = {k for k, v in document["overall"].items() if not isinstance(v, dict)}
    assert set(DOCUMENT_METRICS) == numeric


# -- noise control ------------------------------------------------------------------------------------------
def _run(rule: AlertRule, values: list[float], minutes: int = 1, repeat_hours: float = 24) -> list[str]:
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    record = fresh(rule, "", start)
    kinds = []
    for i, value in enumerate(values):
        record, event = step(record, rule, value, start + dt.timedelta(minutes=i * minutes), repeat_hours)
        if event is not None:
            kinds.append(event.kind)
    return kinds


def test_a_value_flapping_around_its_threshold_notifies_once_per_held_period() -> None:
    rule = _rule(threshold=500, for_minutes=15)
    flapping = [510.0, 490.0] * 60  # two hours, crossing the threshold every minute
    assert _run(rule, flapping) == []  # never held 15 minutes: nothing at all
    assert _run(_rule(threshold=500, for_minutes=0), flapping) == ["firing", "resolved"] * 60  # without for_minutes: 120
    held = [510.0] * 16 + [490.0] + [510.0] * 10 + [490.0] + [510.0] * 16
    # fires after 15 min, resolves, then needs 15 more minutes above before firing again
    assert _run(rule, held) == ["firing", "resolved", "firing"]


def test_a_firing_alert_repeats_until_taken_in_charge_and_again_when_the_date_passes() -> None:
    rule = _rule()
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    record, event = step(fresh(rule, "", start), rule, 3.0, start, 24)
    assert event is not None and event.kind == "firing" and event.number == 1
    record, event = step(record, rule, 3.0, start + dt.timedelta(hours=23), 24)
    assert event is None
    record, event = step(record, rule, 3.0, start + dt.timedelta(hours=24), 24)
    assert event is not None and (event.kind, event.number) == ("repeat", 2)
    until = start + dt.timedelta(hours=60)
    record, ack = take_in_charge(record, "marc", "équipe envoyée", until, start + dt.timedelta(hours=25))
    assert ack.kind == "ack" and record.taken_in_charge(start + dt.timedelta(hours=25))
    record, event = step(record, rule, 3.0, start + dt.timedelta(hours=59), 24)
    assert event is None  # taken in charge: silent
    record, event = step(record, rule, 3.0, start + dt.timedelta(hours=61), 24)
    assert event is not None and (event.kind, event.number) == ("repeat", 3)  # the date passed
    record, event = step(record, rule, 0.0, start + dt.timedelta(hours=62), 24)
    assert event is not None and event.kind == "resolved" and record.ack_by is None


# -- quiet hours --------------------------------------------------------------------------------------------
def test_business_hours_skip_weekends_and_togo_holidays() -> None:
    friday_evening = dt.datetime(2026, 5, 22, 18, 0, tzinfo=UTC)  # Lomé is UTC+0
    # Saturday, Sunday, then Pentecost Monday (25 May): the next opening is Tuesday 07:30
    assert next_opening(friday_evening, TG) == dt.datetime(2026, 5, 26, 7, 30, tzinfo=UTC)
    # Tabaski (Eid al-Adha) on Wednesday 27 May 2026: Tuesday evening waits until Thursday morning
    assert next_opening(dt.datetime(2026, 5, 26, 17, 30, tzinfo=UTC), TG) == dt.datetime(2026, 5, 28, 7, 30, tzinfo=UTC)
    assert in_business_hours(dt.datetime(2026, 5, 26, 7, 30, tzinfo=UTC), TG)
    assert not in_business_hours(dt.datetime(2026, 5, 26, 7, 29, tzinfo=UTC), TG)
    early = dt.datetime(2026, 5, 28, 6, 0, tzinfo=UTC)
    assert next_opening(early, TG) == dt.datetime(2026, 5, 28, 7, 30, tzinfo=UTC)


# -- against a real store and real receivers ----------------------------------------------------------------
class Room:
    """A store holding the KPI fixture, the alert evaluator and the delivery worker, on the test's clock."""

    def __init__(self, store, catalog, clock, settings: AlertSettings, smtp: SmtpSettings | None = None) -> None:  # type: ignore[no-untyped-def]
        self.clock = clock
        self.store = AlertStore(store.engine)
        reader = Reader(store.engine, now=clock)
        self.kpis = KpiService(reader, catalog, TG, clock)
        self.evaluator = AlertEvaluator(settings, self.kpis, reader, self.store, catalog, TG, "http://vigie.local", clock)
        self.worker = DeliveryWorker(settings, smtp, self.store, clock)

    def tick(self, minutes: float = 0) -> None:
        self.clock.now += dt.timedelta(minutes=minutes)
        self.evaluator.run()
        self.worker.run()


def _settings(contact: AlertContact, **rule: object) -> AlertSettings:
    return AlertSettings(enabled=True, contacts=(contact,), rules=(_rule(contacts=(contact.name,), **rule),))


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", sender="vigie@energie.gouv.tg", recipients=("cabinet@energie.gouv.tg",), port=port,
                        starttls=False, timeout_seconds=5)  # fmt: skip


def test_firing_repeat_taken_in_charge_and_resolved_reach_webhook_and_mail_exactly(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    clock.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, offices open
    port = free_port()
    with WebhookReceiver() as hook, SmtpInbox(port) as inbox:
        contact = AlertContact("ceet", ("dg@ceet.tg",), hook.url, "s3cret")
        room = Room(sqlite_store, catalog, clock, _settings(contact, scope="service", groups=("CEET",)), _smtp(port))
        room.tick()
        assert [r.json["state"] for r in hook.received] == ["firing"] and len(inbox.messages) == 1
        first = hook.received[0]
        assert set(first.json) == PAYLOAD_KEYS
        alert_id = first.json["alert_id"]
        assert first.headers["Idempotency-Key"] == f"{alert_id}:1"
        assert first.headers["Content-Type"] == "application/json"
        expected = "sha256=" + hmac.new(b"s3cret", first.body, hashlib.sha256).hexdigest()
        assert first.headers["X-Vigie-Signature"] == expected
        assert first.json["group"] == "CEET" and first.json["url"].startswith("http://vigie.local/explorer?service=CEET")
        assert first.json["summary"].startswith("CEET : ") and "(seuil 0)" in first.json["summary"]
        mail = inbox.messages[0]
        assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
        assert first.json["summary"] in mail.get_body(("plain",)).get_content()

        room.tick(60)  # an hour later: still firing, nothing new
        assert len(hook.received) == 1
        room.tick(24 * 60)  # a day: nobody took it in charge, it is repeated
        assert [r.headers["Idempotency-Key"] for r in hook.received] == [f"{alert_id}:1", f"{alert_id}:2"]
        assert hook.received[1].json["state"] == "firing" and len(inbox.messages) == 2

        record = room.store.record(alert_id)
        assert record is not None
        _, ack = take_in_charge(record, "marc", "équipe CEET sur place", None, clock.now)
        assert room.store.take_in_charge(alert_id, ack, None)
        room.tick(25 * 60)  # taken in charge: no repeat
        assert len(hook.received) == 2

        room.evaluator.settings = _settings(contact, scope="service", groups=("CEET",), threshold=10_000.0)
        room.tick(1)
        assert [r.json["state"] for r in hook.received] == ["firing", "firing", "resolved"]
        assert hook.received[2].headers["Idempotency-Key"] == f"{alert_id}:3"
        assert len(inbox.messages) == 3 and "levée" in inbox.messages[2]["Subject"]
        room.tick(60)
        assert len(hook.received) == 3 and not hook.refused


def test_a_receiver_failing_twice_gets_the_delivery_exactly_once_after_retries(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    with WebhookReceiver(script=[500, 500]) as hook:
        room = Room(sqlite_store, catalog, clock, _settings(AlertContact("ceet", webhook_url=hook.url)))
        room.tick()
        assert len(hook.refused) == 1 and not hook.received
        room.tick(retry_delay(1).total_seconds() / 60 - 0.05)  # not yet due
        assert len(hook.refused) == 1
        room.tick(0.1)
        assert len(hook.refused) == 2 and not hook.received
        room.tick(retry_delay(2).total_seconds() / 60)
        assert len(hook.received) == 1
        room.tick(60)
        assert len(hook.received) == 1
        log = room.store.deliveries(clock.now - dt.timedelta(days=1))
        assert log[["state", "attempts"]].values.tolist() == [["sent", 3]]
        assert hook.refused[0].body == hook.received[0].body  # the same notification, byte for byte


def test_a_delivery_that_never_succeeds_is_marked_failed_after_a_day(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    settings = _settings(AlertContact("ceet", webhook_url=f"http://127.0.0.1:{free_port()}/"))
    room = Room(sqlite_store, catalog, clock, dataclasses.replace(settings, repeat_hours=1000))
    room.tick()
    for _ in range(80):
        room.tick(30)
    log = room.store.deliveries(clock.now - dt.timedelta(days=3))
    assert log["state"].tolist() == ["failed"]
    assert "injoignable" in log["last_error"].iloc[0]
    attempts = int(log["attempts"].iloc[0])
    assert 40 <= attempts <= 55  # 10 s doubling to 30 min, for 24 h, tried at most every 30 min here


def test_quiet_hours_hold_a_warning_over_a_weekend_and_tabaski_while_a_critical_goes_through(
    sqlite_store, catalog, clock
) -> None:
    load_fixture(sqlite_store, clock)
    friday_evening = dt.datetime(2026, 5, 22, 18, 0, tzinfo=UTC)
    with WebhookReceiver() as hook:
        quiet = AlertContact("ceet", webhook_url=hook.url, quiet="business-hours")
        rules = (
            _rule(name="stock", threshold=-1.0, contacts=("ceet",)),
            _rule(name="retard", metric="breached_open", threshold=-1.0, severity="critical", contacts=("ceet",)),
        )
        settings = AlertSettings(enabled=True, repeat_hours=1000, contacts=(quiet,), rules=rules)  # no repeat in this test
        room = Room(sqlite_store, catalog, clock, settings)
        clock.now = friday_evening
        room.tick()
        assert [r.json["rule"] for r in hook.received] == ["retard"]  # critical: at once
        for hours in (12, 24, 24, 24):  # Saturday, Sunday, Pentecost Monday: still held
            room.tick(hours * 60)
        assert clock.now == dt.datetime(2026, 5, 26, 6, 0, tzinfo=UTC) and len(hook.received) == 1
        room.tick(90)  # Tuesday 07:30
        assert [r.json["rule"] for r in hook.received] == ["retard", "stock"]
        assert hook.received[1].json["state"] == "firing"
        # Tuesday 18:00, a new warning: Wednesday 27 May is Tabaski, so it waits until Thursday 07:30
        later = _rule(name="entrees", metric="inflow", threshold=-1.0, contacts=("ceet",))
        room.evaluator.settings = dataclasses.replace(settings, rules=(*rules, later))
        room.tick(10 * 60 + 30)
        room.tick(13 * 60 + 29)  # Wednesday 07:29... and the whole of Tabaski
        room.tick(12 * 60)
        assert clock.now == dt.datetime(2026, 5, 27, 19, 29, tzinfo=UTC) and len(hook.received) == 2
        room.tick(12 * 60 + 1)  # Thursday 07:30
        assert [r.json["rule"] for r in hook.received] == ["retard", "stock", "entrees"]


def test_an_e_mail_contact_gets_one_digest_of_the_warnings_held_overnight(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    port = free_port()
    with SmtpInbox(port) as inbox:
        quiet = AlertContact("ceet", emails=("dg@ceet.tg",), quiet="business-hours")
        rules = tuple(
            _rule(name=f"r{i}", metric=m, threshold=-1.0, contacts=("ceet",)) for i, m in enumerate(("backlog", "inflow"))
        )
        room = Room(sqlite_store, catalog, clock, AlertSettings(enabled=True, contacts=(quiet,), rules=rules), _smtp(port))
        clock.now = dt.datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
        room.tick()
        assert inbox.messages == []
        room.tick(11 * 60 + 30)  # Wednesday 07:30
        assert len(inbox.messages) == 1
        assert "2 notifications" in inbox.messages[0]["Subject"]
        assert inbox.messages[0]["To"] == "dg@ceet.tg"


KILL_AFTER_COMMIT = """
import os, signal, sys, datetime as dt
sys.path.insert(0, sys.argv[3])
from alerts.evaluate import AlertEvaluator
from domain.alert_settings import AlertContact, AlertRule, AlertSettings
from domain.business_days import BusinessCalendar
from domain.catalog import load_catalog
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.engines import create_store_engine
from store.reader import Reader
engine = create_store_engine(sys.argv[1])
now = lambda: dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
rule = AlertRule("stock", "backlog", "overall", ">", 0.0, ("ceet",))
settings = AlertSettings(True, contacts=(AlertContact("ceet", webhook_url=sys.argv[2]),), rules=(rule,))
reader = Reader(engine, now=now)
catalog = load_catalog(sys.argv[3] + "/data/procedures.csv")
kpis = KpiService(reader, catalog, BusinessCalendar("TG"), now)
notices = AlertEvaluator(settings, kpis, reader, AlertStore(engine), catalog, BusinessCalendar("TG"), "http://x", now).run()
print("committed", len(notices), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # before any delivery is sent
"""


def test_a_collector_killed_between_commit_and_send_delivers_after_restart_once(
    sqlite_store, catalog, clock, tmp_path: Path
) -> None:
    load_fixture(sqlite_store, clock)
    url = str(sqlite_store.engine.url)
    with WebhookReceiver() as hook:
        script = tmp_path / "kill.py"
        script.write_text(textwrap.dedent(KILL_AFTER_COMMIT))
        done = subprocess.run(
            [sys.executable, str(script), url, hook.url, str(ROOT)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == -9 and "committed 1" in done.stdout, done.stderr
        assert hook.received == []
        contact = AlertContact("ceet", webhook_url=hook.url)
        room = Room(sqlite_store, catalog, clock, _settings(contact))
        room.tick()  # the restarted collector: evaluates (still firing: nothing new) and sends the outbox
        room.tick(1)
        assert [r.headers["Idempotency-Key"].split(":")[1] for r in hook.received] == ["1"]


def test_the_outbox_works_on_postgresql(pg_url, catalog, clock) -> None:
    from store.engines import create_store_engine
    from store.writer import Store

    store = Store(create_store_engine(pg_url))
    store.create()
    load_fixture(store, clock)
    with WebhookReceiver() as hook:
        room = Room(store, catalog, clock, _settings(AlertContact("ceet", webhook_url=hook.url), scope="procedure"))
        room.tick()
        groups = sorted(r.json["group"] for r in hook.received)
        assert groups and set(groups) <= {"CEET-ABO", "MIN-CAR", "MIN-EXP"}  # the fixture's procedures with open cases
        assert len(groups) == len(set(groups))
        room.tick(5)
        assert len(hook.received) == len(groups)
        states = {r.state for r in room.store.records().values() if r.state != "ok"}
        assert states == {"firing"}


def test_payload_keeps_source_text_as_data(sqlite_store, catalog, clock) -> None:
    """A group name is shown escaped in the HTML part and never becomes a link target."""
    from alerts.messages import email

    body = {"state": "firing", "severity": "warning", "summary": "<script>x</script> & co", "url": "http://vigie.local/explorer"}
    message = email([body], "vigie@x.tg", ("a@x.tg",))
    html_part = message.get_body(("html",)).get_content()
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part


def test_alert_records_round_trip_through_the_store(sqlite_store, clock) -> None:
    store = AlertStore(sqlite_store.engine)
    record = dataclasses.replace(fresh(_rule(), "", clock.now), state="firing", value=3.0, notified=1)
    alert_id = store.save(record, None, [], None, clock.now)
    assert dataclasses.replace(record, id=alert_id) == store.record(alert_id)
    assert json.loads(json.dumps({"id": alert_id}))["id"] == alert_id


def test_the_weekly_report_lists_the_weeks_events(sqlite_store, catalog, clock, tmp_path: Path) -> None:
    import openpyxl
    import pypdfium2 as pdfium

    from reports.build import generate
    from reports.week import IsoWeek

    load_fixture(sqlite_store, clock)
    week = IsoWeek(2026, 47)  # 16–22 Nov 2026
    store = AlertStore(sqlite_store.engine)
    inside = dt.datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    store.annotate(at=inside, scope="service", group="CEET", kind="manual", text="=grève des agents 18–19 nov.", author="marc",
                   now=inside)  # fmt: skip
    store.annotate(at=inside - dt.timedelta(days=1), scope="source", group="ceet", kind="outage", text="Source « ceet » en panne",
                   author=None, now=inside, ends_at=inside)  # fmt: skip
    store.annotate(at=dt.datetime(2026, 11, 25, tzinfo=UTC), scope="overall", group="", kind="manual", text="semaine suivante",
                   author="marc", now=inside)  # fmt: skip
    kpis = KpiService(Reader(sqlite_store.engine, now=clock), catalog, TG, clock)
    files = generate(kpis, kpis.reader, week, tmp_path, lambda: dt.datetime(2026, 11, 23, 6, 0, tzinfo=UTC), attempts=1)
    assert files.report.events["Événement"].tolist() == [
        "Source « ceet » en panne (jusqu'au 18/11 09:30)",
        "=grève des agents 18–19 nov.",
    ]
    document = pdfium.PdfDocument(str(files.pdf))
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Événements de la semaine" in text and "grève des agents" in text and "semaine suivante" not in text
    sheet = openpyxl.load_workbook(files.xlsx)["Événements"]
    cell = [c for row in sheet.iter_rows() for c in row if c.value == "=grève des agents 18–19 nov."]
    assert cell and cell[0].data_type == "s"  # a note is text, never a formula


def test_the_command_line_lists_takes_in_charge_and_tests_a_contact(tmp_path: Path, sqlite_source, catalog, clock) -> None:
    from store.engines import create_store_engine
    from store.writer import Store
    from tests.support import run_app, stored, write_config

    store_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    config = write_config(tmp_path, store_url, sqlite_source[0])
    with WebhookReceiver() as hook:
        config.write_text(config.read_text() + textwrap.dedent(f"""
            [alerts]
            enabled = true
            [[alerts.contacts]]
            name = "ceet"
            webhook_url = "{hook.url}"
            webhook_secret = "${{HOOK_KEY}}"
            [[alerts.rules]]
            name = "stock"
            metric = "backlog"
            scope = "overall"
            op = ">"
            threshold = 0
            contacts = ["ceet"]
            """))  # fmt: skip
        store = Store(create_store_engine(store_url))
        store.create()
        load_fixture(store, clock)
        clock.now = dt.datetime.now(UTC)  # the command line runs on the wall clock
        Room(store, catalog, clock, _settings(AlertContact("ceet", webhook_url=hook.url))).tick()
        env = {"HOOK_KEY": "k"}
        listed = run_app("alerts", "list", "--json", "--config", str(config), env=env)
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [list(r) for r in rows] == [
            ["id", "rule", "scope", "group", "state", "since", "value", "acknowledged_by", "comment"]
        ]
        assert rows[0]["state"] == "firing" and rows[0]["acknowledged_by"] is None
        alert_id = str(rows[0]["id"])
        refused = run_app("alerts", "ack", alert_id, "--config", str(config), env=env)
        assert refused.returncode == 1 and "--by" in refused.stderr
        done = run_app("alerts", "ack", alert_id, "--by", "marc", "--comment", "équipe envoyée", "--config", str(config), env=env)
        assert done.returncode == 0 and "prise en charge par marc" in done.stdout, done.stderr
        rows = json.loads(run_app("alerts", "list", "--json", "--config", str(config), env=env).stdout)
        assert (rows[0]["acknowledged_by"], rows[0]["comment"]) == ("marc", "équipe envoyée")
        audit = stored(store, "audit_log")
        assert audit.loc[audit["action"] == "alert_ack", "username"].tolist() == ["marc"]
        hook.received.clear()
        hook.script[:] = [200, 503]
        tested = run_app("alerts", "test", "ceet", "--config", str(config), env=env)
        assert tested.returncode == 0 and "reçu" in tested.stdout, tested.stderr
        assert hook.received[-1].json["state"] == "test"
        assert (
            hook.received[-1].headers["X-Vigie-Signature"]
            == "sha256=" + hmac.new(b"k", hook.received[-1].body, hashlib.sha256).hexdigest()
        )
        failed = run_app("alerts", "test", "ceet", "--config", str(config), env=env)  # the receiver answers 503
        assert failed.returncode == 1 and "ÉCHEC — HTTP 503" in failed.stdout
        unknown = run_app("alerts", "test", "personne", "--config", str(config), env=env)
        assert unknown.returncode == 1 and "contact inconnu « personne »" in unknown.stderr


def test_two_app_workers_and_one_collector_send_one_notification_per_transition(tmp_path: Path, sqlite_source) -> None:
    """`serve --workers 2`: the rules run only in the collector process, under the writer lock."""
    import os
    import time
    import urllib.request

    from tests.factories import add_case, naive
    from tests.support import TEST_SECRET, serve, stop, write_config

    url, engine = sqlite_source
    for i in range(5):
        add_case(engine, f"W{i}", naive(2026, 11, 20, 9, i), events=(("DEP", naive(2026, 11, 20, 9, i)),))
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'vigie.db'}", url)
    with WebhookReceiver() as hook:
        config.write_text(
            config.read_text()
            + textwrap.dedent(f"""
            [alerts]
            enabled = true
            evaluate_every_seconds = 1
            [[alerts.contacts]]
            name = "ceet"
            webhook_url = "{hook.url}"
            [[alerts.rules]]
            name = "stock"
            metric = "backlog"
            scope = "overall"
            op = ">"
            threshold = 4
            contacts = ["ceet"]
            """)
        )
        proc, base = serve(config, "--workers", "2", env={**os.environ, "VIGIE_SECRET_KEY": TEST_SECRET})
        try:
            deadline = time.monotonic() + 90
            while not hook.received and time.monotonic() < deadline:
                time.sleep(0.5)
            assert [r.json["state"] for r in hook.received] == ["firing"]
            with urllib.request.urlopen(base + "/api/alerts", timeout=10) as answer:  # either worker reads the same alert
                assert [a["state"] for a in json.loads(answer.read())] == ["firing"]
            time.sleep(12)  # a dozen evaluations later (every second, and after every poll): still one
            assert len(hook.received) == 1
            now = dt.datetime.now(UTC).replace(tzinfo=None)  # the source writes naive UTC... closes a case: backlog 4
            add_case(engine, "W0", now, deposited=naive(2026, 11, 20, 9, 0), events=(("OK", now),))
            deadline = time.monotonic() + 60
            while len(hook.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(5)
            assert [r.json["state"] for r in hook.received] == ["firing", "resolved"]
            keys = [r.headers["Idempotency-Key"] for r in hook.received]
            assert len(set(keys)) == 2
        finally:
            stop(proc)


def test_a_source_outage_is_an_annotation_from_its_fall_to_its_return(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    room = Room(sqlite_store, catalog, clock, AlertSettings(enabled=True))
    sqlite_store.record_success("src", now=clock.now, rows=1, duration_ms=5, every_seconds=30)
    room.tick(1)
    assert room.store.open_outages() == {}
    room.tick(6)  # 7 minutes without a success: more than 10 polls of 30 s
    opened = room.store.open_outages()
    assert list(opened) == ["src"]
    room.tick(3)
    assert room.store.open_outages() == opened  # one outage, not one per evaluation
    sqlite_store.record_success("src", now=clock.now, rows=1, duration_ms=5, every_seconds=30)
    room.tick(1)
    assert room.store.open_outages() == {}
    notes = room.store.annotations(clock.now - dt.timedelta(hours=1), clock.now)
    assert notes[["kind", "grp", "text"]].values.tolist() == [["outage", "src", "Source « src » en panne"]]
    assert notes["ends_at"].iloc[0] == pd.Timestamp(clock.now)


def test_a_receiver_that_breaks_every_rule_does_not_hold_up_the_others(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    with WebhookReceiver() as hook:
        broken = AlertContact("aaa", webhook_url="http://127.0.0.1:abc/")  # past the config's check only in a test
        good = AlertContact("zzz", webhook_url=hook.url)
        settings = AlertSettings(enabled=True, contacts=(broken, good), rules=(_rule(contacts=("aaa", "zzz")),))
        room = Room(sqlite_store, catalog, clock, settings)
        room.tick()
        assert len(hook.received) == 1
        log = room.store.deliveries(clock.now - dt.timedelta(hours=1)).set_index("contact")
        assert log.loc["aaa", "state"] == "pending" and log.loc["aaa", "attempts"] == 1
        assert "invalide" in log.loc["aaa", "last_error"]
        room.evaluator.settings = room.worker.settings = dataclasses.replace(settings, contacts=(good,))
        room.tick(1)  # the contact left the config: failed at once, not retried for a day
        log = room.store.deliveries(clock.now - dt.timedelta(hours=1)).set_index("contact")
        assert log.loc["aaa", "state"] == "failed" and "retiré" in log.loc["aaa", "last_error"]


def test_taking_a_pending_alert_in_charge_holds_when_it_fires_and_a_missing_value_changes_nothing() -> None:
    rule = _rule(threshold=10, for_minutes=15)
    start = dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    record, _ = step(fresh(rule, "", start), rule, 11.0, start, 24)
    assert record.state == "pending"
    record, _ = take_in_charge(record, "marc", "on regarde", None, start + dt.timedelta(minutes=5))
    record, event = step(record, rule, 12.0, start + dt.timedelta(minutes=15), 24)
    assert event is not None and event.kind == "firing" and record.ack_by == "marc"
    record, event = step(record, rule, None, start + dt.timedelta(minutes=16), 24)
    assert event is None and record.state == "firing" and record.value == 12.0  # no number: no news
    record, event = step(record, rule, float("nan"), start + dt.timedelta(days=3), 24)
    assert event is None and record.state == "firing"
    record, event = step(record, rule, 9.0, start + dt.timedelta(days=3, minutes=1), 24)
    assert event is not None and event.kind == "resolved" and record.ack_by is None
    resolved_since = record.since
    record, _ = step(record, rule, 11.0, start + dt.timedelta(days=3, minutes=2), 24)
    record, _ = step(record, rule, 9.0, start + dt.timedelta(days=3, minutes=3), 24)
    assert (record.state, record.since) == ("resolved", resolved_since)  # a pending that went back changes nothing


def test_a_typo_in_groups_and_a_second_taking_in_charge_are_refused(sqlite_store, catalog, clock) -> None:
    from alerts.actions import AlertActionError, acknowledge
    from domain.alert_settings import check_groups
    from store.audit import AuditLog

    settings = AlertSettings(rules=(_rule(scope="procedure", groups=("CEET-BT", "CEET-XX")),))
    with pytest.raises(ConfigError, match="« stock »: clé groups : « CEET-XX »"):
        check_groups(settings, "vigie.toml", procedures=set(catalog["code"]))
    load_fixture(sqlite_store, clock)
    room = Room(sqlite_store, catalog, clock, _settings(AlertContact("ceet")))
    room.tick()
    alert_id = next(r.id for r in room.store.records().values() if r.state == "firing")
    audit = AuditLog(sqlite_store.engine)
    acknowledge(room.store, audit, alert_id, "marc", None, None, clock.now)
    with pytest.raises(AlertActionError, match="déjà prise en charge par marc"):
        acknowledge(room.store, audit, alert_id, "ada", None, None, clock.now)
    with pytest.raises(AlertActionError, match="inconnue"):
        acknowledge(room.store, audit, 9999, "ada", None, None, clock.now)
