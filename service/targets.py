"""The targets' numbers from the KPI service: each tracked group's value, reference value and weekly values.

Every number is a metric of the KPI document (``KpiService.document``) for the group's cases over the target's
window, so it is computed once per data version and shared with the wall, the explorer and the reports; the
arithmetic on top of it (trajectory, status) is kpis.targets'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from domain.target_settings import Target
from kpis.filters import CaseFilters, group_in_scope
from kpis.targets import TargetStatus, assess, day_end, reference_end, status_day
from service.kpi_service import KpiService

#: The explorer's target chart shows at most this many weekly values (each one is a KPI document).
MAX_WEEKS = 12


def track_filters(target: Target, group: str | None, services: frozenset[str] | None = None) -> CaseFilters:
    """The cases a tracked group counts: all, a structure's or a procedure's; ``services``: an account's scope."""
    if target.scope == "service":
        return CaseFilters(service=group, services=services)
    if target.scope == "procedure":
        return CaseFilters(procedure=group, services=services)
    return CaseFilters(services=services)


def tracks(targets: Sequence[Target], services: frozenset[str] | None, owners: dict[str, str]) -> list[tuple[Target, str | None]]:
    """Each target's groups one by one, those an account limited to ``services`` may see (None: all): its structures
    and their procedures, never the ministry-wide targets (``kpis.filters.group_in_scope``, the dashboard's rule).
    ``owners``: procedure -> structure."""
    return [
        (target, group)
        for target in targets
        for group in target.tracks()
        if group_in_scope(services, target.scope, group, owners)
    ]


def metric_at(
    kpis: KpiService, target: Target, group: str | None, as_of: pd.Timestamp | None, services: frozenset[str] | None = None
) -> tuple[pd.Timestamp, float | None]:
    """The instant (None: now) and the metric of the group at it, over the target's window."""
    document = kpis.document(as_of, target.days, track_filters(target, group, services))
    return pd.Timestamp(document["as_of"]), document["overall"][target.metric]


def status(
    kpis: KpiService, target: Target, group: str | None, as_of: pd.Timestamp | None, services: frozenset[str] | None = None
) -> TargetStatus:
    """The group's status at ``as_of`` (None: now): its value then, against the trajectory from its reference value."""
    at, value = metric_at(kpis, target, group, as_of, services)
    started = at >= reference_end(target)
    baseline = metric_at(kpis, target, group, reference_end(target), services)[1] if started else None
    return assess(target, group, status_day(at), value, baseline, started=started)


def statuses(
    kpis: KpiService, targets: Sequence[Target], as_of: pd.Timestamp | None, services: frozenset[str] | None = None
) -> list[TargetStatus]:
    """Every tracked group's status that an account limited to ``services`` may see (None: all), in config order."""
    owners = dict(zip(kpis.catalog["code"], kpis.catalog["service"], strict=True))
    return [status(kpis, target, group, as_of, services) for target, group in tracks(targets, services, owners)]


def weekly_values(
    kpis: KpiService,
    target: Target,
    group: str | None,
    as_of: pd.Timestamp | None,
    weeks: int = MAX_WEEKS,
    services: frozenset[str] | None = None,
) -> pd.DataFrame:
    """The group's metric (over the target's window) at the end of the reference date, then every 7 days back from
    ``as_of`` (None: now; the last point is that instant, the others the ends of Lomé dates so that they are the
    same all day), at most ``weeks`` of them and none before the reference. Columns: day (the Lomé date), at (UTC),
    value (None unknown); sorted by day."""
    at, value = metric_at(kpis, target, group, as_of, services)
    today = status_day(at)
    rows: list[tuple[dt.date, pd.Timestamp, float | None]] = [(today, at, value)]
    for k in range(1, weeks):
        day = today - dt.timedelta(days=7 * k)
        if day <= target.baseline:
            break
        rows.append((day, day_end(day), metric_at(kpis, target, group, day_end(day), services)[1]))
    if today > target.baseline:
        rows.append((target.baseline, reference_end(target), metric_at(kpis, target, group, reference_end(target), services)[1]))
    rows.sort(key=lambda row: row[0])
    return pd.DataFrame(
        {"day": [r[0] for r in rows], "at": [r[1] for r in rows], "value": pd.Series([r[2] for r in rows], dtype=object)}
    )
