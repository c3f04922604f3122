"""The report jobs on APScheduler, in the collector process (one process holds the writer lock):

- Monday (``[reports]`` day_of_week/hour/minute, Lomé time): last week's ministry report, stored, then mailed when
  [reports.smtp] is set; then each ``weekly`` subscription's report on its structures, stored and mailed;
- every weekday at 07:00 Lomé: each ``daily_due`` subscription's list of cases due soon, on business days only —
  Togo's public holidays and the decreed closures are checked on the injected clock when the job runs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from domain.config import ReportSettings
from domain.model import LOME_TZ
from domain.target_settings import Target
from reports.build import ReportError, ReportFiles, generate
from reports.mail import send_report
from reports.subscriptions import DEFAULT_RETRY, JOB_FAILED, Retry, record_failure, send_daily_due, send_weekly
from reports.week import IsoWeek, last_complete_week
from service.kpi_service import KpiService

log = logging.getLogger("vigie.reports")
DAILY_DUE_HOUR = 7


def weekly_job(
    settings: ReportSettings,
    service: Callable[[], KpiService],
    now: Callable[[], dt.datetime],
    retry: Retry = DEFAULT_RETRY,
    targets: Sequence[Target] = (),
) -> Callable[[], None]:
    """The job: it never raises (a scheduler job that raises is only logged by APScheduler anyway); ``targets``: the
    reports' « Objectifs » ([[targets]])."""

    def run() -> None:
        try:
            kpis = service()
            week = last_complete_week(now())
        except Exception as exc:  # noqa: BLE001 - logged and recorded; the next Monday tries again
            log.error("rapports hebdomadaires non produits : %s: %s", type(exc).__name__, exc)
            period = f"{pd.Timestamp(now()).tz_convert(LOME_TZ):%Y-%m-%d}"  # the week itself may be what failed
            _record_job_failure(service, settings, "weekly", period, exc, now)
            return
        try:
            files = generate(kpis, kpis.reader, week, Path(settings.out_dir), now, targets=targets)
        except ReportError as exc:
            log.error("%s", exc)
        else:
            if settings.smtp is not None:
                _mail_ministry_report(files, settings, week.label)
        for subscription in settings.subscriptions:
            if subscription.kind == "weekly" and settings.smtp is not None:
                try:
                    send_weekly(kpis, subscription, week, Path(settings.out_dir), settings.smtp, now, retry, targets)
                except Exception as exc:  # noqa: BLE001 - one subscription must not stop the others
                    log.error("abonnement %s : %s: %s", subscription.name, type(exc).__name__, exc)

    return run


def _record_job_failure(
    service: Callable[[], KpiService],
    settings: ReportSettings,
    kind: str,
    period: str,
    exc: Exception,
    now: Callable[[], dt.datetime],
) -> None:
    """A job that stopped before its mails: each of its subscriptions gets a failed delivery (admins see it on
    /rapports, and the next mail owns up to it), through the store's own engine even when the KPI service failed."""
    try:
        engine = service().reader.engine
    except Exception as again:  # noqa: BLE001 - nothing to record with: the log says it
        log.error("échecs non enregistrés (%s) : %s", kind, again)
        return
    for subscription in settings.subscriptions:
        if subscription.kind == kind:
            record_failure(engine, subscription, period, f"{JOB_FAILED} : {type(exc).__name__}: {exc}", now())


def _mail_ministry_report(files: ReportFiles, settings: ReportSettings, label: str) -> None:
    assert settings.smtp is not None
    for attempt in range(1, 4):
        try:
            send_report(files, settings.smtp)
            log.info("rapport %s envoyé à %s", label, ", ".join(settings.smtp.recipients))
            return
        except Exception as exc:  # noqa: BLE001 - logged; the report itself is stored
            log.warning("envoi du rapport %s, essai %d/3 : %s: %s", label, attempt, type(exc).__name__, exc)
    log.error("rapport %s stocké mais non envoyé par e-mail", label)


def daily_due_job(
    settings: ReportSettings,
    service: Callable[[], KpiService],
    now: Callable[[], dt.datetime],
    public_url: str,
    retry: Retry = DEFAULT_RETRY,
) -> Callable[[], None]:
    """The 07:00 job: on a business day of the KPI service's calendar (Lomé date of ``now()``), each daily_due
    subscription's mail; on a weekend, a holiday or a decreed closure, nothing. Never raises."""

    def run() -> None:
        try:
            kpis = service()
            today = pd.Timestamp(now()).tz_convert(LOME_TZ).date()
            if not kpis.calendar.is_business_day(today):
                log.info("échéances du %s : jour non ouvré, aucun envoi", today.isoformat())
                return
        except Exception as exc:  # noqa: BLE001 - logged and recorded; tomorrow's job tries again
            log.error("échéances non envoyées : %s: %s", type(exc).__name__, exc)
            period = f"{pd.Timestamp(now()).tz_convert(LOME_TZ):%Y-%m-%d}"
            _record_job_failure(service, settings, "daily_due", period, exc, now)
            return
        for subscription in settings.subscriptions:
            if subscription.kind == "daily_due" and settings.smtp is not None:
                try:
                    send_daily_due(kpis, subscription, settings.smtp, public_url, now, retry)
                except Exception as exc:  # noqa: BLE001 - one subscription must not stop the others
                    log.error("abonnement %s : %s: %s", subscription.name, type(exc).__name__, exc)

    return run


def weekly_trigger(settings: ReportSettings) -> CronTrigger:
    """When the weekly job runs: ``[reports]`` day_of_week, hour and minute, Lomé time."""
    return CronTrigger(day_of_week=settings.day_of_week, hour=settings.hour, minute=settings.minute, timezone=LOME_TZ)


def next_weekly_report(settings: ReportSettings, now: dt.datetime) -> tuple[dt.datetime, IsoWeek]:
    """The weekly job's next run at or after ``now`` (aware, in Lomé time) — the scheduler's own trigger says it — and
    the week it will report: the last one complete at that moment."""
    fire = weekly_trigger(settings).get_next_fire_time(None, now)
    assert fire is not None  # a weekly cron trigger without an end date always has a next run
    return fire, last_complete_week(fire)


def schedule_reports(
    scheduler: BaseScheduler,
    settings: ReportSettings,
    service: Callable[[], KpiService],
    now: Callable[[], dt.datetime],
    public_url: str = "http://127.0.0.1:8050",
    targets: Sequence[Target] = (),
) -> None:
    """The Monday job, and the 07:00 job when a daily_due subscription exists; ``public_url``: where the e-mails'
    case links point ([server] public_url); ``targets``: the reports' « Objectifs »."""
    scheduler.add_job(
        weekly_job(settings, service, now, targets=targets),
        weekly_trigger(settings),
        id="weekly-report",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    if any(s.kind == "daily_due" for s in settings.subscriptions):
        scheduler.add_job(
            daily_due_job(settings, service, now, public_url),
            CronTrigger(day_of_week="mon-fri", hour=DAILY_DUE_HOUR, minute=0, timezone=LOME_TZ),
            id="daily-due-report",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3 * 3600,
            replace_existing=True,
        )
