"""Pure: one alert's next state from its condition at an instant, and the event that must be notified.

A value that cannot be measured (a median with no closure in the window) says nothing: the alert keeps
its state until a number comes back, instead of resolving on a quiet weekend and firing again on Monday.
While an alert is pending, ``since`` still dates the state it came from and ``condition_since`` dates
the condition; a pending alert that goes back is unchanged but for the condition.

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
    if value is None or math.isnan(value):
        return dataclasses.replace(record, threshold=rule.threshold, severity=rule.severity, metric=rule.metric), None
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
        # a taking-in-charge given while it was pending holds (resolving clears one)
        return _notify(dataclasses.replace(record, state="firing", since=now, condition_since=started), "firing", now)
    if record.state == "pending":
        return record, None
    return dataclasses.replace(record, state="pending", condition_since=started), None


def _while_false(record: AlertRecord, now: dt.datetime) -> tuple[AlertRecord, AlertEvent | None]:
    if record.state == "firing":
        resolved = _without_ack(dataclasses.replace(record, state="resolved", since=now, condition_since=None))
        return _notify(resolved, "resolved", now)
    if record.state == "pending":  # it never fired this time: back to where it was, silently
        back = "resolved" if record.notified else "ok"
        return _without_ack(dataclasses.replace(record, state=back, condition_since=None)), None
    return record, None


def _without_ack(record: AlertRecord) -> AlertRecord:
    """A taking-in-charge belongs to one episode: it ends when the alert resolves or goes back."""
    return dataclasses.replace(record, ack_by=None, ack_comment=None, ack_at=None, ack_until=None)


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
