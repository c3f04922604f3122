"""Evaluate every rule against the KPI engine's numbers, move each alert on, and fill the outbox.

Runs only in the process that runs the collectors, under its writer lock: with several app workers or
hosts, each transition is decided, and owed to its contacts, exactly once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from alerts.lifecycle import fresh, step
from alerts.messages import explorer_url, payload, summary
from alerts.quiet import next_opening
from domain.alert_records import AlertEvent, AlertRecord
from domain.alert_settings import AlertContact, AlertRule, AlertSettings
from domain.business_days import BusinessCalendar
from kpis.health import source_state
from kpis.metrics import COUNT_KEYS
from service.kpi_service import KpiService
from store.alerts import AlertStore, Delivery
from store.reader import Reader

log = logging.getLogger(__name__)
#: count metrics read as 0 for a group with no case (a rate or a median has no value there)
COUNT_METRICS = (*COUNT_KEYS, "quarantine_open")
_SCOPE_KEYS = {"overall": "overall", "service": "by_service", "procedure": "by_procedure"}


@dataclasses.dataclass(frozen=True)
class Notice:
    """What one evaluation decided for one alert: its new state and the event owed to its contacts."""

    record: AlertRecord
    event: AlertEvent


class AlertEvaluator:
    def __init__(
        self,
        settings: AlertSettings,
        kpis: KpiService,
        reader: Reader,
        store: AlertStore,
        catalog: pd.DataFrame,
        calendar: BusinessCalendar,
        base_url: str,
        now: Callable[[], dt.datetime],
    ) -> None:
        self.settings, self.kpis, self.reader, self.store = settings, kpis, reader, store
        self.calendar, self.base_url, self.now = calendar, base_url, now
        self.names = dict(zip(catalog["code"], catalog["name"], strict=True))
        self.owners = dict(zip(catalog["code"], catalog["service"], strict=True))
        self.evaluated_version: int | None = None
        self.evaluated_at: dt.datetime | None = None

    def due(self) -> bool:
        """After every poll that moved the data version, and every ``evaluate_every_seconds`` (age-based metrics)."""
        if self.evaluated_at is None or self.reader.version() != self.evaluated_version:
            return True
        return (self.now() - self.evaluated_at).total_seconds() >= self.settings.evaluate_every_seconds

    def run(self) -> list[Notice]:
        """One evaluation of every rule at ``now``; returns the notified events (tests, logs)."""
        now = self.now()
        version = self.reader.version()
        health = self.reader.health(now)
        documents: dict[int, dict[str, Any]] = {}
        records = self.store.records()
        notices = []
        for rule in self.settings.rules:
            try:
                for group, value in self._values(rule, documents, health, now).items():
                    notice = self._advance(rule, group, value, records.get((rule.name, group)), now, documents)
                    if notice is not None:
                        notices.append(notice)
            except SQLAlchemyError as exc:  # one rule's failure must not silence the others (nor the outages)
                log.error("alerte %s : écriture refusée par le magasin : %s", rule.name, str(exc).splitlines()[0])
        self._outages(health, now)
        self.evaluated_version, self.evaluated_at = version, now
        return notices

    def _advance(
        self, rule: AlertRule, group: str, value: float | None, record: AlertRecord | None, now: dt.datetime,
        documents: dict[int, dict[str, Any]],
    ) -> Notice | None:  # fmt: skip
        if record is None:
            record = fresh(rule, group, now)
            record = dataclasses.replace(record, id=self.store.save(record, None, [], None, now))
        updated, event = step(record, rule, value, now, self.settings.repeat_hours)
        cleared = record.ack_by is not None and updated.ack_by is None
        if event is None:
            if updated != record:
                self.store.save(updated, None, [], None, now, clear_ack=cleared)
            return None
        as_of = dt.datetime.fromisoformat(documents[rule.days]["as_of"]) if rule.days in documents else now
        text = summary(updated, event.kind, rule.days, now, self.names)
        body = payload(updated, event, alert_id=int(updated.id or 0), days=rule.days, op=rule.op, as_of=as_of, text=text,
                       url=explorer_url(self.base_url, updated, self.owners, rule.days))  # fmt: skip
        deliveries = [d for name in rule.contacts for d in self.deliveries(name, updated, event, body, now)]
        annotation = None
        if event.kind in ("firing", "resolved"):
            annotation = {"at": now, "scope": rule.scope, "grp": group, "kind": "alert", "text": text, "author": None}
        self.store.save(updated, event, deliveries, annotation, now, clear_ack=cleared)
        log.info("alerte %s (%s) : %s", event.kind, rule.name, text)
        return Notice(updated, event)

    def deliveries(
        self, name: str, record: AlertRecord, event: AlertEvent, body: dict[str, Any], now: dt.datetime
    ) -> list[Delivery]:
        """The deliveries one contact is owed, due at once or, for a quiet contact and a warning, at the next opening."""
        contact = self.settings.contact(name)
        if contact is None:  # the config check makes this impossible; never fail an evaluation over it
            return []
        due = now
        if contact.quiet == "business-hours" and record.severity != "critical":
            due = next_opening(now, self.calendar)
        text = json.dumps(body, ensure_ascii=False)
        key = f"{record.id}:{event.number}"
        return [Delivery(contact.name, channel, key, record.severity, text, due) for channel in channels(contact)]

    def _values(
        self, rule: AlertRule, documents: dict[int, dict[str, Any]], health: pd.DataFrame, now: dt.datetime
    ) -> dict[str, float | None]:
        if rule.metric == "source_lag_seconds":  # a source never heard from is late beyond any threshold
            lags = {str(s): _number(v) for s, v in zip(health["source"], health["lag_seconds"], strict=True)}
            found: dict[str, float | None] = {s: math.inf if lag is None else lag for s, lag in lags.items()}
        elif rule.metric == "quarantine_open":
            counts = self.reader.quarantine_counts()
            totals = counts.groupby("source")["rows"].sum() if not counts.empty else pd.Series(dtype=int)
            found = {str(s): float(totals.get(s, 0)) for s in health["source"]}
        else:
            if rule.days not in documents:
                documents[rule.days] = self.kpis.document(pd.Timestamp(now), rule.days)
            part = documents[rule.days][_SCOPE_KEYS[rule.scope]]
            groups = {"": part} if rule.scope == "overall" else part
            found = {str(g): _number(metrics.get(rule.metric)) for g, metrics in groups.items()}
        wanted = rule.groups if rule.groups is not None else tuple(found)
        default = 0.0 if rule.metric in COUNT_METRICS else None
        return {g: found.get(g, default) for g in wanted}

    def _outages(self, health: pd.DataFrame, now: dt.datetime) -> None:
        """A source going down opens an outage annotation; its return closes it."""
        open_now = self.store.open_outages()
        for row in health.itertuples(index=False):
            lag = _number(row.lag_seconds)
            down = source_state(math.nan if lag is None else lag, float(row.every_seconds or 30)) == "down"  # type: ignore[arg-type]  # a numeric column
            source = str(row.source)
            if down and source not in open_now:
                self.store.annotate(at=now, scope="source", group=source, kind="outage",
                                    text=f"Source « {source} » en panne", author=None, now=now)  # fmt: skip
            elif not down and source in open_now:
                self.store.end_outage(open_now[source], now)


def channels(contact: AlertContact) -> list[str]:
    """Its e-mail and its webhook; a contact with neither is told through the collector's log."""
    found = (["email"] if contact.emails else []) + (["webhook"] if contact.webhook_url else [])
    return found or ["log"]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
