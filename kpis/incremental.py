"""Bring a prepared History up to date with the rows of the last polls, without a rebuild.

A poll touches a few hundred cases out of a million; rebuilding the history costs
seconds, this costs milliseconds. It handles what polls produce: new cases, changed
cases (including deletions and restorations) and events later than the ones their case
already has. Anything else (an event older than its case's latest, a change of source
order at the same instant) returns None and the caller rebuilds: never a wrong answer.

Nothing reachable from the previous History or its cache is written: requests may still be
reading them. Each step below returns new objects, sharing the old ones' unchanged arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

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
    changed = _last_change_per_case(changed_cases, sla.keys())
    keys = cache.keys()
    position = keys.lookup(changed["source"].to_numpy(), changed["case_id"].to_numpy())
    update, rows = changed[position >= 0], position[position >= 0]
    fresh = changed[(position < 0) & changed["deleted_at"].isna()]

    n_old = len(history.cases)
    cases = _with_rows_rewritten(history.cases, rows, _case_rows(update, service, sla)) if len(update) else history.cases
    if len(fresh):
        keys = keys.with_added(fresh["source"].to_numpy(), fresh["case_id"].to_numpy(), range(n_old, n_old + len(fresh)))
        cases = _with_cases_appended(cases, _case_rows(fresh, service, sla))
    live = _live_flags(history.live, rows, update["deleted_at"], len(fresh))
    touched = np.concatenate([rows, np.arange(n_old, len(cases))]).astype(np.int64)
    updated = _with_cases(history, cases, live, touched)

    events = _insertable(updated, keys, new_events)
    if events is None:
        return None
    updated = _with_events(updated, events)
    return updated, _next_cache(cache, updated, keys, touched, events)


def _last_change_per_case(changed_cases: pd.DataFrame, procedures: Collection[str]) -> pd.DataFrame:
    """The last row of each changed case, for procedures of the catalogue only.

    A batch may hold several versions of a case: the last one is the store's. ``prepare`` leaves
    out cases of procedures the catalogue does not know, so they are left out here too.
    """
    changed = changed_cases.drop_duplicates(["source", "case_id"], keep="last")
    return changed[changed["procedure_code"].isin(procedures)]


def _case_rows(changed: pd.DataFrame, service: Mapping[str, str], sla: Mapping[str, int]) -> pd.DataFrame:
    """``changed`` in the columns of ``History.cases``: the store's, plus each procedure's service and SLA."""
    return changed[_CASE_COLUMNS].assign(
        service=changed["procedure_code"].map(service), sla_days=changed["procedure_code"].map(sla)
    )


def _with_rows_rewritten(cases: pd.DataFrame, rows: np.ndarray, values: pd.DataFrame) -> pd.DataFrame:
    """``cases`` (left as it is) with rows ``rows`` set to ``values``, row for row.

    A shallow copy: under pandas' copy-on-write only the columns written here are copied, and a
    column is written only when one of its values changes, since most polls change the agent or
    nothing and rewriting a million-row column costs.
    """
    out = cases.copy(deep=False)
    old = cases.iloc[rows]
    for col in out.columns:
        new = values[col].to_numpy()
        _make_room(out, col, new)
        same = pd.Series(old[col].to_numpy() == new).fillna(False).to_numpy(dtype=bool) | (
            pd.isna(old[col]).to_numpy() & pd.isna(new)
        )
        if not same.all():
            out.iloc[rows, out.columns.get_loc(col)] = new  # type: ignore[index]  # positional rows and column: valid pandas the stubs do not model
    return out


def _with_cases_appended(cases: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    """``cases`` (left as it is) followed by ``added``, which takes the next case numbers.

    The label columns are categorical: both sides get the same categories first, otherwise the
    concatenation would fall back to object columns.
    """
    out = cases.copy(deep=False)  # shallow: _make_room replaces whole columns, never writes into them
    for col in LABEL_COLUMNS:
        _make_room(out, col, added[col].to_numpy())
        added[col] = pd.Categorical(added[col], categories=out[col].cat.categories)
    return pd.concat([out, added[out.columns]], ignore_index=True)


def _live_flags(live: np.ndarray, rows: np.ndarray, deleted_at: pd.Series, n_added: int) -> np.ndarray:
    """A new ``live`` array: rows ``rows`` deleted or restored as ``deleted_at`` says, then ``n_added`` live cases."""
    out = live.copy()
    if len(rows):
        out[rows] = deleted_at.isna().to_numpy()
    if n_added:
        out = np.concatenate([out, np.ones(n_added, dtype=bool)])
    return out


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


def _with_events(history: History, events: pd.DataFrame) -> History:
    """``history`` with ``events`` (from ``_insertable``) inserted after their case's events, in new arrays.

    ``_insertable`` has checked each comes after its case's latest event, so inserting it at the
    end of its case's run keeps the arrays sorted by case, time, source order.
    """
    if not len(events):
        return history
    ev_case = history.ev_case
    # needles in the haystack's dtype: otherwise numpy converts all the events' case numbers on every call
    where = np.searchsorted(ev_case, events["case"].to_numpy().astype(ev_case.dtype), side="right")
    return dataclasses.replace(
        history,
        ev_case=np.insert(ev_case, where, events["case"].to_numpy()),
        ev_at=np.insert(history.ev_at, where, events["at"].to_numpy()),
        ev_status=np.insert(history.ev_status, where, events["status"].to_numpy()),
    )


def _next_cache(cache: HistoryCache, updated: History, keys: CaseKeys, touched: np.ndarray, events: pd.DataFrame) -> HistoryCache:
    """``updated``'s cache: the extended index ``keys``, and the settled state if ``cache`` had one.

    The settled state is recomputed only for the cases this poll touched (changed, added, or
    given events). A cache without one does not get one: settling every case is the cost this
    module exists to avoid, and the cache computes it on first use anyway.
    """
    settled = None
    if cache.has_settled:
        affected = np.union1d(touched, events["case"].to_numpy() if len(events) else np.empty(0, dtype=np.int64))
        settled = _resettle(cache.settled(), updated, affected)
    return HistoryCache(updated, keys=keys, settled=settled)


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
        procedure_no=history.procedure_no[affected],
    )
    part = replay_events(sub, local, history.ev_at[index], history.ev_status[index])
    for name, values in settled.items():
        values[affected] = getattr(part, name)
    return Settled(**settled)
