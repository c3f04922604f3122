"""Synthetic store frames for KPI benchmarks: N cases with about six status events each.

Vectorised (no per-case Python), so ten million cases build in seconds. The shapes match
collectors.reader's frames; the histories follow the demo's lifecycle (review, pauses,
closures, a few reopenings), spread over two years before ``end``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_frames(n: int, catalog: pd.DataFrame, end: pd.Timestamp, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    start_us = (end - pd.Timedelta(days=730)).value // 1000
    span_us = 730 * 86400 * 10**6
    submitted = np.sort(start_us + rng.integers(0, span_us, n))
    day = 86400 * 10**6
    steps = [("submitted", np.zeros(n))]
    t = rng.uniform(0.05, 2, n)
    steps.append(("in_review", t.copy()))
    steps.append(("in_review", t + rng.uniform(0.1, 0.5, n)))  # reassignments within the review
    steps.append(("in_review", t + rng.uniform(0.6, 0.9, n)))
    paused = rng.random(n) < 0.25
    t = t + rng.uniform(1, 10, n)
    steps.append(("awaiting_applicant", np.where(paused, t, np.nan)))
    t = t + np.where(paused, rng.uniform(1, 15, n), 0)
    steps.append(("in_review", np.where(paused, t, np.nan)))
    t = t + rng.lognormal(2.3, 0.6, n)
    outcome = rng.choice(["approved", "rejected", "withdrawn"], n, p=[0.8, 0.14, 0.06])
    closing_at = t.copy()
    reopened = rng.random(n) < 0.02
    t2 = t + rng.uniform(2, 15, n)
    t3 = t2 + rng.uniform(1, 10, n)
    frames = []
    case_ids = np.char.add("C", np.arange(n).astype(str))
    for status, offset in steps:
        frames.append((status, offset))
    frames.append(("__outcome__", closing_at))
    frames.append(("in_review", np.where(reopened, t2, np.nan)))
    frames.append(("approved", np.where(reopened, t3, np.nan)))
    rows_case, rows_status, rows_at = [], [], []
    for status, offset in frames:
        keep = ~np.isnan(offset)
        at = submitted[keep] + (offset[keep] * day).astype(np.int64)
        rows_case.append(np.flatnonzero(keep))
        rows_status.append(outcome[keep] if status == "__outcome__" else np.full(keep.sum(), status, dtype=object))
        rows_at.append(at)
    case_no = np.concatenate(rows_case)
    at = np.concatenate(rows_at)
    end_us = end.value // 1000
    visible = at <= end_us
    case_no, at = case_no[visible], at[visible]
    status = np.concatenate(rows_status)[visible]
    codes = catalog["code"].to_numpy()
    weights = rng.random(len(codes)) ** 3 + 0.01
    procedure = rng.choice(codes, n, p=weights / weights.sum())
    cases = pd.DataFrame(
        {
            "source": "bench",
            "case_id": case_ids,
            "procedure_code": procedure,
            "submitted_at": pd.to_datetime(submitted, unit="us", utc=True),
            "channel": np.where(rng.random(n) < 0.65, "online", "counter"),
            "region": rng.choice(["Maritime", "Plateaux", "Centrale", "Kara", "Savanes"], n),
            "agent": rng.choice(["A. Mensah", "K. Agbeko", "Y. Kodjo"], n),
            "updated_at": pd.to_datetime(submitted, unit="us", utc=True),
            "deleted_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]"),
            "version": 1,
        }
    )
    for col in ("source", "case_id", "procedure_code", "channel", "region", "agent"):
        cases[col] = cases[col].astype("str")
    events = pd.DataFrame(
        {
            "id": np.arange(len(case_no)),
            "source": "bench",
            "case_id": case_ids[case_no],
            "status": status.astype(str),
            "at": pd.to_datetime(at, unit="us", utc=True),
            "seq": pd.array(np.full(len(case_no), pd.NA), dtype="Int64"),
            "version": 1,
        }
    )
    for col in ("source", "case_id", "status"):
        events[col] = events[col].astype("str")
    return cases, events
