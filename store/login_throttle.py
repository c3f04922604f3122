"""The ``login_throttle`` table: failed logins counted per key, and the waits they started.

Keys are opaque here (``dashboard.auth.throttle`` names them and decides the delays); a row holds a key's
failures since ``first_at``, the end of its wait (``locked_until``, null when not waiting), and how many
attempts were refused during the wait. Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Engine, delete, insert, or_, select, update

from store import schema


@dataclass(frozen=True)
class FailureCount:
    """A key's failures since ``first_at``, and the end of its wait (None: not waiting)."""

    failures: int
    first_at: dt.datetime
    locked_until: dt.datetime | None


#: How a key's count changes on one more failure: (key, its count now or None) -> its new count.
NextCount = Callable[[str, FailureCount | None], FailureCount]


class LoginThrottle:
    """Reads and writes of the ``login_throttle`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def refuse_if_waiting(self, keys: Sequence[str], now: dt.datetime) -> list[dt.datetime]:
        """The ends of the waits still running at ``now`` among ``keys`` (empty when none); the attempt is counted
        as refused on each of those keys, in the same transaction."""
        t = schema.login_throttle
        waiting = (t.c.key.in_(list(keys)), t.c.locked_until > now)
        with self.engine.begin() as conn:
            until = list(conn.execute(select(t.c.locked_until).where(*waiting)).scalars().all())
            if until:
                conn.execute(update(t).where(*waiting).values(refused=t.c.refused + 1, last_at=now))
        return until

    def count_failure(self, keys: Sequence[str], now: dt.datetime, next_count: NextCount) -> list[FailureCount]:
        """Count one failure on every key in one transaction, each row locked while ``next_count`` computes its new
        count; returns the new counts in the order of ``keys``.

        A new count of one failure starts the key over: its row is replaced, and its refused attempts with it."""
        t = schema.login_throttle
        counts = []
        with self.engine.begin() as conn:
            for key in keys:
                query = select(t.c.failures, t.c.first_at, t.c.locked_until).where(t.c.key == key)
                row = conn.execute(query.with_for_update()).first()
                count = next_count(key, None if row is None else FailureCount(row.failures, row.first_at, row.locked_until))
                if count.failures == 1:
                    conn.execute(delete(t).where(t.c.key == key))
                    conn.execute(
                        insert(t).values(key=key, failures=1, first_at=count.first_at, locked_until=None, refused=0, last_at=now)
                    )
                conn.execute(
                    update(t).where(t.c.key == key).values(failures=count.failures, locked_until=count.locked_until, last_at=now)
                )
                counts.append(count)
        return counts

    def clear(self, keys: Sequence[str] = (), *, between: Sequence[tuple[str, str]] = ()) -> int:
        """Delete the counts of ``keys``, and of every key that starts with ``prefix`` and ends with ``suffix`` for
        one ``(prefix, suffix)`` of ``between`` (both taken literally: ``%`` and ``_`` match only themselves);
        returns how many went."""
        t = schema.login_throttle
        conditions: list[ColumnElement[bool]] = []
        if keys:
            conditions.append(t.c.key.in_(list(keys)))
        conditions += [t.c.key.like(f"{_like(prefix)}%{_like(suffix)}", escape="\\") for prefix, suffix in between]
        if not conditions:
            return 0
        with self.engine.begin() as conn:
            return int(conn.execute(delete(t).where(or_(*conditions))).rowcount)

    def waits(self, now: dt.datetime) -> pd.DataFrame:
        """Keys waiting at ``now``, by key: key, failures, refused (attempts refused while waiting), locked_until."""
        t = schema.login_throttle
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.key, t.c.failures, t.c.refused, t.c.locked_until).where(t.c.locked_until > now).order_by(t.c.key)
            ).all()
        return pd.DataFrame(rows, columns=["key", "failures", "refused", "locked_until"])


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
