"""Send the outbox: webhooks (signed JSON POST), e-mails (plain text and HTML) and log lines.

A failed delivery is tried again after 10 s, then 20 s, 40 s… up to 30 min between tries, for 24 h
after its first try; then it is marked failed and shown on /alertes. A delivery is marked sent only
after its receiver said so: a process killed in between sends it again at restart, with the same
Idempotency-Key, so a receiver can tell.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from itertools import groupby

from alerts.messages import email
from alerts.quiet import next_opening
from domain.alert_settings import AlertContact, AlertSettings
from domain.business_days import BusinessCalendar
from domain.config import SmtpSettings
from store.alerts import AlertStore, Delivery

log = logging.getLogger(__name__)
FIRST_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 30 * 60
GIVE_UP_AFTER = dt.timedelta(hours=24)
WEBHOOK_TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The receiver did not take the notification; the message says why, for the delivery log."""


def signature(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the contact's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(contact: AlertContact, delivery: Delivery) -> None:
    body = delivery.payload.encode("utf-8")
    headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.idempotency_key, "User-Agent": "Vigie-alertes"}
    if contact.webhook_secret:
        headers["X-Vigie-Signature"] = signature(body, contact.webhook_secret)
    if not contact.webhook_url:
        raise DeliveryError("ce contact n'a plus de webhook_url dans la configuration")
    request = urllib.request.Request(contact.webhook_url, data=body, headers=headers, method="POST")
    try:
        with _NO_REDIRECTS.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"injoignable : {getattr(exc, 'reason', exc)}") from None
    except (ValueError, http.client.HTTPException) as exc:  # a malformed address or an answer that is not HTTP
        raise DeliveryError(f"réponse ou adresse invalide : {type(exc).__name__}: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET that "succeeds": a redirect is a failed delivery, said as such."""

    def redirect_request(self, *_args: object, **_kw: object) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


def send_email(contact: AlertContact, deliveries: list[Delivery], smtp: SmtpSettings | None) -> None:
    if smtp is None:
        raise DeliveryError("aucun serveur [reports.smtp] configuré")
    if not contact.emails:
        raise DeliveryError("ce contact n'a plus d'adresse e-mail dans la configuration")
    message = email([json.loads(d.payload) for d in deliveries], smtp.sender, contact.emails)
    # the same notification sent again (a collector killed after sending) carries the same Message-ID
    key = hashlib.sha256("|".join(d.idempotency_key for d in deliveries).encode()).hexdigest()[:32]
    message["Message-ID"] = f"<vigie-{key}@{smtp.sender.partition('@')[2] or 'vigie'}>"
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise DeliveryError(f"SMTP : {exc}") from None


def retry_delay(attempts: int) -> dt.timedelta:
    """10 s after the first failure, doubling, never more than 30 min."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


class DeliveryWorker:
    def __init__(
        self,
        settings: AlertSettings,
        smtp: SmtpSettings | None,
        store: AlertStore,
        now: Callable[[], dt.datetime],
        calendar: BusinessCalendar | None = None,
        webhook: Callable[[AlertContact, Delivery], None] = post_webhook,
    ) -> None:
        self.settings, self.smtp, self.store, self.now, self.webhook = settings, smtp, store, now, webhook
        self.calendar = calendar or BusinessCalendar()

    def run(self) -> int:
        """Send what is due; returns how many deliveries were sent. E-mails due together for one contact
        (the warnings held over quiet hours) go out as one digest."""
        sent = 0
        due = self.store.due_deliveries(self.now())
        for (name, channel), group in groupby(sorted(due, key=lambda d: (d.contact, d.channel, d.id or 0)),
                                              key=lambda d: (d.contact, d.channel)):  # fmt: skip
            batch = list(group)
            contact = self.settings.contact(name)
            if channel == "email":
                sent += self._attempt(batch, contact, functools.partial(_email, batch=batch, smtp=self.smtp))
            else:
                for delivery in batch:
                    send = self.webhook if channel == "webhook" else _log
                    sent += self._attempt([delivery], contact, functools.partial(_one, send=send, delivery=delivery))
        return sent

    def _attempt(self, batch: list[Delivery], contact: AlertContact | None, send: Callable[[AlertContact], None]) -> int:
        now = self.now()
        gone = _gone(contact, batch[0].channel)
        if gone:  # nothing will ever send it: say so now rather than retry for a day
            for delivery in batch:
                assert delivery.id is not None
                self.store.delivery_done(delivery.id, state="failed", attempts=delivery.attempts, now=now, error=gone)
            return 0
        assert contact is not None
        try:
            send(contact)
        except Exception as exc:  # noqa: BLE001 - whatever a receiver does, the other deliveries go on
            reason = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            for delivery in batch:
                self._failed(delivery, contact, reason, now)
            return 0
        for delivery in batch:
            assert delivery.id is not None
            self.store.delivery_done(delivery.id, state="sent", attempts=delivery.attempts + 1, now=now)
        return len(batch)

    def _failed(self, delivery: Delivery, contact: AlertContact, error: str, now: dt.datetime) -> None:
        assert delivery.id is not None
        attempts = delivery.attempts + 1
        started = delivery.first_attempt_at or now
        retry_at = now + retry_delay(attempts)
        if contact.quiet == "business-hours" and delivery.severity != "critical":
            retry_at = next_opening(retry_at, self.calendar)  # a retry keeps the contact's quiet hours
        if retry_at - started > GIVE_UP_AFTER:
            log.error(
                "notification %s à %s abandonnée après %d essais : %s",
                delivery.idempotency_key,
                delivery.contact,
                attempts,
                error,
            )
            self.store.delivery_done(delivery.id, state="failed", attempts=attempts, now=now, error=error)
        else:
            log.warning("notification %s à %s : %s ; nouvel essai à %s", delivery.idempotency_key, delivery.contact, error,
                        retry_at.isoformat(timespec="seconds"))  # fmt: skip
            self.store.delivery_done(delivery.id, state="pending", attempts=attempts, now=now, error=error, due_at=retry_at)


def _gone(contact: AlertContact | None, channel: str) -> str | None:
    """Why a queued delivery can no longer go anywhere (its contact or channel left the config), or None."""
    if contact is None:
        return "contact retiré de la configuration"
    if channel == "webhook" and not contact.webhook_url:
        return "webhook retiré de la configuration du contact"
    if channel == "email" and not contact.emails:
        return "e-mails retirés de la configuration du contact"
    return None


def _log(contact: AlertContact, delivery: Delivery) -> None:
    log.warning("alerte pour %s : %s", contact.name, json.loads(delivery.payload)["summary"])


def _email(contact: AlertContact, *, batch: list[Delivery], smtp: SmtpSettings | None) -> None:
    send_email(contact, batch, smtp)


def _one(contact: AlertContact, *, send: Callable[[AlertContact, Delivery], None], delivery: Delivery) -> None:
    send(contact, delivery)
