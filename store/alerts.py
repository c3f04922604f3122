"""The alerts' tables: where each alert stands, its events, the outbox of notifications, and annotations.

A transition and the deliveries it owes are written in one transaction, so a collector killed between
the commit and the sending finds them pending after its restart: nothing is lost, nothing sent twice.
Taking an alert in charge writes only its own columns, so the evaluator, running at the same moment in
another process, cannot undo it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from domain.alert_records import AlertEvent, AlertRecord
from store import schema

_ACK = ("ack_by", "ack_comment", "ack_at", "ack_until")
_RECORD_COLUMNS = {f.name: ("grp" if f.name == "group" else f.name) for f in dataclasses.fields(AlertRecord)}


@dataclasses.dataclass(frozen=True)
class Delivery:
    """A notification owed to one contact over one channel."""

    contact: str
    channel: str  # webhook | email | log
    idempotency_key: str
    severity: str
    payload: str  # JSON, sent byte for byte
    due_at: dt.datetime
    id: int | None = None
    alert_id: int | None = None
    attempts: int = 0
    first_attempt_at: dt.datetime | None = None


class AlertStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- alerts -------------------------------------------------------------------------------------------
    def records(self) -> dict[tuple[str, str], AlertRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.alerts)).mappings().all()
        return {(r["rule"], r["grp"]): _record(r) for r in rows}

    def record(self, alert_id: int) -> AlertRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.alerts).where(schema.alerts.c.id == alert_id)).mappings().first()
        return _record(row) if row is not None else None

    def save(
        self,
        record: AlertRecord,
        event: AlertEvent | None,
        deliveries: list[Delivery],
        annotation: dict[str, Any] | None,
        now: dt.datetime,
        *,
        clear_ack: bool = False,
    ) -> int:
        """Write the alert's new state, its event, the deliveries it owes and its annotation, all or nothing.

        The taking-in-charge columns are written only by ``take_in_charge``, or cleared here with ``clear_ack``
        (the episode ended): an evaluation that read the alert before someone took it in charge cannot undo it.
        """
        values = {column: getattr(record, name) for name, column in _RECORD_COLUMNS.items() if name != "id"}
        values["updated_at"] = now
        if values["value"] is not None and not math.isfinite(values["value"]):
            values["value"] = None  # a source never heard from: "infinitely" late, which no database stores alike
        for column in _ACK:
            if clear_ack:
                values[column] = None
            else:
                values.pop(column)
        with self.engine.begin() as conn:
            alert_id = record.id if record.id is not None else _existing_id(conn, record)
            if alert_id is None:
                alert_id = _new_id(conn.execute(insert(schema.alerts).values(**values)))
            else:
                conn.execute(update(schema.alerts).where(schema.alerts.c.id == alert_id).values(**values))
            if event is not None:
                row = dataclasses.asdict(event)
                row["value"] = row["value"] if row["value"] is None or math.isfinite(row["value"]) else None
                conn.execute(insert(schema.alert_events).values(alert_id=alert_id, **row))
            for delivery in deliveries:
                row = dataclasses.asdict(delivery) | {"alert_id": alert_id, "state": "pending", "created_at": now}
                row.pop("id")
                conn.execute(insert(schema.alert_deliveries).values(**row))
            if annotation is not None:
                conn.execute(insert(schema.annotation_log).values(created_at=now, **annotation))
        return alert_id

    def take_in_charge(self, alert_id: int, event: AlertEvent, until: dt.datetime | None) -> bool:
        """Record "I am on it" on a firing or pending alert; False when there is no such alert to take."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(schema.alerts)
                .where(schema.alerts.c.id == alert_id, schema.alerts.c.state.in_(("firing", "pending")))
                .values(ack_by=event.actor, ack_comment=event.comment, ack_at=event.at, ack_until=until, updated_at=event.at)
            )
            if done.rowcount != 1:
                return False
            conn.execute(insert(schema.alert_events).values(alert_id=alert_id, **dataclasses.asdict(event)))
        return True

    def events(self, since: dt.datetime) -> pd.DataFrame:
        """Events since ``since`` with their alert's rule, group, scope and severity, newest first."""
        a, e = schema.alerts, schema.alert_events
        query = (
            select(e, a.c.rule, a.c.grp, a.c.scope, a.c.severity, a.c.metric)
            .join(a, a.c.id == e.c.alert_id)
            .where(e.c.at >= since)
            .order_by(e.c.at.desc(), e.c.id.desc())
        )
        return _frame(self.engine, query, ("at",))

    # -- the outbox -----------------------------------------------------------------------------------------
    def add_delivery(self, delivery: Delivery, now: dt.datetime) -> int:
        row = dataclasses.asdict(delivery) | {"state": "pending", "created_at": now}
        row.pop("id")
        with self.engine.begin() as conn:
            return _new_id(conn.execute(insert(schema.alert_deliveries).values(**row)))

    def due_deliveries(self, now: dt.datetime) -> list[Delivery]:
        d = schema.alert_deliveries
        query = select(d).where(d.c.state == "pending", d.c.due_at <= now).order_by(d.c.due_at, d.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        keys = {f.name for f in dataclasses.fields(Delivery)}
        return [Delivery(**{k: r[k] for k in keys}) for r in rows]

    def delivery_done(self, delivery_id: int, *, state: str, attempts: int, now: dt.datetime, error: str | None = None,
                      due_at: dt.datetime | None = None) -> None:  # fmt: skip
        """``state`` sent (at ``now``), pending (retry at ``due_at``) or failed (given up)."""
        values: dict[str, Any] = {"state": state, "attempts": attempts, "last_error": error}
        if attempts == 1:
            values["first_attempt_at"] = now
        if state == "sent":
            values["sent_at"] = now
        if due_at is not None:
            values["due_at"] = due_at
        with self.engine.begin() as conn:
            conn.execute(update(schema.alert_deliveries).where(schema.alert_deliveries.c.id == delivery_id).values(**values))

    def deliveries(self, since: dt.datetime) -> pd.DataFrame:
        d = schema.alert_deliveries
        query = (
            select(
                d.c.id,
                d.c.alert_id,
                d.c.contact,
                d.c.channel,
                d.c.idempotency_key,
                d.c.severity,
                d.c.state,
                d.c.attempts,
                d.c.created_at,
                d.c.due_at,
                d.c.sent_at,
                d.c.last_error,
            )  # fmt: skip
            .where(or_(d.c.created_at >= since, d.c.state == "pending"))
            .order_by(d.c.created_at.desc(), d.c.id.desc())
        )
        return _frame(self.engine, query, ("created_at", "due_at", "sent_at"))

    # -- annotations ------------------------------------------------------------------------------------------
    def annotate(self, *, at: dt.datetime, scope: str, group: str, kind: str, text: str, author: str | None,
                 now: dt.datetime, ends_at: dt.datetime | None = None) -> int:  # fmt: skip
        row = {"at": at, "ends_at": ends_at, "scope": scope, "grp": group, "kind": kind, "text": text, "author": author}
        with self.engine.begin() as conn:
            return _new_id(conn.execute(insert(schema.annotation_log).values(created_at=now, **row)))

    def open_outages(self) -> dict[str, int]:
        """Sources whose outage annotation has no end yet -> that annotation's id."""
        n = schema.annotation_log
        query = select(n.c.grp, n.c.id).where(n.c.kind == "outage", n.c.ends_at.is_(None))
        with self.engine.connect() as conn:
            return {str(g): int(i) for g, i in conn.execute(query).all()}

    def end_outage(self, annotation_id: int, at: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(schema.annotation_log).where(schema.annotation_log.c.id == annotation_id).values(ends_at=at))

    def annotations(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """Annotations that overlap [start, end), oldest first."""
        n = schema.annotation_log
        # an instant inside the window, or an outage that began before it and had not ended by its start
        still_out = and_(n.c.kind == "outage", or_(n.c.ends_at.is_(None), n.c.ends_at >= start))
        overlaps = and_(n.c.at < end, or_(n.c.at >= start, still_out))
        query = select(n).where(overlaps).order_by(n.c.at, n.c.id)
        return _frame(self.engine, query, ("at", "ends_at", "created_at"))


def _existing_id(conn: Connection, record: AlertRecord) -> int | None:
    a = schema.alerts
    found = conn.execute(select(a.c.id).where(a.c.rule == record.rule, a.c.grp == record.group)).scalar()
    return int(found) if found is not None else None


def _record(row: Any) -> AlertRecord:
    return AlertRecord(**{name: row[column] for name, column in _RECORD_COLUMNS.items()})


def _frame(engine: Engine, query: Any, dates: tuple[str, ...]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame(result.mappings().all(), columns=list(result.keys()))
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])
