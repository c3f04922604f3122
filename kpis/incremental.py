"""Bring a prepared History up to date with the rows of the last polls, without a rebuild.

A poll touches a few hundred cases out of a million; rebuilding the history costs
seconds, this costs milliseconds. It handles what polls produce: new cases, changed
cases (including deletions and restorations) and events later than the ones their case
already has. Anything else (an event older than its case's latest, a change of source
order at the same instant) returns None and the caller rebuilds: never a wrong answer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kpis.case_keys import CaseKeys
from kpis.case_state import HistoryCache, Settled, replay_events
from kpis.history import LABEL_COLUMNS, History, instants_us, status_codes

_CASE_COLUMNS = ["source", "case_id", "procedure_code", "submitted_at", "channel", "region", "agent"]


def apply_changes(
    history: History,
    changed_cases: pd.DataFrame,
    new_events: pd.DataFrame,
    catalog: pd.DataFrame,
    cache: HistoryCache | None = None,
) -> tuple[History, HistoryCache] | None:
    """A History equal to ``prepare`` over the updated store, with its own cache; None when only a rebuild is safe.

    ``cache`` (``history``'s, built here when not given) lends its case-number index and, when it
    has it, its settled state: the new cache gets the index extended into a new one, and the
    settled state recomputed for the touched cases only. Neither ``history`` nor ``cache`` is
    changed: requests may still be reading them.
    """
    cache = HistoryCache(history) if cache is None else cache.belongs_to(history)
    sla = dict(zip(catalog["code"], catalog["sla_days"], strict=True))
    service = dict(zip(catalog["code"], catalog["service"], strict=True))
    changed = changed_cases.drop_duplicates(["source", "case_id"], keep="last")
    changed = changed[changed["procedure_code"].isin(sla.keys())]
    keys = cache.keys()
    position = keys.lookup(changed["source"].to_numpy(), changed["case_id"].to_numpy())

    # Cases: update in place on copies of the arrays, append the new ones.
    fresh = changed[(position < 0) & changed["deleted_at"].isna()]
    update = changed[position >= 0]
    rows = position[position >= 0]
    cases = history.cases
    live = history.live.copy()
    if len(update):
        live[rows] = update["deleted_at"].isna().to_numpy()
        values = update[_CASE_COLUMNS].assign(
            service=update["procedure_code"].map(service), sla_days=update["procedure_code"].map(sla)
        )
        cases = cases.copy(deep=False)  # copy-on-write: only the columns written below are copied
        old = history.cases.iloc[rows]
        for col in cases.columns:
            new = values[col].to_numpy()
            _make_room(cases, col, new)
            same = pd.Series(old[col].to_numpy() == new).fillna(False).to_numpy(dtype=bool) | (
                pd.isna(old[col]).to_numpy() & pd.isna(new)
            )
            if not same.all():  # most polls change the agent or nothing: rewriting a million-row column costs
                cases.iloc[rows, cases.columns.get_loc(col)] = new  # type: ignore[index]  # positional rows and column: valid pandas the stubs do not model
    if len(fresh):
        numbers = range(len(cases), len(cases) + len(fresh))
        keys = keys.with_added(fresh["source"].to_numpy(), fresh["case_id"].to_numpy(), numbers)
        added = fresh[_CASE_COLUMNS].assign(
            service=fresh["procedure_code"].map(service), sla_days=fresh["procedure_code"].map(sla)
        )
        if len(update) == 0:
            cases = cases.copy(deep=False)
        for col in LABEL_COLUMNS:
            _make_room(cases, col, added[col].to_numpy())
            added[col] = pd.Categorical(added[col], categories=cases[col].cat.categories)
        cases = pd.concat([cases, added[cases.columns]], ignore_index=True)
        live = np.concatenate([live, np.ones(len(fresh), dtype=bool)])
    touched = np.concatenate([rows, np.arange(len(history.cases), len(cases))]).astype(np.int64)
    updated = _with_cases(history, cases, live, touched)

    # Events: each must come after its case's latest known event (the usual case for a poll).
    events = _insertable(updated, keys, new_events)
    if events is None:
        return None
    if len(events):
        ev_case = updated.ev_case
        # needles in the haystack's dtype: otherwise numpy converts all the events' case numbers on every call
        where = np.searchsorted(ev_case, events["case"].to_numpy().astype(ev_case.dtype), side="right")
        updated = dataclasses.replace(
            updated,
            ev_case=np.insert(ev_case, where, events["case"].to_numpy()),
            ev_at=np.insert(updated.ev_at, where, events["at"].to_numpy()),
            ev_status=np.insert(updated.ev_status, where, events["status"].to_numpy()),
        )

    settled = None
    if cache.has_settled:
        affected = np.union1d(touched, events["case"].to_numpy() if len(events) else np.empty(0, dtype=np.int64))
        settled = _resettle(cache.settled(), updated, affected)
    return updated, HistoryCache(updated, keys=keys, settled=settled)


def _with_cases(history: History, cases: pd.DataFrame, live: np.ndarray, touched: np.ndarray) -> History:
    """``history`` with ``cases`` (rows ``touched`` changed or appended) and the per-case arrays to match."""
    n_old, n = len(history.cases), len(cases)
    tail = cases.iloc[touched]

    def grown(values: np.ndarray, new: np.ndarray) -> np.ndarray:
        out = np.concatenate([values, np.zeros(n - n_old, dtype=values.dtype)])
        out[touched] = new
        return out

    return dataclasses.replace(
        history,
        cases=cases,
        live=live,
        submitted_us=grown(history.submitted_us, instants_us(tail["submitted_at"])),
        sla=grown(history.sla, tail["sla_days"].to_numpy(dtype=np.int64)),
        online=grown(history.online, (tail["channel"] == "online").to_numpy()),
        service_no=grown(history.service_no, pd.Categorical(tail["service"], categories=history.services).codes),
        procedure_no=grown(history.procedure_no, pd.Categorical(tail["procedure_code"], categories=history.procedures).codes),
    )


def _make_room(cases: pd.DataFrame, col: str, values: np.ndarray) -> None:
    """Add to a categorical column the categories ``values`` need (in place on ``cases``)."""
    if not isinstance(cases[col].dtype, pd.CategoricalDtype):
        return
    known = set(cases[col].cat.categories)
    missing = sorted({v for v in values if not pd.isna(v)} - known)
    if missing:
        cases[col] = cases[col].cat.add_categories(missing)


def _insertable(history: History, keys: CaseKeys, new_events: pd.DataFrame) -> pd.DataFrame | None:
    """New events as (case, at, status) sorted for insertion, or None if one is out of order."""
    if new_events.empty:
        return pd.DataFrame({"case": np.empty(0, np.int64), "at": np.empty(0, np.int64), "status": np.empty(0, np.int8)})
    case = keys.lookup(new_events["source"].to_numpy(), new_events["case_id"].to_numpy())
    status = status_codes(new_events["status"])
    keep = (case >= 0) & (status >= 0)
    frame = pd.DataFrame(
        {
            "case": case[keep],
            "at": instants_us(new_events["at"])[keep],
            "seq": new_events["seq"].to_numpy(dtype="float64", na_value=np.inf)[keep],
            "id": new_events["id"].to_numpy(dtype=np.int64)[keep],
            "status": status[keep],
        }
    )
    frame = frame.sort_values(["case", "at", "seq", "id"], kind="stable").drop_duplicates(["case", "status", "at"])
    if len(history.ev_case) == 0:
        return frame
    ends = np.searchsorted(history.ev_case, frame["case"].to_numpy().astype(history.ev_case.dtype), side="right")
    before = np.maximum(ends - 1, 0)
    has_events = (ends > 0) & (history.ev_case[before] == frame["case"].to_numpy())
    latest = np.where(has_events, history.ev_at[before], np.iinfo(np.int64).min)
    at = frame["at"].to_numpy()
    if (at < latest).any() or ((at == latest) & np.isfinite(frame["seq"].to_numpy())).any():
        return None
    return frame


def _resettle(old: Settled, history: History, affected: np.ndarray) -> Settled:
    """The settled arrays grown to ``history``'s cases (new arrays: ``old``'s are left as they are),
    recomputed only for ``affected`` cases."""
    n = len(history.cases)
    settled = {}
    for field in dataclasses.fields(Settled):
        values = getattr(old, field.name)
        grown = np.empty(n, dtype=values.dtype)
        grown[: len(values)] = values
        settled[field.name] = grown
    needles = affected.astype(history.ev_case.dtype)
    lo = np.searchsorted(history.ev_case, needles, side="left")
    hi = np.searchsorted(history.ev_case, needles, side="right")
    counts = hi - lo
    index = np.repeat(lo - np.cumsum(np.concatenate([[0], counts[:-1]])), counts) + np.arange(counts.sum())
    local = np.repeat(np.arange(len(affected)), counts)
    sub = dataclasses.replace(
        history,
        cases=history.cases.iloc[affected],
        submitted_us=history.submitted_us[affected],
        sla=history.sla[affected],
        live=history.live[affected],
    )
    part = replay_events(sub, local, history.ev_at[index], history.ev_status[index])
    for name, values in settled.items():
        values[affected] = getattr(part, name)
    return Settled(**settled)
