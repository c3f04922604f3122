"""The Monday report job on APScheduler: last week's report, stored, then mailed when configured."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from domain.config import ReportSettings
from domain.model import LOME_TZ
from reports.build import ReportError, generate
from reports.mail import send_report
from reports.week import last_complete_week
from service.kpi_service import KpiService

log = logging.getLogger("vigie.reports")


def weekly_job(settings: ReportSettings, service: Callable[[], KpiService], now: Callable[[], dt.datetime]) -> Callable[[], None]:
    """The job: it never raises (a scheduler job that raises is only logged by APScheduler anyway)."""

    def run() -> None:
        kpis = service()
        week = last_complete_week(now())
        try:
            files = generate(kpis, kpis.reader, week, Path(settings.out_dir), now)
        except ReportError as exc:
            log.error("%s", exc)
            return
        if settings.smtp is not None:
            for attempt in range(1, 4):
                try:
                    send_report(files, settings.smtp)
                    log.info("rapport %s envoyé à %s", week.label, ", ".join(settings.smtp.recipients))
                    return
                except (OSError, Exception) as exc:  # noqa: BLE001 - logged; the report itself is stored
                    log.warning("envoi du rapport %s, essai %d/3 : %s: %s", week.label, attempt, type(exc).__name__, exc)
            log.error("rapport %s stocké mais non envoyé par e-mail", week.label)

    return run


def schedule_reports(
    scheduler: BaseScheduler, settings: ReportSettings, service: Callable[[], KpiService], now: Callable[[], dt.datetime]
) -> None:
    trigger = CronTrigger(day_of_week=settings.day_of_week, hour=settings.hour, minute=settings.minute, timezone=LOME_TZ)
    scheduler.add_job(
        weekly_job(settings, service, now),
        trigger,
        id="weekly-report",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
