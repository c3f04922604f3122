"""An alert as the store keeps it: one (rule, group) pair and where it stands now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: ok: never fired or back to normal before firing; pending: the condition holds, for_minutes not yet out;
#: firing; resolved: the condition stopped holding after firing.
ALERT_STATES = ("ok", "pending", "firing", "resolved")
#: The events that owe a notification to the rule's contacts.
NOTIFIED_KINDS = ("firing", "repeat", "resolved")


@dataclass(frozen=True)
class AlertRecord:
    rule: str
    group: str  # '' for scope overall
    scope: str
    metric: str
    severity: str
    state: str
    value: float | None
    threshold: float
    since: dt.datetime  # start of the current state (UTC)
    condition_since: dt.datetime | None = None  # since when the condition holds (UTC); None while it does not
    notified: int = 0  # notified events so far; the next one is number notified + 1
    last_notified_at: dt.datetime | None = None
    ack_by: str | None = None
    ack_comment: str | None = None
    ack_at: dt.datetime | None = None
    ack_until: dt.datetime | None = None
    id: int | None = None  # None until the store has written it

    def taken_in_charge(self, now: dt.datetime) -> bool:
        """Someone said "I am on it", and the date they gave (if any) has not passed."""
        return self.ack_by is not None and (self.ack_until is None or now < self.ack_until)

    @property
    def key(self) -> tuple[str, str]:
        return self.rule, self.group


@dataclass(frozen=True)
class AlertEvent:
    """A transition or a repeat to notify (number set), or a taking-in-charge (number None)."""

    kind: str
    at: dt.datetime
    value: float | None
    threshold: float
    number: int | None = None
    actor: str | None = None
    comment: str | None = None
