"""Incremental-poll state: the cursor and the rows already seen at it.

Semantics (written down because ties are where collectors lose rows):
- the lower bound is closed: a poll asks for ``updated_at >= cursor``;
- a row at exactly the cursor whose content we already stored is dropped, so the
  boundary is not re-counted; a row at the cursor with *new* content (updated again
  within the timestamp's resolution) is kept;
- the state is a plain JSON-able value, changed only by pure functions here, and it is
  persisted in the same transaction as the rows it covers (see Store.commit_batch).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from domain.values import as_text

CURSOR = "updated_at"


@dataclass(frozen=True)
class Watermark:
    """``cursor`` is the source's own value (naive datetime, aware datetime, text or number)."""

    cursor: Any = None
    boundary: frozenset[str] = frozenset()

    def since(self, initial: Any) -> Any:
        """The value to bind to ``:since``."""
        return initial if self.cursor is None else self.cursor


def row_hashes(frame: pd.DataFrame) -> pd.Series:
    """A content hash per row, stable across processes and polls.

    Hashed over canonical text, so the same row hashes alike whatever dtype a column
    got in a given batch (an all-null column, or integer keys read as floats).
    """
    if frame.empty:
        return pd.Series([], dtype=str, index=frame.index)
    canonical = pd.DataFrame({c: as_text(frame[c]).fillna("\x00") for c in sorted(frame.columns)}, index=frame.index)
    return pd.util.hash_pandas_object(canonical, index=False).astype(str)


def drop_seen(frame: pd.DataFrame, mark: Watermark) -> pd.DataFrame:
    """Remove the rows at the cursor whose content was committed by an earlier poll."""
    if mark.cursor is None or not mark.boundary or frame.empty:
        return frame
    at_cursor = _equals(frame[CURSOR], mark.cursor)
    if not at_cursor.any():
        return frame
    seen = row_hashes(frame.loc[at_cursor]).isin(mark.boundary)  # hash only the boundary rows
    return frame.drop(index=seen.index[seen.to_numpy()])


def advance(mark: Watermark, fetched: pd.DataFrame) -> Watermark:
    """The state after committing ``fetched`` (the rows of one poll, boundary included)."""
    if fetched.empty:
        return mark
    cursor = fetched[CURSOR].max()
    at_cursor = fetched.loc[_equals(fetched[CURSOR], cursor)]
    hashes = frozenset(row_hashes(at_cursor))
    if mark.cursor is not None and _same(cursor, mark.cursor):
        hashes = hashes | mark.boundary
    return Watermark(cursor=_plain(cursor), boundary=hashes)


def dumps(mark: Watermark) -> tuple[str | None, str]:
    """(cursor JSON, boundary JSON) for the store."""
    if mark.cursor is None:
        return None, "[]"
    value = mark.cursor
    cursor: dict[str, object]
    if isinstance(value, dt.datetime):
        cursor = {"type": "datetime", "value": value.isoformat()}
    elif isinstance(value, bool | int):
        cursor = {"type": "int", "value": int(value)}
    elif isinstance(value, float):
        cursor = {"type": "float", "value": value}
    else:
        cursor = {"type": "str", "value": str(value)}
    return json.dumps(cursor), json.dumps(sorted(mark.boundary))


def loads(cursor: str | None, boundary: str | None) -> Watermark:
    """Inverse of :func:`dumps`."""
    if not cursor:
        return Watermark()
    data = json.loads(cursor)
    kind, value = data["type"], data["value"]
    if kind == "datetime":
        value = dt.datetime.fromisoformat(value)
    elif kind == "int":
        value = int(value)
    elif kind == "float":
        value = float(value)
    return Watermark(cursor=value, boundary=frozenset(json.loads(boundary or "[]")))


def _plain(value: Any) -> Any:
    """Convert numpy/pandas scalars to Python values a DB driver binds natively."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def _equals(series: pd.Series, value: Any) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series == pd.Timestamp(value)
    return series == value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime | pd.Timestamp):
        return pd.Timestamp(a) == pd.Timestamp(b)
    return bool(a == b)
