"""What people do with alerts — list them, take one in charge, note an event, test a contact — the same
for the /alertes page, its endpoint and the command line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from alerts.deliver import DeliveryError, post_webhook, send_email
from alerts.evaluate import channels
from alerts.lifecycle import take_in_charge
from alerts.messages import STATE_WORDS
from domain.alert_records import AlertRecord
from domain.alert_settings import SCOPES, AlertSettings
from domain.config import SmtpSettings
from domain.model import LOME_TZ
from store.alerts import AlertStore, Delivery
from store.audit import AuditLog

#: The /alertes list and `alerts list --json`: these keys, in this order.
LIST_KEYS = ("id", "rule", "scope", "group", "state", "since", "value", "acknowledged_by", "comment")
MAX_COMMENT = 500
MAX_UNTIL = dt.timedelta(days=366)
_STATE_ORDER = {"firing": 0, "pending": 1, "resolved": 2}


class AlertActionError(ValueError):
    """A refused action; the message is for the user, in French."""


def end_of_lome_day(day: dt.date) -> dt.datetime:
    """« jusqu'au 5 déc. » means until 5 December is over in Lomé: midnight after it, in UTC."""
    try:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(LOME_TZ)).astimezone(dt.UTC)
    except OverflowError:
        raise AlertActionError("date « jusqu'au » trop lointaine") from None


def listed(store: AlertStore, settings: AlertSettings, now: dt.datetime, resolved_days: int = 7) -> list[dict[str, Any]]:
    """Pending and firing alerts, then those resolved within ``resolved_days``: firing first, longest first."""
    rules = {r.name: r for r in settings.rules}
    horizon = now - dt.timedelta(days=resolved_days)
    rows = []
    for record in store.records().values():
        if record.rule not in rules or record.state == "ok" or (record.state == "resolved" and record.since < horizon):
            continue
        rows.append(_row(record, now))
    return sorted(rows, key=lambda r: (_STATE_ORDER[r["state"]], r["since"]))


def _row(record: AlertRecord, now: dt.datetime) -> dict[str, Any]:
    taken = record.taken_in_charge(now)
    since = record.condition_since if record.state == "pending" and record.condition_since else record.since
    return {
        "id": record.id,
        "rule": record.rule,
        "scope": record.scope,
        "group": record.group or None,
        "state": record.state,
        "since": since.astimezone(dt.UTC).isoformat(),
        "value": record.value,
        "acknowledged_by": record.ack_by if taken else None,
        "comment": record.ack_comment if taken else None,
        # beyond the CLI's keys, for the page
        "severity": record.severity,
        "metric": record.metric,
        "threshold": record.threshold,
        "state_label": STATE_WORDS[record.state],
        "duration_seconds": max(0.0, (now - since).total_seconds()),
        "ack_until": record.ack_until.isoformat() if taken and record.ack_until else None,
    }


def acknowledge(
    store: AlertStore,
    audit: AuditLog,
    alert_id: int,
    by: str,
    comment: str | None,
    until: dt.datetime | None,
    now: dt.datetime,
    address: str | None = None,
) -> AlertRecord:
    """Take a pending or firing alert in charge, and write it to the audit log."""
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    record = store.record(alert_id)
    if record is None:
        raise AlertActionError(f"alerte n° {alert_id} inconnue")
    if record.state not in ("firing", "pending"):
        raise AlertActionError(f"l'alerte n° {alert_id} est {STATE_WORDS[record.state]} : rien à prendre en charge")
    if until is not None and until <= now:
        raise AlertActionError("la date « jusqu'au » doit être dans le futur")
    if until is not None and until > now + MAX_UNTIL:
        raise AlertActionError("la date « jusqu'au » ne peut dépasser un an")
    if record.taken_in_charge(now):
        raise AlertActionError(f"l'alerte n° {alert_id} est déjà prise en charge par {record.ack_by}")
    updated, event = take_in_charge(record, by, comment, until, now)
    if not store.take_in_charge(alert_id, event, until):
        raise AlertActionError(f"l'alerte n° {alert_id} vient d'être levée : rien à prendre en charge")
    detail = f"alerte {alert_id} ({record.rule} {record.group or 'ensemble'})" + (f" : {comment}" if comment else "")
    audit.append(at=now, username=by, action="alert_ack", detail=detail, address=address)
    return updated


def note(
    store: AlertStore, audit: AuditLog, *, text: str, scope: str, group: str, at: dt.datetime, by: str, now: dt.datetime,
    address: str | None = None,
) -> int:  # fmt: skip
    """A manager's annotation (« grève des agents 3–5 déc. »), shown on the charts and in the weekly report."""
    text = " ".join(text.split())[:MAX_COMMENT]
    if not text:
        raise AlertActionError("le texte de l'annotation est vide")
    if scope not in SCOPES:
        raise AlertActionError(f"portée inconnue « {scope} »")
    annotation_id = store.annotate(at=at, scope=scope, group=group if scope != "overall" else "", kind="manual", text=text,
                                   author=by, now=now)  # fmt: skip
    audit.append(at=now, username=by, action="annotation", detail=f"{scope} {group}: {text}"[:2000], address=address)
    return annotation_id


def test_contact(settings: AlertSettings, smtp: SmtpSettings | None, name: str, now: dt.datetime, base_url: str) -> list[str]:
    """Send a ``test`` notification to one contact, over each of its channels; one French line per channel."""
    contact = settings.contact(name)
    if contact is None:
        known = ", ".join(c.name for c in settings.contacts) or "aucun"
        raise AlertActionError(f"contact inconnu « {name} » (contacts : {known})")
    body = {"alert_id": 0, "rule": "test", "state": "test", "severity": "warning", "scope": "overall", "group": None,
            "metric": "backlog", "op": ">", "threshold": 0, "value": None, "days": 7, "since": now.isoformat(),
            "as_of": now.isoformat(), "summary": f"Test de notification Vigie pour « {name} »", "url": base_url}  # fmt: skip
    delivery = Delivery(name, "test", f"test:{int(now.timestamp())}", "warning", json.dumps(body, ensure_ascii=False), now)
    lines = []
    for channel in channels(contact):
        try:
            if channel == "webhook":
                post_webhook(contact, delivery)
                lines.append(f"webhook {contact.webhook_url} : reçu (réponse 2xx)")
            elif channel == "email":
                send_email(contact, [delivery], smtp)
                lines.append(f"e-mail à {', '.join(contact.emails)} : accepté par le serveur SMTP")
            else:
                lines.append("journal : ce contact n'a ni e-mail ni webhook ; les notifications vont au journal du collecteur")
        except DeliveryError as exc:
            lines.append(f"{channel} : ÉCHEC — {exc}")
    return lines


def history(store: AlertStore, now: dt.datetime, days: int = 90) -> pd.DataFrame:
    """Transitions and takings-in-charge of the last ``days`` days, newest first."""
    return store.events(now - dt.timedelta(days=days))
