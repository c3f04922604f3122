"""(source, case id) -> case number, for ten million cases in a few hundred megabytes.

A Python dict of tuples costs about 200 bytes a case (2 GB at ten million). Here the keys
are one sorted array of fixed-width UTF-8 bytes (binary search compares them with memcmp),
plus a small dict for the cases added since it was sorted, merged into it when it grows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_SEP = "\x1f"  # never in a source name or a case id read from a database column
_MERGE_AT = 50_000
_CHUNK = 1_000_000


def arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A text or categorical column as Arrow large strings (pandas' own Arrow type: then no copy)."""
    if hasattr(values.array, "__arrow_array__"):
        arrow = values.array.__arrow_array__()
    else:
        arrow = pa.array(values.to_numpy(dtype=object), from_pandas=True)
    arrow = arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])
    return arrow if pa.types.is_large_string(arrow.type) else arrow.cast(pa.large_string())


def _encoded(sources: Iterable[object], case_ids: Iterable[object]) -> list[bytes]:
    return [f"{s}{_SEP}{c}".encode() for s, c in zip(sources, case_ids, strict=True)]


class CaseKeys:
    def __init__(self, sources: pd.Series, case_ids: pd.Series) -> None:
        """Keys of rows 0..n-1, built in Arrow (Python objects only a million at a time)."""
        joined = pc.binary_join_element_wise(arrow_text(sources), arrow_text(case_ids), pa.scalar(_SEP, pa.large_string())).cast(
            pa.large_binary()
        )
        self._width = max(1, int(pc.max(pc.binary_length(joined)).as_py() or 1))
        order = pc.sort_indices(joined).to_numpy()
        ranked = pc.take(joined, pa.array(order))
        chunks = [
            np.array(ranked.slice(start, _CHUNK).to_numpy(zero_copy_only=False), dtype=f"S{self._width}")
            for start in range(0, len(ranked), _CHUNK)
        ]
        self._sorted = np.concatenate(chunks) if chunks else np.array([], dtype=f"S{self._width}")
        self._numbers = order.astype(np.int64)
        self._extra: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._sorted) + len(self._extra)

    def lookup(self, sources: Iterable[object], case_ids: Iterable[object]) -> np.ndarray:
        """Case number of each (source, case id); -1 when unknown."""
        keys = _encoded(sources, case_ids)
        out = np.full(len(keys), -1, dtype=np.int64)
        if len(self._sorted) and keys:
            fits = np.array([len(k) <= self._width for k in keys])  # a longer key cannot be in the sorted part
            queries = np.array([k if f else b"" for k, f in zip(keys, fits, strict=True)], dtype=f"S{self._width}")
            at = np.minimum(np.searchsorted(self._sorted, queries), len(self._sorted) - 1)
            hit = fits & (self._sorted[at] == queries)
            out[hit] = self._numbers[at[hit]]
        if self._extra:
            for i in np.flatnonzero(out < 0):
                out[i] = self._extra.get(keys[i], -1)
        return out

    def get(self, key: tuple[object, object]) -> int | None:
        number = int(self.lookup([key[0]], [key[1]])[0])
        return None if number < 0 else number

    def add(self, sources: Iterable[object], case_ids: Iterable[object], numbers: Iterable[int]) -> None:
        """New cases (never already present: keys are unique in the store)."""
        self._extra.update(zip(_encoded(sources, case_ids), (int(n) for n in numbers), strict=True))
        if len(self._extra) >= _MERGE_AT:
            self._width = max(self._width, *(len(k) for k in self._extra))
            keys = np.concatenate([self._sorted.astype(f"S{self._width}"), np.array(list(self._extra), dtype=f"S{self._width}")])
            numbers_all = np.concatenate([self._numbers, np.fromiter(self._extra.values(), dtype=np.int64)])
            order = np.argsort(keys, kind="stable")
            self._sorted, self._numbers, self._extra = keys[order], numbers_all[order], {}
