"""Pure SQL builders around the operator's mapping SQL.

The operator's SQL maps a source schema to canonical column names and filters on
``:since``; we only wrap it, never edit it, and every value is bound, never formatted.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

#: Alias of the operator's query inside ours; unusual enough not to clash.
_ALIAS = "vigie_src"


def _inner(source_sql: str) -> str:
    return source_sql.strip().rstrip(";").strip()


def incremental_query(source_sql: str, order_by: tuple[str, ...]) -> TextClause:
    """The operator's query, ordered by cursor then key so that ties cannot be lost."""
    columns = ", ".join(f"{_ALIAS}.{c}" for c in ("updated_at", *order_by))
    return text(f"SELECT * FROM ({_inner(source_sql)}) {_ALIAS} ORDER BY {columns}")


def keys_query(source_sql: str) -> TextClause:
    """Only the case keys of every row (bind ``since`` to the initial watermark): the reconcile."""
    return text(f"SELECT {_ALIAS}.case_id FROM ({_inner(source_sql)}) {_ALIAS}")
