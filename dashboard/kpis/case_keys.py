"""(source, case id) -> case number, for ten million cases in a few hundred megabytes.

A Python dict of tuples costs about 200 bytes a case (2 GB at ten million); here the keys
are one sorted numpy string array (searched in bulk), plus a small dict for the cases added
since it was sorted, merged into it when it grows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.dtypes import StringDType

_SEP = "\x1f"  # never in a source name or a case id read from a database column
_MERGE_AT = 50_000
_CHUNK = 1_000_000


def _joined(sources: Iterable[object], case_ids: Iterable[object]) -> np.ndarray:
    return np.array([f"{s}{_SEP}{c}" for s, c in zip(sources, case_ids, strict=True)], dtype=StringDType())


class CaseKeys:
    def __init__(self, sources: pd.Series, case_ids: pd.Series) -> None:
        """Keys of rows 0..n-1, built in Arrow (no Python string per case survives the call)."""
        joined = pc.binary_join_element_wise(
            pa.array(sources.astype("str"), type=pa.large_string()),
            pa.array(case_ids.astype("str"), type=pa.large_string()),
            pa.scalar(_SEP, pa.large_string()),
        )
        order = pc.sort_indices(joined).to_numpy()
        ranked = pc.take(joined, pa.array(order))
        chunks = [  # through Python strings a million at a time: the whole at once would briefly cost a GB
            np.array(ranked.slice(start, _CHUNK).to_numpy(zero_copy_only=False), dtype=StringDType())
            for start in range(0, len(ranked), _CHUNK)
        ]
        self._sorted = np.concatenate(chunks) if chunks else np.array([], dtype=StringDType())
        self._numbers = order.astype(np.int64)
        self._extra: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._sorted) + len(self._extra)

    def lookup(self, sources: Iterable[object], case_ids: Iterable[object]) -> np.ndarray:
        """Case number of each (source, case id); -1 when unknown."""
        queries = _joined(sources, case_ids)
        out = np.full(len(queries), -1, dtype=np.int64)
        if len(self._sorted) and len(queries):
            at = np.minimum(np.searchsorted(self._sorted, queries), len(self._sorted) - 1)
            hit = self._sorted[at] == queries
            out[hit] = self._numbers[at[hit]]
        if self._extra:
            for i in np.flatnonzero(out < 0):
                out[i] = self._extra.get(str(queries[i]), -1)
        return out

    def get(self, key: tuple[object, object]) -> int | None:
        number = int(self.lookup([key[0]], [key[1]])[0])
        return None if number < 0 else number

    def add(self, sources: Iterable[object], case_ids: Iterable[object], numbers: Iterable[int]) -> None:
        """New cases (never already present: keys are unique in the store)."""
        self._extra.update(zip(_joined(sources, case_ids).tolist(), (int(n) for n in numbers), strict=True))
        if len(self._extra) >= _MERGE_AT:
            keys = np.concatenate([self._sorted, np.array(list(self._extra), dtype=StringDType())])
            numbers_all = np.concatenate([self._numbers, np.fromiter(self._extra.values(), dtype=np.int64)])
            order = np.argsort(keys, kind="stable")
            self._sorted, self._numbers, self._extra = keys[order], numbers_all[order], {}
