"""The log of report subscriptions' e-mails (table ``report_deliveries``): the one writer and its reads.

A delivery is written ``pending`` before the first try, so a process killed while sending leaves a row that says so;
each try updates it, and it ends ``sent`` or ``failed`` (with the last error). The failures since a subscription's
last ``sent`` row are what its next mail owns up to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, insert, select, update

from store import schema

STATES = ("pending", "sent", "failed")


@dataclass(frozen=True)
class ReportDelivery:
    id: int
    subscription: str
    kind: str
    period: str
    recipients: tuple[str, ...]
    state: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class ReportDeliveries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, subscription: str, kind: str, period: str, recipients: tuple[str, ...], now: dt.datetime) -> int:
        """A new ``pending`` delivery; returns its id."""
        row = {
            "subscription": subscription,
            "kind": kind,
            "period": period,
            "recipients": ", ".join(recipients),
            "state": "pending",
            "attempts": 0,
            "created_at": now,
        }
        with self.engine.begin() as conn:
            key = conn.execute(insert(schema.report_deliveries).values(**row)).inserted_primary_key
        assert key is not None  # an INSERT of one row always has one
        return int(key[0])

    def attempt_failed(self, delivery_id: int, error: str, now: dt.datetime, *, final: bool) -> None:
        """One failed try: counted, its error kept; ``final``: no more tries, the delivery is ``failed``."""
        table = schema.report_deliveries
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == delivery_id)
                .values(
                    attempts=table.c.attempts + 1,
                    last_error=error[:2000],
                    last_attempt_at=now,
                    state="failed" if final else "pending",
                )
            )

    def sent(self, delivery_id: int, now: dt.datetime) -> None:
        table = schema.report_deliveries
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == delivery_id)
                .values(attempts=table.c.attempts + 1, state="sent", last_attempt_at=now, sent_at=now)
            )

    def get(self, delivery_id: int) -> ReportDelivery | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(schema.report_deliveries).where(schema.report_deliveries.c.id == delivery_id))
                .mappings()
                .first()
            )
        return None if row is None else _delivery(row)

    def unreported_failures(self, subscription: str, before_id: int | None = None) -> list[ReportDelivery]:
        """The subscription's deliveries that did not arrive since its last ``sent`` one (all of them if none was
        ever sent), oldest first: ``failed`` ones, and ``pending`` ones left by a process that stopped while sending
        (any pending row older than the one being sent: a job sends one mail per subscription at a time);
        ``before_id``: only those older than that delivery (the one being sent)."""
        table = schema.report_deliveries
        with self.engine.connect() as conn:
            last_sent = conn.execute(
                select(table.c.id)
                .where(table.c.subscription == subscription, table.c.state == "sent")
                .order_by(table.c.id.desc())
                .limit(1)
            ).scalar()
            query = select(table).where(table.c.subscription == subscription, table.c.state.in_(("failed", "pending")))
            if last_sent is not None:
                query = query.where(table.c.id > last_sent)
            if before_id is not None:
                query = query.where(table.c.id < before_id)
            else:
                query = query.where(table.c.state == "failed")  # without the one being sent, a pending row may be it
            rows = conn.execute(query.order_by(table.c.id)).mappings().all()
        return [_delivery(r) for r in rows]

    def latest(self, limit: int = 50) -> pd.DataFrame:
        """The latest deliveries, newest first (columns of the table), for the admins' log on /rapports."""
        table = schema.report_deliveries
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in table.columns])


def _delivery(row: object) -> ReportDelivery:
    values = dict(row)  # type: ignore[call-overload]
    values["recipients"] = tuple(r.strip() for r in str(values["recipients"]).split(",") if r.strip())
    return ReportDelivery(**values)
