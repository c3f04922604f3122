from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from collectors.query import incremental_query, keys_query
from store.watermark import Watermark, advance, drop_seen, dumps, loads
from tests.factories import naive


def test_incremental_query_wraps_and_orders_by_cursor_then_key() -> None:
    query = incremental_query("SELECT a AS case_id, b AS updated_at FROM t WHERE b >= :since ;", ("case_id",))
    assert str(query) == (
        "SELECT * FROM (SELECT a AS case_id, b AS updated_at FROM t WHERE b >= :since) vigie_src "
        "ORDER BY vigie_src.updated_at, vigie_src.case_id"
    )
    assert set(query.compile().params) == {"since"}


def test_keys_query_selects_only_keys() -> None:
    assert str(keys_query("SELECT x AS case_id FROM t WHERE y >= :since")) == (
        "SELECT vigie_src.case_id FROM (SELECT x AS case_id FROM t WHERE y >= :since) vigie_src"
    )


def frame(rows: list[tuple[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_id", "updated_at"])


def test_boundary_rows_are_dropped_only_when_unchanged() -> None:
    t = pd.Timestamp("2026-11-20 10:00")
    first = frame([("a", pd.Timestamp("2026-11-20 09:00")), ("b", t)])
    mark = advance(Watermark(), first)
    assert mark.cursor == t.to_pydatetime() and len(mark.boundary) == 1
    # next poll sees b again (same content), c new at the same instant, and a b' updated within the same second
    again = pd.DataFrame({"case_id": ["b", "c"], "updated_at": [t, t]})
    assert drop_seen(again, mark)["case_id"].tolist() == ["c"]
    changed = pd.DataFrame({"case_id": ["b"], "updated_at": [t], "agent": ["x"]})
    assert len(drop_seen(changed, mark)) == 1


def test_advance_at_same_cursor_accumulates_boundary() -> None:
    t = naive(2026, 11, 20, 10)
    m1 = advance(Watermark(), frame([("a", t)]))
    m2 = advance(m1, frame([("b", t)]))
    assert m2.cursor == t and m2.boundary > m1.boundary and len(m2.boundary) == 2
    later = advance(m2, frame([("c", t + dt.timedelta(seconds=1))]))
    assert len(later.boundary) == 1


def test_advance_on_empty_keeps_state() -> None:
    m = Watermark(cursor="2026-01-01 00:00:00", boundary=frozenset({"1"}))
    assert advance(m, frame([])) is m


@pytest.mark.parametrize(
    "cursor",
    [naive(2026, 11, 20, 10, 0, 0, 123456), dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "2026-11-20 10:00:00", 1234567890123, 1.5],
)
def test_watermark_json_round_trip(cursor: object) -> None:
    mark = Watermark(cursor=cursor, boundary=frozenset({"9", "10"}))
    again = loads(*dumps(mark))
    assert again == mark and type(again.cursor) is type(cursor)


def test_empty_watermark_binds_initial() -> None:
    assert Watermark().since(naive(1900, 1, 1)) == naive(1900, 1, 1)
    assert loads(None, None) == Watermark()


def test_row_hash_ignores_the_dtype_a_batch_happened_to_get() -> None:
    from store.watermark import row_hashes

    as_objects = pd.DataFrame({"case_id": [12.0, 13.0], "agent": [None, None]}, dtype=object)
    as_numbers = pd.DataFrame({"case_id": [12, 13], "agent": pd.Series([pd.NA, pd.NA], dtype="str")})
    assert row_hashes(as_objects.astype({"case_id": float})).tolist() == row_hashes(as_numbers).tolist()
    assert row_hashes(as_numbers).nunique() == 2
