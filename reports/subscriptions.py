"""Report subscriptions ([[reports.subscriptions]]): build each mail, send it, retry, and keep the log.

Delivery: a mail is written to ``report_deliveries`` as pending, then tried up to ``Retry.attempts`` times, waiting
``Retry.waits`` between tries (30 s, then 2 min); then it is marked failed with the last error, shown to admins on
/rapports. A failed mail is not sent again later: the subscription's next mail (the next business morning, or the
next Monday) is, and it begins by saying which earlier mails did not arrive, and when — so a report that silently
stops arriving cannot go unnoticed by the people who expect it.

Nothing here raises to the scheduler: a job that raises is only logged by APScheduler, and one subscription's
failure must not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.config import SmtpSettings
from domain.model import LOME_TZ
from domain.report_settings import Subscription
from domain.target_settings import Target
from kpis.filters import CaseFilters
from reports import due
from reports.build import ReportError, generate
from reports.mail import report_message, send_message
from reports.week import IsoWeek
from service.kpi_service import KpiService
from store.report_deliveries import ReportDeliveries, ReportDelivery

log = logging.getLogger("vigie.reports")
WHAT = {"weekly": "rapport hebdomadaire", "daily_due": "dossiers à échéance"}


@dataclass(frozen=True)
class Retry:
    """How often a mail is tried within its job, and the waits between tries (seconds); ``sleep`` is injectable."""

    attempts: int = 3
    waits: tuple[float, ...] = (30.0, 120.0)
    sleep: Callable[[float], None] = field(default=time.sleep)


#: Three tries, 30 s then 2 min apart.
DEFAULT_RETRY = Retry()


#: Error prefixes -> what the recipients are told. The raw error (SQL, hosts, users) stays in the admins' log on
#: /rapports: recipients may be outside the ministry (CEET is a company).
REASONS = (
    (LIST_FAILED := "liste non calculée", "la liste n'a pas pu être calculée"),
    (MAIL_FAILED := "mail non construit", "le message n'a pas pu être préparé"),
    (REPORT_FAILED := "rapport non produit", "le rapport n'a pas pu être produit"),
    (JOB_FAILED := "tâche interrompue", "la tâche d'envoi n'a pas pu s'exécuter"),
)


def public_reason(delivery: ReportDelivery) -> str:
    """Why a mail did not arrive, in a fixed French sentence fit for its recipients (never the raw error)."""
    if delivery.state == "pending":
        return "l'envoi a été interrompu"
    error = delivery.last_error or ""
    return next((words for prefix, words in REASONS if error.startswith(prefix)), "le serveur de messagerie ne l'a pas accepté")


def failure_notice(failures: Sequence[ReportDelivery]) -> str | None:
    """« ⚠ L'envoi du 23/11/2026 à 07:00 (dossiers à échéance du 2026-11-23) n'a pas abouti : … », one line per
    mail that did not arrive, or None when there was none."""
    if not failures:
        return None
    lines = []
    for f in failures:
        at = pd.Timestamp(f.last_attempt_at or f.created_at).tz_convert(LOME_TZ)
        what = f"{WHAT.get(f.kind, f.kind)} {'de la semaine' if f.kind == 'weekly' else 'du'} {f.period}"
        lines.append(f"⚠ L'envoi du {at:%d/%m/%Y à %H:%M} (heure de Lomé) ({what}) n'a pas abouti : {public_reason(f)}.")
    return "\n".join(lines)


def record_failure(engine: Engine, subscription: Subscription, period: str, error: str, now: dt.datetime) -> None:
    """A mail that could not even be attempted (the job stopped before it), logged as failed so that admins see it
    on /rapports and the next mail owns up to it; only logged when the store itself is down."""
    try:
        deliveries = ReportDeliveries(engine)
        deliveries.attempt_failed(
            deliveries.open(subscription.name, subscription.kind, period, subscription.recipients, now), error, now, final=True
        )
    except Exception as exc:  # noqa: BLE001 - the store is down: the log is all that is left
        log.error("abonnement %s (%s) : échec non enregistré (%s) : %s", subscription.name, period, exc, error)


def deliver(
    deliveries: ReportDeliveries,
    subscription: Subscription,
    period: str,
    build: Callable[[str | None], EmailMessage],
    smtp: SmtpSettings,
    now: Callable[[], dt.datetime],
    retry: Retry = DEFAULT_RETRY,
) -> bool:
    """Record, build (with the notice of earlier failures) and send one mail of ``subscription``; True when sent."""
    delivery = deliveries.open(subscription.name, subscription.kind, period, subscription.recipients, now())
    try:
        message = build(failure_notice(deliveries.unreported_failures(subscription.name, before_id=delivery)))
    except Exception as exc:  # noqa: BLE001 - recorded: the admins see it on /rapports
        deliveries.attempt_failed(delivery, f"{MAIL_FAILED} : {type(exc).__name__}: {exc}", now(), final=True)
        log.error("abonnement %s (%s) : mail non construit : %s", subscription.name, period, exc)
        return False
    for attempt in range(1, retry.attempts + 1):
        try:
            send_message(message, smtp)
        except Exception as exc:  # noqa: BLE001 - smtplib and socket errors alike: recorded, retried
            final = attempt == retry.attempts
            deliveries.attempt_failed(delivery, f"{type(exc).__name__}: {exc}", now(), final=final)
            log.warning("abonnement %s (%s) : envoi %d/%d échoué : %s", subscription.name, period, attempt, retry.attempts, exc)
            if not final:
                retry.sleep(retry.waits[min(attempt - 1, len(retry.waits) - 1)] if retry.waits else 0)
            continue
        deliveries.sent(delivery, now())
        log.info("abonnement %s (%s) envoyé à %s", subscription.name, period, ", ".join(subscription.recipients))
        return True
    log.error("abonnement %s (%s) : non envoyé après %d essais", subscription.name, period, retry.attempts)
    return False


def send_weekly(
    kpis: KpiService,
    subscription: Subscription,
    week: IsoWeek,
    out_dir: Path,
    smtp: SmtpSettings,
    now: Callable[[], dt.datetime],
    retry: Retry = DEFAULT_RETRY,
    targets: Sequence[Target] = (),
) -> bool:
    """The week's report on the subscription's structures (with their ``targets``), stored beside the ministry's,
    then mailed."""
    deliveries = ReportDeliveries(kpis.reader.engine)
    try:
        files = generate(kpis, kpis.reader, week, out_dir, now, services=subscription.services, wait_seconds=0, targets=targets)
    except ReportError as exc:
        failed = deliveries.open(subscription.name, subscription.kind, week.label, subscription.recipients, now())
        deliveries.attempt_failed(failed, f"{REPORT_FAILED} : {exc}", now(), final=True)
        log.error("abonnement %s : %s", subscription.name, exc)
        return False
    return deliver(
        deliveries,
        subscription,
        week.label,
        lambda notice: report_message(files, smtp, subscription.recipients, notice),
        smtp,
        now,
        retry,
    )


def due_message(list_: due.DueList, subscription: Subscription, smtp: SmtpSettings, notice: str | None) -> EmailMessage:
    """The daily_due e-mail: plain text, the list attached as CSV."""
    message = EmailMessage()
    message["Subject"] = due.subject(list_)
    message["From"] = smtp.sender
    message["To"] = ", ".join(subscription.recipients)
    message.set_content(due.body(list_, notice))
    if not list_.empty:
        name = f"vigie-echeances-{list_.day:%Y-%m-%d}.csv"
        message.add_attachment(due.to_csv(list_), maintype="text", subtype="csv", filename=name, params={"charset": "utf-8"})
    return message


def send_daily_due(
    kpis: KpiService,
    subscription: Subscription,
    smtp: SmtpSettings,
    public_url: str,
    now: Callable[[], dt.datetime],
    retry: Retry = DEFAULT_RETRY,
) -> bool | None:
    """The cases due soon for the subscription's structures as of ``now()``, mailed; None when the list is empty and
    the subscription skips empty lists (nothing sent, nothing recorded)."""
    as_of = pd.Timestamp(now()).tz_convert("UTC")
    period = f"{as_of.tz_convert(LOME_TZ):%Y-%m-%d}"
    deliveries = ReportDeliveries(kpis.reader.engine)
    try:
        rows = kpis.at_risk(as_of, subscription.horizon_business_days, CaseFilters(services=subscription.services))
        list_ = due.due_list(rows, kpis.catalog, as_of, subscription.services, subscription.horizon_business_days, public_url)
    except Exception as exc:  # noqa: BLE001 - recorded, so a list that cannot be made does not vanish silently
        failed = deliveries.open(subscription.name, subscription.kind, period, subscription.recipients, now())
        deliveries.attempt_failed(failed, f"{LIST_FAILED} : {type(exc).__name__}: {exc}", now(), final=True)
        log.error("abonnement %s (%s) : liste non calculée : %s", subscription.name, period, exc)
        return False
    if list_.empty and subscription.skip_if_empty and not deliveries.unreported_failures(subscription.name):
        log.info("abonnement %s : aucun dossier à échéance, rien envoyé (skip_if_empty)", subscription.name)
        return None
    build = lambda notice: due_message(list_, subscription, smtp, notice)  # noqa: E731 - the notice is known at send time
    return deliver(deliveries, subscription, period, build, smtp, now, retry)
