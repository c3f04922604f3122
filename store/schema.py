"""The store's tables (SQLAlchemy Core), portable across SQLite, PostgreSQL and MariaDB.

Every data row carries ``version``: the data version of the commit that last wrote
it, so a reader can fetch only what changed since the version it already holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC in, aware UTC out, whatever the backend stores.

    SQLite and MariaDB have no zone-aware type: they hold naive UTC, and the zone
    is re-attached on read. A naive datetime is refused: it would be ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime refuses naive datetimes")
        value = value.astimezone(dt.UTC)
        if dialect.name in ("sqlite", "mysql", "mariadb"):
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _id() -> BigInteger:
    return BigInteger().with_variant(Integer, "sqlite")


metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("case_id", String(128), primary_key=True),
    Column("procedure_code", String(32), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("region", String(16), nullable=False),
    Column("agent", String(128)),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, comment="tombstone: the case disappeared from its source"),
    Column("version", BigInteger, nullable=False),
    Index("ix_cases_version", "version"),
)

events = Table(
    "events",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("case_id", String(128), nullable=False),
    Column("status", String(24), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("seq", BigInteger, comment="the source's own order, breaks ties on at"),
    Column("version", BigInteger, nullable=False),
    UniqueConstraint("source", "case_id", "status", "at", name="uq_events_identity"),
    Index("ix_events_version", "version"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("stream", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("case_id", String(128)),
    Column("detail", Text),
    Column("payload", Text, nullable=False),
    Column("row_hash", String(32), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("source", "stream", "reason", "row_hash", name="uq_quarantine_row"),
    Index("ix_quarantine_open", "source", "resolved_at"),
)

source_health = Table(
    "source_health",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("rows_last_poll", Integer),
    Column("last_poll_ms", Integer),
    Column("polls", BigInteger, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("every_seconds", Integer),
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("stream", String(16), primary_key=True),
    Column("cursor", Text),
    Column("boundary", Text),
    Column("updated_at", UTCDateTime),
)

store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

screens = Table(
    "screens",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("view", String(32)),
    Column("data_version", BigInteger),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("address", String(64)),
    Column("user_agent", String(256)),
)

# Access control lives in the store too, so every app worker (and host) sees the same
# users, tokens and lockouts. Only hashes are kept: a leaked store leaks no password.
users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # the structures (catalogue services) the account may see, comma-separated; null: the whole ministry
    Column("services", Text),
)


def encode_services(services: frozenset[str] | None) -> str | None:
    """A ``services`` cell (users, screen_tokens): sorted names joined by commas; None (the whole ministry) stays null."""
    return None if services is None else ",".join(sorted(services))


def decode_services(cell: str | None) -> frozenset[str] | None:
    """A ``users.services`` cell read back: null is the whole ministry; an empty text is no structure at all
    (it sees nothing: fail-closed)."""
    return None if cell is None else frozenset(s for s in cell.split(",") if s)


screen_tokens = Table(
    "screen_tokens",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # the structures the screen's wall shows, comma-separated as users.services; null: the whole ministry
    Column("services", Text),
)

#: Failed logins per key ("pair:<name>|<address>", "user:<name>" or "ip:<address>"). Past a threshold each new
#: failure doubles the wait before the next attempt (capped), rather than locking hard; attempts refused while a
#: key waits are counted here, not written one by one to the audit log.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("refused", Integer, nullable=False, default=0),
    Column("last_at", UTCDateTime),
)

#: Server-side sessions: the signed cookie holds only a random id, whose digest is kept here. A session is
#: valid while its row exists, has not passed its absolute end, and its account still has the credential it was
#: opened with (password hash or screen token): logout, removal, a new password or a re-issued token end it.
sessions = Table(
    "sessions",
    metadata,
    Column("sid_sha256", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("name", String(64), nullable=False),
    Column("credential", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_sessions_account", "kind", "name"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text),
    Column("address", String(64)),
    Index("ix_audit_log_at", "at"),
)

# Alerts (issue 14). One row per (rule, group): its state now. Every notified event (firing, repeat,
# resolved) and every taking-in-charge is an alert_events row; each notification owed to a contact is an
# alert_deliveries row (the outbox), committed in the same transaction as the event that owes it.
alerts = Table(
    "alerts",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False),
    Column("grp", String(128), nullable=False, comment="the group of the rule's scope; '' for overall"),
    Column("scope", String(16), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False, comment="ok | pending | firing | resolved"),
    Column("value", Double),
    Column("threshold", Double, nullable=False),
    Column("condition_since", UTCDateTime, comment="since when the condition holds; NULL while it does not"),
    Column("since", UTCDateTime, nullable=False, comment="start of the current state"),
    Column("notified", Integer, nullable=False, default=0, comment="notified events so far: Idempotency-Key numbers"),
    Column("last_notified_at", UTCDateTime),
    Column("ack_by", String(64)),
    Column("ack_comment", Text),
    Column("ack_at", UTCDateTime),
    Column("ack_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("rule", "grp", name="uq_alerts_rule_group"),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("alert_id", BigInteger, nullable=False),
    Column("number", Integer, comment="the alert's notification number (firing, repeat, resolved); NULL for ack"),
    Column("kind", String(16), nullable=False, comment="firing | repeat | resolved | ack"),
    Column("at", UTCDateTime, nullable=False),
    Column("value", Double),
    Column("threshold", Double),
    Column("actor", String(64)),
    Column("comment", Text),
    Index("ix_alert_events_alert", "alert_id"),
    Index("ix_alert_events_at", "at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("alert_id", BigInteger, comment="NULL for `alerts test`"),
    Column("contact", String(64), nullable=False),
    Column("channel", String(8), nullable=False, comment="webhook | email | log"),
    Column("idempotency_key", String(160), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("payload", Text, nullable=False, comment="the JSON body, as sent"),
    Column("state", String(8), nullable=False, comment="pending | sent | failed"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False, comment="next attempt; quiet hours push warnings to the morning"),
    Column("first_attempt_at", UTCDateTime, comment="retries stop 24 h after it"),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    UniqueConstraint("idempotency_key", "contact", "channel", name="uq_alert_deliveries_once"),
    Index("ix_alert_deliveries_due", "state", "due_at"),
)

#: What happened, on the time axis: alert transitions, source outages and managers' notes.
annotation_log = Table(
    "annotations",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, comment="an outage's end; NULL for an instant or an outage still going on"),
    Column("scope", String(16), nullable=False, comment="overall | service | procedure | source"),
    Column("grp", String(128), nullable=False),
    Column("kind", String(8), nullable=False, comment="alert | outage | manual"),
    Column("text", Text, nullable=False),
    Column("author", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_annotations_at", "at"),
)

#: Each e-mail of a report subscription ([[reports.subscriptions]]): what was owed, to whom, and how it went.
report_deliveries = Table(
    "report_deliveries",
    metadata,
    Column("id", _id(), primary_key=True, autoincrement=True),
    Column("subscription", String(64), nullable=False),
    Column("kind", String(16), nullable=False, comment="weekly | daily_due"),
    Column("period", String(16), nullable=False, comment="ISO week label (2026-W47) or Lomé date (2026-11-23)"),
    Column("recipients", Text, nullable=False, comment="comma-separated, as configured when it was owed"),
    Column("state", String(8), nullable=False, comment="pending | sent | failed"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Index("ix_report_deliveries_subscription", "subscription", "id"),
)
