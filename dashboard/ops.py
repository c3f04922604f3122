"""Operations endpoints: /readyz for load balancers and /metrics for Prometheus (no personal data in either).

Both read the store, which every worker and host shares, so any worker answers for the whole
deployment; the KPI timings are this worker's own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable

import pandas as pd
from flask import Flask, Response

from dashboard.screens import list_screens
from kpis.health import source_state
from service.kpi_service import KpiService
from store.reader import STORE_DOWN, Reader

Sample = tuple[dict[str, object], float]


def readiness(reader: Reader, now: dt.datetime) -> tuple[bool, dict[str, object]]:
    """Ready when the store answers and at least one source is not down (older than 10 poll intervals).

    A partly down deployment is still ready (it serves what it has, marked stale on screen);
    the answer names the sources that are down.
    """
    try:
        version = reader.version()
        health = reader.health(now)
    except Exception as exc:  # noqa: BLE001 - any store failure means "not ready", said in the answer
        return False, {"ready": False, "store": f"injoignable ({type(exc).__name__})"}
    if reader.outage is not None:  # the answers above are the last known ones
        outage = reader.outage
        return False, {"ready": False, "store": f"injoignable depuis {outage.since.isoformat()}", "data_version": version}
    states = {h.source: source_state(h.lag_seconds, h.every_seconds or 30) for h in health.itertuples(index=False)}
    down = sorted(s for s, state in states.items() if state == "down")
    ready = bool(states) and len(down) < len(states)
    body: dict[str, object] = {"ready": ready, "store": "ok", "data_version": version, "sources": states}
    if not states:
        body["reason"] = "aucune source n'a encore été interrogée"
    elif down:
        body["down"] = down
    return ready, body


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def metric(name: str, kind: str, help_text: str, samples: list[Sample]) -> list[str]:
    """One metric in Prometheus text exposition (version 0.0.4): its help, its type and its samples."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        tags = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{tags}}} {float(value):g}" if tags else f"{name} {float(value):g}")
    return lines


def metrics_text(reader: Reader, kpis: KpiService, now: dt.datetime) -> str:
    """Prometheus text exposition (version 0.0.4): the sources, the store, this worker's KPI work, the screens."""
    lines = [
        *_source_metrics(reader, now),
        *_store_metrics(reader),
        *_kpi_metrics(kpis),
        *metric("vigie_store_up", "gauge", "1 when the store answered the last read.", [({}, 0 if reader.outage else 1)]),
        *_screen_metrics(reader, now),
        *metric("vigie_worker_info", "gauge", "This worker process.", [({"pid": os.getpid()}, 1)]),
    ]
    return "\n".join(lines) + "\n"


def _source_metrics(reader: Reader, now: dt.datetime) -> list[str]:
    """Each source's last poll, failures, lag and state."""
    rows = list(reader.health(now).itertuples(index=False))

    def per_source(column: str) -> list[Sample]:
        return [({"source": h.source}, 0 if pd.isna(getattr(h, column)) else getattr(h, column)) for h in rows]

    return [
        *metric(
            "vigie_source_poll_duration_ms", "gauge", "Duration of the last poll of each source.", per_source("last_poll_ms")
        ),
        *metric(
            "vigie_source_rows_last_poll", "gauge", "Rows read by the last poll of each source.", per_source("rows_last_poll")
        ),
        *metric("vigie_source_polls_total", "counter", "Polls of each source.", per_source("polls")),
        *metric(
            "vigie_source_consecutive_failures",
            "gauge",
            "Failed polls in a row (0 when the last one worked).",
            per_source("consecutive_failures"),
        ),
        *metric(
            "vigie_source_lag_seconds",
            "gauge",
            "Seconds since the last successful poll (-1: never).",
            [({"source": h.source}, -1 if pd.isna(h.lag_seconds) else h.lag_seconds) for h in rows],
        ),
        *metric(
            "vigie_source_up",
            "gauge",
            "1 when the source is not down (last success within 10 intervals).",
            [({"source": h.source}, 0 if source_state(h.lag_seconds, h.every_seconds or 30) == "down" else 1) for h in rows],
        ),
    ]


def _store_metrics(reader: Reader) -> list[str]:
    """What the store holds in quarantine, and its data version."""
    quarantine = reader.quarantine_counts()
    return [
        *metric(
            "vigie_quarantine_open_rows",
            "gauge",
            "Rows held in quarantine, by source and reason.",
            [({"source": q.source, "reason": q.reason}, q.rows) for q in quarantine.itertuples(index=False)],
        ),
        *metric("vigie_data_version", "gauge", "The store's data version.", [({}, reader.version())]),
    ]


def _kpi_metrics(kpis: KpiService) -> list[str]:
    """This worker's KPI computations: how many, how long, and full history rebuilds."""
    return [
        *metric("vigie_kpi_computations_total", "counter", "KPI documents computed by this worker.", [({}, kpis.computations)]),
        *metric(
            "vigie_kpi_compute_seconds_total",
            "counter",
            "Time this worker spent computing KPI documents.",
            [({}, kpis.compute_seconds)],
        ),
        *metric(
            "vigie_kpi_last_compute_seconds",
            "gauge",
            "Duration of this worker's last KPI document.",
            [({}, kpis.last_compute_seconds)],
        ),
        *metric(
            "vigie_kpi_history_rebuilds_total",
            "counter",
            "Full rebuilds of the case history by this worker.",
            [({}, kpis.rebuilds)],
        ),
    ]


def _screen_metrics(reader: Reader, now: dt.datetime) -> list[str]:
    """Wall screens heard from and silent; nothing while the store is down (the rest is still worth scraping)."""
    try:
        screens = list_screens(reader.engine, now)
    except STORE_DOWN:
        return []
    active = int((~screens["silent"]).sum()) if not screens.empty else 0
    return [
        *metric("vigie_screens_active", "gauge", "Wall screens heard from in the last 2 minutes.", [({}, active)]),
        *metric("vigie_screens_silent", "gauge", "Wall screens silent for more than 2 minutes.", [({}, len(screens) - active)]),
    ]


def register_ops(server: Flask, reader: Reader, kpis: KpiService, now: Callable[[], dt.datetime]) -> None:
    @server.get("/readyz")
    def readyz() -> Response:
        ready, body = readiness(reader, now())
        return Response(json.dumps(body, ensure_ascii=False), 200 if ready else 503, mimetype="application/json")

    @server.get("/metrics")
    def metrics() -> Response:
        return Response(metrics_text(reader, kpis, now()), mimetype="text/plain; version=0.0.4")
