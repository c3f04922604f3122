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

from kpis.case_state import LABEL_COLUMNS, History, instants_us, replay_events, status_codes

_CASE_COLUMNS = ["source", "case_id", "procedure_code", "submitted_at", "channel", "region", "agent"]


def apply_changes(
    history: History, changed_cases: pd.DataFrame, new_events: pd.DataFrame, catalog: pd.DataFrame
) -> History | None:
    """A History equal to ``prepare`` over the updated store, or None when only a rebuild is safe."""
    sla = dict(zip(catalog["code"], catalog["sla_days"], strict=True))
    service = dict(zip(catalog["code"], catalog["service"], strict=True))
    changed = changed_cases.drop_duplicates(["source", "case_id"], keep="last")
    changed = changed[changed["procedure_code"].isin(sla.keys())]
    position = _positions(history, changed["source"], changed["case_id"])

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
    keys = history.case_numbers()
    if len(fresh):
        keys.add(fresh["source"].to_numpy(), fresh["case_id"].to_numpy(), range(len(cases), len(cases) + len(fresh)))
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
    n_old, n = len(history.cases), len(cases)
    touched = np.concatenate([rows, np.arange(n_old, n)]).astype(np.int64)
    tail = cases.iloc[touched]
    submitted = np.concatenate([history.submitted_us, np.zeros(n - n_old, dtype=np.int64)])
    submitted[touched] = instants_us(tail["submitted_at"])
    sla_arr = np.concatenate([history.sla, np.zeros(n - n_old, dtype=np.int64)])
    sla_arr[touched] = tail["sla_days"].to_numpy(dtype=np.int64)
    online = np.concatenate([history.online, np.zeros(n - n_old, dtype=bool)])
    online[touched] = (tail["channel"] == "online").to_numpy()
    service_no = np.concatenate([history.service_no, np.zeros(n - n_old, dtype=np.int64)])
    service_no[touched] = pd.Categorical(tail["service"], categories=history.services).codes
    procedure_no = np.concatenate([history.procedure_no, np.zeros(n - n_old, dtype=np.int64)])
    procedure_no[touched] = pd.Categorical(tail["procedure_code"], categories=history.procedures).codes

    # Events: each must come after its case's latest known event (the usual case for a poll).
    updated = dataclasses.replace(
        history,
        cases=cases,
        live=live,
        submitted_us=submitted,
        sla=sla_arr,
        online=online,
        service_no=service_no,
        procedure_no=procedure_no,
        _settled={},
        _keys=history._keys,
    )
    events = _insertable(updated, new_events)
    if events is None:
        return None
    ev_case, ev_at, ev_status = history.ev_case, history.ev_at, history.ev_status
    if len(events):
        # needles in the haystack's dtype: otherwise numpy converts all the events' case numbers on every call
        where = np.searchsorted(ev_case, events["case"].to_numpy().astype(ev_case.dtype), side="right")
        ev_case = np.insert(ev_case, where, events["case"].to_numpy())
        ev_at = np.insert(ev_at, where, events["at"].to_numpy())
        ev_status = np.insert(ev_status, where, events["status"].to_numpy())
    updated = dataclasses.replace(updated, ev_case=ev_case, ev_at=ev_at, ev_status=ev_status, _settled={})

    if history._settled:
        affected = np.union1d(touched, events["case"].to_numpy() if len(events) else np.empty(0, dtype=np.int64))
        updated._settled.update(_resettle(history._settled, updated, affected, n))
    return updated


def _make_room(cases: pd.DataFrame, col: str, values: np.ndarray) -> None:
    """Add to a categorical column the categories ``values`` need (in place on ``cases``)."""
    if not isinstance(cases[col].dtype, pd.CategoricalDtype):
        return
    known = set(cases[col].cat.categories)
    missing = sorted({v for v in values if not pd.isna(v)} - known)
    if missing:
        cases[col] = cases[col].cat.add_categories(missing)


def _positions(history: History, sources: pd.Series, case_ids: pd.Series) -> np.ndarray:
    return history.case_numbers().lookup(sources.to_numpy(), case_ids.to_numpy())


def _insertable(history: History, new_events: pd.DataFrame) -> pd.DataFrame | None:
    """New events as (case, at, status) sorted for insertion, or None if one is out of order."""
    if new_events.empty:
        return pd.DataFrame({"case": np.empty(0, np.int64), "at": np.empty(0, np.int64), "status": np.empty(0, np.int8)})
    case = _positions(history, new_events["source"], new_events["case_id"])
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


def _resettle(old: dict[str, np.ndarray], history: History, affected: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """The settled arrays, recomputed only for ``affected`` cases."""
    settled = {}
    for key, values in old.items():
        if key == "steps" or key.startswith("series:"):
            continue  # series caches, rebuilt lazily by the series that need them
        grown = np.empty(n, dtype=values.dtype)
        grown[: len(values)] = values
        settled[key] = grown
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
        _settled={},
    )
    part = replay_events(sub, local, history.ev_at[index], history.ev_status[index])
    for key, values in part.items():
        settled[key][affected] = values
    return settled
