"""Login throttling: growing delays per account, per address, and per account-and-address pair.

A hard lock is a weapon: anyone could lock the administrator out by failing on purpose.
So failures slow guessing down instead. Past a threshold, each new failure doubles the wait
before the next attempt (1 min, 2 min, 4 min…, capped at ``lockout_minutes``), and a right
password during the wait is refused too, so guessing cannot go on behind it. The pair
(account, address) reaches its threshold first: an attacker's own address is slowed long
before the account is slowed for everyone (which takes ten times as many failures, from
many addresses). Attempts refused during a wait are counted on the key, not audited one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, insert, or_, select, update

from store import schema

FIRST_DELAY = dt.timedelta(minutes=1)
ACCOUNT_FACTOR = 10  # failures from many addresses before an account is slowed for everyone
ADDRESS_FACTOR = 5  # failures on many accounts before an address is slowed


@dataclass(frozen=True)
class Throttle:
    """Keys a login attempt is counted under, each with its threshold."""

    limits: dict[str, int]

    @classmethod
    def for_attempt(cls, username: str, address: str, max_failures: int) -> Throttle:
        user, ip = username[:64], address[:64]
        return cls(
            {
                f"pair:{user}|{ip}": max_failures,
                f"user:{user}": max_failures * ACCOUNT_FACTOR,
                f"ip:{ip}": max_failures * ADDRESS_FACTOR,
            }
        )


def wait_until(engine: Engine, throttle: Throttle, now: dt.datetime) -> dt.datetime | None:
    """The end of the longest wait among the attempt's keys, or None when it may be tried now.

    A refused attempt is counted on the waiting keys (``refused``)."""
    t = schema.login_throttle
    keys = list(throttle.limits)
    with engine.begin() as conn:
        until = conn.execute(select(t.c.locked_until).where(t.c.key.in_(keys), t.c.locked_until > now)).scalars().all()
        if until:
            conn.execute(update(t).where(t.c.key.in_(keys), t.c.locked_until > now).values(refused=t.c.refused + 1, last_at=now))
    return max(until) if until else None


def record_failure(engine: Engine, throttle: Throttle, now: dt.datetime, cap: dt.timedelta) -> bool:
    """Count one failure on every key; True when this failure started (or lengthened) a wait.

    A key's count restarts once ``cap`` has passed since its first failure and it is not waiting."""
    t = schema.login_throttle
    slowed = False
    with engine.begin() as conn:
        for key, limit in throttle.limits.items():
            query = select(t.c.failures, t.c.first_at, t.c.locked_until).where(t.c.key == key)
            row = conn.execute(query.with_for_update()).first()
            if row is None or (row.first_at + cap < now and (row.locked_until is None or row.locked_until <= now)):
                conn.execute(delete(t).where(t.c.key == key))
                conn.execute(insert(t).values(key=key, failures=1, first_at=now, locked_until=None, refused=0, last_at=now))
                failures = 1
            else:
                failures = row.failures + 1
            locked = now + delay(failures, limit, cap) if failures >= limit else None
            slowed = slowed or locked is not None
            conn.execute(update(t).where(t.c.key == key).values(failures=failures, locked_until=locked, last_at=now))
    return slowed


def delay(failures: int, limit: int, cap: dt.timedelta) -> dt.timedelta:
    """The wait after the ``failures``-th failure of a key whose threshold is ``limit``: doubling, capped."""
    doublings = min(failures - limit, 20)
    return min(cap, FIRST_DELAY * (2**doublings))


def forget_success(engine: Engine, username: str, address: str) -> None:
    """A successful login clears the account's count and its pair with this address; an attacker's pair with
    the same account, and any address's own count, stay."""
    t = schema.login_throttle
    with engine.begin() as conn:
        conn.execute(delete(t).where(t.c.key.in_([f"user:{username[:64]}", f"pair:{username[:64]}|{address[:64]}"])))


def clear(engine: Engine, *, username: str | None = None, address: str | None = None) -> int:
    """Lift the waits of an account (``users unlock NAME``) or of an address (``users unlock --address IP``)."""
    t = schema.login_throttle
    conditions = []
    if username is not None:
        conditions += [t.c.key == f"user:{username[:64]}", t.c.key.like(f"pair:{_like(username[:64])}|%", escape="\\")]
    if address is not None:
        conditions += [t.c.key == f"ip:{address[:64]}", t.c.key.like(f"pair:%|{_like(address[:64])}", escape="\\")]
    if not conditions:
        return 0
    with engine.begin() as conn:
        return conn.execute(delete(t).where(or_(*conditions))).rowcount


def current_waits(engine: Engine, now: dt.datetime) -> pd.DataFrame:
    """Keys waiting now, for /utilisateurs: key, failures, attempts refused while waiting, until when."""
    t = schema.login_throttle
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.key, t.c.failures, t.c.refused, t.c.locked_until).where(t.c.locked_until > now).order_by(t.c.key)
        ).all()
    return pd.DataFrame(rows, columns=["key", "failures", "refused", "locked_until"])


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
