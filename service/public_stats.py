"""The public statistics (/statistiques): per procedure, over the last 90 days, the KPI engine's own numbers, with
every figure drawn from fewer than 10 cases withheld; computed once per data version, whoever asks.

The figures are the engine's, for the window [T - 90 days, T) (docs/kpis.md): ``inflow`` and ``outflow`` of the
KPI document, its ``median_business_days``, ``sla_compliance_pct`` and ``online_share_pct``, the
``business_days_p90`` of the processing distribution, and ``kpis.public.business_days_for_share`` for the sentence.
Nothing here names a case, an agent, an applicant or a region.

The small-count rule (secret statistique): a count from 1 to 9 is withheld (0 is shown: it reveals nobody); a
share or a duration is withheld when its sample has fewer than 10 cases: the closures for the durations and the
on-time share, the submissions for the online share. A withheld figure is None; the pages say « moins de 10
dossiers ».
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kpis.public import business_days_for_share
from service.kpi_service import KpiService

WINDOW_DAYS = 90
MIN_CASES = 10
SUPPRESSED = "moins de 10 dossiers"
#: « 8 dossiers clos sur 10 l'ont été en D jours ouvrés ou moins ».
SHARE = (8, 10)
#: On a store that does not change, the window still moves: the table is recomputed after this long at most.
REFRESH_SECONDS = 600.0


@dataclass(frozen=True)
class ProcedureFigures:
    """One procedure's public figures; None means withheld (fewer than MIN_CASES cases behind it)."""

    structure: str
    code: str
    name: str
    legal_delay_days: int  # business days (catalogue)
    submitted: int | None  # inflow; None: 1 to 9
    closed: int | None  # outflow; None: 1 to 9
    median_business_days: float | None  # of the closures, at closure
    p90_business_days: float | None
    on_time_pct: float | None  # 100 × closures within the legal delay / closures
    online_pct: float | None  # 100 × submissions online / submissions
    days_for_share: int | None  # at least SHARE of the closures took this many business days or fewer


@dataclass(frozen=True)
class PublicTable:
    """The whole public table at ``as_of`` (UTC), over [as_of - window_days, as_of), from data version ``data_version``."""

    as_of: pd.Timestamp
    window_days: int
    share: tuple[int, int]
    data_version: int
    procedures: tuple[ProcedureFigures, ...]  # by structure (catalogue order), then catalogue order


def public_figures(
    catalog: pd.DataFrame,
    by_procedure: Mapping[str, Mapping[str, Any]],
    processing: Mapping[str, Mapping[str, Any]],
    for_share: Mapping[str, int | None],
    min_cases: int = MIN_CASES,
) -> tuple[ProcedureFigures, ...]:
    """The public rows from the engine's answers for one window: ``by_procedure`` (the KPI document's),
    ``processing`` (``KpiService.processing``) and ``for_share`` (``business_days_for_share``), withheld by the
    small-count rule. Structures in the catalogue's order of first appearance, procedures in catalogue order."""
    order = {service: i for i, service in enumerate(dict.fromkeys(catalog["service"]))}
    rows = sorted(catalog[["code", "name", "service", "sla_days"]].to_dict("records"), key=lambda r: order[r["service"]])
    figures = []
    for row in rows:
        code = str(row["code"])
        metrics = by_procedure.get(code, {})
        submitted, closed = int(metrics.get("inflow", 0)), int(metrics.get("outflow", 0))
        closures_enough, submissions_enough = closed >= min_cases, submitted >= min_cases
        figures.append(
            ProcedureFigures(
                structure=str(row["service"]),
                code=code,
                name=str(row["name"]),
                legal_delay_days=int(row["sla_days"]),
                submitted=submitted if submitted == 0 or submissions_enough else None,
                closed=closed if closed == 0 or closures_enough else None,
                median_business_days=metrics.get("median_business_days") if closures_enough else None,
                p90_business_days=processing.get(code, {}).get("business_days_p90") if closures_enough else None,
                on_time_pct=metrics.get("sla_compliance_pct") if closures_enough else None,
                online_pct=metrics.get("online_share_pct") if submissions_enough else None,
                days_for_share=for_share.get(code) if closures_enough else None,
            )
        )
    return tuple(figures)


class PublicStatistics:
    """The public table, kept for the store's data version: thousands of visitors cost one computation.

    A new data version, or REFRESH_SECONDS (by ``now``) on an unchanged store, computes it again at ``now``;
    ``computations`` counts them. Callers arriving during a computation wait for it and read its result.
    """

    def __init__(self, kpis: KpiService, now: Callable[[], dt.datetime], refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.kpis = kpis
        self.now = now
        self.refresh = pd.Timedelta(seconds=refresh_seconds)
        self.computations = 0
        self._kept: PublicTable | None = None
        self._lock = threading.Lock()

    def table(self) -> PublicTable:
        with self._lock:
            version = self.kpis.reader.version()
            now = pd.Timestamp(self.now()).tz_convert("UTC")
            kept = self._kept
            if kept is not None and kept.data_version == version and kept.as_of <= now < kept.as_of + self.refresh:
                return kept
            self._kept = self._compute(version, now)
            self.computations += 1
            return self._kept

    def _compute(self, version: int, as_of: pd.Timestamp) -> PublicTable:
        document = self.kpis.document(as_of, WINDOW_DAYS)
        processing = self.kpis.processing(as_of, WINDOW_DAYS)
        for_share = business_days_for_share(self.kpis.state(as_of), WINDOW_DAYS, SHARE)
        rows = public_figures(self.kpis.catalog, document["by_procedure"], processing, for_share)
        return PublicTable(as_of=as_of, window_days=WINDOW_DAYS, share=SHARE, data_version=version, procedures=rows)
