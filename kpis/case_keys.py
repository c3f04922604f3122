"""(source, case id) -> case number, for ten million cases in a few hundred megabytes.

A Python dict of tuples costs about 200 bytes a case (2 GB at ten million). Here the keys
are one sorted array of fixed-width UTF-8 bytes (binary search compares them with memcmp),
plus a small dict for the cases added since it was sorted, merged into it when it grows.

An index is never changed once built: ``with_added`` returns a new one that shares the sorted
arrays (read-only) and copies only the small dict, so a request still reading the previous
data version's index sees it exactly as it was.
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
    """(source, case id) -> case number; immutable (see the module docstring)."""

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
        self._sorted = _frozen(np.concatenate(chunks) if chunks else np.array([], dtype=f"S{self._width}"))
        self._numbers = _frozen(order.astype(np.int64))
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

    def with_added(self, sources: Iterable[object], case_ids: Iterable[object], numbers: Iterable[int]) -> CaseKeys:
        """A new index with these new cases (never already present: keys are unique in the store).

        This index is left as it was. The copy costs the small dict of recent additions (under
        _MERGE_AT entries); every _MERGE_AT additions, they are merged into new sorted arrays.
        """
        extra = dict(self._extra)
        extra.update(zip(_encoded(sources, case_ids), (int(n) for n in numbers), strict=True))
        if len(extra) < _MERGE_AT:
            return _index(self._width, self._sorted, self._numbers, extra)
        width = max(self._width, *(len(k) for k in extra))
        keys = np.concatenate([self._sorted.astype(f"S{width}"), np.array(list(extra), dtype=f"S{width}")])
        numbers_all = np.concatenate([self._numbers, np.fromiter(extra.values(), dtype=np.int64)])
        order = np.argsort(keys, kind="stable")
        return _index(width, _frozen(keys[order]), _frozen(numbers_all[order]), {})


def _index(width: int, sorted_keys: np.ndarray, numbers: np.ndarray, extra: dict[bytes, int]) -> CaseKeys:
    """A CaseKeys from its parts (not through __init__, which builds them from columns)."""
    keys = object.__new__(CaseKeys)
    keys._width, keys._sorted, keys._numbers, keys._extra = width, sorted_keys, numbers, extra
    return keys


def _frozen(values: np.ndarray) -> np.ndarray:
    """The array made read-only: indexes share it, so a write would reach every version."""
    values.flags.writeable = False
    return values
