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


def test_quiet_hours_hold_a_warning_over_a_weekend_and_tabaski_while_a_critical_goes_through(sqlite_store, catalog, clock) -> None:
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


def test_an_e_mail_contact_gets_one_digest_of_the_warnings_held_overnight(sqlite_store, catalog, clock) -> None:
    load_fixture(sqlite_store, clock)
    port = free_port()
    with SmtpInbox(port) as inbox:
        quiet = AlertContact("ceet", emails=("dg@ceet.tg",), quiet="business-hours")
        rules = tuple(_rule(name=f"r{i}", metric=m, threshold=-1.0, contacts=("ceet",)) for i, m in enumerate(("backlog", "inflow")))
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


def test_a_collector_killed_between_commit_and_send_delivers_after_restart_once(sqlite_store, catalog, clock, tmp_path: Path) -> None:
    load_fixture(sqlite_store, clock)
    url = str(sqlite_store.engine.url)
    with WebhookReceiver() as hook:
        script = tmp_path / "kill.py"
        script.write_text(textwrap.dedent(KILL_AFTER_COMMIT))
        done = subprocess.run([sys.executable, str(script), url, hook.url, str(ROOT)], capture_output=True, text=True, timeout=120)
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
