"""Synthetic store frames for KPI benchmarks: N cases with about six status events each.

Vectorised (no per-case Python), so ten million cases build in seconds. The shapes match
store.reader's frames; the histories follow the demo's lifecycle (review, pauses,
closures, a few reopenings), spread over two years before ``end``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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
    # Arrow strings all along: ten million ids as numpy unicode or Python objects would not fit.
    case_ids = pc.binary_join_element_wise("C", pa.array(np.arange(n)).cast(pa.string()), "")
    status_names = np.array(["submitted", "in_review", "awaiting_applicant", "approved", "rejected", "withdrawn"])
    outcome_code = np.searchsorted(status_names, outcome, sorter=np.argsort(status_names))
    outcome_code = np.argsort(status_names)[outcome_code]
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
        code = int(np.flatnonzero(status_names == status)[0]) if status != "__outcome__" else None
        rows_status.append(outcome_code[keep] if code is None else np.full(int(keep.sum()), code, dtype=np.int8))
        rows_at.append(at)
    del frames, steps, t, t2, t3, closing_at
    end_us = end.value // 1000
    at = np.concatenate(rows_at)
    del rows_at
    visible = at <= end_us
    at = at[visible]
    case_no = np.concatenate(rows_case)[visible]
    del rows_case
    status = np.concatenate(rows_status).astype(np.int8)[visible]
    del rows_status, visible
    codes = catalog["code"].to_numpy()
    weights = rng.random(len(codes)) ** 3 + 0.01
    procedure = rng.choice(codes, n, p=weights / weights.sum())

    def text(values: np.ndarray, names: list[str]) -> pd.Series:
        """Small vocabularies as categories, as the reader's cached frames hold them (store.reader._join)."""
        return pd.Series(pd.Categorical.from_codes(values, names))

    cases = pd.DataFrame({
        "source": text(np.zeros(n, dtype=np.int8), ["bench"]),
        "case_id": pd.Series(pd.arrays.ArrowStringArray(case_ids)).astype("str"),
        "procedure_code": text(np.searchsorted(np.sort(codes), procedure), list(np.sort(codes))),
        "submitted_at": pd.to_datetime(submitted, unit="us", utc=True),
        "channel": text((rng.random(n) < 0.65).astype(np.int8), ["counter", "online"]),
        "region": text(rng.integers(0, 5, n), ["Maritime", "Plateaux", "Centrale", "Kara", "Savanes"]),
        "agent": text(rng.integers(0, 3, n), ["A. Mensah", "K. Agbeko", "Y. Kodjo"]),
        "updated_at": pd.to_datetime(submitted, unit="us", utc=True),
        "deleted_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us, UTC]"),
    })  # fmt: skip
    # One column at a time, each temporary freed before the next: ten million cases' events fit in a few GB.
    m = len(case_no)
    events = pd.DataFrame({"id": np.arange(m)})
    events["source"] = text(np.zeros(m, dtype=np.int8), ["bench"])
    events["case_id"] = pd.Series(pd.arrays.ArrowStringArray(pc.take(case_ids, pa.array(case_no)))).astype("str", copy=False)
    del case_no
    events["status"] = text(status, list(status_names))
    del status
    events["at"] = pd.to_datetime(at, unit="us", utc=True)
    del at
    events["seq"] = pd.arrays.IntegerArray(np.zeros(m, dtype=np.int64), np.ones(m, dtype=bool))
    return cases, events
