"""The cases behind a number: the rows of one KPI population, and processing times per period.

Populations are the document's own masks (metrics.populations), so a case list has exactly
as many rows as the number it was drilled from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.model import LOME_TZ
from kpis.case_state import CaseState
from kpis.metrics import PopulationMemo, populations, quantile_sorted, split_by_group

#: Drillable populations: URL slug (French) -> the document's metric key.
POPULATIONS: dict[str, str] = {
    "en_cours": "backlog",
    "en_attente": "backlog_waiting_applicant",
    "deposes": "inflow",
    "clos": "outflow",
    "hors_delai": "breached_open",
    "a_risque": "at_risk_open",
    "accords_tacites": "tacit_accept_open",  # open past the delay where silence means acceptance (docs/kpis.md)
    "rejets_tacites": "tacit_reject_open",  # … where silence means rejection
}
CASE_ROW_COLUMNS: tuple[str, ...] = (
    "source", "case_id", "service", "procedure_code", "region", "channel", "status", "submitted_at", "closed_at",
    "business_days", "sla_days", "due_date", "processing_days", "breached", "at_risk", "agent",
)  # fmt: skip
_DAY_US = 86400 * 10**6


def case_rows(state: CaseState, days: int, population: str, memo: PopulationMemo | None = None) -> pd.DataFrame:
    """The cases counted by ``population`` (a POPULATIONS slug) over [T - days, T); oldest submission first.

    ``business_days`` is admin_business_days at T for an open case and at closure for a closed one.
    ``memo``: the state's population masks, when the caller keeps them.
    """
    if population not in POPULATIONS:
        raise KeyError(population)
    rows = np.flatnonzero(populations(state, days, memo)[POPULATIONS[population]])
    frame = state.frame(rows)
    frame["business_days"] = frame["admin_bd_now"].fillna(frame["admin_bd_at_close"])
    return frame.sort_values(["submitted_at", "source", "case_id"], kind="stable")[list(CASE_ROW_COLUMNS)].reset_index(drop=True)


def processing_buckets(state: CaseState, days: int, bucket_days: int, memo: PopulationMemo | None = None) -> pd.DataFrame:
    """Closures of [T - days, T) in periods of ``bucket_days`` (1: daily, 7: weekly) from the window's start.

    Per period: closures, median and p90 of processing_days (calendar) and of business days at
    closure; None where a period has no closure.
    """
    t = int(state.as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))
    start = t - days * _DAY_US
    periods = -(-days // bucket_days)
    out = populations(state, days, memo)["outflow"]
    bucket = ((state.closed_at_us[out] - start) // (bucket_days * _DAY_US)).astype(np.int64)
    calendar = split_by_group(bucket, state.processing_days[out], periods)
    business = split_by_group(bucket, state.business_days[out].astype(np.float64), periods)
    starts = pd.to_datetime(start + np.arange(periods) * bucket_days * _DAY_US, unit="us", utc=True).tz_convert(LOME_TZ)
    return pd.DataFrame(
        {
            "period_start": starts,
            "closures": [len(v) for v in calendar],
            "median_processing_days": [quantile_sorted(v, 0.5) for v in calendar],
            "p90_processing_days": [quantile_sorted(v, 0.9) for v in calendar],
            "median_business_days": [quantile_sorted(v, 0.5) for v in business],
            "p90_business_days": [quantile_sorted(v, 0.9) for v in business],
        }
    )


#: The populations ``counts_by_label`` counts unless asked for others.
LABEL_COUNTS = ("backlog", "inflow", "outflow")


def counts_by_label(
    state: CaseState,
    days: int,
    column: str,
    labels: tuple[str, ...],
    memo: PopulationMemo | None = None,
    keys: tuple[str, ...] = LABEL_COUNTS,
) -> pd.DataFrame:
    """The populations ``keys`` (metric keys of ``metrics.populations``: backlog, inflow, outflow by default,
    breached_open, at_risk_open…) per value of a case column (region, channel), every label listed.

    Counted on the column's category codes (one bincount per population), not on its strings.
    """
    masks = populations(state, days, memo)
    values = state.history.cases[column]
    codes = values.cat.codes.to_numpy()
    position = {str(c): i for i, c in enumerate(values.cat.categories)}
    out: dict[str, list] = {"group": list(labels)}
    for key in keys:
        mask = masks[key] & (codes >= 0)
        counted = np.bincount(codes[mask], minlength=len(position))
        out[key] = [int(counted[position[label]]) if label in position else 0 for label in labels]
    return pd.DataFrame(out)
