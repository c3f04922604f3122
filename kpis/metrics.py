"""Group metrics over a CaseState: overall, per service, per procedure.

Counts are ints; ratios and durations are unrounded floats, None when their
denominator or sample is empty. Every catalogue procedure and service appears,
with zeros and Nones when it has no cases. Counting is one bincount per population
over integer group codes; quantiles use one sort of the (small) outflow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.model import STATUSES
from kpis.case_state import CaseState

AGE_BANDS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("91+", 91, None))
COUNT_KEYS = (
    "backlog",
    "backlog_waiting_applicant",
    "inflow",
    "outflow",
    "approved",
    "rejected",
    "withdrawn",
    "breached_open",
    "at_risk_open",
    "tacit_accept_open",
    "tacit_reject_open",
)
_CODE = {s: i for i, s in enumerate(STATUSES)}


class PopulationMemo:
    """The population masks of one CaseState, per window length, each computed on first use.

    A companion the owner of a state keeps beside it (KpiService keeps one with every state it
    caches) and passes to the functions that count populations, so that a page's document, case
    list and charts build the masks once. The state itself stays a plain frozen value. Not
    locked: the owner fills it under its own lock.
    """

    def __init__(self, state: CaseState) -> None:
        self._state = state
        self._masks: dict[int, dict[str, np.ndarray]] = {}

    @property
    def state(self) -> CaseState:
        return self._state

    def masks(self, days: int) -> dict[str, np.ndarray]:
        """``populations(state, days)``, computed once per window length."""
        if days not in self._masks:
            masks = _populations(self._state, days)
            for mask in masks.values():
                mask.flags.writeable = False  # handed to every caller of this state
            self._masks[days] = masks
        return self._masks[days]


def populations(state: CaseState, days: int, memo: PopulationMemo | None = None) -> dict[str, np.ndarray]:
    """Boolean masks over the cases, one per counted population, for the window [T - days, T).

    Read from ``memo`` when given (it must be this state's); computed afresh otherwise.
    Callers do not modify the masks: a memo hands the same ones to every caller.
    """
    if memo is None:
        return _populations(state, days)
    if memo.state is not state:
        raise ValueError("this PopulationMemo belongs to another CaseState")
    return memo.masks(days)


def _populations(state: CaseState, days: int) -> dict[str, np.ndarray]:
    h = state.history
    t = int(state.as_of.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[us]").astype(np.int64))
    start = t - days * 86400 * 10**6
    visible, is_open, status = state.visible, state.is_open, state.status
    backlog = visible & is_open
    inflow = visible & (h.submitted_us >= start) & (h.submitted_us < t)
    outflow = visible & ~is_open & (state.closed_at_us >= start) & (state.closed_at_us < t)
    masks = {
        "backlog": backlog,
        "backlog_waiting_applicant": backlog & (status == _CODE["awaiting_applicant"]),
        "inflow": inflow,
        "inflow_online": inflow & h.online,
        "outflow": outflow,
        "approved": outflow & (status == _CODE["approved"]),
        "rejected": outflow & (status == _CODE["rejected"]),
        "withdrawn": outflow & (status == _CODE["withdrawn"]),
        "on_time": outflow & state.on_time,
        "breached_open": state.breached,
        "at_risk_open": state.at_risk,
        "tacit_accept_open": state.tacit_accept,
        "tacit_reject_open": state.tacit_reject,
    }
    age = state.age_days
    for label, low, high in AGE_BANDS:
        masks[f"age_{label}"] = backlog & (age >= low) & ((age <= high) if high is not None else True)
    return masks


def group_metrics(
    state: CaseState,
    days: int,
    by: str | None,
    masks: dict[str, np.ndarray] | None = None,
    outflow_orders: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, dict[str, Any]]:
    """Metrics per group: ``by`` is None (one group, "__all__"), "service" or "procedure".

    ``masks`` (from :func:`populations` for the same state and days) and ``outflow_orders``
    (from :func:`outflow_orders`) save recomputing them when one state is grouped several ways.
    """
    h = state.history
    if by is None:
        codes, names = np.zeros(len(h.cases), dtype=np.int64), ["__all__"]
    elif by == "service":
        codes, names = h.service_no, h.services
    else:
        codes, names = h.procedure_no, h.procedures
    masks = populations(state, days) if masks is None else masks
    counts = {key: np.bincount(codes[mask], minlength=len(names)) for key, mask in masks.items()}
    outflow = masks["outflow"]
    by_processing, by_business = outflow_orders if outflow_orders is not None else (None, None)
    processing = split_by_group(codes[outflow], state.processing_days[outflow], len(names), by_processing)
    business = split_by_group(codes[outflow], state.business_days[outflow].astype(np.float64), len(names), by_business)
    result: dict[str, dict[str, Any]] = {}
    for g, name in enumerate(names):
        n = {key: int(c[g]) for key, c in counts.items()}
        result[name] = {
            "backlog": n["backlog"],
            "backlog_waiting_applicant": n["backlog_waiting_applicant"],
            "backlog_age": {band: n[f"age_{band}"] for band, _, _ in AGE_BANDS},
            "inflow": n["inflow"],
            "outflow": n["outflow"],
            "approved": n["approved"],
            "rejected": n["rejected"],
            "withdrawn": n["withdrawn"],
            "median_processing_days": quantile_sorted(processing[g], 0.5),
            "p90_processing_days": quantile_sorted(processing[g], 0.9),
            "median_business_days": quantile_sorted(business[g], 0.5),
            "sla_compliance_pct": _pct(n["on_time"], n["outflow"]),
            "breached_open": n["breached_open"],
            "at_risk_open": n["at_risk_open"],
            "tacit_accept_open": n["tacit_accept_open"],
            "tacit_reject_open": n["tacit_reject_open"],
            "rejection_rate_pct": _pct(n["rejected"], n["approved"] + n["rejected"]),
            "online_share_pct": _pct(n["inflow_online"], n["inflow"]),
        }
    return result


def outflow_orders(state: CaseState, masks: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The outflow's processing days and business days, each argsorted once for every grouping."""
    outflow = masks["outflow"]
    return np.argsort(state.processing_days[outflow]), np.argsort(state.business_days[outflow].astype(np.float64))


def split_by_group(codes: np.ndarray, values: np.ndarray, groups: int, by_value: np.ndarray | None = None) -> list[np.ndarray]:
    """Values per group code, each sorted (far cheaper than groupby().quantile).

    One unstable sort of the values (equal values are interchangeable, so the result is exact),
    then a stable sort by group code, which numpy does as a radix sort for small integer codes:
    about three times faster than a lexsort on half a million closures. ``by_value`` is
    ``np.argsort(values)`` when the caller already has it.
    """
    by_value = np.argsort(values) if by_value is None else by_value  # callers splitting one array several ways sort it once
    small = np.int16 if groups < np.iinfo(np.int16).max else np.int64
    order = by_value[np.argsort(codes[by_value].astype(small), kind="stable")]
    bounds = np.searchsorted(codes[order], np.arange(groups + 1))
    ordered = values[order]
    return [ordered[bounds[g] : bounds[g + 1]] for g in range(groups)]


def quantile_sorted(values: np.ndarray, q: float) -> float | None:
    """numpy's default (linear) quantile of an already sorted array; None when empty."""
    if len(values) == 0:
        return None
    position = q * (len(values) - 1)
    low = int(np.floor(position))
    high = min(low + 1, len(values) - 1)
    return float(values[low] + (position - low) * (values[high] - values[low]))


def _pct(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else 100.0 * numerator / denominator
