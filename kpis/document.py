"""The /api/kpis document: one JSON contract for the wall, the explorer and the reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from domain.business_days import BusinessCalendar
from kpis.case_state import CaseState, prepare, state_at
from kpis.metrics import PopulationMemo, group_metrics, outflow_orders, populations

MAX_WINDOW_DAYS = 3660
#: as_of must fall in [EARLIEST_AS_OF, LATEST_AS_OF]: outside, no case can exist, and dates before 1970 or
#: far in the future overflow the engine's arithmetic (year 1 or 9999 minus a window, business-day calendars).
EARLIEST_AS_OF = pd.Timestamp("1970-01-01T00:00:00Z")
LATEST_AS_OF = pd.Timestamp("2100-01-01T00:00:00Z")


class KpiParameterError(ValueError):
    """A bad as_of or days: the message is shown to the user as is (French)."""


def parse_as_of(text: str | None, now: dt.datetime) -> pd.Timestamp:
    """ISO 8601 -> UTC Timestamp; a naive value means UTC; None means now.

    The instant must lie between EARLIEST_AS_OF and LATEST_AS_OF, both included (KpiParameterError otherwise).
    """
    if text is None or text == "":
        return pd.Timestamp(now).tz_convert("UTC")
    try:
        parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, TypeError):
        raise KpiParameterError(f"as_of invalide : « {text} » (attendu : date ISO 8601, ex. 2026-11-23T00:00:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    # compared as Python datetimes: year 1 or 9999 with an offset cannot be converted to UTC, but can be compared
    if not EARLIEST_AS_OF.to_pydatetime() <= parsed <= LATEST_AS_OF.to_pydatetime():
        raise KpiParameterError(
            f"as_of invalide : « {text} » (attendu : entre le {EARLIEST_AS_OF:%d/%m/%Y} et le {LATEST_AS_OF:%d/%m/%Y} UTC)"
        )
    return pd.Timestamp(parsed).tz_convert("UTC")


def parse_days(text: str | int | None) -> int:
    if text is None or text == "":
        return 7
    try:
        days = int(text)
    except (ValueError, TypeError):
        raise KpiParameterError(f"days invalide : « {text} » (attendu : un nombre entier de jours)") from None
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise KpiParameterError(f"days invalide : {days} (attendu : entre 1 et {MAX_WINDOW_DAYS})")
    return days


def kpi_document(
    cases: pd.DataFrame,
    events: pd.DataFrame,
    catalog: pd.DataFrame,
    quarantine_counts: dict[str, int],
    *,
    as_of: pd.Timestamp,
    days: int,
    calendar: BusinessCalendar,
) -> dict[str, Any]:
    """The full document at ``as_of`` over the window [as_of - days, as_of), from the store's frames."""
    return document_from_state(state_at(prepare(cases, events, catalog, calendar), as_of), days, quarantine_counts)


def document_from_state(
    state: CaseState, days: int, quarantine_counts: dict[str, int], memo: PopulationMemo | None = None
) -> dict[str, Any]:
    """The document from an already computed state (the service keeps the prepared history per version);
    ``memo``: the state's population masks, when the caller keeps them."""
    masks = populations(state, days, memo)
    orders = outflow_orders(state, masks)
    return {
        "as_of": state.as_of.isoformat(),
        "window_days": days,
        "overall": group_metrics(state, days, None, masks, orders)["__all__"],
        "by_service": group_metrics(state, days, "service", masks, orders),
        "by_procedure": group_metrics(state, days, "procedure", masks, orders),
        "quarantined": {str(k): int(v) for k, v in sorted(quarantine_counts.items())},
    }
