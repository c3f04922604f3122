"""Alert evaluation benchmark: the demo's three kinds of rule (per structure, per procedure, per source) over
N cases, as the collector process runs them after a poll and on its timer.

    python bench/bench_alerts.py [--cases 1000000] [--rounds 10]

The KPI history is prepared once (as after a worker's first load); each round is one evaluation at a new
instant one minute later: the KPI document at that instant, every (rule, group) moved on, and the store
written (alerts, events, outbox) in a SQLite file. Prints figures (quoted in the README); asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from alerts.evaluate import AlertEvaluator  # noqa: E402
from domain.alert_settings import AlertContact, AlertRule, AlertSettings  # noqa: E402
from domain.business_days import BusinessCalendar  # noqa: E402
from domain.catalog import load_catalog  # noqa: E402
from kpi_data import synthetic_frames  # noqa: E402
from kpis.history import prepare  # noqa: E402
from service.kpi_service import KpiService  # noqa: E402
from store.alerts import AlertStore  # noqa: E402
from store.engines import create_store_engine  # noqa: E402
from store.reader import Reader  # noqa: E402
from store.writer import Store  # noqa: E402

T = pd.Timestamp("2026-11-20 12:00", tz="UTC")
RULES = (
    AlertRule("hors-delai-par-structure", "breached_open", "service", ">", 40.0, ("salle",)),
    AlertRule("stock-par-procedure", "backlog", "procedure", ">", 100.0, ("salle",), for_minutes=1.0, severity="critical"),
    AlertRule("delai-median", "median_business_days", "procedure", ">", 10.0, ("salle",), days=30),
    AlertRule("source-muette", "source_lag_seconds", "source", ">", 120.0, ("salle",), severity="critical"),
)


class Clock:
    def __init__(self) -> None:
        self.now = T.to_pydatetime()

    def __call__(self) -> dt.datetime:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "data" / "procedures.csv")
    cases, events = synthetic_frames(args.cases, catalog, T)
    calendar = BusinessCalendar("TG")
    history = prepare(cases, events, catalog, calendar)
    print(f"{args.cases:,} cases, {len(events):,} events; {len(RULES)} rules")
    with tempfile.TemporaryDirectory() as folder:
        store = Store(create_store_engine(f"sqlite:///{folder}/alerts.db"))
        store.create()
        clock = Clock()
        reader = Reader(store.engine, now=clock)
        kpis = KpiService(reader, catalog, calendar, clock)
        kpis._history, kpis._history_version = history, reader.version()  # the version's prepared history
        settings = AlertSettings(enabled=True, contacts=(AlertContact("salle"),), rules=RULES)
        evaluator = AlertEvaluator(settings, kpis, reader, AlertStore(store.engine), catalog, calendar, "http://vigie", clock)
        times, notified = [], 0
        for _ in range(args.rounds):
            started = time.perf_counter()
            notified += len(evaluator.run())
            times.append(time.perf_counter() - started)
            clock.now += dt.timedelta(minutes=1)
        groups = len(AlertStore(store.engine).records())
    print(f"alerts tracked: {groups} (rule, group) pairs; notifications owed over {args.rounds} rounds: {notified}")
    print(f"first evaluation (alert rows created): {times[0] * 1000:,.0f} ms")
    later = times[1:] or times
    print(f"each later evaluation: median {statistics.median(later) * 1000:,.0f} ms, max {max(later) * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
