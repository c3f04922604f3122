"""APScheduler wiring only: one job per source, at most one instance, missed runs coalesced."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.exc import SQLAlchemyError

from collectors.collector import Collector
from store.lock import WriterLock, WriterLockBusy

log = logging.getLogger(__name__)


def schedule_collector(scheduler: BaseScheduler, collector: Collector, lock: WriterLock | None = None) -> None:
    """Add a polling job per source; the first poll runs at once.

    With ``lock``, each poll first checks that this process still holds the store's writer lock
    (a restarted database server frees it); if another collector took it, collecting stops here.
    """
    for name, runtime in collector.sources.items():
        scheduler.add_job(
            _guarded(collector.poll, name, scheduler, lock),
            "interval",
            seconds=runtime.settings.every_seconds,
            id=f"poll:{name}",
            name=f"poll {name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=collector.now(),
        )
    scheduler.add_job(
        collector.store.checkpoint,
        "interval",
        seconds=60,
        id="store-checkpoint",
        name="store checkpoint",
        max_instances=1,
        coalesce=True,
    )


def schedule_every(scheduler: BaseScheduler, job_id: str, seconds: float, func: Callable[[], object]) -> None:
    scheduler.add_job(func, "interval", seconds=seconds, id=job_id, name=job_id, max_instances=1, coalesce=True)


def _guarded(poll: Callable[[str], object], name: str, scheduler: BaseScheduler, lock: WriterLock | None) -> Callable[[], None]:
    def run() -> None:
        try:
            if lock is not None:
                lock.ensure()
            poll(name)
        except SQLAlchemyError as exc:  # the store itself is unreachable: log, keep the scheduler alive
            log.error("store unavailable while polling %s: %s", name, str(exc).splitlines()[0])
        except WriterLockBusy as exc:  # another collector writes the store now: two writers must never run
            log.error("writer lock lost, collecting stops in this process: %s", exc)
            for job in scheduler.get_jobs():
                if job.id.startswith("poll:"):
                    job.remove()

    return run
