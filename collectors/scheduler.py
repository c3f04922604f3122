"""APScheduler wiring only: one job per source, at most one instance, missed runs coalesced."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.exc import SQLAlchemyError

from collectors.collector import Collector

log = logging.getLogger(__name__)


def schedule_collector(scheduler: BaseScheduler, collector: Collector) -> None:
    """Add a polling job per source; the first poll runs at once."""
    for name, runtime in collector.sources.items():
        scheduler.add_job(
            _guarded(collector.poll, name),
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


def _guarded(poll: Callable[[str], object], name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            poll(name)
        except SQLAlchemyError as exc:  # the store itself is unreachable: log, keep the scheduler alive
            log.error("store unavailable while polling %s: %s", name, str(exc).splitlines()[0])

    return run
