"""The two scheduled jobs of the collector process: evaluate the rules, and send the outbox.

Both run only where the collectors run, under the store's writer lock: if another collector takes the
lock, they stop here as the polls do, so no transition is decided or sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pandas as pd
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from alerts.deliver import DeliveryWorker
from alerts.evaluate import AlertEvaluator
from domain.business_days import BusinessCalendar
from domain.config import Settings
from service.kpi_service import KpiService
from store.alerts import AlertStore
from store.lock import WriterLock, WriterLockBusy

log = logging.getLogger(__name__)
#: How often the jobs look: evaluation itself waits for a new data version or evaluate_every_seconds.
TICK_SECONDS = 5


class AlertJobs:
    def __init__(
        self,
        settings: Settings,
        catalog: pd.DataFrame,
        engine: Engine,
        kpis: Callable[[], KpiService],
        now: Callable[[], dt.datetime],
        lock: WriterLock | None = None,
    ) -> None:
        self.settings, self.catalog, self.kpis, self.now, self.lock = settings, catalog, kpis, now, lock
        self.store = AlertStore(engine)  # the writer's engine: the reader's is for reading
        self._evaluator: AlertEvaluator | None = None
        self.scheduler: BaseScheduler | None = None
        self._worker: DeliveryWorker | None = None

    def evaluator(self) -> AlertEvaluator:
        if self._evaluator is None:
            service = self.kpis()
            calendar = BusinessCalendar(self.settings.country, self.settings.extra_closures)
            self._evaluator = AlertEvaluator(self.settings.alerts, service, service.reader, self.store, self.catalog, calendar,
                                             self.settings.server.public_url, self.now)  # fmt: skip
        return self._evaluator

    def worker(self) -> DeliveryWorker:
        if self._worker is None:
            calendar = BusinessCalendar(self.settings.country, self.settings.extra_closures)
            self._worker = DeliveryWorker(self.settings.alerts, self.settings.reports.smtp, self.store, self.now, calendar)
        return self._worker

    def evaluate(self) -> None:
        self._guarded("évaluation", lambda: self.evaluator().run() if self.evaluator().due() else None)

    def deliver(self) -> None:
        self._guarded("envoi", self.worker().run)

    def schedule(self, scheduler: BaseScheduler) -> None:
        for job_id, func in (("alerts-evaluate", self.evaluate), ("alerts-deliver", self.deliver)):
            scheduler.add_job(func, "interval", seconds=TICK_SECONDS, id=job_id, name=job_id, max_instances=1, coalesce=True,
                              next_run_time=self.now())  # fmt: skip
        self.scheduler = scheduler

    def _guarded(self, what: str, run: Callable[[], object]) -> None:
        try:
            if self.lock is not None:
                self.lock.ensure()
            run()
        except SQLAlchemyError as exc:
            log.error("alertes (%s) : magasin indisponible : %s", what, str(exc).splitlines()[0])
        except WriterLockBusy as exc:
            log.error("verrou d'écriture perdu, les alertes s'arrêtent dans ce processus : %s", exc)
            for job_id in ("alerts-evaluate", "alerts-deliver"):
                if self.scheduler is not None and self.scheduler.get_job(job_id) is not None:
                    self.scheduler.remove_job(job_id)
