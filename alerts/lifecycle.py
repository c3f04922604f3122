"""Pure: one alert's next state from its condition at an instant, and the event that must be notified.

Noise control lives here. A condition must hold ``for_minutes`` before the alert fires, and after it
resolves it must hold ``for_minutes`` again before it fires again: a value flapping around its threshold
notifies at most once per such period. A firing alert nobody has taken in charge is repeated every
``repeat_hours``; taking it in charge silences it until it resolves or the given date passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from domain.alert_records import AlertEvent, AlertRecord
from domain.alert_settings import AlertRule


def holds(op: str, value: float | None, threshold: float) -> bool:
    """The rule's comparison; a missing value (no case to measure) never holds."""
    if value is None or math.isnan(value):
        return False
    if op == ">":
        return value > threshold
    if op == ">=":
        return value >= threshold
    if op == "<":
        return value < threshold
    if op == "<=":
        return value <= threshold
    raise ValueError(f"unknown operator {op!r}")


def fresh(rule: AlertRule, group: str, now: dt.datetime) -> AlertRecord:
    """An alert seen for the first time: nothing to say yet."""
    return AlertRecord(rule.name, group, rule.scope, rule.metric, rule.severity, "ok", None, rule.threshold, now)


def step(
    record: AlertRecord, rule: AlertRule, value: float | None, now: dt.datetime, repeat_hours: float
) -> tuple[AlertRecord, AlertEvent | None]:
    """The alert at ``now`` given the rule's value then; the event returned (if any) is owed to the contacts."""
    current = dataclasses.replace(record, value=value, threshold=rule.threshold, severity=rule.severity, metric=rule.metric)
    if holds(rule.op, value, rule.threshold):
        return _while_true(current, rule, now, repeat_hours)
    return _while_false(current, now)


def _while_true(
    record: AlertRecord, rule: AlertRule, now: dt.datetime, repeat_hours: float
) -> tuple[AlertRecord, AlertEvent | None]:
    if record.state == "firing":
        last = record.last_notified_at or record.since
        if record.taken_in_charge(now) or now - last < dt.timedelta(hours=repeat_hours):
            return record, None
        return _notify(record, "repeat", now)
    started = record.condition_since if record.state == "pending" and record.condition_since else now
    if now - started >= dt.timedelta(minutes=rule.for_minutes):
        # a new firing episode: an earlier taking-in-charge belonged to the previous one
        firing = dataclasses.replace(
            record, state="firing", since=now, condition_since=started, ack_by=None, ack_comment=None, ack_at=None, ack_until=None
        )
        return _notify(firing, "firing", now)
    if record.state == "pending":
        return record, None
    return dataclasses.replace(record, state="pending", since=now, condition_since=started), None


def _while_false(record: AlertRecord, now: dt.datetime) -> tuple[AlertRecord, AlertEvent | None]:
    if record.state == "firing":
        resolved = dataclasses.replace(
            record, state="resolved", since=now, condition_since=None, ack_by=None, ack_comment=None, ack_at=None, ack_until=None
        )
        return _notify(resolved, "resolved", now)
    if record.state == "pending":  # it never fired this time: back to where it was, silently
        return dataclasses.replace(record, state="resolved" if record.notified else "ok", condition_since=None), None
    return record, None


def _notify(record: AlertRecord, kind: str, now: dt.datetime) -> tuple[AlertRecord, AlertEvent]:
    number = record.notified + 1
    updated = dataclasses.replace(record, notified=number, last_notified_at=now)
    return updated, AlertEvent(kind, now, record.value, record.threshold, number=number)


def take_in_charge(
    record: AlertRecord, by: str, comment: str | None, until: dt.datetime | None, now: dt.datetime
) -> tuple[AlertRecord, AlertEvent]:
    """The manager's "I am on it": recorded on the alert (silences repeats and the wall) and as an event."""
    updated = dataclasses.replace(record, ack_by=by, ack_comment=comment, ack_at=now, ack_until=until)
    return updated, AlertEvent("ack", now, record.value, record.threshold, actor=by, comment=comment)
