"""Build, store and send one week's report: computed from the KPI service, written atomically.

Files go to ``<out>/<week>/vigie-rapport-<week>.pdf`` and ``.xlsx`` (``…-<week>-CEET.pdf`` for a report on some
structures, see ``reports.files``): each is written to a temporary name in the same folder, then renamed, so a
crash or a full disk never leaves a half-written report. A failed attempt is logged and retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.target_settings import Target
from kpis.filters import CaseFilters, group_in_scope, scope_procedures
from reports.content import WeeklyReport, build_report
from reports.events import week_events
from reports.files import FileNameError, report_stem, write_all_or_nothing
from reports.pdf import render_pdf
from reports.sources import sources_over_week
from reports.week import IsoWeek
from reports.xlsx import render_xlsx
from service.kpi_service import KpiService
from service.targets import statuses
from store.alerts import AlertStore
from store.reader import Reader

log = logging.getLogger("vigie.reports")


class ReportError(RuntimeError):
    """A report that could not be built or stored after its retries; the message says why (French)."""


@dataclass(frozen=True)
class ReportFiles:
    week: IsoWeek
    pdf: Path
    xlsx: Path
    report: WeeklyReport


def compute(
    kpis: KpiService,
    reader: Reader,
    week: IsoWeek,
    now: dt.datetime,
    services: frozenset[str] | None = None,
    targets: Sequence[Target] = (),
) -> WeeklyReport:
    """The report's content: the same documents /api/kpis gives for the week's end and the week before — for an
    account limited to ``services`` when given (None: the whole ministry). Its events are those of these structures
    and their procedures (``kpis.filters.group_in_scope``, the rule of the dashboard), and so are its ``targets``
    (« Objectifs »: their status at the week's end)."""
    filters = CaseFilters(services=services)
    current = kpis.document(week.end, 7, filters)
    previous = kpis.document(week.previous().end, 7, filters)
    frames = reader.frames()
    procedures = None if services is None else scope_procedures(services, kpis.catalog)
    quarantine = reader.quarantine(open_only=False)
    sources = sources_over_week(week, frames.live_cases(), frames.events, quarantine, reader.health(now), procedures)
    notes = AlertStore(reader.engine).annotations(week.start.to_pydatetime(), week.end.to_pydatetime())
    if services is not None and not notes.empty:
        owners = dict(zip(kpis.catalog["code"], kpis.catalog["service"], strict=True))
        kept = [group_in_scope(services, str(k), str(g), owners) for k, g in zip(notes["scope"], notes["grp"], strict=True)]
        notes = notes[kept]
    state = kpis.state(week.end, filters)
    goals = statuses(kpis, targets, week.end, services)
    return build_report(week, current, previous, state, kpis.catalog, sources, week_events(notes, week), services, goals)


def generate(
    kpis: KpiService,
    reader: Reader,
    week: IsoWeek,
    out_dir: Path,
    now: Callable[[], dt.datetime],
    *,
    attempts: int = 3,
    wait_seconds: float = 5.0,
    services: frozenset[str] | None = None,
    targets: Sequence[Target] = (),
) -> ReportFiles:
    """Build the week's PDF and workbook (on ``services`` only, when given; with a section « Objectifs » when
    ``targets`` are given); retry a failed attempt; raise ReportError when all fail, or at once when a structure's
    name cannot be a file name."""
    folder = out_dir / week.label
    unknown = sorted((services or frozenset()) - set(kpis.catalog["service"]))
    if unknown:
        raise ReportError(f"rapport {week.label} non produit : structure inconnue : {', '.join(unknown)}")
    try:
        stem = report_stem(week.label, services)
    except FileNameError as exc:
        raise ReportError(f"rapport {week.label} non produit : {exc}") from None
    pdf, xlsx = folder / f"{stem}.pdf", folder / f"{stem}.xlsx"
    error: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            report = compute(kpis, reader, week, now(), services, targets)
            pdf_bytes, xlsx_bytes = render_pdf(report), render_xlsx(report)
            write_all_or_nothing({xlsx: xlsx_bytes, pdf: pdf_bytes})
            log.info("rapport %s (%s) écrit : %s, %s", week.label, report.scope, pdf, xlsx)
            return ReportFiles(week, pdf, xlsx, report)
        except Exception as exc:  # noqa: BLE001 - any failure is logged and retried, then reported
            error = exc
            log.warning("rapport %s : essai %d/%d échoué : %s: %s", week.label, attempt, attempts, type(exc).__name__, exc)
            if attempt < attempts:
                time.sleep(wait_seconds)
    raise ReportError(f"rapport {week.label} non produit après {attempts} essais : {type(error).__name__}: {error}")
